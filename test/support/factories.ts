import { randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { DataSource } from 'typeorm';
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
