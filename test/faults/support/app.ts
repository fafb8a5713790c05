import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, PgCluster, RedisServer, waitFor } from './services';

export const ADMIN_EMAIL = 'admin@faults.test';
export const ADMIN_PASSWORD = 'admin-password-for-fault-tests';
export const PROBLEMS = 'https://bastion.dev/problems/';
const MAIN = resolve(__dirname, '../../../dist/src/main.js');
/** `npm run start:cluster`'s entry point: a primary forking WEB_CONCURRENCY workers. */
export const CLUSTER_MAIN = resolve(__dirname, '../../../dist/src/cluster.js');

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read field by field
  body: any;
  headers: Headers;
  ms: number;
  error?: undefined;
}

export interface NetworkFailure {
  status: 0;
  error: string;
  ms: number;
  body?: undefined;
  headers?: undefined;
}

/** What a request came to: an HTTP answer, or a network error code and how long it took. */
export type Outcome = Reply | NetworkFailure;

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
}

/** One request with a hard deadline; never throws: network errors come back as status 0. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Outcome> {
  const started = Date.now();
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (metrics): keep the text.
    }
    return { status: response.status, body, headers: response.headers, ms: Date.now() - started };
  } catch (error) {
    return { status: 0, error: errorCode(error), ms: Date.now() - started };
  }
}

function errorCode(error: unknown): string {
  const err = error as {
    name?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'TIMEOUT';
  return err.cause?.code ?? err.code ?? err.cause?.message ?? String(error);
}

/** Like `call`, but fails the test unless the answer has the expected status. */
export async function expectStatus(
  expected: number,
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply> {
  const outcome = await call(base, method, path, options);
  if (outcome.status !== expected) {
    throw new Error(
      `${method} ${path} on ${base}: expected ${expected}, got ${outcome.status} ${JSON.stringify(
        'error' in outcome ? outcome.error : outcome.body,
      )}`,
    );
  }
  return outcome as Reply;
}

/** Secrets one deployment's instances share, generated per test file. */
function deploymentSecrets(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUDIT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    // The load pays orders with the sandbox's test cards, which production refuses by default.
    PAYMENTS_SANDBOX: 'true',
    SANDBOX_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
  };
}

/** One `node dist/src/main.js` child process, NODE_ENV=production, logs to a file. */
export class AppProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream | null = null;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    readonly logFile: string,
    private readonly script = MAIN,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error(`${this.name} is not running`);
    return this.child.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process without waiting for it to be ready. */
  spawn(): void {
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [this.script], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.child = child;
  }

  async start(timeoutMs = 90_000): Promise<void> {
    this.spawn();
    await this.ready(timeoutMs);
  }

  async ready(timeoutMs = 90_000): Promise<void> {
    await waitFor(
      `${this.name} to be ready (log: ${this.logFile})`,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited; see ${this.logFile}`);
        const outcome = await call(this.url, 'GET', '/health/ready', { timeoutMs: 3000 });
        return outcome.status === 200;
      },
      timeoutMs,
      250,
    );
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Resolves with the exit code and signal, or null when it has not exited within `timeoutMs`. */
  async exited(
    timeoutMs: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
    if (!this.exit) return { code: null, signal: null };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    if (!(await this.exited(15_000))) {
      this.signal('SIGKILL');
      await this.exited(5_000);
    }
    this.log?.end();
  }

  /** The process's resident set size in bytes, from /proc. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  }
}

const MAX_INSTANCES = 4;

/**
 * One test file's world: its own PostgreSQL cluster and Redis server, and as many app processes
 * on them as the test starts (one deployment: shared secrets, different ports).
 */
export class FaultCluster {
  readonly apps: AppProcess[] = [];
  private readonly secrets = deploymentSecrets();

  private constructor(
    readonly pg: PgCluster,
    readonly redis: RedisServer,
    readonly dir: string,
    private readonly appPorts: number[],
  ) {}

  static async create(): Promise<FaultCluster> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    const dir = await mkdtemp(join(tmpdir(), 'bastion-faults-'));
    const [pg, redis] = await Promise.allSettled([PgCluster.create(), RedisServer.create()]);
    if (pg.status === 'rejected' || redis.status === 'rejected') {
      // Whichever did start must not outlive the failed setup.
      if (pg.status === 'fulfilled') await pg.value.destroy();
      if (redis.status === 'fulfilled') await redis.value.destroy();
      await rm(dir, { recursive: true, force: true });
      throw pg.status === 'rejected' ? pg.reason : (redis as PromiseRejectedResult).reason;
    }
    const appPorts = await Promise.all(Array.from({ length: MAX_INSTANCES }, () => freePort()));
    return new FaultCluster(pg.value, redis.value, dir, appPorts);
  }

  /** Defines an instance (not yet started); `env` overrides variables, `script` runs instead of main. */
  instance(name: string, env: Record<string, string> = {}, script?: string): AppProcess {
    const port = this.appPorts[this.apps.length];
    if (port === undefined)
      throw new Error(`A fault test starts at most ${MAX_INSTANCES} instances`);
    const app = new AppProcess(
      name,
      port,
      {
        NODE_ENV: 'production',
        PORT: String(port),
        DATA_DIR: join(this.dir, name),
        DATABASE_URL: this.pg.url,
        REDIS_URL: this.redis.url,
        REDIS_KEY_PREFIX: 'bastion:',
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_MAX: '1000000',
        LOGIN_RATE_LIMIT_MAX: '1000',
        ...this.secrets,
        ...env,
      },
      join(this.dir, `${name}.log`),
      script,
    );
    this.apps.push(app);
    return app;
  }

  /** Starts instances one after the other (the first applies the migrations). */
  async start(...apps: AppProcess[]): Promise<void> {
    for (const app of apps) await app.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.stop().catch(() => undefined)));
    await Promise.all([this.pg.destroy(), this.redis.destroy()]);
    if (!process.env.FAULTS_KEEP_LOGS) await rm(this.dir, { recursive: true, force: true });
    else console.log(`Fault test logs kept in ${this.dir}`);
  }
}

export interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

export async function loginAs(
  base: string,
  email: string,
  password: string,
): Promise<{ token: string; refreshToken: string }> {
  const reply = await expectStatus(200, base, 'POST', '/v1/auth/login', {
    body: { email, password },
  });
  return { token: reply.body.accessToken, refreshToken: reply.body.refreshToken };
}

/** Creates a user through the API as the admin, then logs it in. */
export async function newAccount(
  base: string,
  adminToken: string,
  roles: string[] = ['customer'],
): Promise<Account> {
  const email = `user-${randomUUID().slice(0, 8)}@faults.test`;
  const password = 'a-long-fault-test-password';
  const created = await expectStatus(201, base, 'POST', '/v1/users', {
    token: adminToken,
    body: { email, name: 'Fault Test', password, roles },
  });
  const session = await loginAs(base, email, password);
  return { id: created.body.id, email, password, ...session };
}

export const ORDER_ITEMS = [
  { sku: 'SKU-1', name: 'Widget', quantity: 2, unitPrice: 1500 },
  { sku: 'SKU-2', name: 'Gadget', quantity: 1, unitPrice: 999 },
];

export function orderBody(items = ORDER_ITEMS): { currency: string; items: typeof ORDER_ITEMS } {
  return { currency: 'EUR', items };
}

export function isProblem(outcome: Outcome, status: number, slug?: string): boolean {
  if (outcome.status !== status || !outcome.headers) return false;
  const type = outcome.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json')) return false;
  return slug === undefined || (outcome.body as { type?: string })?.type === `${PROBLEMS}${slug}`;
}

/** Waits for the sealer (300 ms passes, events older than 1 s), then asks an instance to verify. */
export async function verifyAudit(
  base: string,
  adminToken: string,
  pg: PgCluster,
): Promise<{ valid: boolean; checked: number; unsealed: number }> {
  await waitFor(
    'every audit event to be sealed',
    async () => {
      const [row] = await pg.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM audit_events WHERE seq IS NULL',
      );
      return Number(row.n) === 0;
    },
    30_000,
    500,
  ).catch(() => undefined);
  const [row] = await pg.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM audit_events WHERE seq IS NULL',
  );
  const reply = await expectStatus(200, base, 'GET', '/v1/audit-events/verify', {
    token: adminToken,
    timeoutMs: 60_000,
  });
  return { valid: reply.body.valid, checked: reply.body.checked, unsealed: Number(row.n) };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
