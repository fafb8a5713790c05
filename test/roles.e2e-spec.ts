import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { ALL_PERMISSIONS, PERMISSION_DESCRIPTIONS } from '../libs/rbac/src';
import { auditActionsOf, login, newRole, newUser, Session, signedIn } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

interface RoleBody {
  id: string;
  name: string;
  permissions: string[];
  builtIn: boolean;
  version: number;
}

function fieldsOf(response: Response): string[] {
  return (response.body.errors as { field: string }[]).map((error) => error.field).sort();
}

const uniqueName = (stem: string) => `${stem}-${randomUUID().slice(0, 8)}`;

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

  async function expectAudit(response: Response, action: string): Promise<void> {
    const requestId = response.headers['x-request-id'];
    expect(await auditActionsOf(api.dataSource, requestId)).toEqual([action]);
  }

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
    const roles = await api.http().get('/v1/roles').set(admin.auth).expect(200);
    builtIn = Object.fromEntries((roles.body.data as RoleBody[]).map((role) => [role.name, role]));
  });
  afterAll(() => env.close());

  describe('GET /v1/permissions', () => {
    it('lists the whole catalogue with descriptions', async () => {
      const response = await api.http().get('/v1/permissions').set(auditor.auth).expect(200);
      expect(response.body.data).toEqual(
        ALL_PERMISSIONS.map((name) => ({ name, description: PERMISSION_DESCRIPTIONS[name] })),
      );
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
      await expectAudit(response, 'role.created');
      const listed = await api.http().get('/v1/roles').set(admin.auth).expect(200);
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
      await expectAudit(response, 'role.updated');

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
      await expectAudit(response, 'role.deleted');
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
