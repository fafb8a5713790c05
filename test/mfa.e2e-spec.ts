import { authenticator } from 'otplib';
import {
  auditText,
  clientOf,
  errorFields,
  login,
  newApiKey,
  newUser,
  Session,
  TestUser,
} from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';
import { expectSessionEnded } from './support/expectations';

const PROBLEMS = 'https://bastion.dev/problems/';
const STEP_MS = 30_000;

/**
 * A valid code for `secret` that was not sent before. The server accepts the previous, current
 * and next 30-second step, and each code only once, so a test can use up to three per step.
 */
function freshCode(secret: string, used: Set<string>): string {
  for (const offset of [0, 1, -1]) {
    const code = authenticator.clone({ epoch: Date.now() + offset * STEP_MS }).generate(secret);
    if (!used.has(code)) {
      used.add(code);
      return code;
    }
  }
  throw new Error('No unused code in the accepted window');
}

/** A six-digit code that is none of the codes accepted right now. */
function wrongCode(secret: string): string {
  const valid = new Set(
    [0, 1, -1].map((offset) =>
      authenticator.clone({ epoch: Date.now() + offset * STEP_MS }).generate(secret),
    ),
  );
  for (let candidate = 0; ; candidate += 1) {
    const code = String(candidate).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

describe('MFA (TOTP)', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let user: TestUser;
  let session: Session;
  let secret: string;
  const used = new Set<string>();

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    user = await newUser(api.dataSource);
    session = await clientOf(api).login(user);
  });
  afterAll(() => env.close());

  const post = (path: string, body?: object) =>
    api
      .http()
      .post(path)
      .set(session.auth)
      .send(body ?? {});

  it('refuses to enable or disable before setup (409)', async () => {
    const enable = await post('/v1/auth/mfa/enable', {
      otp: '123456',
      password: user.password,
    }).expect(409);
    expect(enable.body.type).toBe(`${PROBLEMS}mfa-not-set-up`);
    const disable = await post('/v1/auth/mfa/disable', {
      otp: '123456',
      password: user.password,
    }).expect(409);
    expect(disable.body.type).toBe(`${PROBLEMS}mfa-not-enabled`);
  });

  it('sets up a secret, stored sealed as pending', async () => {
    const response = await post('/v1/auth/mfa/setup').expect(200);
    secret = response.body.secret;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(response.body.otpauthUrl);
    expect(url.protocol).toBe('otpauth:');
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe('Bastion');
    expect(decodeURIComponent(url.pathname)).toContain(user.email);

    const [row] = await api.dataSource.query(
      'SELECT mfa_enabled, mfa_secret, mfa_pending_secret FROM users WHERE id = $1',
      [user.id],
    );
    expect(row.mfa_enabled).toBe(false);
    expect(row.mfa_secret).toBeNull();
    expect(row.mfa_pending_secret).toMatch(/^v1\./);
    expect(row.mfa_pending_secret).not.toContain(secret);
  });

  it('validates the code’s shape (400 with errors)', async () => {
    const response = await post('/v1/auth/mfa/enable', {
      otp: '12ab',
      password: user.password,
    }).expect(400);
    expect(response.body.errors).toEqual([{ field: 'otp', message: 'must be a 6-digit code' }]);
  });

  it('needs the current password to enable or disable (400 with errors without one)', async () => {
    for (const path of ['/v1/auth/mfa/enable', '/v1/auth/mfa/disable']) {
      const response = await post(path, { otp: '123456' }).expect(400);
      expect(errorFields(response.body)).toEqual(['password']);
    }
  });

  it('does not enable with a wrong password, even with a right code (401, audited)', async () => {
    const response = await post('/v1/auth/mfa/enable', {
      otp: authenticator.generate(secret),
      password: 'not-the-password',
    }).expect(401);
    expect(response.body.type).toBe(`${PROBLEMS}wrong-password`);
    expect(response.body.errors).toEqual([{ field: 'password', message: 'is wrong' }]);
    const [row] = await api.dataSource.query(
      'SELECT mfa_enabled, mfa_secret, mfa_pending_secret FROM users WHERE id = $1',
      [user.id],
    );
    expect(row).toEqual({
      mfa_enabled: false,
      mfa_secret: null,
      mfa_pending_secret: expect.stringMatching(/^v1\./),
    });
    const [event] = await api.dataSource.query(
      `SELECT action, outcome, metadata FROM audit_events WHERE request_id = $1`,
      [response.headers['x-request-id']],
    );
    expect(event).toEqual({
      action: 'auth.mfa_enable_failed',
      outcome: 'failure',
      metadata: { reason: 'wrong_password' },
    });
  });

  it('does not enable with a wrong code (400 /invalid-otp)', async () => {
    const response = await post('/v1/auth/mfa/enable', {
      otp: wrongCode(secret),
      password: user.password,
    }).expect(400);
    expect(response.body.type).toBe(`${PROBLEMS}invalid-otp`);
    expect(response.body.errors).toEqual([
      { field: 'otp', message: 'is wrong, expired or already used' },
    ]);
    const me = await api.http().get('/v1/auth/me').set(session.auth).expect(200);
    expect(me.body.user.mfaEnabled).toBe(false);
  });

  it('enables with a right code; the secret moves, sealed, to mfa_secret', async () => {
    await post('/v1/auth/mfa/enable', {
      otp: freshCode(secret, used),
      password: user.password,
    }).expect(204);
    const me = await api.http().get('/v1/auth/me').set(session.auth).expect(200);
    expect(me.body.user.mfaEnabled).toBe(true);
    const [row] = await api.dataSource.query(
      'SELECT mfa_enabled, mfa_secret, mfa_pending_secret FROM users WHERE id = $1',
      [user.id],
    );
    expect(row).toEqual({
      mfa_enabled: true,
      mfa_secret: expect.stringMatching(/^v1\./),
      mfa_pending_secret: null,
    });
    expect(row.mfa_secret).not.toContain(secret);
  });

  it('refuses a second setup while enabled (409)', async () => {
    const response = await post('/v1/auth/mfa/setup').expect(409);
    expect(response.body.type).toBe(`${PROBLEMS}mfa-already-enabled`);
  });

  it('requires the code at login, refuses a wrong one and a reused one', async () => {
    const client = clientOf(api);
    const missing = await client
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(401);
    expect(missing.body.type).toBe(`${PROBLEMS}mfa-required`);
    const wrong = await client
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password, otp: wrongCode(secret) })
      .expect(401);
    expect(wrong.body.type).toBe(`${PROBLEMS}invalid-otp`);

    const code = freshCode(secret, used);
    const ok = await client
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password, otp: code })
      .expect(200);
    expect(ok.body.tokenType).toBe('Bearer');
    const replay = await client
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password, otp: code })
      .expect(401);
    expect(replay.body.type).toBe(`${PROBLEMS}invalid-otp`);
  });

  it('asks for the password first: a wrong password with a code is invalid-credentials', async () => {
    const response = await clientOf(api)
      .post('/v1/auth/login')
      .send({ email: user.email, password: 'not-the-password', otp: wrongCode(secret) })
      .expect(401);
    expect(response.body.type).toBe(`${PROBLEMS}invalid-credentials`);
  });

  it('is refused to an API key (403)', async () => {
    const admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const apiKey = await newApiKey(api, admin.auth, ['users:read']);
    const response = await api.http().post('/v1/auth/mfa/setup').set(apiKey.header).expect(403);
    expect(response.body.type).toBe(`${PROBLEMS}user-credential-required`);
  });

  it('does not disable with a wrong password (401) or a wrong code (400)', async () => {
    const wrongPassword = await post('/v1/auth/mfa/disable', {
      otp: authenticator.generate(secret),
      password: 'not-the-password',
    }).expect(401);
    expect(wrongPassword.body.type).toBe(`${PROBLEMS}wrong-password`);
    const wrongCodeResponse = await post('/v1/auth/mfa/disable', {
      otp: wrongCode(secret),
      password: user.password,
    }).expect(400);
    expect(wrongCodeResponse.body.type).toBe(`${PROBLEMS}invalid-otp`);
    const me = await api.http().get('/v1/auth/me').set(session.auth).expect(200);
    expect(me.body.user.mfaEnabled).toBe(true);
  });

  it('disables with a right code and the password (204)', async () => {
    await post('/v1/auth/mfa/disable', {
      otp: freshCode(secret, used),
      password: user.password,
    }).expect(204);
    const [row] = await api.dataSource.query(
      'SELECT mfa_enabled, mfa_secret, mfa_pending_secret FROM users WHERE id = $1',
      [user.id],
    );
    expect(row).toEqual({ mfa_enabled: false, mfa_secret: null, mfa_pending_secret: null });
    await clientOf(api).login(user);
  });

  it('audits every MFA change without the secret', async () => {
    const rows = await api.dataSource.query(
      `SELECT action, outcome FROM audit_events
        WHERE resource_id = $1 AND action LIKE 'auth.mfa%' ORDER BY occurred_at`,
      [user.id],
    );
    expect(rows).toEqual([
      { action: 'auth.mfa_setup_started', outcome: 'success' },
      { action: 'auth.mfa_enable_failed', outcome: 'failure' },
      { action: 'auth.mfa_enable_failed', outcome: 'failure' },
      { action: 'auth.mfa_enabled', outcome: 'success' },
      { action: 'auth.mfa_disable_failed', outcome: 'failure' },
      { action: 'auth.mfa_disable_failed', outcome: 'failure' },
      { action: 'auth.mfa_disabled', outcome: 'success' },
    ]);
    const text = await auditText(api.dataSource);
    expect(text).not.toContain(secret);
    for (const code of used) expect(text).not.toContain(`"${code}"`);
  });

  it('signs out the user’s other sessions on enable; this one keeps working', async () => {
    const owner = await newUser(api.dataSource);
    const current = await clientOf(api).login(owner);
    const other = await clientOf(api).login(owner);
    const setup = await api.http().post('/v1/auth/mfa/setup').set(current.auth).expect(200);
    await api
      .http()
      .post('/v1/auth/mfa/enable')
      .set(current.auth)
      .send({ otp: freshCode(setup.body.secret as string, used), password: owner.password })
      .expect(204);

    await expectSessionEnded(api, other);
    await api.http().get('/v1/auth/me').set(current.auth).expect(200);
    await api
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: current.refreshToken })
      .expect(200);
    const [event] = await api.dataSource.query(
      `SELECT metadata FROM audit_events WHERE action = 'auth.mfa_enabled' AND resource_id = $1`,
      [owner.id],
    );
    expect(event.metadata).toEqual({ revokedSessions: 1 });
  });

  it('counts wrong passwords like failed logins: the account locks (429), login too', async () => {
    const owner = await newUser(api.dataSource);
    const client = clientOf(api);
    const own = await client.login(owner);
    const attempt = (password: string) =>
      client.post('/v1/auth/mfa/disable').set(own.auth).send({ otp: '123456', password });
    for (let i = 0; i < 10; i += 1) await attempt(`wrong-password-${i}`).expect(401);
    const locked = await attempt(owner.password).expect(429);
    expect(locked.body.type).toBe(`${PROBLEMS}login-locked`);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const login = await clientOf(api)
      .post('/v1/auth/login')
      .send({ email: owner.email, password: owner.password })
      .expect(429);
    expect(login.body.type).toBe(`${PROBLEMS}login-locked`);
  });
});
