import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  AppProcess,
  call,
  FaultCluster,
  knownBug,
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

interface Sample {
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
}

/**
 * SIGTERM under load: requests already running complete, later ones are answered 503 or refused
 * at connect, nothing accepted is reset, and the process exits 0 within a few seconds.
 */
describe('graceful shutdown (SIGTERM under load)', () => {
  let cluster: FaultCluster;
  let app: AppProcess;
  const samples: Sample[] = [];
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
    const running = Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    await sleep(2000);
    signalledAt = Date.now();
    app.signal('SIGTERM');
    exit = await app.exited(EXIT_WITHIN_MS + 20_000);
    exitedAfterMs = Date.now() - signalledAt;
    await running;
    const counts = new Map<string, number>();
    for (const { startedAt, outcome } of samples) {
      const label = `${startedAt < signalledAt ? 'before' : 'after'} SIGTERM: ${
        outcome.status === 0 ? outcome.error : outcome.status
      }`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    console.log(
      `SIGTERM: exit ${JSON.stringify(exit)} after ${exitedAfterMs} ms\n` +
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

  // Known bug (FAULTS_KNOWN_BUGS=1): no drain period. On SIGTERM the server closes at once
  // (readiness is not turned 503 first), so a request a client sends on a kept-alive connection
  // at that moment can meet a reset instead of an answer or a refused connect.
  knownBug('[known bug] no request sent after the signal gets a connection reset', () => {
    const reset = samples.filter(
      (s) =>
        s.startedAt >= signalledAt && s.outcome.status === 0 && s.outcome.error !== 'ECONNREFUSED',
    );
    expect(reset.map((s) => s.outcome.error)).toEqual([]);
  });

  it('the process exits by itself within a few seconds, after its shutdown hooks', () => {
    // Nest (enableShutdownHooks) closes the app, then re-raises the signal it received.
    expect([
      { code: 0, signal: null },
      { code: null, signal: 'SIGTERM' },
    ]).toContainEqual(exit);
    expect(exitedAfterMs).toBeLessThan(EXIT_WITHIN_MS);
  });

  // Supervisors read the status: 143 (killed by a re-raised SIGTERM) would look like a crash.
  it('the process exits with status 0', () => {
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
