import { randomUUID } from 'node:crypto';
import { requestFingerprint } from '../src/payments/idempotency/idempotency.interceptor';
import {
  ClaimOutcome,
  IdempotencyClaim,
  IdempotencyScope,
  IdempotencyService,
} from '../src/payments/idempotency/idempotency.service';
import { PaymentsReconciler } from '../src/payments/payments-reconciler.service';
import { PaymentProviders } from '../src/payments/providers/payment-providers';
import { auditActionsOf, newOrder, signedIn } from './support/factories';
import { Caller, oneItem, payOrder, PROBLEMS, VISA } from './support/payments';
import { TestEnvironment, TestInstance } from './support/test-app';

function claimOf(outcome: ClaimOutcome): IdempotencyClaim {
  if (outcome.kind !== 'claimed') throw new Error('expected the key to be claimed');
  return outcome.claim;
}

/**
 * A request killed mid-way (kill -9) answers nothing and leaves its Idempotency-Key held, maybe
 * with a pending payment or refund it recorded, maybe with a charge the provider made. These
 * tests rebuild that state in the database and check that a retry with the same key gets a
 * definitive answer once the dead request's lease has run out, and that nothing is charged twice.
 */
describe('payments: a retry after the request holding its key was cut short', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let alice: Caller;
  let manager: Caller;

  function pay(orderId: string, key: string, body: object = VISA) {
    return payOrder(api, alice.auth, orderId, { key, body });
  }

  /**
   * The key as a dead request leaves it: `in_progress`, its lease over (or `leaseSeconds` left),
   * tied to the payment or refund the request recorded, if any.
   */
  async function heldKey(
    caller: Caller,
    path: string,
    body: object,
    options: { attemptId?: string; leaseSeconds?: number } = {},
  ): Promise<string> {
    const key = randomUUID();
    await api.dataSource.query(
      `INSERT INTO idempotency_keys (actor_type, actor_id, key, request_fingerprint, state,
                                     lease_token, locked_until, attempt_id, expires_at)
       VALUES ('user', $1, $2, $3, 'in_progress', gen_random_uuid(),
               now() + make_interval(secs => $4), $5, now() + interval '1 day')`,
      [
        caller.id,
        key,
        requestFingerprint('POST', path, body),
        options.leaseSeconds ?? -1,
        options.attemptId ?? null,
      ],
    );
    return key;
  }

  /** What the first transaction of a payment leaves: a pending row, committed. */
  async function pendingPayment(orderId: string, amount: number): Promise<string> {
    const [{ id }] = await api.dataSource.query(
      `INSERT INTO payments (order_id, status, amount, currency, provider)
       VALUES ($1, 'pending', $2, 'EUR', 'sandbox') RETURNING id`,
      [orderId, amount],
    );
    return id as string;
  }

  function provider() {
    return api.app.get(PaymentProviders).default();
  }

  async function paymentRows(orderId: string): Promise<{ id: string; status: string }[]> {
    return api.dataSource.query(
      'SELECT id, status FROM payments WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    );
  }

  /** Charges the provider made for this payment: its ledger holds one row per idempotency key. */
  async function providerCharges(paymentId: string): Promise<{ status: string }[]> {
    return api.dataSource.query(
      `SELECT status FROM sandbox_operations WHERE key = $1 AND kind = 'charge'`,
      [paymentId],
    );
  }

  async function orderOf(id: string): Promise<Record<string, unknown>> {
    const response = await api.http().get(`/v1/orders/${id}`).set(manager.auth).expect(200);
    return response.body as Record<string, unknown>;
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    [alice, manager] = await Promise.all([signedIn(api), signedIn(api, ['manager'])]);
  });
  afterAll(() => env.close());

  it('runs the request afresh when the cut request recorded nothing', async () => {
    const order = await newOrder(api, alice.auth, oneItem(500));
    const key = await heldKey(alice, `/v1/orders/${order.id}/payments`, VISA);
    const retry = await pay(order.id, key).expect(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.body).toMatchObject({ status: 'succeeded', amount: 500 });
    expect(await paymentRows(order.id)).toEqual([{ id: retry.body.id, status: 'succeeded' }]);
    const again = await pay(order.id, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(retry.body);
  });

  it('settles the payment the cut request recorded from the provider’s capture, charging once', async () => {
    const order = await newOrder(api, alice.auth, oneItem(700));
    const paymentId = await pendingPayment(order.id, 700);
    // The provider captured the charge; the process died before recording the answer.
    await provider().charge({ key: paymentId, amount: 700, currency: 'EUR', token: 'tok_visa' });
    const key = await heldKey(alice, `/v1/orders/${order.id}/payments`, VISA, {
      attemptId: paymentId,
    });

    const retry = await pay(order.id, key).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toMatchObject({ id: paymentId, status: 'succeeded', amount: 700 });
    expect(retry.body.providerRef).toMatch(/^ch_sbx_/);
    expect(await paymentRows(order.id)).toEqual([{ id: paymentId, status: 'succeeded' }]);
    expect(await providerCharges(paymentId)).toEqual([{ status: 'succeeded' }]);
    expect(await orderOf(order.id)).toMatchObject({ status: 'paid', amountPaid: 700 });
    expect(await auditActionsOf(api.dataSource, retry.headers['x-request-id'])).toEqual([
      'payment.succeeded',
      'order.paid',
    ]);

    const again = await pay(order.id, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(retry.body);
    expect(await api.app.get(PaymentsReconciler).reconcile(0)).toMatchObject({ payments: 0 });
    expect((await orderOf(order.id)).amountPaid).toBe(700);
  });

  it('closes the payment the provider never received as failed, for good', async () => {
    const order = await newOrder(api, alice.auth, oneItem(800));
    const paymentId = await pendingPayment(order.id, 800);
    const key = await heldKey(alice, `/v1/orders/${order.id}/payments`, VISA, {
      attemptId: paymentId,
    });

    const retry = await pay(order.id, key).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toMatchObject({
      id: paymentId,
      status: 'failed',
      failureCode: 'abandoned',
    });
    expect(await orderOf(order.id)).toMatchObject({ status: 'pending', amountPaid: 0 });
    // Should the lost charge reach the provider now, it is refused.
    const late = await provider().charge({
      key: paymentId,
      amount: 800,
      currency: 'EUR',
      token: 'tok_visa',
    });
    expect(late.status).toBe('failed');
    expect((await pay(order.id, key).expect(201)).body).toEqual(retry.body);
    // The caller now knows the payment failed and pays with a new key.
    const paid = await pay(order.id, randomUUID()).expect(201);
    expect(paid.body.status).toBe('succeeded');
    expect(await paymentRows(order.id)).toEqual([
      { id: paymentId, status: 'failed' },
      { id: paid.body.id, status: 'succeeded' },
    ]);
  });

  it('answers 409 with Retry-After while the lease runs, 422 for another body after it', async () => {
    const order = await newOrder(api, alice.auth, oneItem(900));
    const path = `/v1/orders/${order.id}/payments`;
    const held = await heldKey(alice, path, VISA, { leaseSeconds: 20 });
    const busy = await pay(order.id, held).expect(409);
    expect(busy.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(busy.body.type).toBe(`${PROBLEMS}idempotency-key-in-use`);
    expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(busy.headers['retry-after'])).toBeLessThanOrEqual(20);

    const lapsed = await heldKey(alice, path, VISA);
    const other = await pay(order.id, lapsed, { ...VISA, amount: 100 }).expect(422);
    expect(other.body.type).toBe(`${PROBLEMS}idempotency-key-reused`);
    expect(await paymentRows(order.id)).toEqual([]);
  });

  it('lets one of several concurrent retries take the key over', async () => {
    const order = await newOrder(api, alice.auth, oneItem(600));
    const paymentId = await pendingPayment(order.id, 600);
    await provider().charge({ key: paymentId, amount: 600, currency: 'EUR', token: 'tok_visa' });
    const key = await heldKey(alice, `/v1/orders/${order.id}/payments`, VISA, {
      attemptId: paymentId,
    });

    const retries = await Promise.all(Array.from({ length: 10 }, () => pay(order.id, key)));
    const statuses = retries.map((response) => response.status);
    expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
    expect(statuses).toContain(201);
    const answered = retries.filter((response) => response.status === 201);
    expect(new Set(answered.map((response) => response.body.id as string))).toEqual(
      new Set([paymentId]),
    );
    for (const busy of retries.filter((response) => response.status === 409)) {
      expect(busy.body.type).toBe(`${PROBLEMS}idempotency-key-in-use`);
    }
    const settled: unknown[] = await api.dataSource.query(
      `SELECT 1 FROM audit_events WHERE action = 'payment.succeeded' AND resource_id = $1`,
      [paymentId],
    );
    expect(settled).toHaveLength(1);
    expect(await orderOf(order.id)).toMatchObject({ status: 'paid', amountPaid: 600 });
  });

  it('settles the refund the cut request recorded, refunding once', async () => {
    const order = await newOrder(api, alice.auth, oneItem(1000));
    const payment = await pay(order.id, randomUUID()).expect(201);
    const paymentId = payment.body.id as string;
    const [{ id: refundId }] = await api.dataSource.query(
      `INSERT INTO refunds (payment_id, amount, status) VALUES ($1, 250, 'pending') RETURNING id`,
      [paymentId],
    );
    await provider().refund({ key: refundId, paymentRef: 'any', amount: 250, currency: 'EUR' });
    const body = { amount: 250 };
    const key = await heldKey(manager, `/v1/payments/${paymentId}/refunds`, body, {
      attemptId: refundId,
    });

    const retry = await api
      .http()
      .post(`/v1/payments/${paymentId}/refunds`)
      .set(manager.auth)
      .set('idempotency-key', key)
      .send(body)
      .expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toMatchObject({ id: refundId, status: 'succeeded', amount: 250 });
    const refunds: unknown[] = await api.dataSource.query(
      'SELECT 1 FROM refunds WHERE payment_id = $1',
      [paymentId],
    );
    expect(refunds).toHaveLength(1);
    expect(await orderOf(order.id)).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 250,
    });
  });

  it('fences off the earlier holder once a retry has taken its key over', async () => {
    const keys = api.app.get(IdempotencyService);
    const scope: IdempotencyScope = { actorType: 'user', actorId: alice.id, key: randomUUID() };
    const fingerprint = requestFingerprint('POST', '/v1/orders/x/payments', VISA);
    const earlier = claimOf(await keys.claim(scope, fingerprint));
    await api.dataSource.query('UPDATE idempotency_keys SET locked_until = now() WHERE key = $1', [
      scope.key,
    ]);
    const [first, second] = await Promise.allSettled([
      keys.claim(scope, fingerprint),
      keys.claim(scope, fingerprint),
    ]);
    // One retry takes the key over; the other finds it held.
    const outcomes = [first, second].map((result) =>
      result.status === 'fulfilled' ? result.value.kind : (result.reason as { slug: string }).slug,
    );
    expect(outcomes.sort()).toEqual(['claimed', 'idempotency-key-in-use']);
    const taker = claimOf(
      ((first.status === 'fulfilled' ? first : second) as PromiseFulfilledResult<ClaimOutcome>)
        .value,
    );

    // The earlier holder can no longer record an attempt, answer for the key or free it.
    await expect(
      api.dataSource.transaction((manager) => keys.bind(manager, earlier, randomUUID())),
    ).rejects.toMatchObject({ slug: 'idempotency-key-in-use' });
    await keys.complete(earlier, { status: 201, body: { stale: true } });
    await keys.release(earlier);
    const [row] = await api.dataSource.query(
      'SELECT state, lease_token FROM idempotency_keys WHERE key = $1',
      [scope.key],
    );
    expect(row).toEqual({ state: 'in_progress', lease_token: taker.leaseToken });
    const attemptId = randomUUID();
    await api.dataSource.transaction((manager) => keys.bind(manager, taker, attemptId));
  });
});

describe('payments: a request that outlives its key’s lease', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let alice: Caller;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start({ IDEMPOTENCY_LEASE_SECONDS: '2' });
    alice = await signedIn(api);
  });
  afterAll(() => env.close());

  it('is overtaken by a retry after the lease; both answers agree and nothing is charged', async () => {
    const order = await newOrder(api, alice.auth, oneItem(400));
    const key = randomUUID();
    const pay = () => payOrder(api, alice.auth, order.id, { key });
    const provider = api.app.get(PaymentProviders).default();
    const charge = provider.charge.bind(provider);
    let reached!: () => void;
    let resume!: () => void;
    const atProvider = new Promise<void>((resolve) => (reached = resolve));
    const hung = new Promise<void>((resolve) => (resume = resolve));
    const spy = jest.spyOn(provider, 'charge').mockImplementationOnce(async (request) => {
      reached();
      await hung;
      return charge(request);
    });

    const slow = pay().then((response) => response);
    let retry: Awaited<ReturnType<typeof pay>>;
    try {
      await atProvider;
      const early = await pay().expect(409);
      expect(['1', '2']).toContain(early.headers['retry-after']);
      // The lease runs on the database clock: moved to its end instead of waited out.
      await api.dataSource.query(
        `UPDATE idempotency_keys SET locked_until = now() WHERE actor_id = $1 AND key = $2`,
        [alice.id, key],
      );
      // The slow request's charge has not reached the provider: the retry closes it as failed.
      retry = await pay().expect(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toMatchObject({ status: 'failed', failureCode: 'abandoned' });
    } finally {
      resume();
      spy.mockRestore();
    }

    const first = await slow;
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id: retry.body.id, status: 'failed' });
    const rows: { status: string }[] = await api.dataSource.query(
      'SELECT status FROM payments WHERE order_id = $1',
      [order.id],
    );
    expect(rows).toEqual([{ status: 'failed' }]);
    const replay = await pay().expect(201);
    expect(replay.body).toEqual(retry.body);
  });
});
