// Settings of one benchmark run, read from the environment once.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const RESULTS_DIR = resolve(REPO_ROOT, 'test/bench/results');

export class SetupError extends Error {}

/** Runs a bench's main; a setup problem is one line, anything else its stack; exit 1 either way. */
export function runBench(main) {
  main().catch((error) => {
    if (error instanceof SetupError) {
      process.stderr.write(`bench: ${error.message}\n`);
    } else {
      process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
    }
    process.exit(1);
  });
}

function positiveNumber(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new SetupError(`${name} must be a positive number, got "${raw}"`);
  }
  return value;
}

/** The PostgreSQL server to use; the embedded default (PGlite) cannot take this load. */
function databaseServer(env) {
  const raw = env.DATABASE_URL;
  if (!raw) {
    throw new SetupError(
      'DATABASE_URL is not set. The benchmark needs a real PostgreSQL server, not the embedded ' +
        'PGlite default: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres). ' +
        'It creates and drops its own databases, bastion_bench and bastion_baseline, there.',
    );
  }
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new SetupError('DATABASE_URL is not a URL');
  }
  if (!/^postgres(ql)?:$/.test(url.protocol)) {
    throw new SetupError('DATABASE_URL must be a postgres:// URL');
  }
  return url;
}

/** A URL of another database on the same server. */
export function databaseUrl(server, name) {
  const url = new URL(server.href);
  url.pathname = `/${name}`;
  return url.href;
}

/**
 * `baseline: false` for a run without the raw baseline (`npm run bench:webhooks`); `database`:
 * Bastion's database when BENCH_DATABASE is not set.
 */
export function loadSettings(
  env = process.env,
  { baseline = true, database = 'bastion_bench' } = {},
) {
  const server = databaseServer(env);
  if (env.BENCH_WORKERS && env.BENCH_WORKERS !== '1' && env.BENCH_PROFILE) {
    throw new SetupError('BENCH_PROFILE profiles one process: run it with BENCH_WORKERS=1');
  }
  const baselineSource = resolve(env.BENCH_BASELINE_DIR ?? resolve(REPO_ROOT, '../shared/bench'));
  if (baseline && !existsSync(resolve(baselineSource, 'baseline.js'))) {
    throw new SetupError(
      `No baseline at ${baselineSource} (baseline.js missing); set BENCH_BASELINE_DIR to the raw ` +
        'Fastify + pg baseline folder.',
    );
  }
  return {
    server,
    adminDatabaseUrl: server.href,
    bastionDatabase: env.BENCH_DATABASE ?? database,
    baselineDatabase: env.BENCH_BASELINE_DATABASE ?? 'bastion_baseline',
    redisUrl: env.REDIS_URL || undefined,
    baselineSource,
    connections: positiveNumber(env, 'BENCH_CONNECTIONS', 50),
    warmupSeconds: positiveNumber(env, 'BENCH_WARMUP', 3),
    durationSeconds: positiveNumber(env, 'BENCH_DURATION', 10),
    rounds: Math.max(1, Math.floor(positiveNumber(env, 'BENCH_ROUNDS', 2))),
    customers: Math.floor(positiveNumber(env, 'BENCH_CUSTOMERS', 100)),
    orders: Math.floor(positiveNumber(env, 'BENCH_ORDERS', 10000)),
    itemsPerOrder: 3,
    /** Only these scenarios (comma-separated names), e.g. BENCH_ONLY=read,list. */
    only: env.BENCH_ONLY ? env.BENCH_ONLY.split(',').map((name) => name.trim()) : null,
    /**
     * Processes per server: Bastion runs `start:cluster`'s dist/src/cluster.js when above 1, the
     * baseline its own WORKERS.
     */
    workers: Math.floor(positiveNumber(env, 'BENCH_WORKERS', 1)),
    /** Write a V8 CPU profile of Bastion per scenario (measured phase only). */
    profile: env.BENCH_PROFILE === '1' || env.BENCH_PROFILE === 'true',
  };
}
