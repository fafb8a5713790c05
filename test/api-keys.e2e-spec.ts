import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { AccessCache } from '../src/auth/access/access-cache';
import { UserStatus } from '../src/users/entities/user.entity';
import {
  auditText,
  errorFields,
  login,
  newApiKey,
  newUser,
  Session,
  signedIn,
  TestUser,
} from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

const PROBLEMS = 'https://bastion.dev/problems/';
const KEY_FORMAT = /^bst_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** The secret part of a key (it may itself contain `_`). */
const secretOf = (key: string) => (KEY_FORMAT.exec(key) as RegExpExecArray)[2];

describe('API keys', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;
  /** Holds apikeys:manage and orders:read:any only, through a custom role. */
  let keyManager: TestUser & Session;
  const keys: string[] = [];

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await api.dataSource.query(
      `INSERT INTO roles (name, description, permissions)
       VALUES ('key-manager', 'Test role', ARRAY['apikeys:manage', 'orders:read:any'])`,
    );
    keyManager = await signedIn(api, ['key-manager']);
  });
  afterAll(() => env.close());

  const me = (header: Record<string, string>) => api.http().get('/v1/auth/me').set(header);

  describe('create', () => {
    it('returns the key once, stores only its hash, and the key authenticates', async () => {
      const response = await api
        .http()
        .post('/v1/api-keys')
        .set(admin.auth)
        .send({ name: 'billing-sync', permissions: ['orders:read:any', 'users:read'] })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        name: 'billing-sync',
        prefix: expect.stringMatching(/^[A-Za-z0-9]{12}$/),
        permissions: ['orders:read:any', 'users:read'],
        expiresAt: null,
        createdAt: expect.any(String),
        revokedAt: null,
        key: expect.stringMatching(KEY_FORMAT),
      });
      const { key, prefix, id } = response.body as { key: string; prefix: string; id: string };
      keys.push(key);
      const [, keyPrefix, secret] = KEY_FORMAT.exec(key) as RegExpExecArray;
      expect(keyPrefix).toBe(prefix);

      const [row] = await api.dataSource.query(
        'SELECT prefix, secret_hash, created_by FROM api_keys WHERE id = $1',
        [id],
      );
      expect(row.secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(secret);

      const caller = await me({ 'x-api-key': key }).expect(200);
      expect(caller.body).toMatchObject({
        actorType: 'api_key',
        user: { email: ADMIN_EMAIL },
        permissions: ['users:read', 'orders:read:own', 'orders:read:any'],
      });
    });

    it('accepts an `:own` permission from a caller holding its `:any`', async () => {
      const apiKey = await newApiKey(api, keyManager.auth, ['orders:read:own']);
      keys.push(apiKey.key);
      const caller = await me(apiKey.header).expect(200);
      expect(caller.body.permissions).toEqual(['orders:read:own']);
    });

    it('refuses permissions the caller does not hold (403)', async () => {
      const response = await api
        .http()
        .post('/v1/api-keys')
        .set(keyManager.auth)
        .send({ name: 'too-much', permissions: ['orders:read:any', 'payments:refund'] })
        .expect(403);
      expect(response.body.type).toBe(`${PROBLEMS}grant-exceeds-caller`);
      expect(response.body.detail).toMatch(/: payments:refund\.$/);
    });

    it('rejects unknown permissions, an empty list, bad names and unknown fields (400)', async () => {
      const cases: [object, string[]][] = [
        [{ name: 'k', permissions: ['orders:read:any', 'orders:delete'] }, ['permissions']],
        [{ name: 'k', permissions: [] }, ['permissions']],
        [{ name: 'k', permissions: 'users:read' }, ['permissions']],
        [{ name: '', permissions: ['users:read'] }, ['name']],
        [{ name: 'x'.repeat(101), permissions: ['users:read'] }, ['name']],
        [{ permissions: ['users:read'] }, ['name']],
        [{ name: 'k', permissions: ['users:read'], createdBy: keyManager.id }, ['createdBy']],
      ];
      for (const [body, fields] of cases) {
        const response = await api.http().post('/v1/api-keys').set(admin.auth).send(body);
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        const reported = errorFields(response.body);
        expect({ body, reported }).toEqual({ body, reported: fields });
      }
    });

    it('rejects an expiry that is in the past or not an ISO date-time (400)', async () => {
      for (const expiresAt of ['2020-01-01T00:00:00Z', 'tomorrow', '2031-02-30', 1893456000000]) {
        const response = await api
          .http()
          .post('/v1/api-keys')
          .set(admin.auth)
          .send({ name: 'k', permissions: ['users:read'], expiresAt })
          .expect(400);
        expect(response.body.errors).toEqual([
          { field: 'expiresAt', message: 'must be an ISO 8601 date-time in the future' },
        ]);
      }
    });

    it('is refused to an API key, even one holding apikeys:manage (403)', async () => {
      const minting = await newApiKey(api, admin.auth, ['apikeys:manage', 'users:read']);
      keys.push(minting.key);
      const response = await api
        .http()
        .post('/v1/api-keys')
        .set(minting.header)
        .send({ name: 'child', permissions: ['users:read'] })
        .expect(403);
      expect(response.body.type).toBe(`${PROBLEMS}api-key-cannot-mint-keys`);
      // It may still list its creator's keys.
      await api.http().get('/v1/api-keys').set(minting.header).expect(200);
    });

    it('is refused to a caller without apikeys:manage (403 on every route)', async () => {
      const customer = await signedIn(api, ['customer']);
      await api
        .http()
        .post('/v1/api-keys')
        .set(customer.auth)
        .send({ name: 'k', permissions: ['orders:read:own'] })
        .expect(403);
      await api.http().get('/v1/api-keys').set(customer.auth).expect(403);
      const someKey = await newApiKey(api, admin.auth, ['users:read']);
      await api.http().delete(`/v1/api-keys/${someKey.id}`).set(customer.auth).expect(403);
      await api.http().get('/v1/api-keys').expect(401);
    });
  });

  describe('list', () => {
    it('lists the caller’s keys newest first, keyset-paginated, never with the key', async () => {
      const owner = await signedIn(api, ['key-manager']);
      const created: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const apiKey = await newApiKey(api, owner.auth, ['orders:read:any'], {
          name: `key-${index}`,
        });
        keys.push(apiKey.key);
        created.push(apiKey.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Response = await api
          .http()
          .get('/v1/api-keys')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(owner.auth)
          .expect(200);
        pages += 1;
        for (const item of (page.body as { data: { id: string }[] }).data) {
          expect(Object.keys(item).sort()).toEqual(
            ['createdAt', 'expiresAt', 'id', 'name', 'permissions', 'prefix', 'revokedAt'].sort(),
          );
          seen.push(item.id);
        }
        for (const key of keys) expect(page.text).not.toContain(secretOf(key));
        cursor = (page.body as { nextCursor: string | null }).nextCursor;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...created].reverse());

      const others = await api.http().get('/v1/api-keys').set(keyManager.auth).expect(200);
      const otherIds = (others.body as { data: { id: string }[] }).data.map((item) => item.id);
      expect(otherIds).not.toContain(created[0]);
    });

    it('rejects a malformed cursor and an out-of-range limit (400)', async () => {
      for (const query of [{ cursor: 'garbage' }, { cursor: 'WyJ4IiwieSJd' }, { limit: 0 }]) {
        const response = await api
          .http()
          .get('/v1/api-keys')
          .query(query)
          .set(admin.auth)
          .expect(400);
        expect(response.body.errors).toHaveLength(1);
      }
    });
  });

  describe('use', () => {
    it('refuses a malformed or wrong key (401)', async () => {
      const valid = await newApiKey(api, admin.auth, ['users:read']);
      keys.push(valid.key);
      const wrongSecret = `${valid.key.slice(0, -4)}AAAA`;
      for (const key of [
        'nope',
        `bst_${valid.prefix}_short`,
        wrongSecret,
        'bst_AAAAAAAAAAAA_' + 'A'.repeat(43),
      ]) {
        const response = await me({ 'x-api-key': key }).expect(401);
        expect(response.body.type).toBe(`${PROBLEMS}invalid-token`);
      }
      await me(valid.header).expect(200);
    });

    it('stops working after its expiry', async () => {
      const apiKey = await newApiKey(api, admin.auth, ['users:read'], {
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      keys.push(apiKey.key);
      await me(apiKey.header).expect(200);
      await api.dataSource.query(
        `UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [apiKey.id],
      );
      // The database was changed behind the API's back, so drop the cached grants by hand.
      await api.app.get(AccessCache).forgetApiKey(apiKey.prefix);
      await me(apiKey.header).expect(401);
    });

    it('stops working once its creator is disabled', async () => {
      const creator = await signedIn(api, ['key-manager']);
      const apiKey = await newApiKey(api, creator.auth, ['orders:read:any']);
      keys.push(apiKey.key);
      await me(apiKey.header).expect(200);
      await api.dataSource.query('UPDATE users SET status = $1 WHERE id = $2', [
        UserStatus.Disabled,
        creator.id,
      ]);
      await api.app.get(AccessCache).forgetUsers([creator.id]);
      await me(apiKey.header).expect(401);
    });

    it('never holds more than its creator holds now', async () => {
      const creator = await newUser(api.dataSource, { roles: ['key-manager', 'auditor'] });
      const session = await login(api, creator);
      const apiKey = await newApiKey(api, session.auth, ['orders:read:any', 'audit:read']);
      keys.push(apiKey.key);
      expect((await me(apiKey.header).expect(200)).body.permissions).toContain('audit:read');
      await api.dataSource.query(
        `DELETE FROM user_roles WHERE user_id = $1
            AND role_id = (SELECT id FROM roles WHERE name = 'auditor')`,
        [creator.id],
      );
      await api.app.get(AccessCache).forgetUsers([creator.id]);
      expect((await me(apiKey.header).expect(200)).body.permissions).toEqual([
        'orders:read:own',
        'orders:read:any',
      ]);
    });
  });

  describe('revoke', () => {
    it('takes effect at once, is listed, and is idempotent', async () => {
      const apiKey = await newApiKey(api, admin.auth, ['users:read'], { name: 'to-revoke' });
      keys.push(apiKey.key);
      // Used once, so its grants sit in the access cache.
      await me(apiKey.header).expect(200);
      await api.http().delete(`/v1/api-keys/${apiKey.id}`).set(admin.auth).expect(204);
      await me(apiKey.header).expect(401);

      const list = await api.http().get('/v1/api-keys').query({ limit: 100 }).set(admin.auth);
      const listed = (list.body as { data: { id: string; revokedAt: string | null }[] }).data.find(
        (item) => item.id === apiKey.id,
      );
      expect(listed?.revokedAt).toEqual(expect.any(String));

      await api.http().delete(`/v1/api-keys/${apiKey.id}`).set(admin.auth).expect(204);
      const events = await api.dataSource.query(
        `SELECT action, actor_id FROM audit_events WHERE resource_id = $1 ORDER BY occurred_at`,
        [apiKey.id],
      );
      expect(events).toEqual([
        { action: 'apikey.created', actor_id: expect.any(String) },
        { action: 'apikey.revoked', actor_id: events[0].actor_id },
      ]);
    });

    it('answers 404 for an unknown key or another user’s key, 400 for a malformed id', async () => {
      const othersKey = await newApiKey(api, keyManager.auth, ['orders:read:any']);
      keys.push(othersKey.key);
      const notYours = await api
        .http()
        .delete(`/v1/api-keys/${othersKey.id}`)
        .set(admin.auth)
        .expect(404);
      expect(notYours.body.type).toBe(`${PROBLEMS}not-found`);
      await api
        .http()
        .delete('/v1/api-keys/6f1d2c3b-0000-4000-8000-000000000000')
        .set(admin.auth)
        .expect(404);
      const malformed = await api
        .http()
        .delete('/v1/api-keys/not-a-uuid')
        .set(admin.auth)
        .expect(400);
      expect(malformed.body.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
      await me(othersKey.header).expect(200);
    });
  });

  it('acts only through its permissions: no reading or renaming its creator, no logout', async () => {
    const key = await newApiKey(api, keyManager.auth, ['orders:read:any']);
    keys.push(key.key);
    await api.http().get(`/v1/users/${keyManager.id}`).set(key.header).expect(403);
    await api
      .http()
      .patch(`/v1/users/${keyManager.id}`)
      .set(key.header)
      .set('if-match', '"1"')
      .send({ name: 'Renamed by a key' })
      .expect(403);
    const logout = await api.http().post('/v1/auth/logout').set(key.header).expect(403);
    expect(logout.body.type).toBe(`${PROBLEMS}user-credential-required`);
  });

  it('audits creation and never records a key', async () => {
    const [created] = await api.dataSource.query(
      `SELECT changes FROM audit_events WHERE action = 'apikey.created' ORDER BY occurred_at LIMIT 1`,
    );
    expect(created.changes.after).toEqual({
      name: 'billing-sync',
      prefix: expect.any(String),
      permissions: ['orders:read:any', 'users:read'],
      expiresAt: null,
    });
    const text = await auditText(api.dataSource);
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) expect(text).not.toContain(secretOf(key));
  });
});
