import { COMMON_PASSWORD_MESSAGE } from '../libs/common/src';
import { UserStatus } from '../src/users/entities/user.entity';
import {
  auditText,
  clientOf,
  errorFields,
  DEFAULT_PASSWORD,
  login,
  newApiKey,
  newUser,
  sessionIdOf,
} from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';
import { expectRetryWithinWindow, expectSessionEnded } from './support/expectations';

const PROBLEMS = 'https://bastion.dev/problems/';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A problem body without the fields that differ per request. */
function comparable(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).filter(([field]) => field !== 'requestId' && field !== 'instance'),
  );
}

describe('auth: login, sessions, sign-up, password', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  /** Started on demand with other settings; in Redis mode they share the database with `api`. */
  let lockout: TestInstance;
  let signup: TestInstance;
  /** Values that must never appear in the audit log. */
  const secrets: string[] = [DEFAULT_PASSWORD, ADMIN_PASSWORD];

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    lockout = await env.start({ LOGIN_RATE_LIMIT_MAX: '3' });
    signup = await env.start({ SIGNUP_ENABLED: 'true', LOGIN_RATE_LIMIT_MAX: '1000' });
  });
  afterAll(() => env.close());

  describe('login', () => {
    it('returns a bearer token pair that authenticates the user', async () => {
      const user = await newUser(api.dataSource);
      const response = await clientOf(api)
        .post('/v1/auth/login')
        .send({ email: user.email.toUpperCase(), password: user.password })
        .expect(200);
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      secrets.push(response.body.accessToken, response.body.refreshToken);
      const me = await api
        .http()
        .get('/v1/auth/me')
        .set('authorization', `Bearer ${response.body.accessToken}`)
        .expect(200);
      expect(me.body).toMatchObject({
        actorType: 'user',
        user: { id: user.id },
        roles: ['customer'],
      });
    });

    it('answers an unknown email and a wrong password with the same 401', async () => {
      const user = await newUser(api.dataSource);
      const client = clientOf(api);
      const unknown = await client
        .post('/v1/auth/login')
        .send({ email: 'nobody@example.com', password: 'wrong-password-1' })
        .expect(401);
      const wrong = await client
        .post('/v1/auth/login')
        .send({ email: user.email, password: 'wrong-password-2' })
        .expect(401);
      expect(unknown.body.type).toBe(`${PROBLEMS}invalid-credentials`);
      expect(comparable(unknown.body)).toEqual(comparable(wrong.body));
      expect(unknown.headers['content-type']).toEqual(wrong.headers['content-type']);
      secrets.push('wrong-password-1', 'wrong-password-2');
    });

    it('refuses a disabled user with that same 401', async () => {
      const user = await newUser(api.dataSource);
      await api.dataSource.query('UPDATE users SET status = $1 WHERE id = $2', [
        UserStatus.Disabled,
        user.id,
      ]);
      const response = await clientOf(api)
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      expect(response.body.type).toBe(`${PROBLEMS}invalid-credentials`);
    });

    it('answers unknown email and wrong password in about the same time', async () => {
      const email = 'timing@example.com';
      const password = 'timing-password-123';
      secrets.push(password);
      // Registered through the API so the stored hash has the server's own argon2 parameters.
      await signup
        .http()
        .post('/v1/auth/register')
        .send({ email, password, name: 'T' })
        .expect(201);
      const attempt = async (loginEmail: string, client: ReturnType<typeof clientOf>) => {
        const started = process.hrtime.bigint();
        const response = await client
          .post('/v1/auth/login')
          .send({ email: loginEmail, password: 'not-the-password' })
          .expect(401);
        return { ms: Number(process.hrtime.bigint() - started) / 1e6, body: response.body };
      };
      const unknownTimes: number[] = [];
      const wrongTimes: number[] = [];
      let client = clientOf(signup);
      for (let round = 0; round < 16; round += 1) {
        // A fresh client address every few rounds keeps under the per-IP route throttle.
        if (round % 8 === 0) client = clientOf(signup);
        const order = round % 2 === 0 ? ['unknown', 'wrong'] : ['wrong', 'unknown'];
        for (const which of order) {
          const result = await attempt(
            which === 'unknown' ? `ghost-${round}@example.com` : email,
            client,
          );
          expect(result.body.type).toBe(`${PROBLEMS}invalid-credentials`);
          if (round > 0) (which === 'unknown' ? unknownTimes : wrongTimes).push(result.ms);
        }
      }
      const [unknown, wrong] = [median(unknownTimes), median(wrongTimes)];
      expect(Math.abs(unknown - wrong) / Math.max(unknown, wrong)).toBeLessThan(0.5);
    });
  });

  describe('lockout (LOGIN_RATE_LIMIT_MAX=3)', () => {
    it('lets no more than 3 concurrent guesses reach the password check', async () => {
      const user = await newUser(lockout.dataSource);
      const statuses = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const response = await clientOf(lockout)
            .post('/v1/auth/login')
            .send({ email: user.email, password: 'wrong-password-9' });
          return response.status;
        }),
      );
      expect(statuses.filter((status) => status === 401)).toHaveLength(3);
      expect(statuses.filter((status) => status === 429)).toHaveLength(9);
      const [{ failures }] = await lockout.dataSource.query<{ failures: number }[]>(
        `SELECT count(*)::int AS failures FROM audit_events
          WHERE action = 'auth.login_failed' AND resource_id = $1`,
        [user.id],
      );
      expect(failures).toBe(3);
    });

    it('locks an email after 3 failures, whichever IPs they came from', async () => {
      const user = await newUser(lockout.dataSource);
      const clients = [clientOf(lockout), clientOf(lockout), clientOf(lockout)];
      for (const client of clients) {
        await client
          .post('/v1/auth/login')
          .send({ email: user.email, password: 'wrong-password-3' })
          .expect(401);
      }
      const locked = await clientOf(lockout)
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(429);
      expect(locked.body.type).toBe(`${PROBLEMS}login-locked`);
      expectRetryWithinWindow(locked.headers['retry-after']);
      // Each address failed once only, so another email still logs in from them.
      const other = await newUser(lockout.dataSource);
      await clients[0].login(other);
    });

    it('locks an IP after 3 failures, whichever emails they named', async () => {
      const client = clientOf(lockout);
      for (let failure = 0; failure < 3; failure += 1) {
        await client
          .post('/v1/auth/login')
          .send({ email: `ghost-${failure}@example.com`, password: 'wrong-password-4' })
          .expect(401);
      }
      const user = await newUser(lockout.dataSource);
      const locked = await client
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(429);
      expect(locked.body.type).toBe(`${PROBLEMS}login-locked`);
      expectRetryWithinWindow(locked.headers['retry-after']);
      await clientOf(lockout).login(user);
    });
  });

  describe('refresh', () => {
    it('rotates: the new pair works and the spent refresh token is refused', async () => {
      const user = await newUser(api.dataSource);
      const first = await clientOf(api).login(user);
      const rotated = await api
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: first.refreshToken })
        .expect(200);
      expect(rotated.body.tokenType).toBe('Bearer');
      expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
      secrets.push(first.refreshToken, rotated.body.refreshToken, rotated.body.accessToken);
      await api
        .http()
        .get('/v1/auth/me')
        .set('authorization', `Bearer ${rotated.body.accessToken}`)
        .expect(200);
      const again = await api
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: rotated.body.refreshToken })
        .expect(200);
      secrets.push(again.body.refreshToken);
    });

    it('treats reuse of a spent token as theft: the whole family is revoked and audited', async () => {
      const user = await newUser(api.dataSource);
      const session = await clientOf(api).login(user);
      const rotated = await api
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(200);
      const newest = rotated.body as { accessToken: string; refreshToken: string };
      await api
        .http()
        .get('/v1/auth/me')
        .set('authorization', `Bearer ${newest.accessToken}`)
        .expect(200);

      const reuse = await api
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(401);
      expect(reuse.body.type).toBe(`${PROBLEMS}invalid-refresh-token`);
      await api
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: newest.refreshToken })
        .expect(401);
      await api
        .http()
        .get('/v1/auth/me')
        .set('authorization', `Bearer ${newest.accessToken}`)
        .expect(401);
      await api.http().get('/v1/auth/me').set(session.auth).expect(401);

      const sessionId = sessionIdOf(session.accessToken);
      const rows = await api.dataSource.query(
        `SELECT outcome, actor_id FROM audit_events
          WHERE action = 'auth.refresh_reuse_detected' AND resource_id = $1`,
        [sessionId],
      );
      expect(rows).toEqual([{ outcome: 'denied', actor_id: user.id }]);
      const [state] = await api.dataSource.query(
        'SELECT revoked_reason FROM auth_sessions WHERE id = $1',
        [sessionId],
      );
      expect(state.revoked_reason).toBe('refresh_reuse');
      secrets.push(session.refreshToken, newest.refreshToken, newest.accessToken);
    });

    it('refuses an unknown refresh token', async () => {
      const response = await api
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: 'not-a-token-we-issued' })
        .expect(401);
      expect(response.body.type).toBe(`${PROBLEMS}invalid-refresh-token`);
    });
  });

  describe('logout', () => {
    it('ends the session: its access and refresh tokens stop working at once', async () => {
      const user = await newUser(api.dataSource);
      const session = await clientOf(api).login(user);
      await api.http().get('/v1/auth/me').set(session.auth).expect(200);
      await api.http().post('/v1/auth/logout').set(session.auth).expect(204);
      await expectSessionEnded(api, session);
      secrets.push(session.accessToken, session.refreshToken);
    });

    it('leaves the user’s other sessions alone', async () => {
      const user = await newUser(api.dataSource);
      const client = clientOf(api);
      const [leaving, staying] = [await client.login(user), await client.login(user)];
      await api.http().post('/v1/auth/logout').set(leaving.auth).expect(204);
      await api.http().get('/v1/auth/me').set(staying.auth).expect(200);
    });
  });

  describe('password change', () => {
    it('signs out every other session and replaces the password', async () => {
      const user = await newUser(api.dataSource);
      const client = clientOf(api);
      const current = await client.login(user);
      const other = await client.login(user);
      const newPassword = 'a-brand-new-password';
      secrets.push(newPassword);

      const wrong = await api
        .http()
        .post('/v1/auth/password')
        .set(current.auth)
        .send({ currentPassword: 'not-my-password', newPassword })
        .expect(400);
      expect(wrong.body.type).toBe(`${PROBLEMS}wrong-password`);
      expect(wrong.body.errors).toEqual([{ field: 'currentPassword', message: 'is wrong' }]);
      const short = await api
        .http()
        .post('/v1/auth/password')
        .set(current.auth)
        .send({ currentPassword: user.password, newPassword: 'short' })
        .expect(400);
      expect(errorFields(short.body)).toEqual(['newPassword']);

      await api
        .http()
        .post('/v1/auth/password')
        .set(current.auth)
        .send({ currentPassword: user.password, newPassword })
        .expect(204);
      await expectSessionEnded(api, other);
      await api.http().get('/v1/auth/me').set(current.auth).expect(200);
      await client
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      await client.login({ email: user.email, password: newPassword });

      const rows = await api.dataSource.query(
        `SELECT action, outcome, metadata FROM audit_events
          WHERE resource_id = $1 AND action LIKE 'auth.password%' ORDER BY occurred_at`,
        [user.id],
      );
      expect(rows).toEqual([
        {
          action: 'auth.password_change_failed',
          outcome: 'failure',
          metadata: { reason: 'wrong_current_password' },
        },
        { action: 'auth.password_changed', outcome: 'success', metadata: { revokedSessions: 1 } },
      ]);
    });

    it('refuses one of the most common passwords as the new one (400 on newPassword)', async () => {
      const user = await newUser(api.dataSource);
      const session = await clientOf(api).login(user);
      const response = await api
        .http()
        .post('/v1/auth/password')
        .set(session.auth)
        .send({ currentPassword: user.password, newPassword: 'Qwerty123456' })
        .expect(400);
      expect(response.body.errors).toEqual([
        { field: 'newPassword', message: COMMON_PASSWORD_MESSAGE },
      ]);
      await clientOf(api).login(user);
    });

    it('is refused to an API key (403)', async () => {
      const admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      const apiKey = await newApiKey(api, admin.auth, ['users:read']);
      secrets.push(apiKey.key);
      const response = await api
        .http()
        .post('/v1/auth/password')
        .set(apiKey.header)
        .send({ currentPassword: ADMIN_PASSWORD, newPassword: 'whatever-new-password' })
        .expect(403);
      expect(response.body.type).toBe(`${PROBLEMS}user-credential-required`);
    });
  });

  describe('register', () => {
    it('is 404 while sign-up is disabled', async () => {
      const response = await api
        .http()
        .post('/v1/auth/register')
        .send({ email: 'new@example.com', password: 'long-enough-password', name: 'New' })
        .expect(404);
      expect(response.body.type).toBe(`${PROBLEMS}signup-disabled`);
    });

    it('creates a customer when SIGNUP_ENABLED=true', async () => {
      const password = 'a-customer-password';
      secrets.push(password);
      const response = await signup
        .http()
        .post('/v1/auth/register')
        .send({ email: ' New.Customer@Example.com ', password, name: 'New Customer' })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        email: 'new.customer@example.com',
        name: 'New Customer',
        status: 'active',
        roles: ['customer'],
        mfaEnabled: false,
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const session = await clientOf(signup).login({ email: 'new.customer@example.com', password });
      const me = await signup.http().get('/v1/auth/me').set(session.auth).expect(200);
      expect(me.body.permissions).toContain('orders:create:own');
      const [event] = await signup.dataSource.query(
        `SELECT actor_id, changes FROM audit_events WHERE action = 'user.registered' AND resource_id = $1`,
        [response.body.id],
      );
      expect(event.actor_id).toBe(response.body.id);
      expect(event.changes.after).toEqual({
        email: 'new.customer@example.com',
        name: 'New Customer',
        roles: ['customer'],
      });
    });

    it('rejects any other field, such as roles (400)', async () => {
      const response = await signup
        .http()
        .post('/v1/auth/register')
        .send({
          email: 'sneaky@example.com',
          password: 'long-enough-password',
          name: 'Sneaky',
          roles: ['admin'],
        })
        .expect(400);
      expect(response.body.errors).toEqual([
        { field: 'roles', message: 'is not an accepted field' },
      ]);
      const [{ count }] = await signup.dataSource.query(
        `SELECT count(*)::int AS count FROM users WHERE email = 'sneaky@example.com'`,
      );
      expect(count).toBe(0);
    });

    it('rejects a short password and a bad email with one error each (400)', async () => {
      const response = await signup
        .http()
        .post('/v1/auth/register')
        .send({ email: 'not-an-email', password: 'short', name: 'X' })
        .expect(400);
      expect(errorFields(response.body).sort()).toEqual(['email', 'password']);
    });

    it('refuses one of the most common passwords (400 on password) and creates nobody', async () => {
      const response = await signup
        .http()
        .post('/v1/auth/register')
        .send({ email: 'common@example.com', password: '123qweasdzxc', name: 'Common' })
        .expect(400);
      expect(response.body.errors).toEqual([
        { field: 'password', message: COMMON_PASSWORD_MESSAGE },
      ]);
      const [{ count }] = await signup.dataSource.query(
        `SELECT count(*)::int AS count FROM users WHERE email = 'common@example.com'`,
      );
      expect(count).toBe(0);
    });

    it('answers 409 for an email that is taken, whatever its case', async () => {
      const existing = await newUser(signup.dataSource);
      const response = await signup
        .http()
        .post('/v1/auth/register')
        .send({
          email: existing.email.toUpperCase(),
          password: 'long-enough-password',
          name: 'Dup',
        })
        .expect(409);
      expect(response.body.type).toBe(`${PROBLEMS}email-taken`);
    });
  });

  describe('/me', () => {
    it('describes an API key caller: its creator and the key’s effective permissions', async () => {
      const admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      const apiKey = await newApiKey(api, admin.auth, ['orders:read:any', 'users:read']);
      secrets.push(apiKey.key);
      const me = await api.http().get('/v1/auth/me').set(apiKey.header).expect(200);
      expect(me.body).toMatchObject({
        actorType: 'api_key',
        user: { email: ADMIN_EMAIL },
        roles: [],
        permissions: ['users:read', 'orders:read:own', 'orders:read:any'],
      });
    });
  });

  describe('audit', () => {
    it('records login success, login failure and logout under the request id', async () => {
      const user = await newUser(api.dataSource);
      const client = clientOf(api);
      const ok = await client
        .post('/v1/auth/login')
        .set('x-request-id', `login-ok-${user.id}`)
        .send({ email: user.email, password: user.password })
        .expect(200);
      const failed = await client
        .post('/v1/auth/login')
        .send({ email: user.email, password: 'wrong-password-5' })
        .expect(401);
      const out = await api
        .http()
        .post('/v1/auth/logout')
        .set('authorization', `Bearer ${ok.body.accessToken}`)
        .expect(204);
      secrets.push('wrong-password-5', ok.body.accessToken, ok.body.refreshToken);
      expect(ok.headers['x-request-id']).toBe(`login-ok-${user.id}`);

      const byRequest = (requestId: string): Promise<unknown[]> =>
        api.dataSource.query(
          `SELECT action, outcome, actor_type, actor_id, resource_id, ip
             FROM audit_events WHERE request_id = $1`,
          [requestId],
        );
      expect(await byRequest(ok.headers['x-request-id'])).toEqual([
        {
          action: 'auth.login_succeeded',
          outcome: 'success',
          actor_type: 'user',
          actor_id: user.id,
          resource_id: user.id,
          ip: client.ip,
        },
      ]);
      expect(await byRequest(failed.headers['x-request-id'])).toEqual([
        {
          action: 'auth.login_failed',
          outcome: 'failure',
          actor_type: 'anonymous',
          actor_id: null,
          resource_id: user.id,
          ip: client.ip,
        },
      ]);
      expect(await byRequest(out.headers['x-request-id'])).toEqual([
        {
          action: 'auth.logged_out',
          outcome: 'success',
          actor_type: 'user',
          actor_id: user.id,
          resource_id: sessionIdOf(ok.body.accessToken),
          ip: '127.0.0.1',
        },
      ]);
    });

    // Last on purpose: it searches everything the tests above wrote.
    it('never contains a password, token or key', async () => {
      expect(secrets.length).toBeGreaterThan(10);
      for (const instance of [api, lockout, signup]) {
        const text = await auditText(instance.dataSource);
        expect(text).toContain('auth.login_succeeded');
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
    });
  });
});
