import cluster, { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { config as loadDotenv } from 'dotenv';
import { ConfigurationError, loadAppConfig } from './config/app-config';

/**
 * `npm run start:cluster`: one server process per core (or WEB_CONCURRENCY), sharing the port
 * through node:cluster. Instances already share everything through PostgreSQL and Redis, so
 * workers need nothing from each other. A worker that dies after it started serving is replaced;
 * one that cannot start stops the cluster (a bad configuration would otherwise restart forever).
 */

function workerCount(): number {
  const raw = process.env.WEB_CONCURRENCY;
  const count = raw === undefined || raw === '' ? availableParallelism() : Number(raw);
  if (!Number.isInteger(count) || count < 1) {
    throw new ConfigurationError(`WEB_CONCURRENCY must be a positive integer, got "${raw}"`);
  }
  // The embedded database belongs to one process (its directory is locked).
  if (count > 1 && loadAppConfig(process.env).database.url === undefined) {
    throw new ConfigurationError(
      'start:cluster needs DATABASE_URL: the embedded database serves one process only',
    );
  }
  return count;
}

function runPrimary(count: number): void {
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

  for (let index = 0; index < count; index += 1) fork();
}

if (cluster.isPrimary) {
  loadDotenv({ quiet: true });
  try {
    runPrimary(workerCount());
  } catch (error) {
    const message = error instanceof ConfigurationError ? error.message : (error as Error).stack;
    process.stderr.write(`Bastion cluster failed to start: ${message}\n`);
    process.exit(1);
  }
} else {
  void import('./main.js');
}
