import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { AppProcess, call, CLUSTER_MAIN, FaultCluster } from './support/app';
import { waitFor } from './support/services';

/** Pids of the processes whose parent is `pid` (the cluster's workers). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `npm run start:cluster`: workers share one port, a dead worker is replaced, SIGTERM stops all. */
describe('start:cluster', () => {
  let cluster: FaultCluster;
  let app: AppProcess;

  beforeAll(async () => {
    cluster = await FaultCluster.create();
    app = cluster.instance('c', { WEB_CONCURRENCY: '2', SHUTDOWN_DRAIN_MS: '200' }, CLUSTER_MAIN);
    await cluster.start(app);
    await waitFor('two workers', async () => childrenOf(app.pid).length === 2, 30_000);
  });
  afterAll(() => cluster.close());

  it('serves on one port from two worker processes', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => call(app.url, 'GET', '/health/ready')),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(childrenOf(app.pid)).toHaveLength(2);
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [killed, survivor] = childrenOf(app.pid);
    process.kill(killed, 'SIGKILL');
    await waitFor(
      'a replacement worker',
      async () => {
        const workers = childrenOf(app.pid);
        return workers.length === 2 && !workers.includes(killed);
      },
      30_000,
    );
    expect(childrenOf(app.pid)).toContain(survivor);
    await app.ready(30_000);
    expect((await call(app.url, 'GET', '/health/ready')).status).toBe(200);
  });

  it('stops every worker and exits 0 on SIGTERM', async () => {
    const workers = childrenOf(app.pid);
    app.signal('SIGTERM');
    expect(await app.exited(15_000)).toEqual({ code: 0, signal: null });
    expect(workers.filter(isAlive)).toEqual([]);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('start:cluster refuses to start', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [CLUSTER_MAIN], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', DATA_DIR: tmpdir(), ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('several workers on the embedded database, which serves one process only', () => {
    const result = run({ WEB_CONCURRENCY: '2' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('start:cluster needs DATABASE_URL');
  });

  it('a WEB_CONCURRENCY that is not a positive integer', () => {
    const result = run({ WEB_CONCURRENCY: 'many' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('WEB_CONCURRENCY must be a positive integer');
  });
});
