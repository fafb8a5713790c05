import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { UserStatus } from '../src/users/entities/user.entity';
import {
  CreatedApiKey,
  login,
  newApiKey,
  newRole,
  newUser,
  Session,
  signedIn,
  TestUser,
} from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

const GRANT_EXCEEDS_CALLER = 'https://bastion.dev/problems/grant-exceeds-caller';
const CUSTOMER_PERMISSIONS = [
  'orders:read:own',
  'orders:create:own',
  'orders:cancel:own',
  'payments:read:own',
  'payments:create:own',
];

type Caller = TestUser & Session;

/** The grant rule over people: nobody manages a user who holds a permission they lack. */
describe('users: the grant rule covers people', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;
  /** users:read + users:write only: the support role of the review. */
  let support: Caller;
  let supportRole: string;
  /** users:read, users:write and every customer permission. */
  let customerSupport: Caller;
  /** users:read, users:write, roles:assign and every customer permission, but no more. */
  let assigner: Caller;

  const email = () => `grant-${randomUUID().slice(0, 8)}@example.com`;

  async function current(id: string): Promise<Response> {
    return api.http().get(`/v1/users/${id}`).set(admin.auth).expect(200);
  }

  /** What a refused attempt must leave behind: one access.denied naming the problem, no change. */
  async function expectDenied(response: Response, route: string): Promise<void> {
    expect(response.status).toBe(403);
    expect(response.body.type).toBe(GRANT_EXCEEDS_CALLER);
    const rows: { action: string; outcome: string; resource_id: string; metadata: object }[] =
      await api.dataSource.query(
        `SELECT action, outcome, resource_id, metadata FROM audit_events WHERE request_id = $1`,
        [response.headers['x-request-id']],
      );
    expect(rows).toEqual([
      {
        action: 'access.denied',
        outcome: 'denied',
        resource_id: route,
        metadata: expect.objectContaining({
          reason: 'forbidden',
          status: 403,
          problem: 'grant-exceeds-caller',
        }),
      },
    ]);
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    supportRole = (await newRole(api.dataSource, ['users:read', 'users:write'])).name;
    const customerSupportRole = await newRole(api.dataSource, [
      'users:read',
      'users:write',
      ...CUSTOMER_PERMISSIONS,
    ]);
    const assignerRole = await newRole(api.dataSource, [
      'users:read',
      'users:write',
      'roles:assign',
      ...CUSTOMER_PERMISSIONS,
    ]);
    [support, customerSupport, assigner] = await Promise.all([
      signedIn(api, [supportRole]),
      signedIn(api, [customerSupportRole.name]),
      signedIn(api, [assignerRole.name]),
    ]);
  });
  afterAll(() => env.close());

  it('refuses a users:write role PATCH (email), disable, enable and DELETE of an admin', async () => {
    const target = await newUser(api.dataSource, { roles: ['admin'] });
    const disabledAdmin = await newUser(api.dataSource, {
      roles: ['admin'],
      status: UserStatus.Disabled,
    });
    const before = await current(target.id);

    const patched = await api
      .http()
      .patch(`/v1/users/${target.id}`)
      .set(support.auth)
      .set('if-match', before.headers.etag)
      .send({ email: email() });
    await expectDenied(patched, 'PATCH /v1/users/:id');
    expect(patched.body.detail).toContain('roles:assign');
    const disabled = await api.http().post(`/v1/users/${target.id}/disable`).set(support.auth);
    await expectDenied(disabled, 'POST /v1/users/:id/disable');
    const deleted = await api.http().delete(`/v1/users/${target.id}`).set(support.auth);
    await expectDenied(deleted, 'DELETE /v1/users/:id');
    const enabled = await api.http().post(`/v1/users/${disabledAdmin.id}/enable`).set(support.auth);
    await expectDenied(enabled, 'POST /v1/users/:id/enable');

    const after = await current(target.id);
    expect(after.body).toEqual(before.body);
    expect(after.body).toMatchObject({ roles: ['admin'], status: 'active', email: target.email });
    expect((await current(disabledAdmin.id)).body).toMatchObject({
      roles: ['admin'],
      status: 'disabled',
    });
    const session = await login(api, target);
    await api.http().get('/v1/users').set(session.auth).expect(200);
  });

  it('refuses a name change of an admin too: the rule is about whom, not which field', async () => {
    const target = await newUser(api.dataSource, { roles: ['admin'], name: 'Kept' });
    const refused = await api
      .http()
      .patch(`/v1/users/${target.id}`)
      .set(support.auth)
      .set('if-match', (await current(target.id)).headers.etag)
      .send({ name: 'Renamed' });
    await expectDenied(refused, 'PATCH /v1/users/:id');
    expect((await current(target.id)).body.name).toBe('Kept');
  });

  it('lets the same caller manage a user whose permissions it holds', async () => {
    const peer = await newUser(api.dataSource, { roles: [supportRole] });
    const renamed = await api
      .http()
      .patch(`/v1/users/${peer.id}`)
      .set(support.auth)
      .set('if-match', (await current(peer.id)).headers.etag)
      .send({ email: email(), name: 'Peer' })
      .expect(200);
    expect(renamed.body.name).toBe('Peer');
    await api.http().post(`/v1/users/${peer.id}/disable`).set(support.auth).expect(200);
    await api.http().post(`/v1/users/${peer.id}/enable`).set(support.auth).expect(200);
    await api.http().delete(`/v1/users/${peer.id}`).set(support.auth).expect(204);
  });

  it('keeps a customer out of reach of a role without the customer permissions', async () => {
    const customer = await newUser(api.dataSource, { roles: ['customer'] });
    const disabled = await api.http().post(`/v1/users/${customer.id}/disable`).set(support.auth);
    await expectDenied(disabled, 'POST /v1/users/:id/disable');
    expect(disabled.body.detail).toContain('orders:create:own');
  });

  it('lets a role holding the customer permissions manage a customer, not an admin', async () => {
    const customer = await newUser(api.dataSource, { roles: ['customer'] });
    await api
      .http()
      .patch(`/v1/users/${customer.id}`)
      .set(customerSupport.auth)
      .set('if-match', (await current(customer.id)).headers.etag)
      .send({ email: email() })
      .expect(200);
    await api.http().post(`/v1/users/${customer.id}/disable`).set(customerSupport.auth).expect(200);
    await api.http().post(`/v1/users/${customer.id}/enable`).set(customerSupport.auth).expect(200);
    await api.http().delete(`/v1/users/${customer.id}`).set(customerSupport.auth).expect(204);

    const target = await newUser(api.dataSource, { roles: ['admin'] });
    const refused = await api
      .http()
      .post(`/v1/users/${target.id}/disable`)
      .set(customerSupport.auth);
    await expectDenied(refused, 'POST /v1/users/:id/disable');
    expect((await current(target.id)).body.status).toBe('active');
  });

  it('refuses a roles:assign holder the roles of an admin, even a change it could grant', async () => {
    const target = await newUser(api.dataSource, { roles: ['admin'] });
    const before = await current(target.id);
    for (const roles of [['admin', 'customer'], ['admin'], ['customer']]) {
      const refused = await api
        .http()
        .put(`/v1/users/${target.id}/roles`)
        .set(assigner.auth)
        .send({ roles });
      await expectDenied(refused, 'PUT /v1/users/:id/roles');
    }
    expect((await current(target.id)).body).toEqual(before.body);

    const customer = await newUser(api.dataSource, { roles: ['customer'] });
    const stripped = await api
      .http()
      .put(`/v1/users/${customer.id}/roles`)
      .set(assigner.auth)
      .send({ roles: [] })
      .expect(200);
    expect(stripped.body.roles).toEqual([]);
  });

  describe('through an API key', () => {
    let key: CreatedApiKey;

    beforeAll(async () => {
      key = await newApiKey(api, admin.auth, ['users:read', 'users:write']);
    });

    it('holds what the key holds, not what its creator holds', async () => {
      const target = await newUser(api.dataSource, { roles: ['admin'] });
      const before = await current(target.id);
      const patched = await api
        .http()
        .patch(`/v1/users/${target.id}`)
        .set(key.header)
        .set('if-match', before.headers.etag)
        .send({ email: email() });
      await expectDenied(patched, 'PATCH /v1/users/:id');
      const disabled = await api.http().post(`/v1/users/${target.id}/disable`).set(key.header);
      await expectDenied(disabled, 'POST /v1/users/:id/disable');
      const deleted = await api.http().delete(`/v1/users/${target.id}`).set(key.header);
      await expectDenied(deleted, 'DELETE /v1/users/:id');
      expect((await current(target.id)).body).toEqual(before.body);
    });

    it('still manages a user the key covers', async () => {
      const peer = await newUser(api.dataSource, { roles: [supportRole] });
      await api.http().post(`/v1/users/${peer.id}/disable`).set(key.header).expect(200);
      await api.http().delete(`/v1/users/${peer.id}`).set(key.header).expect(204);
    });
  });

  it('still lets anyone rename themself', async () => {
    const own = await current(support.id);
    const renamed = await api
      .http()
      .patch(`/v1/users/${support.id}`)
      .set(support.auth)
      .set('if-match', own.headers.etag)
      .send({ name: 'Support Desk' })
      .expect(200);
    expect(renamed.body.name).toBe('Support Desk');
  });
});
