// The raw Fastify + pg baseline (../shared/bench): run from a private copy with its own
// node_modules, seeded with the same data size on its own database.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withClient } from './databases.mjs';
import { freePort, startNode } from './processes.mjs';

const run = promisify(execFile);

/** Copies the baseline to a cache folder (the source may be read-only) and installs it once. */
export async function prepareBaseline(source) {
  const lock = readFileSync(join(source, 'package-lock.json'));
  const digest = createHash('sha256').update(lock).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `bastion-bench-baseline-${digest}`);
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(source)) {
    if (entry === 'node_modules') continue;
    cpSync(join(source, entry), join(dir, entry), { recursive: true });
  }
  const marker = join(dir, 'node_modules', '.bench-installed');
  if (!existsSync(marker)) {
    process.stdout.write(`Installing the baseline's dependencies in ${dir} (npm ci)…\n`);
    await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
    writeFileSync(marker, digest);
  }
  return dir;
}

function baselineEnv(databaseUrl, jwtSecret, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BASELINE_DATABASE_URL: databaseUrl,
    BENCH_JWT_SECRET: jwtSecret,
    ...extra,
  };
}

export async function seedBaseline(dir, databaseUrl, jwtSecret, orders) {
  const { stdout } = await run(process.execPath, ['seed.js'], {
    cwd: dir,
    env: baselineEnv(databaseUrl, jwtSecret, { SEED_ORDERS: String(orders) }),
  });
  return stdout.trim();
}

/** A bearer token from the baseline's own token.js: role and numeric user id. */
export async function baselineToken(dir, jwtSecret, role, sub) {
  const { stdout } = await run(process.execPath, ['token.js', role, String(sub)], {
    cwd: dir,
    env: baselineEnv('', jwtSecret),
  });
  return stdout.trim();
}

export async function baselineOrderIds(databaseUrl, userId) {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query(
      'SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC',
      [userId],
    );
    return rows.map((row) => String(row.id));
  });
}

export async function startBaseline({ dir, databaseUrl, jwtSecret, workDir, workers }) {
  const port = await freePort();
  const server = startNode({
    name: 'baseline',
    args: ['baseline.js'],
    // As many processes as Bastion gets, so a cluster is compared with a cluster.
    env: baselineEnv(databaseUrl, jwtSecret, { PORT: String(port), WORKERS: String(workers) }),
    cwd: dir,
    logFile: join(workDir, 'baseline.log'),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  // The baseline has no health route: any HTTP answer (401 here) means it listens.
  await waitUntilListening(server, `${baseUrl}/orders?limit=1`);
  return { ...server, baseUrl, port };
}

async function waitUntilListening(server, url) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (!server.running()) {
      throw new Error(`baseline exited before it listened:\n${server.logTail()}`);
    }
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
  }
  throw new Error(`baseline did not listen at ${url}:\n${server.logTail()}`);
}
