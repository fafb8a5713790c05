import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  AppProcess,
  call,
  FaultCluster,
  isProblem,
  loginAs,
  newAccount,
  orderBody,
  Outcome,
} from './support/app';
import { sleep } from './support/services';

const CLIENTS = 20;
const EXIT_WITHIN_MS = 10_000;
/** How a closed server turns a new request away: refused at connect, or a kept-alive connection closing. */
const CLOSED = ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET'];

/** The production default of SHUTDOWN_DRAIN_MS, which these instances run with. */
const DRAIN_MS = 5000;

interface Sample {
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
}

interface Probe {
  startedAt: number;
  ready: Outcome;
  live: Outcome;
}

/**
 * SIGTERM under load: the instance drains (readiness 503, still serving, each answer closing its
 * connection), then closes: requests already running complete, later ones are answered or refused
 * at connect, nothing is reset, and the process exits 0 within a few seconds of the drain.
 */
describe('graceful shutdown (SIGTERM under load)', () => {
  let cluster: FaultCluster;
  let app: AppProcess;
  const samples: Sample[] = [];
  const probes: Probe[] = [];
  let signalledAt = 0;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let exitedAfterMs = 0;

  beforeAll(async () => {
    cluster = await FaultCluster.create();
    app = cluster.instance('a');
    await cluster.start(app);
    const admin = (await loginAs(app.url, ADMIN_EMAIL, ADMIN_PASSWORD)).token;
    const tokens: string[] = [];
    for (let i = 0; i < 4; i += 1) tokens.push((await newAccount(app.url, admin)).token);

    let refused = 0;
    const deadline = Date.now() + 60_000;
    const client = async (index: number) => {
      const token = tokens[index % tokens.length];
      // Until the port refuses connections: the server is gone.
      while (refused < CLIENTS * 3 && Date.now() < deadline) {
        const startedAt = Date.now();
        const outcome = await call(app.url, 'POST', '/v1/orders', {
          token,
          body: orderBody(),
          timeoutMs: 20_000,
        });
        samples.push({ startedAt, endedAt: Date.now(), outcome });
        if (outcome.status === 0 && outcome.error === 'ECONNREFUSED') {
          refused += 1;
          await sleep(50);
        }
      }
    };
    // What a load balancer sees: readiness and liveness, every 100 ms, until the port closes.
    const probe = async () => {
      while (Date.now() < deadline) {
        const startedAt = Date.now();
        const [ready, live] = await Promise.all([
          call(app.url, 'GET', '/health/ready', { timeoutMs: 5000 }),
          call(app.url, 'GET', '/health/live', { timeoutMs: 5000 }),
        ]);
        probes.push({ startedAt, ready, live });
        if (ready.error === 'ECONNREFUSED') return;
        await sleep(100);
      }
    };
    const running = Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    await sleep(2000);
    signalledAt = Date.now();
    app.signal('SIGTERM');
    const probing = probe();
    exit = await app.exited(EXIT_WITHIN_MS + 20_000);
    exitedAfterMs = Date.now() - signalledAt;
    await Promise.all([running, probing]);
    const counts = new Map<string, number>();
    for (const { startedAt, outcome } of samples) {
      const label = `${startedAt < signalledAt ? 'before' : 'after'} SIGTERM: ${
        outcome.status === 0 ? outcome.error : outcome.status
      }`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    const answered = probes.filter((p) => p.ready.status !== 0);
    console.log(
      `SIGTERM: exit ${JSON.stringify(exit)} after ${exitedAfterMs} ms; readiness ` +
        `${answered.map((p) => `+${p.startedAt - signalledAt}:${p.ready.status}`).join(' ')}\n` +
        [...counts.entries()]
          .sort()
          .map(([label, n]) => `  ${label.padEnd(32)} ${n}`)
          .join('\n'),
    );
  }, 180_000);
  afterAll(() => cluster?.close(), 60_000);

  it('requests in flight when the signal came complete successfully', () => {
    const inFlight = samples.filter((s) => s.startedAt < signalledAt && s.endedAt >= signalledAt);
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.map((s) => s.outcome.status).filter((status) => status !== 201)).toEqual([]);
  });

  it('requests sent after the signal are answered (201, 503) or refused, never 500 or hung', () => {
    const later = samples.filter((s) => s.startedAt >= signalledAt);
    const unexpected = later.filter(
      (s) =>
        !(s.outcome.status === 201 || s.outcome.status === 503) &&
        !(s.outcome.status === 0 && CLOSED.includes(s.outcome.error ?? '')),
    );
    expect(unexpected.map((s) => s.outcome.error ?? s.outcome.status)).toEqual([]);
  });

  it('readiness turns 503 at once and liveness stays 200 while the instance drains', () => {
    // A probe sent within moments of the signal may be answered before the handler runs.
    const answered = probes.filter((p) => p.startedAt >= signalledAt + 250 && p.ready.status !== 0);
    expect(answered.filter((p) => !isProblem(p.ready, 503, 'shutting-down'))).toEqual([]);
    // After the drain, while the listener closes, every request is answered 503, liveness too.
    const draining = answered.filter((p) => p.startedAt < signalledAt + DRAIN_MS - 100);
    expect(draining.length).toBeGreaterThan(DRAIN_MS / 1000);
    expect(draining.filter((p) => p.live.status !== 200)).toEqual([]);
    // It kept answering for the whole drain before it closed.
    const lastAnswered = Math.max(...answered.map((p) => p.startedAt)) - signalledAt;
    expect(lastAnswered).toBeGreaterThanOrEqual(DRAIN_MS - 500);
  });

  it('answers every request during the drain and closes its connection after it', () => {
    const during = samples.filter(
      (s) => s.startedAt >= signalledAt + 250 && s.endedAt < signalledAt + DRAIN_MS - 250,
    );
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((s) => s.outcome.status !== 201).map((s) => s.outcome.status)).toEqual([]);
    expect(during.filter((s) => s.outcome.headers?.get('connection') !== 'close').length).toBe(0);
  });

  // Kept-alive connections are closed during the drain, so the close meets no client mid-request.
  it('no request sent after the signal gets a connection reset', () => {
    const reset = samples.filter(
      (s) =>
        s.startedAt >= signalledAt && s.outcome.status === 0 && s.outcome.error !== 'ECONNREFUSED',
    );
    expect(reset.map((s) => s.outcome.error)).toEqual([]);
  });

  it('the process exits by itself within a few seconds (drain included)', () => {
    expect(exitedAfterMs).toBeLessThan(EXIT_WITHIN_MS);
  });

  // Supervisors read the status: 143 (killed by a re-raised SIGTERM) would look like a crash.
  it('the process exits with status 0', () => {
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
