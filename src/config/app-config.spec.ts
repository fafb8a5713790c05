import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, loadAppConfig, parseDurationSeconds } from './app-config';

const VALID_JWT_SECRET = 'j'.repeat(32);
const VALID_ENCRYPTION_KEY = randomBytes(32).toString('base64');
const VALID_SIGNING_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();

describe('loadAppConfig', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bastion-config-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  function load(overrides: Record<string, string> = {}) {
    return loadAppConfig({ DATA_DIR: dataDir, ...overrides });
  }

  function loadError(overrides: Record<string, string>): ConfigurationError {
    try {
      load(overrides);
    } catch (error) {
      if (error instanceof ConfigurationError) return error;
      throw error;
    }
    throw new Error('expected a ConfigurationError');
  }

  describe('defaults', () => {
    it('applies the documented defaults when nothing is set', () => {
      const config = load();

      expect(config.production).toBe(false);
      expect(config.http.port).toBe(3000);
      expect(config.auth.accessTtlSeconds).toBe(900);
      expect(config.auth.refreshTtlSeconds).toBe(30 * 86400);
      expect(config.rateLimit).toEqual({ ttlSeconds: 60, max: 300, credentialMax: 20 });
      expect(config.auth.loginFailuresBeforeLockout).toBe(10);
      expect(config.auth.signupEnabled).toBe(false);
      expect(config.redis.keyPrefix).toBe('bastion:');
      expect(config.redis.url).toBeUndefined();
      expect(config.database.url).toBeUndefined();
      expect(config.logLevel).toBe('info');
      expect(config.payments.idempotencyLeaseSeconds).toBe(30);
      expect(config.http.shutdownDrainMs).toBe(0);
      expect(config.payments.sandbox).toEqual({
        webhookSecret: expect.any(String) as string,
        latencyMs: 0,
      });
    });

    it('lets PAYMENTS_SANDBOX=false turn the sandbox off outside production', () => {
      expect(load({ PAYMENTS_SANDBOX: 'false' }).payments.sandbox).toBeNull();
      expect(load({ NODE_ENV: 'test' }).payments.sandbox).not.toBeNull();
    });

    it('treats empty strings as unset', () => {
      const config = load({ PORT: '', SIGNUP_ENABLED: '' });

      expect(config.http.port).toBe(3000);
      expect(config.auth.signupEnabled).toBe(false);
    });

    it('parses explicit values', () => {
      const config = load({
        PORT: '8080',
        SIGNUP_ENABLED: 'true',
        JWT_ACCESS_TTL: '5m',
        CORS_ORIGINS: 'https://a.example, https://b.example,',
        IDEMPOTENCY_LEASE_SECONDS: '5',
        SHUTDOWN_DRAIN_MS: '1500',
        CREDENTIAL_RATE_LIMIT_MAX: '500',
      });

      expect(config.http.port).toBe(8080);
      expect(config.auth.signupEnabled).toBe(true);
      expect(config.auth.accessTtlSeconds).toBe(300);
      expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
      expect(config.payments.idempotencyLeaseSeconds).toBe(5);
      expect(config.http.shutdownDrainMs).toBe(1500);
      expect(config.rateLimit.credentialMax).toBe(500);
    });
  });

  describe('invalid values stop with a ConfigurationError naming the variable', () => {
    it.each<[string, Record<string, string>]>([
      ['PORT', { PORT: 'abc' }],
      ['PORT', { PORT: '70000' }],
      ['JWT_ACCESS_TTL', { JWT_ACCESS_TTL: 'soon' }],
      ['JWT_REFRESH_TTL', { JWT_REFRESH_TTL: '30 days' }],
      ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
      ['SIGNUP_ENABLED', { SIGNUP_ENABLED: 'maybe' }],
      ['PAYMENTS_SANDBOX', { PAYMENTS_SANDBOX: 'yes' }],
      ['DATA_ENCRYPTION_KEY', { DATA_ENCRYPTION_KEY: randomBytes(16).toString('base64') }],
      ['ADMIN_PASSWORD', { ADMIN_PASSWORD: 'short' }],
      ['ADMIN_PASSWORD', { ADMIN_PASSWORD: 'Qwerty123456' }],
      ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
      ['JWT_SECRET', { JWT_SECRET: 'too-short' }],
      ['IDEMPOTENCY_LEASE_SECONDS', { IDEMPOTENCY_LEASE_SECONDS: '0' }],
      ['IDEMPOTENCY_LEASE_SECONDS', { IDEMPOTENCY_LEASE_SECONDS: '30s' }],
      ['SHUTDOWN_DRAIN_MS', { SHUTDOWN_DRAIN_MS: '-1' }],
      ['SHUTDOWN_DRAIN_MS', { SHUTDOWN_DRAIN_MS: '5s' }],
      ['CREDENTIAL_RATE_LIMIT_MAX', { CREDENTIAL_RATE_LIMIT_MAX: '0' }],
      ['SANDBOX_LATENCY_MS', { SANDBOX_LATENCY_MS: '-1' }],
      ['SANDBOX_LATENCY_MS', { SANDBOX_LATENCY_MS: 'slow' }],
      ['CREDENTIAL_RATE_LIMIT_MAX', { CREDENTIAL_RATE_LIMIT_MAX: 'many' }],
    ])('%s (%j)', (variable, overrides) => {
      const error = loadError(overrides);

      expect(error.name).toBe('ConfigurationError');
      expect(error.message).toMatch(new RegExp(`^\\s*${variable} `, 'm'));
    });

    it('says why a common ADMIN_PASSWORD is refused', () => {
      expect(loadError({ ADMIN_PASSWORD: '123qweasdzxc' }).message).toMatch(
        /^\s*ADMIN_PASSWORD is one of the most commonly used passwords/m,
      );
    });

    it('reports every bad variable at once', () => {
      const error = loadError({ PORT: 'abc', LOG_LEVEL: 'loud' });

      expect(error.message).toMatch(/^\s*PORT /m);
      expect(error.message).toMatch(/^\s*LOG_LEVEL /m);
    });
  });

  describe('production', () => {
    const complete = {
      NODE_ENV: 'production',
      JWT_SECRET: VALID_JWT_SECRET,
      DATA_ENCRYPTION_KEY: VALID_ENCRYPTION_KEY,
      AUDIT_SIGNING_KEY: VALID_SIGNING_KEY,
      SANDBOX_WEBHOOK_SECRET: 'webhook-secret-for-every-instance',
    };

    it.each(['JWT_SECRET', 'DATA_ENCRYPTION_KEY', 'AUDIT_SIGNING_KEY'] as const)(
      'requires %s',
      (variable) => {
        const overrides: Record<string, string> = { ...complete };
        delete overrides[variable];

        const error = loadError(overrides);

        expect(error.message).toContain(`${variable} is required when NODE_ENV=production`);
      },
    );

    it('turns the sandbox provider off unless PAYMENTS_SANDBOX=true', () => {
      expect(load(complete).payments.sandbox).toBeNull();
      expect(load({ ...complete, PAYMENTS_SANDBOX: 'false' }).payments.sandbox).toBeNull();
      expect(load({ ...complete, PAYMENTS_SANDBOX: 'true' }).payments.sandbox).toEqual({
        webhookSecret: 'webhook-secret-for-every-instance',
        latencyMs: 0,
      });
    });

    it('needs SANDBOX_WEBHOOK_SECRET only with the sandbox on', () => {
      const withoutSecret: Record<string, string> = { ...complete };
      delete withoutSecret.SANDBOX_WEBHOOK_SECRET;

      expect(load(withoutSecret).payments.sandbox).toBeNull();
      expect(loadError({ ...withoutSecret, PAYMENTS_SANDBOX: 'true' }).message).toContain(
        'SANDBOX_WEBHOOK_SECRET is required when NODE_ENV=production and PAYMENTS_SANDBOX=true',
      );
    });

    it('drains for 5 s on shutdown unless SHUTDOWN_DRAIN_MS says otherwise', () => {
      expect(load(complete).http.shutdownDrainMs).toBe(5000);
      expect(load({ ...complete, SHUTDOWN_DRAIN_MS: '0' }).http.shutdownDrainMs).toBe(0);
    });

    it('uses the provided secrets instead of generating them', () => {
      const config = load(complete);

      expect(config.production).toBe(true);
      expect(config.auth.jwtSecret).toBe(VALID_JWT_SECRET);
      expect(
        config.auth.dataEncryptionKey.equals(Buffer.from(VALID_ENCRYPTION_KEY, 'base64')),
      ).toBe(true);
      expect(config.audit.signingKeyPem).toBe(VALID_SIGNING_KEY);
      expect(existsSync(join(dataDir, 'secrets', 'jwt-secret'))).toBe(false);
      expect(existsSync(join(dataDir, 'secrets', 'data-encryption-key'))).toBe(false);
      expect(existsSync(join(dataDir, 'secrets', 'audit-signing-key.pem'))).toBe(false);
      expect(existsSync(join(dataDir, 'secrets', 'sandbox-webhook-secret'))).toBe(false);
    });
  });

  it('refuses a refresh lifetime that is not longer than the access lifetime', () => {
    const error = loadError({ JWT_ACCESS_TTL: '1h', JWT_REFRESH_TTL: '60m' });

    expect(error.message).toContain('JWT_REFRESH_TTL must be longer than JWT_ACCESS_TTL');
  });

  it('trusts the proxies TRUST_PROXY names', () => {
    expect(load({}).http.trustProxy).toBe(false);
    expect(load({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(load({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(load({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(loadError({ TRUST_PROXY: 'everyone' }).message).toMatch(/^\s*TRUST_PROXY /m);
  });

  describe('generated secrets', () => {
    const files = [
      'jwt-secret',
      'data-encryption-key',
      'audit-signing-key.pem',
      'sandbox-webhook-secret',
    ];

    it('writes them under DATA_DIR/secrets readable by the owner only', () => {
      const config = load();

      for (const file of files) {
        const path = join(dataDir, 'secrets', file);
        expect(existsSync(path)).toBe(true);
        expect(statSync(path).mode & 0o777).toBe(0o600);
      }
      expect(readFileSync(join(dataDir, 'secrets', 'jwt-secret'), 'utf8')).toBe(
        config.auth.jwtSecret,
      );
      expect(config.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
      expect(config.auth.dataEncryptionKey).toHaveLength(32);
    });

    it('reuses them on the next load', () => {
      const first = load();
      const second = load();

      expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
      expect(second.auth.dataEncryptionKey.equals(first.auth.dataEncryptionKey)).toBe(true);
      expect(second.audit.signingKeyPem).toBe(first.audit.signingKeyPem);
      expect(second.payments.sandbox).toEqual(first.payments.sandbox);
    });

    it('differ between data directories', () => {
      const other = mkdtempSync(join(tmpdir(), 'bastion-config-'));
      try {
        expect(loadAppConfig({ DATA_DIR: other }).auth.jwtSecret).not.toBe(load().auth.jwtSecret);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });
  });

  describe('AUDIT_SIGNING_KEY', () => {
    it('accepts an Ed25519 private key', () => {
      expect(load({ AUDIT_SIGNING_KEY: VALID_SIGNING_KEY }).audit.signingKeyPem).toBe(
        VALID_SIGNING_KEY,
      );
    });

    it('accepts the key on one line, its newlines written as \\n (as an env file holds it)', () => {
      const oneLine = VALID_SIGNING_KEY.trimEnd().split('\n').join('\\n');
      expect(load({ AUDIT_SIGNING_KEY: oneLine }).audit.signingKeyPem).toBe(
        VALID_SIGNING_KEY.trimEnd(),
      );
    });

    it('rejects a private key of another type', () => {
      const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();

      const error = loadError({ AUDIT_SIGNING_KEY: ecKey });

      expect(error.message).toContain('AUDIT_SIGNING_KEY must be an Ed25519 key');
    });

    it('rejects a value that is not a PEM private key', () => {
      expect(loadError({ AUDIT_SIGNING_KEY: 'not a key' }).message).toMatch(
        /^\s*AUDIT_SIGNING_KEY /m,
      );
    });
  });
});

describe('parseDurationSeconds', () => {
  it.each<[string, number]>([
    ['900', 900],
    ['45s', 45],
    ['15m', 900],
    ['12h', 43200],
    ['30d', 2592000],
    ['500ms', 1],
    ['1500ms', 2],
  ])('%s is %d seconds', (value, seconds) => {
    expect(parseDurationSeconds(value)).toBe(seconds);
  });

  it.each(['soon', '', '15 m', '-5m', '1.5h', '10w'])('rejects %j', (value) => {
    expect(() => parseDurationSeconds(value)).toThrow(ConfigurationError);
  });
});
