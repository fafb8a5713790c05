import { randomUUID } from 'node:crypto';
import {
  Account,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  AppProcess,
  call,
  expectStatus,
  FaultCluster,
  loginAs,
  newAccount,
  orderBody,
  verifyAudit,
} from './support/app';
import { waitFor } from './support/services';

/**
 * Two real processes on one PostgreSQL and one Redis: what one instance changes, the other
 * enforces at the next request, and money moves once however the requests are spread.
 */
describe('several instances (two processes, one PostgreSQL, one Redis)', () => {
  let cluster: FaultCluster;
  let a: AppProcess;
  let b: AppProcess;
  let admin: string;

  beforeAll(async () => {
    cluster = await FaultCluster.create();
    a = cluster.instance('a', { RATE_LIMIT_MAX: '100' });
    b = cluster.instance('b', { RATE_LIMIT_MAX: '100' });
    await cluster.start(a, b);
    admin = (await loginAs(a.url, ADMIN_EMAIL, ADMIN_PASSWORD)).token;
  }, 180_000);
  afterAll(() => cluster?.close(), 60_000);

  it('logout on A ends the session on B at the next request', async () => {
    const user = await newAccount(a.url, admin);
    // B has resolved this caller before, so a stale local view would still let it in.
    await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token: user.token });
    await expectStatus(204, a.url, 'POST', '/v1/auth/logout', { token: user.token });
    await expectStatus(401, b.url, 'GET', '/v1/auth/me', { token: user.token });
    await expectStatus(401, b.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: user.refreshToken },
    });
  });

  it('disabling a user on A locks them out on B at the next request', async () => {
    const user = await newAccount(a.url, admin);
    await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token: user.token });
    await expectStatus(200, a.url, 'POST', `/v1/users/${user.id}/disable`, { token: admin });
    await expectStatus(401, b.url, 'GET', '/v1/auth/me', { token: user.token });
  });

  it('a role change on A takes the permission away on B at the next request', async () => {
    const manager = await newAccount(a.url, admin, ['manager']);
    await expectStatus(200, b.url, 'GET', '/v1/users', { token: manager.token });
    await expectStatus(200, a.url, 'PUT', `/v1/users/${manager.id}/roles`, {
      token: admin,
      body: { roles: ['customer'] },
    });
    await expectStatus(403, b.url, 'GET', '/v1/users', { token: manager.token });
  });

  it('an API key revoked on A stops working on B at the next request', async () => {
    const created = await expectStatus(201, a.url, 'POST', '/v1/api-keys', {
      token: admin,
      body: { name: 'fault test key', permissions: ['users:read'] },
    });
    const header = { 'x-api-key': created.body.key as string };
    await expectStatus(200, b.url, 'GET', '/v1/users', { headers: header });
    await expectStatus(204, a.url, 'DELETE', `/v1/api-keys/${created.body.id}`, { token: admin });
    await expectStatus(401, b.url, 'GET', '/v1/users', { headers: header });
  });

  it('rate limits are shared: requests alternating A and B count against one limit', async () => {
    const user = await newAccount(a.url, admin);
    const statuses: number[] = [];
    for (let i = 0; i < 130; i += 1) {
      const outcome = await call(i % 2 ? b.url : a.url, 'GET', '/v1/auth/me', {
        token: user.token,
      });
      statuses.push(outcome.status);
    }
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // The limit is 100 per minute per caller, across instances (one instance alone would allow
    // 100). Each instance leases 5 at a time and renews at half, so at most 7 leased on the
    // other instance go unspent: never over the limit, at most that much under it.
    const allowed = statuses.filter((s) => s === 200).length;
    expect(allowed).toBeLessThanOrEqual(100);
    expect(allowed).toBeGreaterThanOrEqual(93);
    expect(statuses.slice(110)).toEqual(Array(20).fill(429));
  });

  it('one Idempotency-Key sent to A and B at once makes one payment', async () => {
    const customer = await newAccount(a.url, admin);
    const order = await expectStatus(201, a.url, 'POST', '/v1/orders', {
      token: customer.token,
      body: orderBody(),
    });
    const key = randomUUID();
    const pay = (base: string) =>
      call(base, 'POST', `/v1/orders/${order.body.id}/payments`, {
        token: customer.token,
        headers: { 'idempotency-key': key },
        body: { paymentMethod: { type: 'card', token: 'tok_visa' } },
      });
    const outcomes = await Promise.all([pay(a.url), pay(b.url), pay(a.url), pay(b.url)]);
    const statuses = outcomes.map((o) => o.status);
    // The first claims the key; the others replay it (201) or find it still running (409).
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const ids = new Set(outcomes.filter((o) => o.status === 201).map((o) => String(o.body.id)));
    expect(ids.size).toBe(1);
    const payments = await cluster.pg.query('SELECT id FROM payments WHERE order_id = $1', [
      order.body.id,
    ]);
    expect(payments).toHaveLength(1);
    // A retry after the race replays the one payment.
    const retry = await pay(b.url);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(payments[0].id);
  });

  it('10 concurrent refunds across A and B never exceed the capture', async () => {
    const customer = await newAccount(a.url, admin);
    const order = await expectStatus(201, a.url, 'POST', '/v1/orders', {
      token: customer.token,
      body: orderBody([{ sku: 'R', name: 'Refundable', quantity: 1, unitPrice: 10_000 }]),
    });
    const payment = await expectStatus(201, b.url, 'POST', `/v1/orders/${order.body.id}/payments`, {
      token: customer.token,
      headers: { 'idempotency-key': randomUUID() },
      body: { paymentMethod: { type: 'card', token: 'tok_visa' } },
    });
    expect(payment.body.status).toBe('succeeded');
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(i % 2 ? b.url : a.url, 'POST', `/v1/payments/${payment.body.id}/refunds`, {
          token: admin,
          headers: { 'idempotency-key': randomUUID() },
          body: { amount: 1500 },
        }),
      ),
    );
    const statuses = outcomes.map((o) => o.status);
    expect(statuses.filter((s) => s !== 201 && s !== 409 && s !== 422)).toEqual([]);
    const accepted = statuses.filter((s) => s === 201).length;
    expect(accepted).toBeLessThanOrEqual(6);
    const [row] = await cluster.pg.query<{ refunded: string; paid: string; rows: string }>(
      `SELECT o.amount_refunded::text AS refunded, o.amount_paid::text AS paid,
              (SELECT COALESCE(sum(r.amount), 0) FROM refunds r
                WHERE r.payment_id = $2 AND r.status <> 'failed')::text AS rows
         FROM orders o WHERE o.id = $1`,
      [order.body.id, payment.body.id],
    );
    expect(Number(row.rows)).toBeLessThanOrEqual(10_000);
    expect(Number(row.refunded)).toBeLessThanOrEqual(Number(row.paid));
    expect(Number(row.rows)).toBe(accepted * 1500);
  });

  it('the audit chain verifies after concurrent writes on both instances', async () => {
    const customers: Account[] = [];
    for (let i = 0; i < 4; i += 1) customers.push(await newAccount(i % 2 ? b.url : a.url, admin));
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(i % 2 ? b.url : a.url, 'POST', '/v1/orders', {
          token: customers[i % customers.length].token,
          body: orderBody(),
        }),
      ),
    );
    expect(outcomes.map((o) => o.status).filter((s) => s !== 201)).toEqual([]);
    const verdict = await verifyAudit(b.url, admin, cluster.pg);
    expect(verdict.unsealed).toBe(0);
    expect(verdict.valid).toBe(true);
    expect(verdict.checked).toBeGreaterThan(40);
  });

  describe('what each instance remembers of access (memory, invalidated over Redis pub/sub)', () => {
    const broadcastNumber = 'bastion:broadcast:number';

    const revokeInDatabaseOnly = (sessionToken: string) =>
      cluster.pg.query(
        `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'logout'
          WHERE id = $1 AND revoked_at IS NULL`,
        [sessionIdOf(sessionToken)],
      );

    it('a subscriber that missed messages drops what it remembers', async () => {
      const user = await newAccount(a.url, admin);
      await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token: user.token });
      // A revocation whose message never reached B, as if lost: B's memory still says active...
      await revokeInDatabaseOnly(user.token);
      await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token: user.token });
      // ...until the numbering shows a gap: the next beat carries a number B has not seen.
      await cluster.redis.command('INCRBY', broadcastNumber, '3');
      await waitFor(
        'B to notice the gap',
        async () => (await call(b.url, 'GET', '/v1/auth/me', { token: user.token })).status === 401,
        5_000,
        100,
      );
    });

    it('a subscription cut by Redis stops B trusting its memory', async () => {
      const user = await newAccount(a.url, admin);
      await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token: user.token });
      await revokeInDatabaseOnly(user.token);
      await cluster.redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
      // As soon as B sees the connection close, or at the latest after 2 s of silence; the
      // grants' own 60 s expiry is far off.
      await waitFor(
        'B to stop trusting its memory',
        async () => (await call(b.url, 'GET', '/v1/auth/me', { token: user.token })).status === 401,
        3_000,
        50,
      );
    });

    it('an instance that was frozen while a revocation was published honours it when it wakes', async () => {
      const user = await newAccount(a.url, admin);
      await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token: user.token });
      b.signal('SIGSTOP');
      try {
        // A waits for B's acknowledgement until B has been silent long enough to distrust itself.
        const started = Date.now();
        await expectStatus(204, a.url, 'POST', '/v1/auth/logout', { token: user.token });
        expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      } finally {
        b.signal('SIGCONT');
      }
      await expectStatus(401, b.url, 'GET', '/v1/auth/me', { token: user.token });
    });

    it('Redis restarts while a revocation is published: the session ends on every instance', async () => {
      const user = await newAccount(a.url, admin);
      const other = await newAccount(a.url, admin);
      for (const token of [user.token, other.token]) {
        await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token });
      }
      const logout = call(a.url, 'POST', '/v1/auth/logout', { token: user.token });
      await cluster.redis.kill();
      // Either it was published before Redis went (204), or it could not be (503); saved either way.
      expect([204, 503]).toContain((await logout).status);
      await expectStatus(401, b.url, 'GET', '/v1/auth/me', { token: user.token });
      await cluster.redis.start();
      for (const instance of [a, b]) await instance.ready(30_000);
      await expectStatus(401, b.url, 'GET', '/v1/auth/me', { token: user.token });
      // After the restart, revocations propagate through the new Redis again.
      await expectStatus(200, b.url, 'GET', '/v1/auth/me', { token: other.token });
      await expectStatus(204, a.url, 'POST', '/v1/auth/logout', { token: other.token });
      await expectStatus(401, b.url, 'GET', '/v1/auth/me', { token: other.token });
    });
  });
});

function sessionIdOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as {
    sid: string;
  };
  return payload.sid;
}
