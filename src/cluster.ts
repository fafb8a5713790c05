import cluster, { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';

/**
 * `npm run start:cluster`: one server process per core (or WEB_CONCURRENCY), sharing the port
 * through node:cluster. Instances already share everything through PostgreSQL and Redis, so
 * workers need nothing from each other. A worker that dies after it started serving is replaced;
 * one that cannot start stops the cluster (a bad configuration would otherwise restart forever).
 */
function workerCount(): number {
  const raw = process.env.WEB_CONCURRENCY;
  if (raw === undefined || raw === '') return availableParallelism();
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) {
    process.stderr.write(
      `Bastion cluster: WEB_CONCURRENCY must be a positive integer, got "${raw}"\n`,
    );
    process.exit(1);
  }
  return count;
}

function runPrimary(): void {
  const serving = new WeakSet<Worker>();
  let stopping = false;

  const fork = () => {
    const worker = cluster.fork();
    worker.once('listening', () => serving.add(worker));
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
      return;
    }
    if (!serving.has(worker)) {
      process.stderr.write(`Bastion cluster: a worker failed to start (exit ${code}); stopping\n`);
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      process.exitCode = 1;
      return;
    }
    process.stderr.write(
      `Bastion cluster: worker ${worker.process.pid} died (${signal ?? code}); replacing it\n`,
    );
    fork();
  });

  // Each worker drains and closes on its own signal; the primary waits for all of them.
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  const count = workerCount();
  for (let index = 0; index < count; index += 1) fork();
}

if (cluster.isPrimary) {
  runPrimary();
} else {
  void import('./main.js');
}
