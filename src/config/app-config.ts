import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Environment } from './environment';
import { parseSsoProviders, SsoConfig, SsoConfigurationError } from './sso-config';

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

export interface DatabaseConfig {
  /** Unset: embedded PGlite under `dataDir`. */
  url?: string;
  /**
   * The owner role that applies migrations and grants the runtime role (`url`) what it needs.
   * Unset: `url` does both.
   */
  migrationUrl?: string;
  dataDir: string;
}

export interface RedisConfig {
  /** Unset: in-process stores, single-instance mode. */
  url?: string;
  keyPrefix: string;
}

export interface AuthConfig {
  jwtSecret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  signupEnabled: boolean;
  loginFailuresBeforeLockout: number;
  loginWindowSeconds: number;
  dataEncryptionKey: Buffer;
}

export interface BootstrapAdminConfig {
  email?: string;
  password?: string;
}

export interface RateLimitConfig {
  ttlSeconds: number;
  max: number;
  /** Per window per caller on each route that checks a password, code or token. */
  credentialMax: number;
}

export interface HttpConfig {
  port: number;
  /** Fastify's trustProxy: which X-Forwarded-For hops to believe for the client IP. */
  trustProxy: boolean | number | string[];
  corsOrigins: string[];
  metricsToken?: string;
  /** On SIGTERM/SIGINT: how long to keep serving, not ready, before closing. */
  shutdownDrainMs: number;
}

export interface AuditConfig {
  signingKeyPem: string;
  /** Where each signed checkpoint is appended, outside the database. */
  anchorDir: string;
}

export interface SandboxProviderConfig {
  webhookSecret: string;
  latencyMs: number;
}

export interface PaymentsConfig {
  /** Null: the sandbox provider is off (it captures with a test token, so never by accident in production). */
  sandbox: SandboxProviderConfig | null;
  /** How long a request holds its Idempotency-Key before a retry may take the key over. */
  idempotencyLeaseSeconds: number;
}

export interface WebhooksConfig {
  /** Lets endpoint URLs reach loopback, private and link-local addresses (development, tests). */
  allowPrivateUrls: boolean;
  /** First retry delay; each further attempt doubles it (with jitter, capped). */
  retryBaseMs: number;
  /** How long a claimed delivery is this instance's before another may take it over. */
  leaseSeconds: number;
  /** Deliveries in flight at once per endpoint and instance. */
  endpointConcurrency: number;
}

/** The one validated configuration object; classes inject it and read only their slice. */
export class AppConfig {
  constructor(
    readonly production: boolean,
    readonly logLevel: string,
    readonly http: HttpConfig,
    readonly database: DatabaseConfig,
    readonly redis: RedisConfig,
    readonly auth: AuthConfig,
    readonly admin: BootstrapAdminConfig,
    readonly rateLimit: RateLimitConfig,
    readonly audit: AuditConfig,
    readonly payments: PaymentsConfig,
    readonly sso: SsoConfig,
    readonly webhooks: WebhooksConfig,
  ) {}
}

/**
 * Long enough for load balancers to see readiness fail and move traffic off, short enough to
 * close well within the usual 10 s between SIGTERM and SIGKILL (`docker stop`). Outside
 * production nothing routes by readiness, so Ctrl-C stops at once.
 */
const PRODUCTION_SHUTDOWN_DRAIN_MS = 5000;

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

export function parseDurationSeconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new ConfigurationError(`Not a duration: ${value}`);
  return Math.max(1, Math.round(Number(match[1]) * UNIT_SECONDS[match[2] ?? 's']));
}

function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',');
}

export function validateEnvironment(raw: NodeJS.ProcessEnv): Environment {
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((error) => {
      const messages = Object.values(error.constraints ?? {}).map((message) =>
        message.startsWith(`${error.property} `)
          ? message.slice(error.property.length + 1)
          : message,
      );
      return `${error.property} ${messages.join('; ')}`;
    });
    throw new ConfigurationError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return env;
}

/**
 * Secrets that may be generated outside production are kept under DATA_DIR so that restarts
 * keep sessions, encrypted data and the audit signature valid.
 */
class GeneratedSecrets {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'secrets');
  }

  read(name: string, create: () => string): string {
    const file = join(this.dir, name);
    if (existsSync(file)) return readFileSync(file, 'utf8');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const value = create();
    writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return value;
  }
}

function requireInProduction(
  production: boolean,
  name: string,
  value: string | undefined,
  condition = '',
): void {
  if (production && !value) {
    throw new ConfigurationError(
      `Invalid configuration:\n  ${name} is required when NODE_ENV=production${condition}`,
    );
  }
}

export function loadAppConfig(raw: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = validateEnvironment(raw);
  const production = env.NODE_ENV === 'production';
  const dataDir = resolve(env.DATA_DIR);
  requireInProduction(production, 'JWT_SECRET', env.JWT_SECRET);
  requireInProduction(production, 'DATA_ENCRYPTION_KEY', env.DATA_ENCRYPTION_KEY);
  requireInProduction(production, 'AUDIT_SIGNING_KEY', env.AUDIT_SIGNING_KEY);
  const sandboxEnabled = env.PAYMENTS_SANDBOX ?? !production;
  if (sandboxEnabled) {
    // Generated per instance, it would differ between instances and fail the provider's webhooks.
    requireInProduction(
      production,
      'SANDBOX_WEBHOOK_SECRET',
      env.SANDBOX_WEBHOOK_SECRET,
      ' and PAYMENTS_SANDBOX=true',
    );
  }
  if (parseDurationSeconds(env.JWT_REFRESH_TTL) <= parseDurationSeconds(env.JWT_ACCESS_TTL)) {
    throw new ConfigurationError(
      'Invalid configuration:\n  JWT_REFRESH_TTL must be longer than JWT_ACCESS_TTL',
    );
  }
  if (env.MIGRATION_DATABASE_URL && !env.DATABASE_URL) {
    throw new ConfigurationError(
      'Invalid configuration:\n  MIGRATION_DATABASE_URL needs DATABASE_URL (the runtime role)',
    );
  }
  const sso = loadSsoConfig(env, production);
  const secrets = new GeneratedSecrets(dataDir);

  // An env file holds one line per variable, so a PEM may come with its newlines written as \n.
  const signingKeyPem =
    env.AUDIT_SIGNING_KEY?.replace(/\\n/g, '\n') ??
    secrets.read('audit-signing-key.pem', () =>
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    );
  if (createPrivateKey(signingKeyPem).asymmetricKeyType !== 'ed25519') {
    throw new ConfigurationError(
      'Invalid configuration:\n  AUDIT_SIGNING_KEY must be an Ed25519 key',
    );
  }

  return new AppConfig(
    production,
    env.LOG_LEVEL,
    {
      port: env.PORT,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      corsOrigins: (env.CORS_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
      metricsToken: env.METRICS_TOKEN,
      shutdownDrainMs: env.SHUTDOWN_DRAIN_MS ?? (production ? PRODUCTION_SHUTDOWN_DRAIN_MS : 0),
    },
    { url: env.DATABASE_URL, migrationUrl: env.MIGRATION_DATABASE_URL, dataDir },
    { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    {
      jwtSecret:
        env.JWT_SECRET ?? secrets.read('jwt-secret', () => randomBytes(48).toString('base64url')),
      accessTtlSeconds: parseDurationSeconds(env.JWT_ACCESS_TTL),
      refreshTtlSeconds: parseDurationSeconds(env.JWT_REFRESH_TTL),
      signupEnabled: env.SIGNUP_ENABLED,
      loginFailuresBeforeLockout: env.LOGIN_RATE_LIMIT_MAX,
      loginWindowSeconds: 15 * 60,
      dataEncryptionKey: Buffer.from(
        env.DATA_ENCRYPTION_KEY ??
          secrets.read('data-encryption-key', () => randomBytes(32).toString('base64')),
        'base64',
      ),
    },
    { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
    {
      ttlSeconds: env.RATE_LIMIT_TTL,
      max: env.RATE_LIMIT_MAX,
      credentialMax: env.CREDENTIAL_RATE_LIMIT_MAX,
    },
    {
      signingKeyPem,
      anchorDir: resolve(env.AUDIT_ANCHOR_DIR ?? join(dataDir, 'audit-anchors')),
    },
    {
      sandbox: sandboxEnabled
        ? {
            webhookSecret:
              env.SANDBOX_WEBHOOK_SECRET ??
              secrets.read('sandbox-webhook-secret', () => randomBytes(32).toString('base64url')),
            latencyMs: env.SANDBOX_LATENCY_MS,
          }
        : null,
      idempotencyLeaseSeconds: env.IDEMPOTENCY_LEASE_SECONDS,
    },
    sso,
    {
      allowPrivateUrls: env.WEBHOOK_ALLOW_PRIVATE_URLS,
      retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
      leaseSeconds: env.WEBHOOK_LEASE_SECONDS,
      endpointConcurrency: env.WEBHOOK_ENDPOINT_CONCURRENCY,
    },
  );
}

function loadSsoConfig(env: Environment, production: boolean): SsoConfig {
  try {
    const providers = parseSsoProviders(env.SSO_PROVIDERS, production);
    if (env.SSO_ONLY && providers.length === 0) {
      throw new SsoConfigurationError('SSO_ONLY=true needs at least one provider in SSO_PROVIDERS');
    }
    return {
      providers,
      only: env.SSO_ONLY,
      publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    };
  } catch (error) {
    if (error instanceof SsoConfigurationError) {
      throw new ConfigurationError(`Invalid configuration:\n  ${error.message}`);
    }
    throw error;
  }
}
