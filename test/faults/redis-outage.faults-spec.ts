import {
  Account,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  AppProcess,
  call,
  expectStatus,
  FaultCluster,
  isProblem,
  loginAs,
  newAccount,
  orderBody,
  Outcome,
} from './support/app';
import { waitFor } from './support/services';

const LIMIT = 30;
const FAST_MS = 3000;

/**
 * Redis (this test's own redis-server) is killed under two instances. Documented behaviour:
 * rate limits fall back to each instance's memory; authentication, sessions and permissions are
 * read from PostgreSQL; a revocation that cannot reach Redis answers 503 `/revocation-unavailable`
 * (it is saved in PostgreSQL first). When Redis comes back, everything recovers without restart.
 */
describe('Redis outage', () => {
  let cluster: FaultCluster;
  let a: AppProcess;
  let b: AppProcess;
  let admin: string;
  let user: Account;
  let other: Account;
  let limited: Account;
  let pids: number[];
  const slow: string[] = [];

  const timed = async (base: string, method: string, path: string, options = {}) => {
    const outcome: Outcome = await call(base, method, path, options);
    if (outcome.ms > FAST_MS) slow.push(`${method} ${path} ${outcome.status} in ${outcome.ms} ms`);
    return outcome;
  };

  beforeAll(async () => {
    cluster = await FaultCluster.create();
    a = cluster.instance('a', { RATE_LIMIT_MAX: String(LIMIT) });
    b = cluster.instance('b', { RATE_LIMIT_MAX: String(LIMIT) });
    await cluster.start(a, b);
    pids = [a.pid, b.pid];
    admin = (await loginAs(a.url, ADMIN_EMAIL, ADMIN_PASSWORD)).token;
    user = await newAccount(a.url, admin);
    other = await newAccount(a.url, admin);
    limited = await newAccount(a.url, admin);
    // Both instances have cached this caller's grants and session in Redis.
    for (const instance of [a, b]) {
      await expectStatus(200, instance.url, 'GET', '/v1/auth/me', { token: user.token });
      await expectStatus(200, instance.url, 'GET', '/v1/auth/me', { token: other.token });
    }
    await cluster.redis.kill();
  }, 180_000);
  afterAll(() => cluster?.close(), 60_000);

  it('readiness reports the shared store down', async () => {
    await waitFor(
      'readiness to report Redis down',
      async () => (await call(a.url, 'GET', '/health/ready')).status === 503,
      15_000,
    );
    const ready = await call(b.url, 'GET', '/health/ready');
    expect(isProblem(ready, 503)).toBe(true);
  });

  it('authenticated requests keep working on both instances (checks read PostgreSQL)', async () => {
    for (const instance of [a, b]) {
      const me = await timed(instance.url, 'GET', '/v1/auth/me', { token: user.token });
      expect(me.status).toBe(200);
      const order = await timed(instance.url, 'POST', '/v1/orders', {
        token: user.token,
        body: orderBody(),
      });
      expect(order.status).toBe(201);
      // Permissions still apply: a customer may not list users.
      expect((await timed(instance.url, 'GET', '/v1/users', { token: user.token })).status).toBe(
        403,
      );
    }
    expect(slow).toEqual([]);
  });

  it('login keeps working', async () => {
    const login = await timed(b.url, 'POST', '/v1/auth/login', {
      body: { email: user.email, password: user.password },
    });
    expect(login.status).toBe(200);
    const me = await timed(a.url, 'GET', '/v1/auth/me', {
      token: login.body.accessToken,
    });
    expect(me.status).toBe(200);
    expect(slow).toEqual([]);
  });

  it('rate limiting keeps working, per instance, without 500s', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i += 1) {
      statuses.push((await timed(a.url, 'GET', '/v1/auth/me', { token: limited.token })).status);
    }
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    // B holds its own count meanwhile: weaker than shared, never open and never an error.
    const onB = await timed(b.url, 'GET', '/v1/auth/me', { token: limited.token });
    expect(onB.status).toBe(200);
    const metrics = await call(a.url, 'GET', '/metrics');
    expect(String(metrics.body)).toMatch(/bastion_rate_limit_local_fallback_total \d*[1-9]/);
    expect(slow).toEqual([]);
  });

  it('logout answers 503 problem+json /revocation-unavailable, and the session still ends', async () => {
    const logout = await timed(a.url, 'POST', '/v1/auth/logout', { token: other.token });
    expect(isProblem(logout, 503, 'revocation-unavailable')).toBe(true);
    // Saved in PostgreSQL first; with Redis away both instances read the session from there.
    for (const instance of [a, b]) {
      expect((await timed(instance.url, 'GET', '/v1/auth/me', { token: other.token })).status).toBe(
        401,
      );
    }
    expect(slow).toEqual([]);
  });

  it('when Redis comes back, everything recovers without restarting the app', async () => {
    await cluster.redis.start();
    for (const instance of [a, b]) await instance.ready(30_000);
    expect([a.pid, b.pid]).toEqual(pids);
    // The revocation made during the outage holds (Redis came back empty; PostgreSQL has it).
    await expectStatus(401, b.url, 'GET', '/v1/auth/me', { token: other.token });
    // Logout propagates again.
    const fresh = await loginAs(a.url, user.email, user.password);
    await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token: fresh.token });
    await expectStatus(204, a.url, 'POST', '/v1/auth/logout', { token: fresh.token });
    await expectStatus(401, b.url, 'GET', '/v1/auth/me', { token: fresh.token });
    // Limits are shared again: alternating A and B counts against one limit.
    const shared = await newAccount(b.url, admin);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 6; i += 1) {
      statuses.push(
        (await call(i % 2 ? b.url : a.url, 'GET', '/v1/auth/me', { token: shared.token })).status,
      );
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(LIMIT);
    expect(statuses.slice(LIMIT).every((s) => s === 429)).toBe(true);
  });
});
