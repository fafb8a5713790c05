import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { AuditSealer } from '../src/audit/chain/audit-sealer.service';
import { ChainVerifier } from '../src/audit/chain/chain-verifier';
import { CheckpointSigner } from '../src/audit/chain/checkpoint-signer';
import { canonicalJson, eventHash } from '../src/audit/chain/event-hash';
import { AuditEventRow, chainedEventOf, EVENT_COLUMNS } from '../src/audit/audit-event-row';
import { AppConfig } from '../src/config/app-config';
import { describeShared } from './support/describe-shared';
import { login, Session, signedIn } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

interface Verification {
  valid: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  brokenAtSeq?: number;
}

async function verifyOn(
  instance: TestInstance,
  auth: Record<string, string>,
  query: Record<string, string> = {},
): Promise<Verification> {
  const response = await instance
    .http()
    .get('/v1/audit-events/verify')
    .query(query)
    .set(auth)
    .expect(200);
  return response.body as Verification;
}

/** Writes `count` events through the API: a customer's denied requests. */
async function writeEvents(instance: TestInstance, count: number): Promise<void> {
  const customer = await signedIn(instance);
  await Promise.all(
    Array.from({ length: count }, () =>
      instance.http().get('/v1/users').set(customer.auth).expect(403),
    ),
  );
}

async function sealedSeqs(instance: TestInstance): Promise<number[]> {
  const rows: { seq: string }[] = await instance.dataSource.query(
    'SELECT seq FROM audit_events WHERE seq IS NOT NULL ORDER BY seq',
  );
  return rows.map((row) => Number(row.seq));
}

describe('audit hash chain', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;
  let sealer: AuditSealer;

  /**
   * Runs `sql` as a superuser would, with the append-only triggers off for that moment, in one
   * transaction: the sealer, which keeps running, never sees a half-done tamper.
   */
  async function tamper(sql: string | string[], params: unknown[] = []): Promise<void> {
    await api.dataSource.transaction(async (manager) => {
      await manager.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
      await manager.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL');
      for (const statement of [sql].flat()) await manager.query(statement, params);
      await manager.query('ALTER TABLE audit_checkpoints ENABLE TRIGGER ALL');
      await manager.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    });
  }

  /** Keeps the rows at these seqs so that `restore` can put them back as they were. */
  async function backUp(seqs: number[]): Promise<string[]> {
    const rows: { id: string }[] = await api.dataSource.query(
      'INSERT INTO audit_backup SELECT * FROM audit_events WHERE seq = ANY($1) RETURNING id',
      [seqs],
    );
    return rows.map((row) => row.id);
  }

  async function restore(ids: string[]): Promise<void> {
    await tamper(
      [
        'DELETE FROM audit_events WHERE id = ANY($1)',
        'INSERT INTO audit_events SELECT * FROM audit_backup WHERE id = ANY($1)',
      ],
      [ids],
    );
    expect((await verifyOn(api, admin.auth)).valid).toBe(true);
  }

  /** Seals everything, checkpoints the head and returns its seq. */
  async function checkpointedHead(): Promise<number> {
    await sealer.seal();
    await sealer.checkpoint();
    const [row] = await api.dataSource.query('SELECT max(seq) AS seq FROM audit_checkpoints');
    return Number(row.seq);
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    sealer = api.app.get(AuditSealer);
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await writeEvents(api, 12);
    await sealer.seal();
    await api.dataSource.query('CREATE TABLE audit_backup (LIKE audit_events)');
  });
  afterAll(() => env.close());

  describe('sealing', () => {
    it('gives every committed event a seq, 1 to n without gaps, each linked to the one before', async () => {
      const [{ unsealed }] = await api.dataSource.query(
        'SELECT count(*)::int AS unsealed FROM audit_events WHERE seq IS NULL',
      );
      expect(unsealed).toBe(0);
      const seqs = await sealedSeqs(api);
      expect(seqs.length).toBeGreaterThanOrEqual(14);
      expect(seqs).toEqual(seqs.map((_seq, index) => index + 1));
      const [{ unlinked }] = await api.dataSource.query(
        `SELECT count(*)::int AS unlinked FROM audit_events a
           JOIN audit_events b ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash`,
      );
      expect(unlinked).toBe(0);
      const [first] = await api.dataSource.query(
        'SELECT prev_hash FROM audit_events WHERE seq = 1',
      );
      expect(first.prev_hash).toBe('0'.repeat(64));
    });

    it('hashes the canonical serialization of the content, seq and prevHash', async () => {
      const rows: AuditEventRow[] = await api.dataSource.query(
        `SELECT ${EVENT_COLUMNS} FROM audit_events e WHERE e.seq IS NOT NULL ORDER BY e.seq LIMIT 5`,
      );
      for (const row of rows) {
        expect(eventHash(chainedEventOf(row, Number(row.seq), row.prev_hash as string))).toBe(
          row.hash,
        );
      }
    });

    it('seals on its own moments after commit', async () => {
      const before = (await sealedSeqs(api)).length;
      await writeEvents(api, 2);
      const deadline = Date.now() + 10_000;
      while ((await sealedSeqs(api)).length < before + 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // Two denials and the customer's login.
      expect((await sealedSeqs(api)).length).toBe(before + 3);
    });

    it('signs checkpoints of the chain head with the configured Ed25519 key', async () => {
      await writeEvents(api, 1);
      await sealer.seal();
      const checkpoint = await sealer.checkpoint();
      expect(checkpoint).not.toBeNull();
      const [row] = await api.dataSource.query(
        `SELECT seq, hash, key_id, signature,
                to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS signed_at
           FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`,
      );
      const [head] = await api.dataSource.query(
        'SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1',
      );
      expect({ seq: row.seq, hash: row.hash }).toEqual({ seq: head.seq, hash: head.hash });
      const publicKey = createPublicKey(api.app.get(AppConfig).audit.signingKeyPem);
      const statement = canonicalJson({
        seq: Number(row.seq),
        hash: row.hash,
        signedAt: row.signed_at,
        keyId: row.key_id,
      });
      expect(
        verify(null, Buffer.from(statement), publicKey, Buffer.from(row.signature, 'base64')),
      ).toBe(true);
      expect(await sealer.checkpoint()).toBeNull();
    });

    it('stops cleanly on shutdown, finishing the pass it is in', async () => {
      const other = await env.start();
      await writeEvents(other, 5);
      let finished = false;
      const sealing = other.app
        .get(AuditSealer)
        .seal()
        .finally(() => (finished = true));
      await other.close();
      // The pass ended before the instance did, and ended well: not cut off by the closing pool.
      expect(finished).toBe(true);
      await expect(sealing).resolves.toEqual(expect.any(Number));
    });
  });

  describe('verify', () => {
    it('finds an intact chain valid, over all of it or a window', async () => {
      const all = await verifyOn(api, admin.auth);
      const [{ anchored }] = await api.dataSource.query(
        'SELECT max(seq)::int AS anchored FROM audit_checkpoints',
      );
      expect(all).toEqual({
        valid: true,
        checked: all.lastSeq,
        firstSeq: 1,
        lastSeq: expect.any(Number),
        anchoredThrough: anchored,
      });
      // Events of one transaction can share their instant: the window holds every sealed event
      // at seq 5's instant, and only those.
      const [middle] = await api.dataSource.query(
        `SELECT to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
                count(*)::int AS events, min(o.seq)::int AS first, max(o.seq)::int AS last
           FROM audit_events e
           JOIN audit_events o ON o.occurred_at = e.occurred_at AND o.seq IS NOT NULL
          WHERE e.seq = 5
          GROUP BY e.occurred_at`,
      );
      const window = await verifyOn(api, admin.auth, { from: middle.at, to: middle.at });
      expect(window).toMatchObject({
        valid: true,
        checked: middle.events,
        firstSeq: middle.first,
        lastSeq: middle.last,
      });
      expect(middle.first).toBeLessThanOrEqual(5);
      expect(middle.last).toBeGreaterThanOrEqual(5);
      const future = await verifyOn(api, admin.auth, { from: '2999-01-01T00:00:00Z' });
      expect(future).toEqual({ valid: true, checked: 0, firstSeq: null, lastSeq: null });
      await api
        .http()
        .get('/v1/audit-events/verify')
        .query({ from: '2030-01-02T00:00:00Z', to: '2030-01-01T00:00:00Z' })
        .set(admin.auth)
        .expect(400);
    });

    it('detects a changed event at its seq', async () => {
      const ids = await backUp([6]);
      await tamper(
        `UPDATE audit_events SET metadata = '{"reason":"nothing to see"}' WHERE seq = 6`,
      );
      expect(await verifyOn(api, admin.auth)).toMatchObject({
        valid: false,
        brokenAtSeq: 6,
        checked: 5,
      });
      await restore(ids);
    });

    it('detects a deleted event at its seq', async () => {
      const ids = await backUp([7]);
      await tamper('DELETE FROM audit_events WHERE seq = 7');
      expect(await verifyOn(api, admin.auth)).toMatchObject({ valid: false, brokenAtSeq: 7 });
      await restore(ids);
    });

    it('detects the first event deleted, at seq 1', async () => {
      const ids = await backUp([1]);
      await tamper('DELETE FROM audit_events WHERE seq = 1');
      expect(await verifyOn(api, admin.auth)).toMatchObject({ valid: false, brokenAtSeq: 1 });
      await restore(ids);
    });

    it('detects two events swapped, at the first of them', async () => {
      const ids = await backUp([3, 8]);
      // Swap whole rows (content moves, chain columns stay): seq through a free value. Seen
      // between these statements, that value would be the chain head the sealer appends to.
      await tamper([
        'UPDATE audit_events SET seq = 1000000 WHERE seq = 3',
        'UPDATE audit_events SET seq = 3 WHERE seq = 8',
        'UPDATE audit_events SET seq = 8 WHERE seq = 1000000',
      ]);
      expect(await verifyOn(api, admin.auth)).toMatchObject({ valid: false, brokenAtSeq: 3 });
      await restore(ids);
    });

    it('refuses a checkpoint signed with another key', async () => {
      const [free] = await api.dataSource.query(
        `SELECT seq, hash FROM audit_events
          WHERE seq IS NOT NULL AND seq NOT IN (SELECT seq FROM audit_checkpoints)
          ORDER BY seq LIMIT 1 OFFSET 3`,
      );
      const otherKey = generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();
      const forged = new CheckpointSigner(otherKey).sign(Number(free.seq), free.hash, new Date());
      const ours = api.app.get(CheckpointSigner).keyId;
      for (const keyId of [forged.keyId, ours]) {
        await api.dataSource.query(
          `INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature)
           VALUES ($1, $2, $3, $4, $5)`,
          [forged.seq, forged.hash, forged.signedAt, keyId, forged.signature],
        );
        expect(await verifyOn(api, admin.auth)).toMatchObject({
          valid: false,
          brokenAtSeq: Number(free.seq),
        });
        await tamper('DELETE FROM audit_checkpoints WHERE seq = $1', [free.seq]);
      }
      expect((await verifyOn(api, admin.auth)).valid).toBe(true);
    });

    it('catches a chain rewritten consistently after a change, at the next signed checkpoint', async () => {
      const head = await checkpointedHead();
      const from = head - 3;
      const ids = await backUp([from, from + 1, from + 2, head]);
      // Someone who knows the algorithm changes an event and recomputes every hash after it.
      await api.dataSource.transaction(async (manager) => {
        const rows: AuditEventRow[] = await manager.query(
          `SELECT ${EVENT_COLUMNS} FROM audit_events e WHERE e.seq BETWEEN $1 AND $2 ORDER BY e.seq`,
          [from, head],
        );
        let prevHash = rows[0].prev_hash as string;
        await manager.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
        for (const row of rows) {
          const content = { ...row, metadata: { reason: 'rewritten' } };
          const hash = eventHash(chainedEventOf(content, Number(row.seq), prevHash));
          await manager.query(
            'UPDATE audit_events SET metadata = $2, hash = $3, prev_hash = $4 WHERE id = $1',
            [row.id, content.metadata, hash, prevHash],
          );
          prevHash = hash;
        }
        await manager.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
      });
      expect(await verifyOn(api, admin.auth)).toMatchObject({ valid: false, brokenAtSeq: head });
      await restore(ids);
    });

    it('catches events cut off the end of the chain by the checkpoint past them', async () => {
      const head = await checkpointedHead();
      const ids = await backUp([head - 1, head]);
      await tamper('DELETE FROM audit_events WHERE seq >= $1', [head - 1]);
      // Straight through the verifier: a request would add an event for the sealer to chain.
      const result = await api.app.get(ChainVerifier).verify(api.dataSource.manager, {});
      expect(result).toMatchObject({ valid: false, brokenAtSeq: head - 1 });
      await restore(ids);
    });
  });
});

describeShared('audit hash chain on two instances', () => {
  let env: TestEnvironment;
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    [a, b] = [await env.start(), await env.start()];
  });
  afterAll(() => env.close());

  it('stays one valid chain while both write and seal at once', async () => {
    const sealing = [a, b].map((instance) => instance.app.get(AuditSealer));
    await Promise.all([
      writeEvents(a, 60),
      writeEvents(b, 60),
      ...Array.from({ length: 6 }, (_unused, index) => sealing[index % 2].seal()),
    ]);
    await Promise.all(sealing.map((instance) => instance.seal()));
    const [{ total, unsealed }] = await a.dataSource.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE seq IS NULL)::int AS unsealed
         FROM audit_events`,
    );
    expect(unsealed).toBe(0);
    expect(await sealedSeqs(a)).toEqual(Array.from({ length: total }, (_unused, i) => i + 1));
    const admin = await login(b, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(await verifyOn(b, admin.auth)).toMatchObject({ valid: true, firstSeq: 1 });
  });

  it('seals, before an instance stops, every event committed before its last pass', async () => {
    const other = await env.start();
    await writeEvents(other, 5);
    const [{ now }] = await a.dataSource.query('SELECT clock_timestamp()::text AS now');
    const sealing = other.app.get(AuditSealer).seal();
    await other.close();
    await expect(sealing).resolves.toEqual(expect.any(Number));
    const unsealed = await a.dataSource.query(
      'SELECT id FROM audit_events WHERE seq IS NULL AND occurred_at <= $1',
      [now],
    );
    expect(unsealed).toEqual([]);
  });
});
