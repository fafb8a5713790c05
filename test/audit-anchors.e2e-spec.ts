import { generateKeyPairSync } from 'node:crypto';
import { appendFile, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { AuditSealer } from '../src/audit/chain/audit-sealer.service';
import { AuditRoleCheck } from '../src/audit/chain/audit-role-check.service';
import { ChainVerifier } from '../src/audit/chain/chain-verifier';
import { Checkpoint, CheckpointSigner } from '../src/audit/chain/checkpoint-signer';
import { verifyCommand } from '../src/audit/cli/verify-command';
import { AppConfig } from '../src/config/app-config';
import { DEFAULT_PASSWORD, login, newUser, Session, signedIn } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';
import { databaseUrl, withAdminClient } from './support/test-database';

const describePostgres = process.env.DATABASE_URL ? describe : describe.skip;

interface Verification {
  valid: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  brokenAtSeq?: number;
  anchoredThrough?: number;
}

async function verifyOverHttp(api: TestInstance, admin: Session): Promise<Verification> {
  const response = await api.http().get('/v1/audit-events/verify').set(admin.auth).expect(200);
  return response.body as Verification;
}

/** `count` events through the API: a customer's denied requests. */
async function writeEvents(api: TestInstance, count: number): Promise<void> {
  const customer = await signedIn(api);
  for (let i = 0; i < count; i += 1) {
    await api.http().get('/v1/users').set(customer.auth).expect(403);
  }
}

async function anchorsOf(api: TestInstance): Promise<Checkpoint[]> {
  const file = join(api.app.get(AppConfig).audit.anchorDir, 'checkpoints.ndjson');
  const text = await readFile(file, 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Checkpoint);
}

/** Seals every event and checkpoints the head (a pass may have done so); returns its seq. */
async function checkpointedHead(api: TestInstance): Promise<number> {
  const sealer = api.app.get(AuditSealer);
  await sealer.seal();
  await sealer.checkpoint();
  const [row] = await api.dataSource.query('SELECT max(seq)::int AS seq FROM audit_checkpoints');
  return row.seq as number;
}

/** A chain with three checkpoints, each anchored; returns their seqs, oldest first. */
async function anchoredChain(api: TestInstance): Promise<number[]> {
  const seqs: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    await writeEvents(api, 4);
    seqs.push(await checkpointedHead(api));
  }
  return seqs;
}

/** What the database alone says: the chain and its checkpoints, no anchor. */
function verifyWithoutAnchors(api: TestInstance): Promise<Verification> {
  return api.app.get(ChainVerifier).verify(api.dataSource.manager, {});
}

/** As the owner of the audit tables: triggers off, `statements`, triggers on, in one transaction. */
async function asOwner(api: TestInstance, statements: string[]): Promise<void> {
  await api.dataSource.transaction(async (manager) => {
    await manager.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await manager.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
    for (const statement of statements) await manager.query(statement);
    await manager.query('ALTER TABLE audit_checkpoints ENABLE TRIGGER USER');
    await manager.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
  });
}

describe('signed checkpoints leave the database', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await anchoredChain(api);
  });
  afterAll(() => env.close());

  it('appends each one to the anchor file, as GET /v1/audit-checkpoints lists them', async () => {
    const anchors = await anchorsOf(api);
    const listed: Checkpoint[] = [];
    let cursor: string | null = null;
    do {
      const page = await api
        .http()
        .get('/v1/audit-checkpoints')
        .query({ limit: 1, ...(cursor ? { cursor } : {}) })
        .set(admin.auth)
        .expect(200);
      listed.push(...(page.body.data as Checkpoint[]));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(listed.length).toBeGreaterThanOrEqual(3);
    expect(listed.map((checkpoint) => checkpoint.seq)).toEqual(
      [...listed.map((checkpoint) => checkpoint.seq)].sort((a, b) => b - a),
    );
    expect([...anchors].sort((a, b) => b.seq - a.seq)).toEqual(listed);
  });

  it('lists them only for audit:verify, with a cursor it issued', async () => {
    const customer = await signedIn(api);
    await api.http().get('/v1/audit-checkpoints').set(customer.auth).expect(403);
    await api.http().get('/v1/audit-checkpoints').expect(401);
    const bad = await api
      .http()
      .get('/v1/audit-checkpoints')
      .query({ cursor: 'bm9wZQ' })
      .set(admin.auth)
      .expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
  });

  it('verify reports how far the chain matches its anchors', async () => {
    const anchors = await anchorsOf(api);
    const verdict = await verifyOverHttp(api, admin);
    expect(verdict).toMatchObject({
      valid: true,
      anchoredThrough: Math.max(...anchors.map((anchor) => anchor.seq)),
    });
  });
  it('does not take an anchor signed by another key as evidence', async () => {
    const [anchor] = await anchorsOf(api);
    const otherKey = generateKeyPairSync('ed25519').privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    const forged = new CheckpointSigner(otherKey.toString()).sign(
      anchor.seq,
      anchor.hash,
      new Date(),
    );
    await appendFile(
      join(api.app.get(AppConfig).audit.anchorDir, 'checkpoints.ndjson'),
      `${JSON.stringify(forged)}\n`,
    );
    expect(await verifyOverHttp(api, admin)).toMatchObject({
      valid: false,
      brokenAtSeq: anchor.seq,
    });
  });
});

describe('the audit log against the owner of its tables', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;
  let checkpoints: number[];

  beforeEach(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    checkpoints = await anchoredChain(api);
  });
  afterEach(() => env.close());

  it('catches events and checkpoints deleted past a seq with the triggers off', async () => {
    const [first, second] = checkpoints;
    const cut = second - 2;
    await asOwner(api, [
      `DELETE FROM audit_events WHERE seq > ${cut}`,
      `DELETE FROM audit_checkpoints WHERE seq > ${cut}`,
    ]);
    // The database alone no longer shows it: the attack the anchors are for.
    expect(await verifyWithoutAnchors(api)).toMatchObject({ valid: true, checked: cut });
    expect(await verifyOverHttp(api, admin)).toMatchObject({
      valid: false,
      brokenAtSeq: cut + 1,
      anchoredThrough: first,
    });
  });

  it('catches a rewritten event re-chained by the sealer under a new checkpoint', async () => {
    const [first, second] = checkpoints;
    const forged = second - 1;
    await asOwner(api, [
      `UPDATE audit_events SET metadata = '{"reason":"nothing to see"}' WHERE seq = ${forged}`,
      `UPDATE audit_events SET seq = NULL, hash = NULL, prev_hash = NULL WHERE seq >= ${forged}`,
      `DELETE FROM audit_checkpoints WHERE seq >= ${forged}`,
    ]);
    expect(await checkpointedHead(api)).toBeGreaterThan(second);
    expect(await verifyWithoutAnchors(api)).toMatchObject({ valid: true });
    expect(await verifyOverHttp(api, admin)).toMatchObject({
      valid: false,
      brokenAtSeq: second,
      anchoredThrough: first,
    });
  });

  describePostgres('with npm run audit:verify -- --anchors <file>', () => {
    let archive: string;
    beforeEach(async () => {
      archive = await mkdtemp(join(tmpdir(), 'bastion-anchors-'));
    });
    afterEach(() => rm(archive, { recursive: true, force: true }));

    async function verifyFromCli(args: string[]): Promise<Verification> {
      const config = api.app.get(AppConfig);
      return verifyCommand(
        args,
        {
          NODE_ENV: 'test',
          DATA_DIR: archive,
          DATABASE_URL: (api.dataSource.options as { url: string }).url,
          AUDIT_SIGNING_KEY: config.audit.signingKeyPem,
        },
        new PassThrough(),
      );
    }

    it('catches both attacks against an archived copy of the anchors', async () => {
      const copy = join(archive, 'archived.ndjson');
      await copyFile(join(api.app.get(AppConfig).audit.anchorDir, 'checkpoints.ndjson'), copy);
      const [first, second] = checkpoints;
      expect(await verifyFromCli(['--anchors', copy])).toMatchObject({ valid: true });

      await asOwner(api, [
        `DELETE FROM audit_events WHERE seq > ${second}`,
        `DELETE FROM audit_checkpoints WHERE seq > ${second}`,
      ]);
      expect(await verifyFromCli([])).toMatchObject({ valid: true });
      expect(await verifyFromCli(['--anchors', copy])).toMatchObject({
        valid: false,
        brokenAtSeq: second + 1,
        anchoredThrough: second,
      });

      await asOwner(api, [
        `UPDATE audit_events SET user_agent = 'forged' WHERE seq = ${first}`,
        `UPDATE audit_events SET seq = NULL, hash = NULL, prev_hash = NULL WHERE seq >= ${first}`,
        `DELETE FROM audit_checkpoints WHERE seq >= ${first}`,
      ]);
      await api.app.get(AuditSealer).seal();
      expect(await verifyFromCli([])).toMatchObject({ valid: true });
      expect(await verifyFromCli(['--anchors', copy])).toMatchObject({
        valid: false,
        brokenAtSeq: first,
      });
    });

    it('refuses an anchor file that holds anything but checkpoints', async () => {
      const copy = join(archive, 'garbage.ndjson');
      await writeFile(copy, '{"seq":"x"}\n');
      await expect(verifyFromCli(['--anchors', copy])).rejects.toThrow(/garbage.ndjson:1/);
    });
  });
});

describePostgres('two database roles: the server runs as one that owns nothing', () => {
  const runtimeRole = `bastion_runtime_${process.pid}_${Date.now()}`;
  let env: TestEnvironment;
  let api: TestInstance;
  let runtime: Client;

  function runtimeUrl(): string {
    const url = new URL(env.databaseUrl as string);
    url.username = runtimeRole;
    url.password = 'runtime-password';
    return url.toString();
  }

  beforeAll(async () => {
    await withAdminClient(process.env.DATABASE_URL as string, (client) =>
      client.query(`CREATE ROLE ${runtimeRole} LOGIN PASSWORD 'runtime-password'`),
    );
    env = await TestEnvironment.create();
    api = await env.start({
      DATABASE_URL: runtimeUrl(),
      MIGRATION_DATABASE_URL: env.databaseUrl as string,
    });
    runtime = new Client({ connectionString: runtimeUrl() });
    await runtime.connect();
  });
  afterAll(async () => {
    await runtime.end();
    await env.close();
    await withAdminClient(process.env.DATABASE_URL as string, (client) =>
      client.query(`DROP ROLE IF EXISTS ${runtimeRole}`),
    );
  });

  it('serves as the runtime role, sealing and checkpointing the chain', async () => {
    const [{ role }] = await api.dataSource.query('SELECT current_user AS role');
    expect(role).toBe(runtimeRole);
    const admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const user = await newUser(api.dataSource, { password: DEFAULT_PASSWORD });
    await login(api, user);
    await api
      .http()
      .post('/v1/orders')
      .set(admin.auth)
      .send({
        currency: 'EUR',
        items: [{ sku: 'A-1', name: 'Anchor', quantity: 1, unitPrice: 100 }],
      })
      .expect(201);
    const head = await checkpointedHead(api);
    expect(await verifyOverHttp(api, admin)).toMatchObject({ valid: true, anchoredThrough: head });
    expect(await api.app.get(AuditRoleCheck).exposure()).toEqual([]);
  });

  it.each([
    ['disable a trigger', 'ALTER TABLE audit_events DISABLE TRIGGER USER'],
    ['drop a trigger', 'DROP TRIGGER audit_events_append_only ON audit_events'],
    ['delete events', 'DELETE FROM audit_events WHERE seq > 1'],
    ['delete checkpoints', 'DELETE FROM audit_checkpoints'],
    ['truncate', 'TRUNCATE audit_events'],
    ['rewrite an event', "UPDATE audit_events SET action = 'user.forged'"],
    ['unseal events', 'UPDATE audit_events SET seq = NULL, hash = NULL, prev_hash = NULL'],
    ['alter a table', 'ALTER TABLE audit_events ADD COLUMN forged int'],
    ['create a table', 'CREATE TABLE forged (id int)'],
    ['read the migrations table', 'SELECT * FROM migrations'],
  ])('is refused by PostgreSQL when it tries to %s', async (_attack, sql) => {
    await expect(runtime.query(sql)).rejects.toMatchObject({ code: '42501' });
  });

  it('leaves the chain intact after every refused attack', async () => {
    const admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await api.app.get(AuditSealer).seal();
    expect(await verifyOverHttp(api, admin)).toMatchObject({ valid: true });
  });

  it('names what is unsafe when one role does both, as production start-up warns', async () => {
    const owner = await env.start();
    const reasons = await owner.app.get(AuditRoleCheck).exposure();
    await owner.close();
    expect(reasons).toEqual([
      expect.stringMatching(/is a superuser/),
      expect.stringMatching(/owns audit_checkpoints and audit_events/),
      expect.stringMatching(/MIGRATION_DATABASE_URL is unset/),
    ]);
  });

  it('refuses MIGRATION_DATABASE_URL without DATABASE_URL', async () => {
    await expect(
      env.start({ DATABASE_URL: '', MIGRATION_DATABASE_URL: databaseUrl(runtimeUrl(), 'x') }),
    ).rejects.toThrow(/MIGRATION_DATABASE_URL needs DATABASE_URL/);
  });
});
