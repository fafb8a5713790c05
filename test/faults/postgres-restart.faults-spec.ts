import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  AppProcess,
  call,
  expectStatus,
  FaultCluster,
  isProblem,
  loginAs,
  newAccount,
  orderBody,
  Outcome,
} from './support/app';
import { sleep, waitFor } from './support/services';

const CLIENTS = 10;
const ANSWER_WITHIN_MS = 5000;

interface Sample {
  at: number;
  kind: string;
  outcome: Outcome;
}

/**
 * PostgreSQL (this test's own cluster) is stopped with `pg_ctl stop -m fast` under load and
 * started again 3 s later. The app must say so on readiness, fail fast with 503 problem+json
 * rather than hang or answer 500, and come back by itself.
 */
describe('PostgreSQL restart under load', () => {
  let cluster: FaultCluster;
  let app: AppProcess;
  const samples: Sample[] = [];
  const readiness: { at: number; status: number }[] = [];
  let stoppedAt = 0;
  let restartedAt = 0;
  let recoveredAt = 0;
  let pid = 0;

  beforeAll(async () => {
    cluster = await FaultCluster.create();
    app = cluster.instance('a');
    await cluster.start(app);
    pid = app.pid;
    const admin = (await loginAs(app.url, ADMIN_EMAIL, ADMIN_PASSWORD)).token;
    const customers: { token: string; orderId: string }[] = [];
    for (let i = 0; i < 3; i += 1) {
      const customer = await newAccount(app.url, admin);
      const order = await expectStatus(201, app.url, 'POST', '/v1/orders', {
        token: customer.token,
        body: orderBody(),
      });
      customers.push({ token: customer.token, orderId: order.body.id as string });
    }

    let stopped = false;
    const client = async (index: number) => {
      const { token, orderId } = customers[index % customers.length];
      for (let round = 0; !stopped; round += 1) {
        const kind = ['read', 'write', 'me'][(index + round) % 3];
        const outcome =
          kind === 'read'
            ? await call(app.url, 'GET', `/v1/orders/${orderId}`, { token, timeoutMs: 15_000 })
            : kind === 'write'
              ? await call(app.url, 'POST', '/v1/orders', {
                  token,
                  body: orderBody(),
                  timeoutMs: 15_000,
                })
              : await call(app.url, 'GET', '/v1/auth/me', { token, timeoutMs: 15_000 });
        samples.push({ at: Date.now(), kind, outcome });
        await sleep(50);
      }
    };
    const probe = async () => {
      while (!stopped) {
        const outcome = await call(app.url, 'GET', '/health/ready', { timeoutMs: 15_000 });
        readiness.push({ at: Date.now(), status: outcome.status });
        await sleep(200);
      }
    };
    const running = Promise.all([probe(), ...Array.from({ length: CLIENTS }, (_, i) => client(i))]);

    await sleep(2000);
    stoppedAt = Date.now();
    await cluster.pg.stop('fast');
    await sleep(3000);
    await cluster.pg.start();
    restartedAt = Date.now();
    // Recovered: ready again and a write goes through, on the same process.
    const probeToken = customers[0].token;
    await waitFor(
      'the app to serve writes again',
      async () => {
        const ready = await call(app.url, 'GET', '/health/ready', { timeoutMs: 5000 });
        if (ready.status !== 200) return false;
        const write = await call(app.url, 'POST', '/v1/orders', {
          token: probeToken,
          body: orderBody(),
          timeoutMs: 5000,
        });
        return write.status === 201;
      },
      60_000,
      100,
    );
    recoveredAt = Date.now();
    await sleep(2000);
    stopped = true;
    await running;

    const counts = new Map<string, number>();
    for (const { kind, outcome } of samples) {
      const label = `${kind} ${outcome.status === 0 ? outcome.error : outcome.status}`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    const firstDown = readiness.find((r) => r.at > stoppedAt && r.status !== 200);
    console.log(
      `PostgreSQL restart: readiness not ready ${firstDown ? firstDown.at - stoppedAt : 'never'} ms ` +
        `after the stop; PostgreSQL down ${restartedAt - stoppedAt} ms; app recovered ` +
        `${recoveredAt - restartedAt} ms after PostgreSQL accepted connections again; slowest ` +
        `answer ${Math.max(...samples.map((s) => s.outcome.ms))} ms\n` +
        [...counts.entries()]
          .sort()
          .map(([label, n]) => `  ${label.padEnd(16)} ${n}`)
          .join('\n'),
    );
  }, 240_000);
  afterAll(() => cluster?.close(), 60_000);

  it('readiness turns 503 within a few seconds of the database going away', () => {
    const firstDown = readiness.find((r) => r.at > stoppedAt && r.status !== 200);
    expect(firstDown?.status).toBe(503);
    expect((firstDown?.at ?? Infinity) - stoppedAt).toBeLessThan(5000);
  });

  it('every request is answered, within 5 s: no hang, no dropped connection', () => {
    const failures = samples.filter((s) => s.outcome.status === 0);
    expect(failures.map((s) => `${s.kind} ${(s.outcome as { error: string }).error}`)).toEqual([]);
    const slow = samples.filter((s) => s.outcome.ms > ANSWER_WITHIN_MS);
    expect(slow.map((s) => `${s.kind} ${s.outcome.status} in ${s.outcome.ms} ms`)).toEqual([]);
  });

  it('recovers by itself, without a restart, and serves everything again', () => {
    expect(app.running).toBe(true);
    expect(app.pid).toBe(pid);
    expect(recoveredAt - restartedAt).toBeLessThan(30_000);
    const after = samples.filter((s) => s.at > recoveredAt + 500);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((s) => s.outcome.status >= 300).map((s) => s.outcome.status)).toEqual([]);
    expect(readiness.filter((r) => r.at > recoveredAt).every((r) => r.status === 200)).toBe(true);
  });

  // A 500 would tell the client its request is broken; 503 with Retry-After says to retry.
  it('fails fast with 503 problem+json while the database is away, never 500', () => {
    const errors = samples.filter((s) => s.outcome.status >= 500);
    expect(errors.length).toBeGreaterThan(0);
    const not503 = errors.filter((s) => !isProblem(s.outcome, 503));
    expect(
      not503.map((s) => `${s.kind} ${s.outcome.status} ${JSON.stringify(s.outcome.body)}`),
    ).toEqual([]);
  });
});
