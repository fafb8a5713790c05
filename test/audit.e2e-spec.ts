import { randomUUID } from 'node:crypto';
import { authenticator } from 'otplib';
import { AuditSealer } from '../src/audit/chain/audit-sealer.service';
import type { Response } from 'supertest';
import {
  auditText,
  clientOf,
  closeDenialBuckets,
  login,
  newRole,
  newUser,
  Session,
  sessionIdOf,
  signedIn,
  TestUser,
} from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

type Caller = TestUser & Session;

interface StoredEvent {
  action: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  resource_type: string;
  resource_id: string | null;
  request_id: string;
}

interface ExpectedEvent {
  action: string;
  actor: { type: string; id: string | null };
  resource: { type: string; id: string | null };
  outcome?: string;
}

interface EventBody {
  id: string;
  seq: number | null;
  occurredAt: string;
  action: string;
  actor: { type: string; id: string | null; display: string | null };
  resource: { type: string; id: string | null };
  outcome: string;
  requestId: string | null;
  metadata: Record<string, unknown>;
}

const PROBLEMS = 'https://bastion.dev/problems/';

describe('audit log', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session & { id: string };
  let auditor: Caller;
  let customer: Caller;
  /** Values that must never appear in a stored event. */
  const secrets: string[] = [];

  async function eventsOf(response: Response): Promise<StoredEvent[]> {
    return api.dataSource.query(
      `SELECT action, outcome, actor_type, actor_id, resource_type, resource_id, request_id
         FROM audit_events WHERE request_id = $1 ORDER BY occurred_at`,
      [response.headers['x-request-id']],
    );
  }

  /** Exactly one event under the response's request id, and it is this one. */
  async function expectOneEvent(response: Response, expected: ExpectedEvent): Promise<void> {
    expect(await eventsOf(response)).toEqual([
      {
        action: expected.action,
        outcome: expected.outcome ?? 'success',
        actor_type: expected.actor.type,
        actor_id: expected.actor.id,
        resource_type: expected.resource.type,
        resource_id: expected.resource.id,
        request_id: response.headers['x-request-id'],
      },
    ]);
  }

  const userActor = (user: { id: string }) => ({ type: 'user', id: user.id });

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start({ SIGNUP_ENABLED: 'true' });
    const adminSession = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const me = await api.http().get('/v1/auth/me').set(adminSession.auth).expect(200);
    admin = { ...adminSession, id: me.body.user.id as string };
    [auditor, customer] = await Promise.all([
      signedIn(api, ['auditor']),
      signedIn(api, ['customer']),
    ]);
    secrets.push(ADMIN_PASSWORD, admin.accessToken, admin.refreshToken);
  });
  afterAll(() => env.close());

  describe('one event per state-changing request', () => {
    it('auth: login, failed login, refresh, password change, logout, registration', async () => {
      const user = await newUser(api.dataSource);
      const client = clientOf(api);
      const loggedIn = await client
        .post('/v1/auth/login')
        .set('x-request-id', `audit-login-${user.id}`)
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect(loggedIn.headers['x-request-id']).toBe(`audit-login-${user.id}`);
      await expectOneEvent(loggedIn, {
        action: 'auth.login_succeeded',
        actor: userActor(user),
        resource: { type: 'user', id: user.id },
      });

      const failed = await client
        .post('/v1/auth/login')
        .send({ email: user.email, password: 'not-the-password-1' })
        .expect(401);
      await expectOneEvent(failed, {
        action: 'auth.login_failed',
        outcome: 'failure',
        actor: { type: 'anonymous', id: null },
        resource: { type: 'user', id: user.id },
      });

      const refreshed = await api
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: loggedIn.body.refreshToken })
        .expect(200);
      await expectOneEvent(refreshed, {
        action: 'auth.token_refreshed',
        actor: userActor(user),
        resource: { type: 'session', id: sessionIdOf(loggedIn.body.accessToken) },
      });

      const auth = { authorization: `Bearer ${refreshed.body.accessToken}` };
      const newPassword = 'a-brand-new-password-7';
      const changed = await api
        .http()
        .post('/v1/auth/password')
        .set(auth)
        .send({ currentPassword: user.password, newPassword })
        .expect(204);
      await expectOneEvent(changed, {
        action: 'auth.password_changed',
        actor: userActor(user),
        resource: { type: 'user', id: user.id },
      });

      const session = await client.login({ email: user.email, password: newPassword });
      const loggedOut = await api.http().post('/v1/auth/logout').set(session.auth).expect(204);
      await expectOneEvent(loggedOut, {
        action: 'auth.logged_out',
        actor: userActor(user),
        resource: { type: 'session', id: sessionIdOf(session.accessToken) },
      });

      const registerPassword = 'a-registration-password-3';
      const registered = await clientOf(api)
        .post('/v1/auth/register')
        .send({ email: `reg-${randomUUID()}@example.com`, password: registerPassword, name: 'Reg' })
        .expect(201);
      await expectOneEvent(registered, {
        action: 'user.registered',
        actor: { type: 'user', id: registered.body.id },
        resource: { type: 'user', id: registered.body.id },
      });

      secrets.push(
        'not-the-password-1',
        newPassword,
        registerPassword,
        loggedIn.body.accessToken,
        loggedIn.body.refreshToken,
        refreshed.body.accessToken,
        refreshed.body.refreshToken,
        session.accessToken,
        session.refreshToken,
      );
    });

    it('MFA: setup, enable, disable', async () => {
      const user = await signedIn(api);
      const setup = await api.http().post('/v1/auth/mfa/setup').set(user.auth).expect(200);
      const secret = setup.body.secret as string;
      await expectOneEvent(setup, {
        action: 'auth.mfa_setup_started',
        actor: userActor(user),
        resource: { type: 'user', id: user.id },
      });
      const enableCode = authenticator.generate(secret);
      const enabled = await api
        .http()
        .post('/v1/auth/mfa/enable')
        .set(user.auth)
        .send({ otp: enableCode, password: user.password })
        .expect(204);
      await expectOneEvent(enabled, {
        action: 'auth.mfa_enabled',
        actor: userActor(user),
        resource: { type: 'user', id: user.id },
      });
      const disableCode = authenticator.clone({ epoch: Date.now() + 30_000 }).generate(secret);
      const disabled = await api
        .http()
        .post('/v1/auth/mfa/disable')
        .set(user.auth)
        .send({ otp: disableCode, password: user.password })
        .expect(204);
      await expectOneEvent(disabled, {
        action: 'auth.mfa_disabled',
        actor: userActor(user),
        resource: { type: 'user', id: user.id },
      });
      secrets.push(secret, user.password, user.accessToken, user.refreshToken);
    });

    it('API keys: create and revoke; a key acting is recorded as the key', async () => {
      const created = await api
        .http()
        .post('/v1/api-keys')
        .set(admin.auth)
        .send({ name: 'audit test', permissions: ['users:read', 'users:write'] })
        .expect(201);
      await expectOneEvent(created, {
        action: 'apikey.created',
        actor: userActor(admin),
        resource: { type: 'api_key', id: created.body.id },
      });
      const keyHeader = { 'x-api-key': created.body.key as string };
      // A user the key may manage: one holding no permission the key lacks.
      const target = await newUser(api.dataSource, {
        roles: [(await newRole(api.dataSource, ['users:read'])).name],
      });
      const byKey = await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(keyHeader)
        .set('if-match', '"1"')
        .send({ name: 'Renamed By Key' })
        .expect(200);
      await expectOneEvent(byKey, {
        action: 'user.updated',
        actor: { type: 'api_key', id: created.body.id },
        resource: { type: 'user', id: target.id },
      });
      const revoked = await api
        .http()
        .delete(`/v1/api-keys/${created.body.id}`)
        .set(admin.auth)
        .expect(204);
      await expectOneEvent(revoked, {
        action: 'apikey.revoked',
        actor: userActor(admin),
        resource: { type: 'api_key', id: created.body.id },
      });
      secrets.push(created.body.key);
    });

    it('users: create, update, roles, disable, enable, delete', async () => {
      const password = 'a-created-user-password-9';
      const created = await api
        .http()
        .post('/v1/users')
        .set(admin.auth)
        .send({ email: `made-${randomUUID()}@example.com`, name: 'Made', password })
        .expect(201);
      const id = created.body.id as string;
      const resource = { type: 'user', id };
      const actor = userActor(admin);
      await expectOneEvent(created, { action: 'user.created', actor, resource });
      const updated = await api
        .http()
        .patch(`/v1/users/${id}`)
        .set(admin.auth)
        .set('if-match', created.headers.etag)
        .send({ name: 'Renamed' })
        .expect(200);
      await expectOneEvent(updated, { action: 'user.updated', actor, resource });
      const roles = await api
        .http()
        .put(`/v1/users/${id}/roles`)
        .set(admin.auth)
        .send({ roles: ['auditor'] })
        .expect(200);
      await expectOneEvent(roles, { action: 'user.roles_changed', actor, resource });
      const disabled = await api.http().post(`/v1/users/${id}/disable`).set(admin.auth).expect(200);
      await expectOneEvent(disabled, { action: 'user.disabled', actor, resource });
      const enabled = await api.http().post(`/v1/users/${id}/enable`).set(admin.auth).expect(200);
      await expectOneEvent(enabled, { action: 'user.enabled', actor, resource });
      const deleted = await api.http().delete(`/v1/users/${id}`).set(admin.auth).expect(204);
      await expectOneEvent(deleted, { action: 'user.deleted', actor, resource });
      secrets.push(password);
    });

    it('roles: create, update, delete', async () => {
      const created = await api
        .http()
        .post('/v1/roles')
        .set(admin.auth)
        .send({ name: `audited-${randomUUID().slice(0, 8)}`, permissions: ['users:read'] })
        .expect(201);
      const resource = { type: 'role', id: created.body.id as string };
      const actor = userActor(admin);
      await expectOneEvent(created, { action: 'role.created', actor, resource });
      const updated = await api
        .http()
        .patch(`/v1/roles/${created.body.id}`)
        .set(admin.auth)
        .set('if-match', created.headers.etag)
        .send({ description: 'changed' })
        .expect(200);
      await expectOneEvent(updated, { action: 'role.updated', actor, resource });
      const deleted = await api
        .http()
        .delete(`/v1/roles/${created.body.id}`)
        .set(admin.auth)
        .expect(204);
      await expectOneEvent(deleted, { action: 'role.deleted', actor, resource });
    });

    it('records a change refused for a domain reason once, as request.refused with the reason', async () => {
      const conflict = await api
        .http()
        .post(`/v1/users/${admin.id}/disable`)
        .set(admin.auth)
        .expect(409);
      await expectOneEvent(conflict, {
        action: 'request.refused',
        outcome: 'failure',
        actor: userActor(admin),
        resource: { type: 'route', id: 'POST /v1/users/:id/disable' },
      });
      const [row] = await api.dataSource.query(
        'SELECT metadata FROM audit_events WHERE request_id = $1',
        [conflict.headers['x-request-id']],
      );
      expect(row.metadata).toEqual({
        status: 409,
        method: 'POST',
        path: `/v1/users/${admin.id}/disable`,
        reason: 'cannot-disable-self',
      });
    });
  });

  describe('denials and failures', () => {
    it('records a 403 once, as access.denied by the caller on the route', async () => {
      const denied = await api.http().get('/v1/users').set(customer.auth).expect(403);
      await expectOneEvent(denied, {
        action: 'access.denied',
        outcome: 'denied',
        actor: userActor(customer),
        resource: { type: 'route', id: 'GET /v1/users' },
      });
      const [row] = await api.dataSource.query(
        'SELECT metadata, ip FROM audit_events WHERE request_id = $1',
        [denied.headers['x-request-id']],
      );
      expect(row.metadata).toEqual({
        reason: 'forbidden',
        status: 403,
        method: 'GET',
        path: '/v1/users',
        problem: 'forbidden',
      });
    });

    it('records a 401 with a bad token as an anonymous access.denied with a count', async () => {
      const badToken = 'Bearer not.a.valid-token';
      const denied = await clientOf(api)
        .get(`/v1/users/${customer.id}`)
        .set('authorization', badToken)
        .expect(401);
      expect(await eventsOf(denied)).toEqual([]);
      await closeDenialBuckets(api);
      await expectOneEvent(denied, {
        action: 'access.denied',
        outcome: 'denied',
        actor: { type: 'anonymous', id: null },
        resource: { type: 'route', id: 'GET /v1/users/:id' },
      });
      const [row] = await api.dataSource.query(
        'SELECT metadata FROM audit_events WHERE request_id = $1',
        [denied.headers['x-request-id']],
      );
      expect(row.metadata).toMatchObject({
        reason: 'unauthenticated',
        problem: 'invalid-token',
        count: 1,
      });
      secrets.push('not.a.valid-token');
    });

    it('records a 403 a service raises (granting what the caller lacks) once', async () => {
      const keyMaker = await newRole(api.dataSource, ['apikeys:manage']);
      const caller = await signedIn(api, [keyMaker.name]);
      const denied = await api
        .http()
        .post('/v1/api-keys')
        .set(caller.auth)
        .send({ name: 'too much', permissions: ['users:write'] })
        .expect(403);
      await expectOneEvent(denied, {
        action: 'access.denied',
        outcome: 'denied',
        actor: userActor(caller),
        resource: { type: 'route', id: 'POST /v1/api-keys' },
      });
    });

    it('does not add access.denied to a denial the service already recorded', async () => {
      const user = await newUser(api.dataSource);
      const failed = await clientOf(api)
        .post('/v1/auth/login')
        .send({ email: user.email, password: 'wrong-password-for-audit' })
        .expect(401);
      expect((await eventsOf(failed)).map((event) => event.action)).toEqual(['auth.login_failed']);
      secrets.push('wrong-password-for-audit');
    });

    it('records neither 404 nor 400 answers', async () => {
      const missing = await api.http().get(`/v1/users/${randomUUID()}`).set(admin.auth).expect(404);
      const invalid = await api.http().get('/v1/users?limit=0').set(admin.auth).expect(400);
      const unknownRoute = await api.http().get('/v1/nothing-here').set(admin.auth).expect(404);
      for (const response of [missing, invalid, unknownRoute]) {
        expect(await eventsOf(response)).toEqual([]);
      }
    });

    it('records a 5xx once, as request.failed', async () => {
      await api.dataSource.query('ALTER TABLE api_keys RENAME TO api_keys_hidden');
      let failed: Response;
      try {
        failed = await api.http().get('/v1/api-keys').set(admin.auth).expect(500);
      } finally {
        await api.dataSource.query('ALTER TABLE api_keys_hidden RENAME TO api_keys');
      }
      await expectOneEvent(failed, {
        action: 'request.failed',
        outcome: 'failure',
        actor: userActor(admin),
        resource: { type: 'route', id: 'GET /v1/api-keys' },
      });
    });
  });

  describe('requests without a valid credential (bounded anonymous writes)', () => {
    const METRICS_TOKEN = 'metrics-token-for-the-audit-tests';
    const forged = { authorization: 'Bearer forged.access.token' };

    interface DenialRow {
      actor_type: string;
      outcome: string;
      request_id: string;
      metadata: { reason: string; problem: string; count: number; from: string; to: string };
    }

    /** The anonymous access.denied events of one client address. */
    function denialsFrom(instance: TestInstance, ip: string): Promise<DenialRow[]> {
      return instance.dataSource.query(
        `SELECT actor_type, outcome, request_id, metadata FROM audit_events
          WHERE action = 'access.denied' AND ip = $1`,
        [ip],
      );
    }

    /** At most one event per minute (the run may straddle one), counting every request. */
    function expectCounted(rows: DenialRow[], problem: string, requests: number): void {
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows.length).toBeLessThanOrEqual(2);
      expect(new Set(rows.map((row) => row.metadata.from)).size).toBe(rows.length);
      expect(rows.reduce((sum, row) => sum + row.metadata.count, 0)).toBe(requests);
      for (const row of rows) {
        expect(row).toMatchObject({ actor_type: 'anonymous', outcome: 'denied' });
        expect(row.metadata).toMatchObject({ reason: 'unauthenticated', problem });
        expect(Date.parse(row.metadata.to) - Date.parse(row.metadata.from)).toBe(60_000);
      }
    }

    async function statusesOf(times: number, send: () => Promise<Response>): Promise<number[]> {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < times; attempt++) statuses.push((await send()).status);
      return statuses;
    }

    it('limits bad credentials on /metrics and other routes, and records one event per address, reason and minute', async () => {
      const limited = await env.start({ RATE_LIMIT_MAX: '5', METRICS_TOKEN });
      const scraper = clientOf(limited);
      const prober = clientOf(limited);
      const limitedAfterFive = [...Array(5).fill(401), ...Array(7).fill(429)];

      expect(
        await statusesOf(12, () => scraper.get('/metrics').set('authorization', 'Bearer wrong')),
      ).toEqual(limitedAfterFive);
      // A credential route refused by authentication is no attempt at a password: counted too.
      expect(
        await statusesOf(2, () =>
          prober
            .post('/v1/auth/password')
            .set(forged)
            .send({ currentPassword: 'whatever-it-was', newPassword: 'whatever-it-becomes' }),
        ),
      ).toEqual([401, 401]);
      expect(await statusesOf(10, () => prober.get('/v1/users').set(forged))).toEqual(
        limitedAfterFive.slice(2),
      );
      await clientOf(limited)
        .get('/metrics')
        .set('authorization', `Bearer ${METRICS_TOKEN}`)
        .expect(200);

      // Nothing is written while the minute is open: the count is not known yet.
      expect(await denialsFrom(limited, scraper.ip)).toEqual([]);
      expect(await denialsFrom(limited, prober.ip)).toEqual([]);
      await closeDenialBuckets(limited);
      expectCounted(await denialsFrom(limited, scraper.ip), 'unauthorized', 5);
      expectCounted(await denialsFrom(limited, prober.ip), 'invalid-token', 5);
      // A bucket is written once, however often it is closed.
      await closeDenialBuckets(limited);
      expectCounted(await denialsFrom(limited, prober.ip), 'invalid-token', 5);
      await limited.close();
    });

    it('keeps refresh attempts one event each: they are rate limited', async () => {
      const client = clientOf(api);
      const attempts = await Promise.all(
        [1, 2, 3].map(() =>
          client.post('/v1/auth/refresh').send({ refreshToken: 'not-a-refresh-token' }).expect(401),
        ),
      );
      for (const attempt of attempts) {
        expect((await eventsOf(attempt)).map((event) => event.action)).toEqual(['access.denied']);
      }
    });

    // With the embedded database each instance has its own, gone once the instance stops.
    (process.env.DATABASE_URL ? it : it.skip)(
      'writes the counts still open when an instance shuts down',
      async () => {
        const stopping = await env.start();
        const client = clientOf(stopping);
        for (let attempt = 0; attempt < 3; attempt++) {
          await client.get('/v1/users').set(forged).expect(401);
        }
        await stopping.close();
        expectCounted(await denialsFrom(api, client.ip), 'invalid-token', 3);
      },
    );
  });

  describe('GET /v1/audit-events', () => {
    const tag = randomUUID().slice(0, 8);
    const resourceId = `res-${tag}`;
    /** Eight events of one resource, all written in the same microsecond. */
    let sameInstant: string[];

    beforeAll(async () => {
      const rows: { id: string }[] = await api.dataSource.query(
        `INSERT INTO audit_events (occurred_at, actor_type, actor_id, action, resource_type,
                                   resource_id, outcome, metadata)
         SELECT '2031-03-04T05:06:07.123456Z', 'user', $1, a.action, 'widget', $2, a.outcome, '{}'
           FROM (VALUES ('ab_c.done', 'success'), ('abxc.done', 'success'),
                        ('widget.made', 'success'), ('widget.made', 'denied'),
                        ('widget.broke', 'failure'), ('widget.made', 'success'),
                        ('widget.sold', 'success'), ('widget.sold', 'success')) AS a(action, outcome)
         RETURNING id`,
        [`actor-${tag}`, resourceId],
      );
      sameInstant = rows.map((row) => row.id);
    });

    const list = (query: Record<string, string | number>, auth = auditor.auth) =>
      api.http().get('/v1/audit-events').query(query).set(auth);

    it('walks events written in the same microsecond page by page, none missed or repeated', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response: Response = await list({
          resourceId,
          limit: 3,
          ...(cursor ? { cursor } : {}),
        }).expect(200);
        seen.push(...(response.body.data as EventBody[]).map((event) => event.id));
        cursor = response.body.nextCursor as string | null;
      } while (cursor);
      expect(seen).toHaveLength(8);
      expect([...seen].sort()).toEqual([...sameInstant].sort());
      expect(seen).toEqual([...seen].sort().reverse());
    });

    it('lists newest first in the documented shape', async () => {
      const response = await list({ limit: 5 }).expect(200);
      const events = response.body.data as EventBody[];
      const times = events.map((event) => event.occurredAt);
      expect([...times].sort().reverse()).toEqual(times);
      await api.app.get(AuditSealer).seal();
      const sealed = await list({ actorId: auditor.id, action: 'auth.login_succeeded' }).expect(
        200,
      );
      expect(sealed.body.data[0]).toEqual({
        id: expect.any(String),
        seq: expect.any(Number),
        occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        actor: { type: 'user', id: auditor.id, display: auditor.email },
        action: 'auth.login_succeeded',
        resource: { type: 'user', id: auditor.id },
        outcome: 'success',
        requestId: expect.any(String),
        ip: '127.0.0.1',
        userAgent: null,
        metadata: {},
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });

    it.each<[string, Record<string, string>, number]>([
      ['actor', { actorId: 'actor-TAG' }, 8],
      ['action prefix', { action: 'widget.' }, 6],
      ['exact action', { action: 'widget.made' }, 3],
      ['an underscore taken literally', { action: 'ab_c' }, 1],
      ['resource', { resourceType: 'widget', resourceId: 'res-TAG' }, 8],
      ['outcome', { actorId: 'actor-TAG', outcome: 'failure' }, 1],
      [
        'a window',
        { actorId: 'actor-TAG', from: '2031-03-04T05:06:07Z', to: '2031-03-04T05:06:08Z' },
        8,
      ],
      ['a window before', { actorId: 'actor-TAG', to: '2031-03-04T05:06:07Z' }, 0],
    ])('filters by %s', async (_case, query, count) => {
      const withTag = Object.fromEntries(
        Object.entries(query).map(([key, value]) => [key, value.replace('TAG', tag)]),
      );
      const response = await list({
        ...withTag,
        actorId: withTag.actorId ?? `actor-${tag}`,
        limit: 100,
      }).expect(200);
      expect(response.body.data).toHaveLength(count);
    });

    it.each<[string, Record<string, string | number>, string]>([
      ['from after to', { from: '2031-01-02T00:00:00Z', to: '2031-01-01T00:00:00Z' }, 'from'],
      ['a date that is not ISO 8601', { from: 'yesterday' }, 'from'],
      ['an action with other characters', { action: 'user.%' }, 'action'],
      ['an unknown outcome', { outcome: 'maybe' }, 'outcome'],
      ['a malformed cursor', { cursor: 'bogus' }, 'cursor'],
      ['a limit over 100', { limit: 101 }, 'limit'],
      ['an unknown parameter', { colour: 'red' }, 'colour'],
    ])('refuses %s (400)', async (_case, query, field) => {
      const response = await list(query).expect(400);
      expect((response.body.errors as { field: string }[]).map((error) => error.field)).toContain(
        field,
      );
    });

    it('needs audit:read', async () => {
      await api.http().get('/v1/audit-events').expect(401);
      await list({}, customer.auth).expect(403);
      await api.http().get(`/v1/audit-events/${sameInstant[0]}`).set(customer.auth).expect(403);
      await api.http().get('/v1/audit-events/export').set(customer.auth).expect(403);
      await api.http().get('/v1/audit-events/verify').set(customer.auth).expect(403);
    });

    it('gets one event; 404 when absent, 400 when the id is not a UUID', async () => {
      const response = await api
        .http()
        .get(`/v1/audit-events/${sameInstant[0]}`)
        .set(auditor.auth)
        .expect(200);
      expect(response.body).toMatchObject({
        id: sameInstant[0],
        occurredAt: '2031-03-04T05:06:07.123456Z',
        action: 'ab_c.done',
        actor: { type: 'user', id: `actor-${tag}`, display: null },
        resource: { type: 'widget', id: resourceId },
      });
      expect(response.body).not.toHaveProperty('changes');
      const missing = await api
        .http()
        .get(`/v1/audit-events/${randomUUID()}`)
        .set(auditor.auth)
        .expect(404);
      expect(missing.body.type).toBe(`${PROBLEMS}not-found`);
      await api.http().get('/v1/audit-events/42').set(auditor.auth).expect(400);
    });

    it('shows before and after of an update', async () => {
      const user = await newUser(api.dataSource, { name: 'Before Name' });
      await api
        .http()
        .patch(`/v1/users/${user.id}`)
        .set(admin.auth)
        .set('if-match', '"1"')
        .send({ name: 'After Name' })
        .expect(200);
      const response = await list({ resourceId: user.id, action: 'user.updated' }).expect(200);
      expect(response.body.data[0].changes).toEqual({
        before: { name: 'Before Name' },
        after: { name: 'After Name' },
      });
    });
  });

  describe('reading the log is itself recorded', () => {
    it('records a verification with its verdict', async () => {
      const response = await api
        .http()
        .get('/v1/audit-events/verify')
        .set(auditor.auth)
        .expect(200);
      await expectOneEvent(response, {
        action: 'audit.verified',
        actor: userActor(auditor),
        resource: { type: 'audit_log', id: null },
      });
    });

    it('records an export', async () => {
      const response = await api
        .http()
        .get('/v1/audit-events/export')
        .query({ format: 'csv', from: '2031-03-04T00:00:00Z' })
        .set(auditor.auth)
        .expect(200);
      await expectOneEvent(response, {
        action: 'audit.exported',
        actor: userActor(auditor),
        resource: { type: 'audit_log', id: null },
      });
      const [row] = await api.dataSource.query(
        'SELECT metadata FROM audit_events WHERE request_id = $1',
        [response.headers['x-request-id']],
      );
      expect(row.metadata).toEqual({ format: 'csv', from: '2031-03-04T00:00:00Z', to: null });
    });
  });

  describe('append-only', () => {
    let sealedId: string;
    let unsealedId: string;

    beforeAll(async () => {
      const user = await signedIn(api);
      await api.http().get('/v1/users').set(user.auth).expect(403);
      await api.app.get(AuditSealer).seal();
      const [sealed] = await api.dataSource.query(
        'SELECT id FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1',
      );
      sealedId = sealed.id;
      const [unsealed] = await api.dataSource.query(
        `INSERT INTO audit_events (actor_type, action, resource_type, outcome)
         VALUES ('system', 'test.unsealed', 'test', 'success') RETURNING id`,
      );
      unsealedId = unsealed.id;
    });

    it.each([
      [
        'changing the content of a sealed event',
        "UPDATE audit_events SET action = 'user.nothing' WHERE id = $1",
        'sealed',
      ],
      [
        'changing the content of an unsealed event',
        "UPDATE audit_events SET outcome = 'failure' WHERE id = $1",
        'unsealed',
      ],
      [
        'sealing and changing content at once',
        "UPDATE audit_events SET seq = 999999, hash = repeat('a', 64), prev_hash = repeat('b', 64), metadata = '{\"x\":1}' WHERE id = $1",
        'unsealed',
      ],
      [
        're-sealing a sealed event',
        "UPDATE audit_events SET hash = repeat('c', 64) WHERE id = $1",
        'sealed',
      ],
      ['deleting an event', 'DELETE FROM audit_events WHERE id = $1', 'sealed'],
      ['deleting an unsealed event', 'DELETE FROM audit_events WHERE id = $1', 'unsealed'],
    ])('refuses %s', async (_case, sql, which) => {
      await expect(
        api.dataSource.query(sql, [which === 'sealed' ? sealedId : unsealedId]),
      ).rejects.toThrow(/append-only/);
    });

    it('refuses TRUNCATE of events and checkpoints, and changes to checkpoints', async () => {
      await api.app.get(AuditSealer).checkpoint();
      await expect(api.dataSource.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
      await expect(api.dataSource.query('TRUNCATE audit_checkpoints')).rejects.toThrow(
        /append-only/,
      );
      await expect(
        api.dataSource.query("UPDATE audit_checkpoints SET hash = repeat('d', 64)"),
      ).rejects.toThrow(/append-only/);
      await expect(api.dataSource.query('DELETE FROM audit_checkpoints')).rejects.toThrow(
        /append-only/,
      );
      const [{ count }] = await api.dataSource.query(
        'SELECT count(*)::int AS count FROM audit_checkpoints',
      );
      expect(count).toBeGreaterThan(0);
    });
  });

  // Last on purpose: it searches everything the tests above wrote.
  it('never stores a password, token, key or OTP secret', async () => {
    expect(secrets.length).toBeGreaterThan(15);
    const text = await auditText(api.dataSource);
    expect(text).toContain('auth.login_succeeded');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
