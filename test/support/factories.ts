import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import * as argon2 from 'argon2';
import { DataSource } from 'typeorm';
import { AnonymousDenialTally } from '../../src/audit/anonymous-denial-tally.service';
import { Role } from '../../src/users/entities/role.entity';
import { User, UserStatus } from '../../src/users/entities/user.entity';
import { TestInstance } from './test-app';

export const DEFAULT_PASSWORD = 'a-long-test-password';

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  auth: { authorization: string };
}

/** Persists a real user row with the given role names (defaults to customer). */
export async function newUser(
  dataSource: DataSource,
  options: {
    roles?: string[];
    email?: string;
    password?: string;
    status?: UserStatus;
    name?: string;
  } = {},
): Promise<TestUser> {
  const password = options.password ?? DEFAULT_PASSWORD;
  const email = options.email ?? `user-${randomUUID().slice(0, 8)}@example.com`;
  const roles = await dataSource
    .getRepository(Role)
    .findBy((options.roles ?? ['customer']).map((name) => ({ name })));
  const user = await dataSource.getRepository(User).save(
    dataSource.getRepository(User).create({
      email,
      name: options.name ?? 'Test User',
      passwordHash: await argon2.hash(password, { type: argon2.argon2id }),
      status: options.status ?? UserStatus.Active,
      mfaEnabled: false,
      roles,
    }),
  );
  return { id: user.id, email, password };
}

export async function login(
  instance: TestInstance,
  user: { email: string; password: string },
): Promise<Session> {
  const response = await instance
    .http()
    .post('/v1/auth/login')
    .send({ email: user.email, password: user.password })
    .expect(200);
  const { accessToken, refreshToken } = response.body as {
    accessToken: string;
    refreshToken: string;
  };
  return { accessToken, refreshToken, auth: { authorization: `Bearer ${accessToken}` } };
}

/** A user with these roles, logged in. */
export async function signedIn(
  instance: TestInstance,
  roles: string[] = ['customer'],
): Promise<TestUser & Session> {
  const user = await newUser(instance.dataSource, { roles });
  return { ...user, ...(await login(instance, user)) };
}

/** Persists a custom role with these permissions. */
export async function newRole(
  dataSource: DataSource,
  permissions: string[],
  name = `role-${randomUUID().slice(0, 8)}`,
): Promise<{ id: string; name: string }> {
  const role = await dataSource.getRepository(Role).save(
    dataSource.getRepository(Role).create({
      name,
      description: 'Test role',
      permissions,
      builtIn: false,
    }),
  );
  return { id: role.id, name: role.name };
}

/** The actions of the audit events that one request wrote, found by its X-Request-Id. */
export async function auditActionsOf(dataSource: DataSource, requestId: string): Promise<string[]> {
  const rows: { action: string }[] = await dataSource.query(
    'SELECT action FROM audit_events WHERE request_id = $1 ORDER BY occurred_at',
    [requestId],
  );
  return rows.map((row) => row.action);
}

let loopbackClients = 0;

/**
 * A distinct client address. Linux routes all of 127.0.0.0/8 to the loopback interface, so a
 * socket bound to 127.1.x.y reaches the app, which sees a different IP: per-IP limits (login
 * lockout, throttling) then count each test's client apart.
 */
export function nextClientIp(): string {
  loopbackClients += 1;
  return `127.1.${Math.floor(loopbackClients / 250)}.${(loopbackClients % 250) + 1}`;
}

export interface Client {
  ip: string;
  get(path: string): ReturnType<ReturnType<TestInstance['http']>['get']>;
  post(path: string): ReturnType<ReturnType<TestInstance['http']>['post']>;
  delete(path: string): ReturnType<ReturnType<TestInstance['http']>['delete']>;
  /** Logs in from this client's address; `otp` for users with MFA. */
  login(user: { email: string; password: string }, otp?: string): Promise<Session>;
}

/** Requests to `instance` from their own client address (see `nextClientIp`). */
export function clientOf(instance: TestInstance, ip = nextClientIp()): Client {
  const agent = new Agent({ localAddress: ip });
  const client: Client = {
    ip,
    get: (path) => instance.http().get(path).agent(agent),
    post: (path) => instance.http().post(path).agent(agent),
    delete: (path) => instance.http().delete(path).agent(agent),
    login: async (user, otp) => {
      const response = await client
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password, ...(otp ? { otp } : {}) })
        .expect(200);
      const { accessToken, refreshToken } = response.body as {
        accessToken: string;
        refreshToken: string;
      };
      return { accessToken, refreshToken, auth: { authorization: `Bearer ${accessToken}` } };
    },
  };
  return client;
}

export interface CreatedApiKey {
  id: string;
  prefix: string;
  key: string;
  header: { 'x-api-key': string };
}

/** Creates an API key through the API as the caller behind `auth`. */
export async function newApiKey(
  instance: TestInstance,
  auth: Record<string, string>,
  permissions: string[],
  options: { name?: string; expiresAt?: string } = {},
): Promise<CreatedApiKey> {
  const response = await instance
    .http()
    .post('/v1/api-keys')
    .set(auth)
    .send({ name: options.name ?? 'test key', permissions, expiresAt: options.expiresAt })
    .expect(201);
  const { id, prefix, key } = response.body as { id: string; prefix: string; key: string };
  return { id, prefix, key, header: { 'x-api-key': key } };
}

/** The session id (`sid` claim) of an access token. */
export function sessionIdOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as {
    sid: string;
  };
  return payload.sid;
}

/** Every audit row as JSON text, to search for values that must never be recorded. */
export async function auditText(dataSource: DataSource): Promise<string> {
  return JSON.stringify(await dataSource.query('SELECT * FROM audit_events'));
}

/**
 * Writes the anonymous 401 events an instance is still counting, as it would once their minute
 * is over: its closing pass is handed a time a few minutes on instead of waiting for it.
 */
export async function closeDenialBuckets(instance: TestInstance): Promise<void> {
  await instance.app.get(AnonymousDenialTally).closeDue(Date.now() + 3 * 60_000);
}

/** The `field` of each entry of a problem body's `errors`. */
export function errorFields(body: unknown): string[] {
  return ((body as { errors?: { field: string }[] }).errors ?? []).map((error) => error.field);
}

export interface OrderItemInput {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

/** Creates an order through the API as the caller behind `auth`; the body merges `body`. */
export async function newOrder(
  instance: TestInstance,
  auth: Record<string, string>,
  body: { items?: OrderItemInput[]; currency?: string; customerId?: string; note?: string } = {},
): Promise<{ id: string; total: number; version: number; customerId: string }> {
  const response = await instance
    .http()
    .post('/v1/orders')
    .set(auth)
    .send({
      currency: 'EUR',
      items: [{ sku: 'SKU-1', name: 'Widget', quantity: 2, unitPrice: 1500 }],
      ...body,
    })
    .expect(201);
  return response.body as { id: string; total: number; version: number; customerId: string };
}
