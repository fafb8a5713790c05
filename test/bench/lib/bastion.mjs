// The Bastion server under test: production build, production settings, secrets made per run.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './settings.mjs';
import { freePort, startNode, waitUntilReady } from './processes.mjs';

const MAIN = resolve(REPO_ROOT, 'dist/src/main.js');
const CLUSTER = resolve(REPO_ROOT, 'dist/src/cluster.js');
const PROFILER = resolve(REPO_ROOT, 'test/bench/lib/profiler-preload.cjs');

/** Secrets and the first admin, generated per run as production requires them. */
export function productionSecrets() {
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    // The payment scenario pays with the sandbox's test cards, which production refuses by default.
    PAYMENTS_SANDBOX: 'true',
    SANDBOX_WEBHOOK_SECRET: randomBytes(32).toString('base64url'),
    ADMIN_EMAIL: 'bench-admin@bench.local',
    ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
  };
}

export async function startBastion({
  databaseUrl,
  redisUrl,
  runId,
  workDir,
  secrets,
  profile,
  workers,
  extraEnv = {},
}) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "nest build" first`);
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    DATA_DIR: join(workDir, 'bastion-data'),
    DATABASE_URL: databaseUrl,
    ...secrets,
    // Long enough for the whole run; the limiter must not be what is measured.
    JWT_ACCESS_TTL: '2h',
    RATE_LIMIT_MAX: '1000000000',
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `bench:${runId}:` } : {}),
    ...(workers > 1 ? { WEB_CONCURRENCY: String(workers) } : {}),
    ...extraEnv,
  };
  const entry = workers > 1 ? CLUSTER : MAIN;
  const args = profile ? ['--require', PROFILER, entry] : [entry];
  // cwd: the run's own folder, so no .env of the working copy is read.
  const server = startNode({
    name: 'Bastion',
    args,
    env,
    cwd: workDir,
    logFile: join(workDir, 'bastion.log'),
    ipc: profile,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(server, `${baseUrl}/health/ready`);
  return { ...server, baseUrl, port };
}

/** Logs in through the API, as a client would; returns the bearer token. */
export async function login(baseUrl, email, password) {
  const response = await fetch(`${baseUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) {
    throw new Error(`Login of ${email} answered ${response.status}: ${await response.text()}`);
  }
  const { accessToken } = await response.json();
  return accessToken;
}

/** Asks the profiler preloaded into the server to start, or to stop and write `file`. */
export function profilerCommand(server, command, file) {
  return new Promise((resolveDone, reject) => {
    const timer = setTimeout(() => reject(new Error(`profiler ${command}: no answer`)), 30000);
    const onMessage = (message) => {
      if (message?.profiler !== command) return;
      clearTimeout(timer);
      server.child.off('message', onMessage);
      if (message.error) reject(new Error(message.error));
      else resolveDone(message);
    };
    server.child.on('message', onMessage);
    server.child.send({ profiler: command, file });
  });
}
