import Redis from 'ioredis';
import { authenticator } from 'otplib';
import {
  clientOf,
  closeDenialBuckets,
  login,
  newApiKey,
  newUser,
  nextClientIp,
} from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';
import { expectRetryWithinWindow } from './support/expectations';

const PROBLEMS = 'https://bastion.dev/problems/';
// Two instances share state only through PostgreSQL and Redis; with the embedded defaults each
// instance has its own in-process database and stores, so there is nothing shared to test.
const describeShared = process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;

describeShared('several instances on one database and Redis', () => {
  let env: TestEnvironment;
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    a = await env.start({ LOGIN_RATE_LIMIT_MAX: '4' });
    b = await env.start({ LOGIN_RATE_LIMIT_MAX: '4' });
  });
  afterAll(() => env.close());

  it('logout on A ends the session on B at once', async () => {
    const user = await newUser(a.dataSource);
    const session = await clientOf(a).login(user);
    // B has resolved this caller before, so a stale local view would still let it in.
    await b.http().get('/v1/auth/me').set(session.auth).expect(200);
    await a.http().post('/v1/auth/logout').set(session.auth).expect(204);
    await b.http().get('/v1/auth/me').set(session.auth).expect(401);
    await b
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: session.refreshToken })
      .expect(401);
  });

  it('a revoked session stays revoked when Redis loses its data', async () => {
    const user = await newUser(a.dataSource);
    const session = await clientOf(a).login(user);
    await b.http().get('/v1/auth/me').set(session.auth).expect(200);
    await a.http().post('/v1/auth/logout').set(session.auth).expect(204);
    // A restart without persistence, an eviction or a failover: every key is gone.
    const redis = new Redis(process.env.REDIS_URL as string);
    const keys = await redis.keys(`${env.redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await b.http().get('/v1/auth/me').set(session.auth).expect(401);
    await a.http().get('/v1/auth/me').set(session.auth).expect(401);
  });

  it('a refresh token spent on A and reused on B revokes the family everywhere', async () => {
    const user = await newUser(a.dataSource);
    const session = await clientOf(a).login(user);
    const rotated = await a
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: session.refreshToken })
      .expect(200);
    const newest = { authorization: `Bearer ${rotated.body.accessToken}` };
    await a.http().get('/v1/auth/me').set(newest).expect(200);
    await b
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: session.refreshToken })
      .expect(401);
    await a.http().get('/v1/auth/me').set(newest).expect(401);
    await a
      .http()
      .post('/v1/auth/refresh')
      .send({ refreshToken: rotated.body.refreshToken })
      .expect(401);
  });

  it('an API key revoked on A stops working on B at once', async () => {
    const admin = await login(a, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const apiKey = await newApiKey(a, admin.auth, ['users:read']);
    await b.http().get('/v1/auth/me').set(apiKey.header).expect(200);
    await a.http().delete(`/v1/api-keys/${apiKey.id}`).set(admin.auth).expect(204);
    await b.http().get('/v1/auth/me').set(apiKey.header).expect(401);
  });

  it('a password change on A signs the other session out on B', async () => {
    const user = await newUser(a.dataSource);
    const onA = await clientOf(a).login(user);
    const onB = await clientOf(b).login(user);
    await b.http().get('/v1/auth/me').set(onB.auth).expect(200);
    await a
      .http()
      .post('/v1/auth/password')
      .set(onA.auth)
      .send({ currentPassword: user.password, newPassword: 'changed-on-instance-a' })
      .expect(204);
    await b.http().get('/v1/auth/me').set(onB.auth).expect(401);
    await b.http().get('/v1/auth/me').set(onA.auth).expect(200);
    await clientOf(b).login({ email: user.email, password: 'changed-on-instance-a' });
  });

  it('shares a caller’s rate-limit window across instances, also after Redis forgets its scripts', async () => {
    const limited = [
      await env.start({ RATE_LIMIT_MAX: '4' }),
      await env.start({ RATE_LIMIT_MAX: '4' }),
    ];
    // An address of its own: failed authentications from earlier tests count against the limit.
    const clients = limited.map((instance) => clientOf(instance));
    const user = await newUser(limited[0].dataSource);
    const session = await clients[0].login(user);
    const me = (instance: 0 | 1) => clients[instance].get('/v1/auth/me').set(session.auth);
    await me(0).expect(200);
    await me(1).expect(200);
    // As after a Redis restart: the limiter's script is called by SHA and must be loaded again.
    const redis = new Redis(process.env.REDIS_URL as string);
    await redis.script('FLUSH');
    redis.disconnect();
    await me(0).expect(200);
    await me(1).expect(200);
    await me(0).expect(429);
    await me(1).expect(429);
    await Promise.all(limited.map((instance) => instance.close()));
  });

  it('never lets a caller over the limit when its first requests race on both instances', async () => {
    // 60 a window: each instance leases 3 at a time, renewing in the background.
    const limited = [
      await env.start({ RATE_LIMIT_MAX: '60' }),
      await env.start({ RATE_LIMIT_MAX: '60' }),
    ];
    const clients = limited.map((instance) => clientOf(instance));
    const user = await newUser(limited[0].dataSource);
    const session = await clients[0].login(user);
    const statuses = await Promise.all(
      Array.from({ length: 90 }, async (_, i) => {
        const response = await clients[i % 2].get('/v1/auth/me').set(session.auth);
        return response.status;
      }),
    );
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    const allowed = statuses.filter((status) => status === 200).length;
    expect(allowed).toBeLessThanOrEqual(60);
    // What one instance leased and did not spend is lost to the caller: at most 4 here.
    expect(allowed).toBeGreaterThanOrEqual(56);
    await Promise.all(limited.map((instance) => instance.close()));
  });

  it('counts failed logins across instances: alternating A and B still locks out', async () => {
    const user = await newUser(a.dataSource);
    const [onA, onB] = [clientOf(a), clientOf(b)];
    for (const client of [onA, onB, onA, onB]) {
      await client
        .post('/v1/auth/login')
        .send({ email: user.email, password: 'not-the-password' })
        .expect(401);
    }
    for (const instance of [a, b]) {
      const locked = await clientOf(instance)
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(429);
      expect(locked.body.type).toBe(`${PROBLEMS}login-locked`);
      expectRetryWithinWindow(locked.headers['retry-after']);
    }
  });

  it('writes one event per address, reason and minute for 401s counted on both instances', async () => {
    const ip = nextClientIp();
    const [onA, onB] = [clientOf(a, ip), clientOf(b, ip)];
    for (const client of [onA, onB, onA, onB, onA, onB, onB]) {
      await client.get('/v1/users').set('authorization', 'Bearer forged').expect(401);
    }
    // Both instances saw the bucket, and both try to write it at the same moment.
    await Promise.all([closeDenialBuckets(a), closeDenialBuckets(b)]);
    const rows: { metadata: { count: number; from: string } }[] = await a.dataSource.query(
      `SELECT metadata FROM audit_events WHERE action = 'access.denied' AND ip = $1`,
      [ip],
    );
    // The run may straddle the turn of a minute: then two buckets, each written once.
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(new Set(rows.map((row) => row.metadata.from)).size).toBe(rows.length);
    expect(rows.reduce((sum, row) => sum + row.metadata.count, 0)).toBe(7);
  });

  it('one user’s MFA code is accepted once across instances', async () => {
    const user = await newUser(a.dataSource);
    const session = await clientOf(a).login(user);
    const setup = await a.http().post('/v1/auth/mfa/setup').set(session.auth).expect(200);
    const enableCode = authenticator.generate(setup.body.secret as string);
    await b
      .http()
      .post('/v1/auth/mfa/enable')
      .set(session.auth)
      .send({ otp: enableCode, password: user.password })
      .expect(204);
    const code = authenticator
      .clone({ epoch: Date.now() + 30_000 })
      .generate(setup.body.secret as string);
    await clientOf(a).login(user, code);
    const replay = await clientOf(b)
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password, otp: code })
      .expect(401);
    expect(replay.body.type).toBe(`${PROBLEMS}invalid-otp`);
  });
});
