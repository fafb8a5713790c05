import { randomUUID } from 'node:crypto';
import { ALL_PERMISSIONS, PERMISSION_DESCRIPTIONS } from '../libs/rbac/src';
import { login, newRole, newUser, Session, signedIn } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';
import { expectAudit, fieldsOf } from './support/expectations';

interface RoleBody {
  id: string;
  name: string;
  permissions: string[];
  builtIn: boolean;
  version: number;
}

const uniqueName = (stem: string) => `${stem}-${randomUUID().slice(0, 8)}`;

/** Byte order, as both lists sort by name whatever the database's locale. */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('roles and permissions', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;
  let customer: Session;
  let auditor: Session;
  let manager: Session;
  /** roles:read + roles:write + users:read: may only build roles out of those. */
  let roleMaker: Session;
  let builtIn: Record<string, RoleBody>;

  async function createRole(permissions: string[], name = uniqueName('custom')): Promise<RoleBody> {
    const response = await api
      .http()
      .post('/v1/roles')
      .set(admin.auth)
      .send({ name, permissions })
      .expect(201);
    return response.body as RoleBody;
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const makerRole = await newRole(api.dataSource, ['roles:read', 'roles:write', 'users:read']);
    [customer, auditor, manager, roleMaker] = await Promise.all([
      signedIn(api, ['customer']),
      signedIn(api, ['auditor']),
      signedIn(api, ['manager']),
      signedIn(api, [makerRole.name]),
    ]);
    const roles = await api.http().get('/v1/roles?limit=100').set(admin.auth).expect(200);
    builtIn = Object.fromEntries((roles.body.data as RoleBody[]).map((role) => [role.name, role]));
  });
  afterAll(() => env.close());

  /** Every item of a list, walked page by page; `between` runs after each page but the last. */
  async function walk<T>(
    path: string,
    limit: number,
    between: () => Promise<void> = async () => undefined,
  ): Promise<{ items: T[]; pageSizes: number[] }> {
    const items: T[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await api
        .http()
        .get(`${path}?limit=${limit}${query}`)
        .set(admin.auth)
        .expect(200);
      expect(Object.keys(response.body).sort()).toEqual(['data', 'nextCursor']);
      items.push(...(response.body.data as T[]));
      pageSizes.push((response.body.data as T[]).length);
      cursor = response.body.nextCursor as string | null;
      if (cursor !== null) await between();
    } while (cursor !== null);
    return { items, pageSizes };
  }

  describe.each(['/v1/permissions', '/v1/roles'])('%s as a list', (path) => {
    const timeCursor = Buffer.from(
      JSON.stringify(['2030-01-01T00:00:00.000000Z', randomUUID()]),
    ).toString('base64url');
    it.each([
      ['limit=0', 'limit=0', 'limit'],
      ['limit=101', 'limit=101', 'limit'],
      ['limit=ten', 'limit=ten', 'limit'],
      ['a malformed cursor', 'cursor=not-a-cursor', 'cursor'],
      ['the cursor of a list ordered by time', `cursor=${timeCursor}`, 'cursor'],
    ])('refuses %s (400 naming the field)', async (_case, query, field) => {
      const response = await api.http().get(`${path}?${query}`).set(admin.auth).expect(400);
      expect(response.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('answers at most 20 items without a limit', async () => {
      const response = await api.http().get(path).set(admin.auth).expect(200);
      expect((response.body.data as unknown[]).length).toBeLessThanOrEqual(20);
    });
  });

  describe('GET /v1/permissions', () => {
    it('pages through the whole catalogue by name, each permission once', async () => {
      const { items, pageSizes } = await walk('/v1/permissions', 5);
      const names = [...ALL_PERMISSIONS].sort(byteOrder);
      expect(items).toEqual(
        names.map((name) => ({ name, description: PERMISSION_DESCRIPTIONS[name] })),
      );
      expect(pageSizes).toEqual([5, 5, 5, 5, 2]);
      const all = await api.http().get('/v1/permissions?limit=100').set(auditor.auth).expect(200);
      expect(all.body).toEqual({ data: items, nextCursor: null });
    });

    it('refuses a role cursor', async () => {
      const roles = await api.http().get('/v1/roles?limit=1').set(admin.auth).expect(200);
      const response = await api
        .http()
        .get(`/v1/permissions?cursor=${roles.body.nextCursor as string}`)
        .set(admin.auth)
        .expect(400);
      expect(response.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    });

    it('needs a credential and roles:read', async () => {
      await api.http().get('/v1/permissions').expect(401);
      await api.http().get('/v1/permissions').set(customer.auth).expect(403);
    });
  });

  describe('GET /v1/roles', () => {
    it('lists the built-in roles with their permissions', async () => {
      const response = await api.http().get('/v1/roles').set(auditor.auth).expect(200);
      const roles = response.body.data as RoleBody[];
      expect(roles.map((role) => role.name)).toEqual(
        expect.arrayContaining(['admin', 'auditor', 'customer', 'manager']),
      );
      expect(builtIn.admin).toMatchObject({ builtIn: true, version: 1 });
      expect([...builtIn.admin.permissions].sort()).toEqual([...ALL_PERMISSIONS].sort());
      expect(builtIn.auditor.permissions).toEqual([
        'audit:export',
        'audit:read',
        'audit:verify',
        'roles:read',
        'users:read',
      ]);
      expect(roles[0]).toEqual({
        id: expect.any(String),
        name: expect.any(String),
        description: expect.any(String),
        permissions: expect.any(Array),
        builtIn: expect.any(Boolean),
        version: expect.any(Number),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it('pages through every role by name, each once, while roles are created', async () => {
      const before = await api.http().get('/v1/roles?limit=100').set(admin.auth).expect(200);
      const existing = (before.body.data as RoleBody[]).map((role) => role.name);
      expect(existing).toEqual([...existing].sort(byteOrder));
      expect(before.body.nextCursor).toBeNull();
      // Created once the walk is past the first page: one sorts before where it stands, one after.
      const early = `a-${randomUUID().slice(0, 8)}`;
      const late = `zz-${randomUUID().slice(0, 8)}`;
      let created = false;
      const { items, pageSizes } = await walk<RoleBody>('/v1/roles', 1, async () => {
        if (created) return;
        created = true;
        await createRole(['users:read'], early);
        await createRole(['users:read'], late);
      });
      expect(items.map((role) => role.name)).toEqual([...existing, late].sort(byteOrder));
      expect(pageSizes.every((size) => size === 1)).toBe(true);
    });

    it('needs a credential and roles:read', async () => {
      await api.http().get('/v1/roles').expect(401);
      await api.http().get('/v1/roles').set(manager.auth).expect(403);
    });
  });

  describe('POST /v1/roles', () => {
    it('creates a custom role and audits it', async () => {
      const name = uniqueName('support');
      const response = await api
        .http()
        .post('/v1/roles')
        .set(admin.auth)
        .send({
          name,
          description: 'Answers customers',
          permissions: ['users:read', 'orders:read:any'],
        })
        .expect(201);
      expect(response.body).toMatchObject({
        name,
        description: 'Answers customers',
        permissions: ['orders:read:any', 'users:read'],
        builtIn: false,
        version: 1,
      });
      expect(response.headers.etag).toBe('"1"');
      await expectAudit(api, response, ['role.created']);
      const listed = await api.http().get('/v1/roles?limit=100').set(admin.auth).expect(200);
      expect((listed.body.data as RoleBody[]).map((role) => role.name)).toContain(name);
    });

    it('refuses a taken name (409), built-in names included', async () => {
      const role = await createRole(['users:read']);
      for (const name of [role.name, 'admin']) {
        const response = await api
          .http()
          .post('/v1/roles')
          .set(admin.auth)
          .send({ name, permissions: [] })
          .expect(409);
        expect(response.body.type).toBe('https://bastion.dev/problems/role-name-taken');
      }
    });

    it('validates the body and names unknown permissions', async () => {
      const unknown = await api
        .http()
        .post('/v1/roles')
        .set(admin.auth)
        .send({ name: uniqueName('x'), permissions: ['users:read', 'users:fly'] })
        .expect(400);
      expect(unknown.body.errors).toEqual([
        { field: 'permissions.1', message: 'is not a known permission' },
      ]);
      const bad = await api
        .http()
        .post('/v1/roles')
        .set(admin.auth)
        .send({ name: 'Not A Name', builtIn: true })
        .expect(400);
      expect(fieldsOf(bad)).toEqual(['builtIn', 'name', 'permissions']);
    });

    it('never lets a caller put in a permission they lack', async () => {
      const response = await api
        .http()
        .post('/v1/roles')
        .set(roleMaker.auth)
        .send({ name: uniqueName('escalate'), permissions: ['users:read', 'users:write'] })
        .expect(403);
      expect(response.body.type).toBe('https://bastion.dev/problems/grant-exceeds-caller');
      expect(response.body.detail).toContain('users:write');
      await api
        .http()
        .post('/v1/roles')
        .set(roleMaker.auth)
        .send({ name: uniqueName('reader'), permissions: ['users:read'] })
        .expect(201);
    });

    it('needs a credential and roles:write', async () => {
      const body = { name: uniqueName('nope'), permissions: [] };
      await api.http().post('/v1/roles').send(body).expect(401);
      await api.http().post('/v1/roles').set(auditor.auth).send(body).expect(403);
    });
  });

  describe('PATCH /v1/roles/:id', () => {
    it('changes permissions and applies them at the holder’s next request', async () => {
      const role = await createRole(['users:read', 'orders:read:any']);
      const holder = await signedIn(api, [role.name]);
      const before = await api.http().get('/v1/auth/me').set(holder.auth).expect(200);
      expect(before.body.permissions).toContain('orders:read:any');

      const response = await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(admin.auth)
        .set('if-match', '"1"')
        .send({ permissions: ['users:read'], description: 'Read-only' })
        .expect(200);
      expect(response.body).toMatchObject({
        permissions: ['users:read'],
        description: 'Read-only',
        version: 2,
      });
      expect(response.headers.etag).toBe('"2"');
      await expectAudit(api, response, ['role.updated']);

      const after = await api.http().get('/v1/auth/me').set(holder.auth).expect(200);
      expect(after.body.permissions).not.toContain('orders:read:any');
      expect(after.body.permissions).toContain('users:read');
    });

    it('needs If-Match (428) that matches (412)', async () => {
      const role = await createRole(['users:read']);
      await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(admin.auth)
        .send({ description: 'x' })
        .expect(428);
      await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(admin.auth)
        .set('if-match', '"2"')
        .send({ description: 'x' })
        .expect(412);
    });

    it('refuses built-in roles (409) and absent ones (404)', async () => {
      const response = await api
        .http()
        .patch(`/v1/roles/${builtIn.customer.id}`)
        .set(admin.auth)
        .set('if-match', '"1"')
        .send({ description: 'mine now' })
        .expect(409);
      expect(response.body.type).toBe('https://bastion.dev/problems/role-built-in');
      await api
        .http()
        .patch(`/v1/roles/${randomUUID()}`)
        .set(admin.auth)
        .set('if-match', '"1"')
        .send({ description: 'x' })
        .expect(404);
    });

    it('never lets a caller add or remove a permission they lack', async () => {
      const role = await createRole(['users:read', 'orders:read:any']);
      const strip = await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(roleMaker.auth)
        .set('if-match', '"1"')
        .send({ permissions: ['users:read'] })
        .expect(403);
      expect(strip.body.detail).toContain('orders:read:any');
      await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(roleMaker.auth)
        .set('if-match', '"1"')
        .send({ permissions: ['users:read', 'orders:read:any', 'audit:read'] })
        .expect(403);
      const described = await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(roleMaker.auth)
        .set('if-match', '"1"')
        .send({ description: 'Only words changed' })
        .expect(200);
      expect(described.body.version).toBe(2);
    });

    it('validates the body and the id', async () => {
      const role = await createRole([]);
      const bad = await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(admin.auth)
        .set('if-match', '"1"')
        .send({ permissions: ['nope'], name: 'rename' })
        .expect(400);
      expect(fieldsOf(bad)).toEqual(['name']);
      const unknown = await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(admin.auth)
        .set('if-match', '"1"')
        .send({ permissions: ['nope'] })
        .expect(400);
      expect(fieldsOf(unknown)).toEqual(['permissions.0']);
      const badId = await api
        .http()
        .patch('/v1/roles/admin')
        .set(admin.auth)
        .set('if-match', '"1"')
        .send({ description: 'x' })
        .expect(400);
      expect(fieldsOf(badId)).toEqual(['id']);
    });

    it('needs a credential and roles:write', async () => {
      const role = await createRole([]);
      await api.http().patch(`/v1/roles/${role.id}`).send({ description: 'x' }).expect(401);
      await api
        .http()
        .patch(`/v1/roles/${role.id}`)
        .set(auditor.auth)
        .set('if-match', '"1"')
        .send({ description: 'x' })
        .expect(403);
    });
  });

  describe('DELETE /v1/roles/:id', () => {
    it('deletes an unassigned custom role and audits it', async () => {
      const role = await createRole(['users:read']);
      const response = await api.http().delete(`/v1/roles/${role.id}`).set(admin.auth).expect(204);
      await expectAudit(api, response, ['role.deleted']);
      await api.http().delete(`/v1/roles/${role.id}`).set(admin.auth).expect(404);
    });

    it('refuses a role still assigned (409) and built-in roles (409)', async () => {
      const role = await createRole(['users:read']);
      await newUser(api.dataSource, { roles: [role.name] });
      const assigned = await api.http().delete(`/v1/roles/${role.id}`).set(admin.auth).expect(409);
      expect(assigned.body.type).toBe('https://bastion.dev/problems/role-in-use');
      const builtInRole = await api
        .http()
        .delete(`/v1/roles/${builtIn.manager.id}`)
        .set(admin.auth)
        .expect(409);
      expect(builtInRole.body.type).toBe('https://bastion.dev/problems/role-built-in');
    });

    it('answers 400, 401 and 403 where due', async () => {
      const role = await createRole([]);
      await api.http().delete('/v1/roles/12').set(admin.auth).expect(400);
      await api.http().delete(`/v1/roles/${role.id}`).expect(401);
      await api.http().delete(`/v1/roles/${role.id}`).set(auditor.auth).expect(403);
      await api.http().delete(`/v1/roles/${role.id}`).set(customer.auth).expect(403);
    });
  });
});
