import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { ALL_PERMISSIONS } from '@bastion/rbac';
import { COMMON_PASSWORD_MESSAGE } from '../libs/common/src';
import { UserStatus } from '../src/users/entities/user.entity';
import {
  auditActionsOf,
  DEFAULT_PASSWORD,
  login,
  newRole,
  newUser,
  Session,
  signedIn,
  TestUser,
} from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';
import { expectAudit, fieldsOf } from './support/expectations';

type Caller = TestUser & Session;

describe('users', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session & { id: string };
  let customer: Caller;
  let auditor: Caller;
  let manager: Caller;
  /** users:read + users:write, but neither roles:assign nor any orders permission. */
  let writer: Caller;
  /** users:read, users:write and roles:assign only: may hand out nothing carrying more. */
  let assigner: Caller;
  /** Every permission through a custom role: all an admin may do, without being one. */
  let superuser: Caller;

  async function fetchUser(id: string): Promise<Response> {
    return api.http().get(`/v1/users/${id}`).set(admin.auth).expect(200);
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    const adminSession = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const me = await api.http().get('/v1/auth/me').set(adminSession.auth).expect(200);
    admin = { ...adminSession, id: me.body.user.id as string };
    const writerRole = await newRole(api.dataSource, ['users:read', 'users:write']);
    const assignerRole = await newRole(api.dataSource, [
      'users:read',
      'users:write',
      'roles:assign',
    ]);
    const superuserRole = await newRole(api.dataSource, [...ALL_PERMISSIONS]);
    [customer, auditor, manager, writer, assigner, superuser] = await Promise.all([
      signedIn(api, ['customer']),
      signedIn(api, ['auditor']),
      signedIn(api, ['manager']),
      signedIn(api, [writerRole.name]),
      signedIn(api, [assignerRole.name]),
      signedIn(api, [superuserRole.name]),
    ]);
  });
  afterAll(() => env.close());

  describe('GET /v1/users', () => {
    it('needs a credential and users:read', async () => {
      await api.http().get('/v1/users').expect(401);
      await api.http().get('/v1/users').set(customer.auth).expect(403);
    });

    it('lists users newest first with their roles', async () => {
      const response = await api.http().get('/v1/users').set(auditor.auth).expect(200);
      const users = response.body.data as { id: string; createdAt: string; roles: string[] }[];
      expect(response.body).toHaveProperty('nextCursor');
      expect(users.find((user) => user.id === admin.id)?.roles).toEqual(['admin']);
      const times = users.map((user) => user.createdAt);
      expect([...times].sort().reverse()).toEqual(times);
      expect(JSON.stringify(response.body)).not.toMatch(/password|mfaSecret/i);
    });

    it('walks every page once, with no row missing or repeated', async () => {
      const tag = `pager${randomUUID().slice(0, 6)}`;
      const created: string[] = [];
      for (let index = 0; index < 7; index += 1) {
        created.push((await newUser(api.dataSource, { name: `${tag} ${index}` })).id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response: Response = await api
          .http()
          .get('/v1/users')
          .query({ q: tag, limit: 3, ...(cursor ? { cursor } : {}) })
          .set(admin.auth)
          .expect(200);
        seen.push(...(response.body.data as { id: string }[]).map((user) => user.id));
        cursor = response.body.nextCursor as string | null;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...created].reverse());
    });

    it('filters by text, case-insensitively, on email or name', async () => {
      const tag = `finder${randomUUID().slice(0, 6)}`;
      const byEmail = await newUser(api.dataSource, { email: `${tag}@example.com` });
      const byName = await newUser(api.dataSource, { name: `Ada ${tag.toUpperCase()}` });
      const response = await api
        .http()
        .get('/v1/users')
        .query({ q: tag.toUpperCase() })
        .set(admin.auth)
        .expect(200);
      const ids = (response.body.data as { id: string }[]).map((user) => user.id).sort();
      expect(ids).toEqual([byEmail.id, byName.id].sort());
      const none = await api
        .http()
        .get('/v1/users')
        .query({ q: `${tag}-nobody` })
        .set(admin.auth)
        .expect(200);
      expect(none.body).toEqual({ data: [], nextCursor: null });
    });

    it('filters by role and by status; deleted users only when asked for', async () => {
      const managers = await api
        .http()
        .get('/v1/users')
        .query({ role: 'manager', limit: 100 })
        .set(admin.auth)
        .expect(200);
      const managerIds = (managers.body.data as { id: string; roles: string[] }[]).map(
        (user) => user.id,
      );
      expect(managerIds).toContain(manager.id);
      expect(managerIds).not.toContain(customer.id);

      const disabled = await newUser(api.dataSource, { status: UserStatus.Disabled });
      const byStatus = await api
        .http()
        .get('/v1/users')
        .query({ status: 'disabled', limit: 100 })
        .set(admin.auth)
        .expect(200);
      const statuses = (byStatus.body.data as { id: string; status: string }[]).map(
        (user) => user.status,
      );
      expect(new Set(statuses)).toEqual(new Set(['disabled']));
      expect((byStatus.body.data as { id: string }[]).map((user) => user.id)).toContain(
        disabled.id,
      );

      const gone = await newUser(api.dataSource);
      await api.http().delete(`/v1/users/${gone.id}`).set(admin.auth).expect(204);
      const listed = await api.http().get('/v1/users').query({ limit: 100 }).set(admin.auth);
      expect((listed.body.data as { id: string }[]).map((user) => user.id)).not.toContain(gone.id);
      const deleted = await api
        .http()
        .get('/v1/users')
        .query({ status: 'deleted' })
        .set(admin.auth)
        .expect(200);
      expect((deleted.body.data as { id: string }[]).map((user) => user.id)).toContain(gone.id);
    });

    it.each([
      [{ limit: 0 }, 'limit'],
      [{ limit: 101 }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ cursor: 'not-a-cursor' }, 'cursor'],
      [{ cursor: Buffer.from('["yesterday","x"]').toString('base64url') }, 'cursor'],
      [{ status: 'gone' }, 'status'],
      [{ sort: 'name' }, 'sort'],
    ])('answers 400 for %j', async (query, field) => {
      const response = await api.http().get('/v1/users').query(query).set(admin.auth).expect(400);
      expect(fieldsOf(response)).toEqual([field]);
    });
  });

  describe('POST /v1/users', () => {
    const body = () => ({
      email: `new-${randomUUID().slice(0, 8)}@Example.com`,
      name: 'New Person',
      password: 'a-very-long-password',
    });

    it('creates a user with the roles asked for, who can then log in', async () => {
      const input = { ...body(), roles: ['manager'] };
      const response = await api.http().post('/v1/users').set(admin.auth).send(input).expect(201);
      expect(response.headers.etag).toBe('"1"');
      expect(response.body).toMatchObject({
        email: input.email.toLowerCase(),
        name: 'New Person',
        status: 'active',
        roles: ['manager'],
        mfaEnabled: false,
        version: 1,
      });
      expect(response.body).not.toHaveProperty('password');
      await expectAudit(api, response, ['user.created']);
      const [event] = await api.dataSource.query(
        'SELECT changes FROM audit_events WHERE resource_id = $1',
        [response.body.id],
      );
      expect(JSON.stringify(event.changes)).not.toContain(input.password);
      const session = await login(api, { email: input.email, password: input.password });
      const me = await api.http().get('/v1/auth/me').set(session.auth).expect(200);
      expect(me.body.roles).toEqual(['manager']);
    });

    it('makes a customer by default, which needs no roles:assign but the customer permissions', async () => {
      const response = await api.http().post('/v1/users').set(admin.auth).send(body()).expect(201);
      expect(response.body.roles).toEqual(['customer']);
      // A user one creates is a user one can log in as: it may not carry more than the creator.
      const refused = await api.http().post('/v1/users').set(writer.auth).send(body()).expect(403);
      expect(refused.body.type).toBe('https://bastion.dev/problems/grant-exceeds-caller');
    });

    it('needs roles:assign and every permission of the roles to send roles', async () => {
      await api
        .http()
        .post('/v1/users')
        .set(writer.auth)
        .send({ ...body(), roles: ['customer'] })
        .expect(403);
      const response = await api
        .http()
        .post('/v1/users')
        .set(assigner.auth)
        .send({ ...body(), roles: ['customer'] })
        .expect(403);
      expect(response.body.detail).toContain('orders:read:own');
    });

    it('refuses a taken email, whatever its case', async () => {
      const input = body();
      await api.http().post('/v1/users').set(admin.auth).send(input).expect(201);
      const response = await api
        .http()
        .post('/v1/users')
        .set(admin.auth)
        .send({ ...body(), email: input.email.toUpperCase() })
        .expect(409);
      expect(response.body.type).toBe('https://bastion.dev/problems/email-taken');
    });

    it('lets exactly one of several concurrent creations with one email win', async () => {
      const input = body();
      const statuses = await Promise.all(
        [0, 1, 2].map(async () => {
          const response = await api.http().post('/v1/users').set(admin.auth).send(input);
          return response.status;
        }),
      );
      expect(statuses.sort()).toEqual([201, 409, 409]);
    });

    it('validates every field, rejects unknown ones, and names unknown roles', async () => {
      const bad = await api
        .http()
        .post('/v1/users')
        .set(admin.auth)
        .send({ email: 'nope', name: '', password: 'short', isAdmin: true })
        .expect(400);
      expect(fieldsOf(bad)).toEqual(['email', 'isAdmin', 'name', 'password']);
      const unknownRole = await api
        .http()
        .post('/v1/users')
        .set(admin.auth)
        .send({ ...body(), roles: ['customer', 'wizard'] })
        .expect(400);
      expect(unknownRole.body.errors).toEqual([
        { field: 'roles.1', message: 'is not a known role' },
      ]);
    });

    it('refuses one of the most common passwords (400 on password) and creates nobody', async () => {
      for (const password of ['qwerty123456', '123QWEasdzxc']) {
        const input = { ...body(), password };
        const response = await api.http().post('/v1/users').set(admin.auth).send(input).expect(400);
        expect(response.body.errors).toEqual([
          { field: 'password', message: COMMON_PASSWORD_MESSAGE },
        ]);
        const [{ count }] = await api.dataSource.query(
          'SELECT count(*)::int AS count FROM users WHERE email = $1',
          [input.email.toLowerCase()],
        );
        expect(count).toBe(0);
      }
    });

    it('needs a credential and users:write', async () => {
      await api.http().post('/v1/users').send(body()).expect(401);
      await api.http().post('/v1/users').set(customer.auth).send(body()).expect(403);
      await api.http().post('/v1/users').set(auditor.auth).send(body()).expect(403);
    });
  });

  describe('the first admin (ADMIN_PASSWORD)', () => {
    it('is refused as one of the most common passwords: the app does not start', async () => {
      await expect(env.start({ ADMIN_PASSWORD: 'qwerty123456' })).rejects.toThrow(
        /^\s*ADMIN_PASSWORD is one of the most commonly used passwords/m,
      );
    });
  });

  describe('GET /v1/users/:id', () => {
    it('returns the user with an ETag', async () => {
      const response = await api
        .http()
        .get(`/v1/users/${customer.id}`)
        .set(auditor.auth)
        .expect(200);
      expect(response.body).toMatchObject({ id: customer.id, roles: ['customer'] });
      expect(response.headers.etag).toBe(`"${response.body.version}"`);
    });

    it('shows a user alike in its own read, in a page of users and in /auth/me', async () => {
      const both = await signedIn(api, ['manager', 'customer']);
      const [own, page, me] = await Promise.all([
        api.http().get(`/v1/users/${both.id}`).set(admin.auth).expect(200),
        api.http().get('/v1/users').query({ q: both.email }).set(admin.auth).expect(200),
        api.http().get('/v1/auth/me').set(both.auth).expect(200),
      ]);
      expect(own.body).toMatchObject({
        id: both.id,
        roles: ['customer', 'manager'],
        mfaEnabled: false,
        version: 1,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(page.body.data).toEqual([own.body]);
      expect(me.body.user).toEqual(own.body);
    });

    it('lets anyone read themself, and only themself', async () => {
      await api.http().get(`/v1/users/${customer.id}`).set(customer.auth).expect(200);
      await api.http().get(`/v1/users/${auditor.id}`).set(customer.auth).expect(403);
      await api.http().get(`/v1/users/${randomUUID()}`).set(customer.auth).expect(403);
    });

    it('answers 404 for an absent id, 400 for a malformed one, 401 without credential', async () => {
      await api.http().get(`/v1/users/${randomUUID()}`).set(auditor.auth).expect(404);
      const bad = await api.http().get('/v1/users/42').set(auditor.auth).expect(400);
      expect(fieldsOf(bad)).toEqual(['id']);
      await api.http().get(`/v1/users/${customer.id}`).expect(401);
    });
  });

  describe('PATCH /v1/users/:id', () => {
    let target: TestUser;

    beforeAll(async () => {
      target = await newUser(api.dataSource, { name: 'Before' });
    });

    it('needs If-Match (428) that matches (412)', async () => {
      await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(admin.auth)
        .send({ name: 'X' })
        .expect(428);
      await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(admin.auth)
        .set('if-match', '"99"')
        .send({ name: 'X' })
        .expect(412);
      await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(admin.auth)
        .set('if-match', 'garbage')
        .send({ name: 'X' })
        .expect(412);
    });

    it('changes name and email, bumps the version and audits the change', async () => {
      const before = await fetchUser(target.id);
      const email = `renamed-${randomUUID().slice(0, 8)}@example.com`;
      const response = await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(admin.auth)
        .set('if-match', before.headers.etag)
        .send({ name: 'After', email })
        .expect(200);
      expect(response.body).toMatchObject({
        name: 'After',
        email,
        version: before.body.version + 1,
      });
      expect(response.headers.etag).toBe(`"${before.body.version + 1}"`);
      await expectAudit(api, response, ['user.updated']);
      const [event] = await api.dataSource.query(
        'SELECT changes FROM audit_events WHERE request_id = $1',
        [response.headers['x-request-id']],
      );
      expect(event.changes).toEqual({
        before: { name: 'Before', email: target.email },
        after: { name: 'After', email },
      });
      await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(admin.auth)
        .set('if-match', before.headers.etag)
        .send({ name: 'Stale' })
        .expect(412);
    });

    it('lets a user change their own name, but not their email or anyone else', async () => {
      const own = await fetchUser(customer.id);
      const renamed = await api
        .http()
        .patch(`/v1/users/${customer.id}`)
        .set(customer.auth)
        .set('if-match', own.headers.etag)
        .send({ name: 'Self Named' })
        .expect(200);
      expect(renamed.body.name).toBe('Self Named');
      const email = await api
        .http()
        .patch(`/v1/users/${customer.id}`)
        .set(customer.auth)
        .set('if-match', renamed.headers.etag)
        .send({ email: 'me@example.com' })
        .expect(403);
      expect(email.body.type).toBe('https://bastion.dev/problems/self-may-only-change-name');
      await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(customer.auth)
        .set('if-match', '"1"')
        .send({ name: 'Hijack' })
        .expect(403);
    });

    it('refuses a taken email (409), an absent user (404) and bad input (400)', async () => {
      const current = await fetchUser(target.id);
      await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(admin.auth)
        .set('if-match', current.headers.etag)
        .send({ email: customer.email.toUpperCase() })
        .expect(409);
      await api
        .http()
        .patch(`/v1/users/${randomUUID()}`)
        .set(admin.auth)
        .set('if-match', '"1"')
        .send({ name: 'Ghost' })
        .expect(404);
      const bad = await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(admin.auth)
        .set('if-match', current.headers.etag)
        .send({ email: 'not-an-email', status: 'active' })
        .expect(400);
      expect(fieldsOf(bad)).toEqual(['email', 'status']);
      await api.http().patch(`/v1/users/${target.id}`).send({ name: 'Anon' }).expect(401);
    });

    it('refuses to change a deleted user (409)', async () => {
      const gone = await newUser(api.dataSource);
      await api.http().delete(`/v1/users/${gone.id}`).set(admin.auth).expect(204);
      const current = await fetchUser(gone.id);
      await api
        .http()
        .patch(`/v1/users/${gone.id}`)
        .set(admin.auth)
        .set('if-match', current.headers.etag)
        .send({ name: 'Back' })
        .expect(409);
    });
  });

  describe('POST /v1/users/:id/disable and /enable', () => {
    it('ends the user’s sessions at once and blocks login until enabled again', async () => {
      const victim = await signedIn(api, ['customer']);
      await api.http().get('/v1/auth/me').set(victim.auth).expect(200);
      const disabled = await api
        .http()
        .post(`/v1/users/${victim.id}/disable`)
        .set(admin.auth)
        .expect(200);
      expect(disabled.body.status).toBe('disabled');
      expect(disabled.headers.etag).toBe(`"${disabled.body.version}"`);
      await expectAudit(api, disabled, ['user.disabled']);
      await api.http().get('/v1/auth/me').set(victim.auth).expect(401);
      await api
        .http()
        .post('/v1/auth/login')
        .send({ email: victim.email, password: DEFAULT_PASSWORD })
        .expect(401);
      const [{ active }] = await api.dataSource.query(
        'SELECT count(*)::int AS active FROM auth_sessions WHERE user_id = $1 AND revoked_at IS NULL',
        [victim.id],
      );
      expect(active).toBe(0);

      const again = await api
        .http()
        .post(`/v1/users/${victim.id}/disable`)
        .set(admin.auth)
        .expect(200);
      expect(await auditActionsOf(api.dataSource, again.headers['x-request-id'])).toEqual([]);

      const enabled = await api
        .http()
        .post(`/v1/users/${victim.id}/enable`)
        .set(admin.auth)
        .expect(200);
      expect(enabled.body.status).toBe('active');
      await expectAudit(api, enabled, ['user.enabled']);
      const session = await login(api, victim);
      await api.http().get('/v1/auth/me').set(session.auth).expect(200);
    });

    it('refuses to disable yourself, the last active admin, or a deleted user (409)', async () => {
      const self = await api
        .http()
        .post(`/v1/users/${admin.id}/disable`)
        .set(admin.auth)
        .expect(409);
      expect(self.body.type).toBe('https://bastion.dev/problems/cannot-disable-self');
      const lastAdmin = await api
        .http()
        .post(`/v1/users/${admin.id}/disable`)
        .set(superuser.auth)
        .expect(409);
      expect(lastAdmin.body.type).toBe('https://bastion.dev/problems/last-admin');
      const gone = await newUser(api.dataSource);
      await api.http().delete(`/v1/users/${gone.id}`).set(admin.auth).expect(204);
      await api.http().post(`/v1/users/${gone.id}/disable`).set(admin.auth).expect(409);
      await api.http().post(`/v1/users/${gone.id}/enable`).set(admin.auth).expect(409);
    });

    it('answers 404, 400, 401 and 403 where due', async () => {
      const other = await newUser(api.dataSource);
      await api.http().post(`/v1/users/${randomUUID()}/disable`).set(admin.auth).expect(404);
      await api.http().post(`/v1/users/${randomUUID()}/enable`).set(admin.auth).expect(404);
      await api.http().post('/v1/users/nope/disable').set(admin.auth).expect(400);
      await api.http().post(`/v1/users/${other.id}/disable`).expect(401);
      await api.http().post(`/v1/users/${other.id}/disable`).set(manager.auth).expect(403);
      await api.http().post(`/v1/users/${other.id}/enable`).set(customer.auth).expect(403);
    });
  });

  describe('DELETE /v1/users/:id', () => {
    it('erases PII, revokes sessions, roles and API keys, and keeps the audit trail', async () => {
      const victim = await signedIn(api, ['customer']);
      const own = await fetchUser(victim.id);
      const renamed = await api
        .http()
        .patch(`/v1/users/${victim.id}`)
        .set(victim.auth)
        .set('if-match', own.headers.etag)
        .send({ name: 'About To Go' })
        .expect(200);
      await api.dataSource.query(
        `INSERT INTO api_keys (name, prefix, secret_hash, permissions, created_by)
         VALUES ('ci', $1, $2, '{orders:read:own}', $3)`,
        [randomUUID().replace(/-/g, '').slice(0, 12), 'a'.repeat(64), victim.id],
      );

      const response = await api
        .http()
        .delete(`/v1/users/${victim.id}`)
        .set(admin.auth)
        .expect(204);
      await expectAudit(api, response, ['user.deleted']);

      const [row] = await api.dataSource.query(
        `SELECT email, name, password_hash, mfa_secret, mfa_enabled, status, deleted_at
           FROM users WHERE id = $1`,
        [victim.id],
      );
      expect(row).toMatchObject({
        email: null,
        name: null,
        password_hash: null,
        mfa_secret: null,
        mfa_enabled: false,
        status: 'deleted',
      });
      expect(row.deleted_at).not.toBeNull();
      const [counts] = await api.dataSource.query(
        `SELECT
           (SELECT count(*)::int FROM user_roles WHERE user_id = $1) AS roles,
           (SELECT count(*)::int FROM auth_sessions WHERE user_id = $1 AND revoked_at IS NULL) AS sessions,
           (SELECT count(*)::int FROM api_keys WHERE created_by = $1 AND revoked_at IS NULL) AS keys`,
        [victim.id],
      );
      expect(counts).toEqual({ roles: 0, sessions: 0, keys: 0 });
      const events: { action: string }[] = await api.dataSource.query(
        `SELECT action FROM audit_events
          WHERE resource_type = 'user' AND resource_id = $1 AND action LIKE 'user.%'
          ORDER BY occurred_at`,
        [victim.id],
      );
      expect(events.map((event) => event.action)).toEqual(['user.updated', 'user.deleted']);
      const [deletedEvent] = await api.dataSource.query(
        'SELECT changes, metadata FROM audit_events WHERE request_id = $1',
        [response.headers['x-request-id']],
      );
      expect(JSON.stringify(deletedEvent)).not.toContain(victim.email);
      expect(renamed.body.name).toBe('About To Go');

      await api.http().get('/v1/auth/me').set(victim.auth).expect(401);
      const shown = await fetchUser(victim.id);
      expect(shown.body).toMatchObject({ status: 'deleted', email: null, name: null, roles: [] });
      await api.http().delete(`/v1/users/${victim.id}`).set(admin.auth).expect(404);
    });

    it('refuses to delete yourself (409) and answers 404, 400, 401 and 403 where due', async () => {
      const self = await api.http().delete(`/v1/users/${admin.id}`).set(admin.auth).expect(409);
      expect(self.body.type).toBe('https://bastion.dev/problems/cannot-delete-self');
      const lastAdmin = await api
        .http()
        .delete(`/v1/users/${admin.id}`)
        .set(superuser.auth)
        .expect(409);
      expect(lastAdmin.body.type).toBe('https://bastion.dev/problems/last-admin');
      await api.http().delete(`/v1/users/${randomUUID()}`).set(admin.auth).expect(404);
      await api.http().delete('/v1/users/not-a-uuid').set(admin.auth).expect(400);
      await api.http().delete(`/v1/users/${customer.id}`).expect(401);
      await api.http().delete(`/v1/users/${customer.id}`).set(auditor.auth).expect(403);
    });
  });

  describe('PUT /v1/users/:id/roles', () => {
    it('replaces the roles, bumps the version, and applies at the next request', async () => {
      const holder = await signedIn(api, ['customer']);
      const before = await fetchUser(holder.id);
      const response = await api
        .http()
        .put(`/v1/users/${holder.id}/roles`)
        .set(admin.auth)
        .send({ roles: ['customer', 'auditor'] })
        .expect(200);
      expect(response.body.roles).toEqual(['auditor', 'customer']);
      expect(response.body.version).toBe(before.body.version + 1);
      expect(response.headers.etag).toBe(`"${before.body.version + 1}"`);
      await expectAudit(api, response, ['user.roles_changed']);
      const me = await api.http().get('/v1/auth/me').set(holder.auth).expect(200);
      expect(me.body.permissions).toContain('audit:read');

      const same = await api
        .http()
        .put(`/v1/users/${holder.id}/roles`)
        .set(admin.auth)
        .send({ roles: ['auditor', 'customer'] })
        .expect(200);
      expect(same.body.version).toBe(response.body.version);
      expect(await auditActionsOf(api.dataSource, same.headers['x-request-id'])).toEqual([]);

      await api
        .http()
        .put(`/v1/users/${holder.id}/roles`)
        .set(admin.auth)
        .send({ roles: ['customer'] })
        .expect(200);
      const after = await api.http().get('/v1/auth/me').set(holder.auth).expect(200);
      expect(after.body.permissions).not.toContain('audit:read');
    });

    it('never grants or strips a permission the caller lacks', async () => {
      const [first, second] = await Promise.all([
        newRole(api.dataSource, ['users:read'], `reader-${randomUUID().slice(0, 8)}`),
        newRole(api.dataSource, ['users:read'], `viewer-${randomUUID().slice(0, 8)}`),
      ]);
      const target = await newUser(api.dataSource, { roles: [first.name] });
      const granted = await api
        .http()
        .put(`/v1/users/${target.id}/roles`)
        .set(assigner.auth)
        .send({ roles: [first.name, second.name] })
        .expect(200);
      expect(granted.body.roles).toEqual([first.name, second.name]);
      const grant = await api
        .http()
        .put(`/v1/users/${target.id}/roles`)
        .set(assigner.auth)
        .send({ roles: [first.name, second.name, 'customer'] })
        .expect(403);
      expect(grant.body.type).toBe('https://bastion.dev/problems/grant-exceeds-caller');
      await api
        .http()
        .put(`/v1/users/${customer.id}/roles`)
        .set(assigner.auth)
        .send({ roles: [] })
        .expect(403);
    });

    it('keeps at least one active admin (409)', async () => {
      const response = await api
        .http()
        .put(`/v1/users/${admin.id}/roles`)
        .set(admin.auth)
        .send({ roles: ['customer'] })
        .expect(409);
      expect(response.body.type).toBe('https://bastion.dev/problems/last-admin');
    });

    it('answers 400, 401, 403, 404 and 409 where due', async () => {
      const unknown = await api
        .http()
        .put(`/v1/users/${customer.id}/roles`)
        .set(admin.auth)
        .send({ roles: ['customer', 'wizard'] })
        .expect(400);
      expect(fieldsOf(unknown)).toEqual(['roles.1']);
      const bad = await api
        .http()
        .put(`/v1/users/${customer.id}/roles`)
        .set(admin.auth)
        .send({ roles: 'admin', extra: 1 })
        .expect(400);
      expect(fieldsOf(bad)).toEqual(['extra', 'roles']);
      await api
        .http()
        .put(`/v1/users/${customer.id}/roles`)
        .set(admin.auth)
        .send({ roles: ['customer', 'customer'] })
        .expect(400);
      await api
        .http()
        .put(`/v1/users/${customer.id}/roles`)
        .send({ roles: ['customer'] })
        .expect(401);
      await api
        .http()
        .put(`/v1/users/${customer.id}/roles`)
        .set(manager.auth)
        .send({ roles: ['customer'] })
        .expect(403);
      await api
        .http()
        .put(`/v1/users/${randomUUID()}/roles`)
        .set(admin.auth)
        .send({ roles: ['customer'] })
        .expect(404);
      const gone = await newUser(api.dataSource);
      await api.http().delete(`/v1/users/${gone.id}`).set(admin.auth).expect(204);
      await api
        .http()
        .put(`/v1/users/${gone.id}/roles`)
        .set(admin.auth)
        .send({ roles: ['customer'] })
        .expect(409);
    });
  });
});
