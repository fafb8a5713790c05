import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { IdempotencyService } from '../src/payments/idempotency/idempotency.service';
import { PaymentsReconciler } from '../src/payments/payments-reconciler.service';
import { PaymentProviders } from '../src/payments/providers/payment-providers';
import { signWebhook } from '../src/payments/providers/webhook-signature';
import { auditActionsOf, errorFields, newOrder, signedIn } from './support/factories';
import { describeShared } from './support/describe-shared';
import { Caller, oneItem, payOrder, PROBLEMS, VISA } from './support/payments';
import { TestEnvironment, TestInstance } from './support/test-app';

describe('payments and refunds', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let alice: Caller;
  let bob: Caller;
  let manager: Caller;

  function pay(
    caller: { auth: Record<string, string> },
    orderId: string,
    body: object = VISA,
    key: string = randomUUID(),
  ) {
    return payOrder(api, caller.auth, orderId, { key, body });
  }

  function refund(paymentId: string, body: object, key: string = randomUUID()) {
    return api
      .http()
      .post(`/v1/payments/${paymentId}/refunds`)
      .set(manager.auth)
      .set('idempotency-key', key)
      .send(body);
  }

  async function orderOf(id: string): Promise<Record<string, unknown>> {
    const response = await api.http().get(`/v1/orders/${id}`).set(manager.auth).expect(200);
    return response.body as Record<string, unknown>;
  }

  async function paymentRows(orderId: string): Promise<{ status: string; amount: string }[]> {
    return api.dataSource.query(
      'SELECT status, amount::text AS amount FROM payments WHERE order_id = $1',
      [orderId],
    );
  }

  async function expectAudit(response: Response, actions: string[]): Promise<void> {
    expect(await auditActionsOf(api.dataSource, response.headers['x-request-id'])).toEqual(actions);
  }

  /** An order of `total` paid in full by alice; returns the order and payment ids. */
  async function paidOrder(total = 1000): Promise<{ orderId: string; paymentId: string }> {
    const order = await newOrder(api, alice.auth, oneItem(total));
    const response = await pay(alice, order.id).expect(201);
    return { orderId: order.id, paymentId: response.body.id as string };
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    [alice, bob, manager] = await Promise.all([
      signedIn(api),
      signedIn(api),
      signedIn(api, ['manager']),
    ]);
  });
  afterAll(() => env.close());

  describe('POST /v1/orders/:id/payments', () => {
    it('captures the outstanding balance and marks the order paid, in one audited change', async () => {
      const order = await newOrder(api, alice.auth);
      const response = await pay(alice, order.id).expect(201);
      expect(response.body).toMatchObject({
        orderId: order.id,
        status: 'succeeded',
        amount: order.total,
        currency: 'EUR',
        provider: 'sandbox',
        failureCode: null,
        refunds: [],
      });
      expect(response.body.providerRef).toMatch(/^ch_sbx_/);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(await orderOf(order.id)).toMatchObject({
        status: 'paid',
        amountPaid: order.total,
        version: 2,
      });
      await expectAudit(response, ['payment.created', 'payment.succeeded', 'order.paid']);
    });

    it('takes partial payments; the order is paid once they cover the total', async () => {
      const order = await newOrder(api, alice.auth, oneItem(3000));
      await pay(alice, order.id, { ...VISA, amount: 1000 }).expect(201);
      expect(await orderOf(order.id)).toMatchObject({ status: 'pending', amountPaid: 1000 });
      const rest = await pay(alice, order.id).expect(201);
      expect(rest.body.amount).toBe(2000);
      expect(await orderOf(order.id)).toMatchObject({ status: 'paid', amountPaid: 3000 });
    });

    it.each([
      ['tok_declined', 'card_declined'],
      ['tok_insufficient_funds', 'insufficient_funds'],
      ['tok_unknown', 'invalid_token'],
    ])('records a failed payment for %s (%s), leaving the order unpaid', async (token, code) => {
      const order = await newOrder(api, alice.auth);
      const response = await pay(alice, order.id, {
        paymentMethod: { type: 'card', token },
      }).expect(201);
      expect(response.body).toMatchObject({ status: 'failed', failureCode: code });
      expect(await orderOf(order.id)).toMatchObject({ status: 'pending', amountPaid: 0 });
      await expectAudit(response, ['payment.created', 'payment.failed']);
      await pay(alice, order.id).expect(201);
    });

    it('reserves a 3-D Secure payment’s amount until it is settled', async () => {
      const order = await newOrder(api, alice.auth);
      const response = await pay(alice, order.id, {
        paymentMethod: { type: 'card', token: 'tok_3ds' },
      }).expect(201);
      expect(response.body.status).toBe('requires_action');
      await expectAudit(response, ['payment.created', 'payment.action_required']);
      const again = await pay(alice, order.id).expect(409);
      expect(again.body.type).toBe(`${PROBLEMS}nothing-outstanding`);
      const cancel = await api
        .http()
        .post(`/v1/orders/${order.id}/cancel`)
        .set(alice.auth)
        .expect(409);
      expect(cancel.body.type).toBe(`${PROBLEMS}order-has-payments`);
      const edit = await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .set('if-match', '"1"')
        .send({ items: [{ sku: 'X', name: 'Cheaper', quantity: 1, unitPrice: 1 }] })
        .expect(409);
      expect(edit.body.type).toBe(`${PROBLEMS}order-has-payments`);
    });

    it('counts payments in flight on concurrent requests with their own keys', async () => {
      const order = await newOrder(api, alice.auth, oneItem(1000));
      const threeDs = { paymentMethod: { type: 'card', token: 'tok_3ds' }, amount: 400 };
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => pay(alice, order.id, threeDs)),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 201, ...Array<number>(8).fill(409)]);
      for (const refused of responses.filter((response) => response.status === 409)) {
        expect(refused.body.type).toBe(`${PROBLEMS}amount-exceeds-outstanding`);
      }
      expect(await paymentRows(order.id)).toEqual([
        { status: 'requires_action', amount: '400' },
        { status: 'requires_action', amount: '400' },
      ]);
    });

    it('adds up concurrent captures into one order, which becomes paid once', async () => {
      const order = await newOrder(api, alice.auth, oneItem(1000));
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => pay(alice, order.id, { ...VISA, amount: 100 })),
      );
      expect(responses.map((response) => response.status)).toEqual(Array<number>(10).fill(201));
      expect(responses.every((response) => response.body.status === 'succeeded')).toBe(true);
      expect(await orderOf(order.id)).toMatchObject({ status: 'paid', amountPaid: 1000 });
      const paid: { n: string }[] = await api.dataSource.query(
        `SELECT count(*) AS n FROM audit_events WHERE action = 'order.paid' AND resource_id = $1`,
        [order.id],
      );
      expect(paid[0].n).toBe('1');
    });

    it('never takes more than the outstanding balance', async () => {
      const order = await newOrder(api, alice.auth, oneItem(500));
      const response = await pay(alice, order.id, { ...VISA, amount: 501 }).expect(409);
      expect(response.body.type).toBe(`${PROBLEMS}amount-exceeds-outstanding`);
      expect(response.body.detail).toBe('At most 500 can be paid on this order now.');
      expect(await paymentRows(order.id)).toEqual([]);
    });

    it('pays the largest possible order exactly', async () => {
      const items = Array.from({ length: 100 }, (_, index) => ({
        sku: `MAX-${index}`,
        name: 'Expensive',
        quantity: 10000,
        unitPrice: 100000000,
      }));
      const order = await newOrder(api, alice.auth, { items });
      const response = await pay(alice, order.id).expect(201);
      expect(response.body.amount).toBe(1e14);
      expect(await orderOf(order.id)).toMatchObject({ status: 'paid', amountPaid: 1e14 });
    });

    it.each(['paid', 'cancelled'])('answers 409 naming the state for a %s order', async (state) => {
      const order = await newOrder(api, alice.auth);
      if (state === 'paid') await pay(alice, order.id).expect(201);
      else await api.http().post(`/v1/orders/${order.id}/cancel`).set(alice.auth).expect(200);
      const response = await pay(alice, order.id).expect(409);
      expect(response.body.type).toBe(`${PROBLEMS}illegal-transition`);
      expect(response.body.detail).toBe(`The order is ${state}; it cannot become paid.`);
    });

    it('answers 404 for another customer’s order; payments:create:any pays anyone’s', async () => {
      const order = await newOrder(api, alice.auth);
      await pay(bob, order.id).expect(404);
      await pay(bob, randomUUID()).expect(404);
      expect(await paymentRows(order.id)).toEqual([]);
      await pay(manager, order.id).expect(201);
    });

    it.each([
      [undefined, 'absent'],
      ['', 'empty'],
      ['k'.repeat(256), 'too long'],
    ])('requires an Idempotency-Key of 1 to 255 characters (%#: %s)', async (key, _label) => {
      const order = await newOrder(api, alice.auth);
      const request = api.http().post(`/v1/orders/${order.id}/payments`).set(alice.auth);
      if (key !== undefined) void request.set('idempotency-key', key);
      const response = await request.send(VISA).expect(400);
      expect(response.body.errors).toEqual([
        { field: 'Idempotency-Key', message: 'must be sent, 1 to 255 characters' },
      ]);
    });

    it('accepts a 255-character key', async () => {
      const order = await newOrder(api, alice.auth);
      await pay(alice, order.id, VISA, 'k'.repeat(255)).expect(201);
    });

    it.each([
      [{ paymentMethod: { type: 'cash', token: 'tok_visa' } }, ['paymentMethod.type']],
      [{ paymentMethod: { type: 'card', token: '' } }, ['paymentMethod.token']],
      [{ paymentMethod: { type: 'card', token: 'tok_visa', pan: '4242' } }, ['paymentMethod.pan']],
      [{ ...VISA, amount: 0 }, ['amount']],
      [{ ...VISA, amount: 1.5 }, ['amount']],
      [{ amount: 5 }, ['paymentMethod']],
      [{ ...VISA, status: 'succeeded' }, ['status']],
    ])('answers 400 for %j', async (body, fields) => {
      const order = await newOrder(api, alice.auth);
      const response = await pay(alice, order.id, body).expect(400);
      expect(errorFields(response.body)).toEqual(fields);
    });

    it('needs a credential and a payments:create permission', async () => {
      const order = await newOrder(api, alice.auth);
      await api
        .http()
        .post(`/v1/orders/${order.id}/payments`)
        .set('idempotency-key', 'k')
        .send(VISA)
        .expect(401);
      const auditor = await signedIn(api, ['auditor']);
      await pay(auditor, order.id).expect(403);
    });
  });

  describe('idempotency', () => {
    it('replays the first response for the same key and body, with one payment only', async () => {
      const order = await newOrder(api, alice.auth);
      const key = randomUUID();
      const first = await pay(alice, order.id, VISA, key).expect(201);
      const second = await pay(alice, order.id, VISA, key).expect(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      expect(await paymentRows(order.id)).toHaveLength(1);
      await expectAudit(second, []);
    });

    it('treats bodies that differ only in key order as the same', async () => {
      const order = await newOrder(api, alice.auth);
      const key = randomUUID();
      await pay(alice, order.id, { paymentMethod: { type: 'card', token: 'tok_visa' } }, key);
      const again = await pay(
        alice,
        order.id,
        { paymentMethod: { token: 'tok_visa', type: 'card' } },
        key,
      ).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
    });

    it('answers 422 for the same key with another body or another order', async () => {
      const [one, two] = [await newOrder(api, alice.auth), await newOrder(api, alice.auth)];
      const key = randomUUID();
      await pay(alice, one.id, { ...VISA, amount: 100 }, key).expect(201);
      const otherBody = await pay(alice, one.id, { ...VISA, amount: 200 }, key).expect(422);
      expect(otherBody.body.type).toBe(`${PROBLEMS}idempotency-key-reused`);
      await pay(alice, two.id, { ...VISA, amount: 100 }, key).expect(422);
      expect(await paymentRows(two.id)).toEqual([]);
    });

    it('scopes keys to the caller', async () => {
      const key = randomUUID();
      const mine = await newOrder(api, alice.auth);
      const theirs = await newOrder(api, bob.auth);
      await pay(alice, mine.id, VISA, key).expect(201);
      const response = await pay(bob, theirs.id, VISA, key).expect(201);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
    });

    it('replays a domain error too, but lets a validation error free the key', async () => {
      const order = await newOrder(api, alice.auth, oneItem(100));
      const key = randomUUID();
      await pay(alice, order.id, { ...VISA, amount: 101 }, key).expect(409);
      const replayed = await pay(alice, order.id, { ...VISA, amount: 101 }, key).expect(409);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(replayed.body.type).toBe(`${PROBLEMS}amount-exceeds-outstanding`);

      const fresh = randomUUID();
      await pay(alice, order.id, { ...VISA, amount: 0 }, fresh).expect(400);
      await pay(alice, order.id, { ...VISA, amount: 100 }, fresh).expect(201);
    });

    it('answers 409 while the first request with the key is still running', async () => {
      const order = await newOrder(api, alice.auth);
      const key = randomUUID();
      await api.dataSource.query(
        `INSERT INTO idempotency_keys (actor_type, actor_id, key, request_fingerprint, state, expires_at)
         VALUES ('user', $1, $2, repeat('0', 64), 'in_progress', now() + interval '1 hour')`,
        [alice.id, key],
      );
      const response = await pay(alice, order.id, VISA, key).expect(409);
      expect(response.body.type).toBe(`${PROBLEMS}idempotency-key-in-use`);
      expect(await paymentRows(order.id)).toEqual([]);
    });

    it('runs 20 concurrent requests with one key exactly once', async () => {
      const order = await newOrder(api, alice.auth);
      const key = randomUUID();
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => pay(alice, order.id, VISA, key)),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
      const created = responses.filter((response) => response.status === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((response) => response.body.id as string)).size).toBe(1);
      expect(await paymentRows(order.id)).toEqual([{ status: 'succeeded', amount: '3000' }]);
    });

    it('forgets a key after 24 hours and purges expired keys', async () => {
      const order = await newOrder(api, alice.auth, oneItem(300));
      const key = randomUUID();
      await pay(alice, order.id, { ...VISA, amount: 100 }, key).expect(201);
      await api.dataSource.query(
        `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
        [key],
      );
      const reused = await pay(alice, order.id, { ...VISA, amount: 200 }, key).expect(201);
      expect(reused.headers['idempotent-replayed']).toBeUndefined();
      await api.dataSource.query(
        `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
        [key],
      );
      expect(await api.app.get(IdempotencyService).purgeExpired()).toBeGreaterThanOrEqual(1);
      const left: unknown[] = await api.dataSource.query(
        'SELECT 1 FROM idempotency_keys WHERE key = $1',
        [key],
      );
      expect(left).toEqual([]);
    });
  });

  describe('GET /v1/payments/:id and GET /v1/orders/:id/payments', () => {
    it('shows a payment to its order’s owner and to payments:read:any, 404 to others', async () => {
      const { paymentId } = await paidOrder();
      const own = await api.http().get(`/v1/payments/${paymentId}`).set(alice.auth).expect(200);
      expect(own.body).toMatchObject({ id: paymentId, status: 'succeeded', refunds: [] });
      await api.http().get(`/v1/payments/${paymentId}`).set(manager.auth).expect(200);
      await api.http().get(`/v1/payments/${paymentId}`).set(bob.auth).expect(404);
      await api.http().get(`/v1/payments/${randomUUID()}`).set(alice.auth).expect(404);
      await api.http().get('/v1/payments/nope').set(alice.auth).expect(400);
    });

    it('lists an order’s payments oldest first, page by page; 404 for another’s order', async () => {
      const order = await newOrder(api, alice.auth, oneItem(300));
      const ids: string[] = [];
      for (const amount of [100, 100, 100]) {
        ids.push((await pay(alice, order.id, { ...VISA, amount }).expect(201)).body.id as string);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Response = await api
          .http()
          .get(`/v1/orders/${order.id}/payments`)
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(alice.auth)
          .expect(200);
        seen.push(...(page.body.data as { id: string }[]).map((payment) => payment.id));
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
      expect(seen).toEqual(ids);
      await api.http().get(`/v1/orders/${order.id}/payments`).set(manager.auth).expect(200);
      await api.http().get(`/v1/orders/${order.id}/payments`).set(bob.auth).expect(404);
      await api
        .http()
        .get(`/v1/orders/${order.id}/payments`)
        .query({ cursor: 'bad' })
        .set(alice.auth)
        .expect(400);
    });

    it('needs a payments:read permission', async () => {
      const { paymentId, orderId } = await paidOrder();
      const auditor = await signedIn(api, ['auditor']);
      await api.http().get(`/v1/payments/${paymentId}`).set(auditor.auth).expect(403);
      await api.http().get(`/v1/orders/${orderId}/payments`).set(auditor.auth).expect(403);
      await api.http().get(`/v1/payments/${paymentId}`).expect(401);
    });
  });

  describe('POST /v1/payments/:id/refunds', () => {
    it('refunds in part, then in full; the order follows', async () => {
      const { orderId, paymentId } = await paidOrder(1000);
      const partial = await refund(paymentId, { amount: 400, reason: 'Damaged' }).expect(201);
      expect(partial.body).toMatchObject({
        paymentId,
        amount: 400,
        reason: 'Damaged',
        status: 'succeeded',
      });
      await expectAudit(partial, [
        'refund.created',
        'refund.succeeded',
        'order.partially_refunded',
      ]);
      expect(await orderOf(orderId)).toMatchObject({
        status: 'partially_refunded',
        amountRefunded: 400,
      });
      const rest = await refund(paymentId, { amount: 600 }).expect(201);
      expect(rest.body.reason).toBeNull();
      await expectAudit(rest, ['refund.created', 'refund.succeeded', 'order.refunded']);
      expect(await orderOf(orderId)).toMatchObject({ status: 'refunded', amountRefunded: 1000 });
      const payment = await api.http().get(`/v1/payments/${paymentId}`).set(alice.auth);
      expect((payment.body.refunds as { amount: number }[]).map((r) => r.amount)).toEqual([
        400, 600,
      ]);
    });

    it('refunds a fulfilled order', async () => {
      const { orderId, paymentId } = await paidOrder(1000);
      await api.http().post(`/v1/orders/${orderId}/fulfil`).set(manager.auth).expect(200);
      await refund(paymentId, { amount: 1 }).expect(201);
      expect((await orderOf(orderId)).status).toBe('partially_refunded');
      const fulfil = await api
        .http()
        .post(`/v1/orders/${orderId}/fulfil`)
        .set(manager.auth)
        .expect(409);
      expect(fulfil.body.detail).toBe(
        'The order is partially_refunded; it cannot become fulfilled.',
      );
    });

    it('never refunds past the captured amount', async () => {
      const { paymentId } = await paidOrder(1000);
      const response = await refund(paymentId, { amount: 1001 }).expect(409);
      expect(response.body.type).toBe(`${PROBLEMS}refund-exceeds-captured`);
      await refund(paymentId, { amount: 1000 }).expect(201);
      const more = await refund(paymentId, { amount: 1 }).expect(409);
      expect(more.body.detail).toBe('The order is refunded; it cannot become refunded.');
    });

    it('lets 10 concurrent refunds sum to at most the capture', async () => {
      const { orderId, paymentId } = await paidOrder(1000);
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => refund(paymentId, { amount: 300 })),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
      const [{ sum }] = await api.dataSource.query(
        `SELECT sum(amount)::int AS sum FROM refunds WHERE payment_id = $1 AND status = 'succeeded'`,
        [paymentId],
      );
      expect(sum).toBe(900);
      expect(await orderOf(orderId)).toMatchObject({
        status: 'partially_refunded',
        amountRefunded: 900,
      });
    });

    it('refuses to refund a failed payment, or a payment of a still pending order', async () => {
      const order = await newOrder(api, alice.auth, oneItem(1000));
      const failed = await pay(alice, order.id, {
        paymentMethod: { type: 'card', token: 'tok_declined' },
      }).expect(201);
      const notRefundable = await refund(failed.body.id as string, { amount: 1 }).expect(409);
      expect(notRefundable.body.type).toBe(`${PROBLEMS}payment-not-refundable`);
      const part = await pay(alice, order.id, { ...VISA, amount: 500 }).expect(201);
      const pending = await refund(part.body.id as string, { amount: 1 }).expect(409);
      expect(pending.body.detail).toBe('The order is pending; it cannot become refunded.');
    });

    it('replays a refund for its key and answers 422 for another amount', async () => {
      const { paymentId } = await paidOrder(1000);
      const key = randomUUID();
      const first = await refund(paymentId, { amount: 100 }, key).expect(201);
      const again = await refund(paymentId, { amount: 100 }, key).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      await refund(paymentId, { amount: 200 }, key).expect(422);
      const [{ count }] = await api.dataSource.query(
        'SELECT count(*)::int AS count FROM refunds WHERE payment_id = $1',
        [paymentId],
      );
      expect(count).toBe(1);
    });

    it('validates the body and the key; 404 for an absent payment; needs payments:refund', async () => {
      const { paymentId } = await paidOrder(1000);
      const bad = await refund(paymentId, { amount: 0, reason: 'x'.repeat(501) }).expect(400);
      expect(errorFields(bad.body).sort()).toEqual(['amount', 'reason']);
      await api
        .http()
        .post(`/v1/payments/${paymentId}/refunds`)
        .set(manager.auth)
        .send({ amount: 1 })
        .expect(400);
      await refund(randomUUID(), { amount: 1 }).expect(404);
      await api
        .http()
        .post(`/v1/payments/${paymentId}/refunds`)
        .set(alice.auth)
        .set('idempotency-key', randomUUID())
        .send({ amount: 1 })
        .expect(403);
    });
  });

  describe('crash safety', () => {
    /** A payment row as the first transaction leaves it, from a process that then died. */
    async function crashedAttempt(orderId: string, amount: number): Promise<string> {
      const [{ id }] = await api.dataSource.query(
        `INSERT INTO payments (order_id, status, amount, currency, provider, created_at)
         VALUES ($1, 'pending', $2, 'EUR', 'sandbox', now() - interval '1 minute') RETURNING id`,
        [orderId, amount],
      );
      return id as string;
    }

    it('settles an attempt the provider never received as failed, for good', async () => {
      const order = await newOrder(api, alice.auth, oneItem(700));
      const paymentId = await crashedAttempt(order.id, 700);
      await pay(alice, order.id).expect(409);
      const report = await api.app.get(PaymentsReconciler).reconcile();
      expect(report.payments).toBeGreaterThanOrEqual(1);
      const payment = await api.http().get(`/v1/payments/${paymentId}`).set(alice.auth);
      expect(payment.body).toMatchObject({ status: 'failed', failureCode: 'abandoned' });
      // The provider now refuses the lost request if it ever arrives.
      const late = await api.app
        .get(PaymentProviders)
        .default()
        .charge({ key: paymentId, amount: 700, currency: 'EUR', token: 'tok_visa' });
      expect(late.status).toBe('failed');
      await pay(alice, order.id).expect(201);
      expect((await orderOf(order.id)).status).toBe('paid');
    });

    it('settles an attempt the provider captured before the crash, as the system', async () => {
      const order = await newOrder(api, alice.auth, oneItem(700));
      const paymentId = await crashedAttempt(order.id, 700);
      await api.app
        .get(PaymentProviders)
        .default()
        .charge({ key: paymentId, amount: 700, currency: 'EUR', token: 'tok_visa' });
      await api.app.get(PaymentsReconciler).reconcile();
      expect(await orderOf(order.id)).toMatchObject({ status: 'paid', amountPaid: 700 });
      const events: { action: string; actor_type: string }[] = await api.dataSource.query(
        `SELECT action, actor_type FROM audit_events WHERE resource_id IN ($1, $2)
         ORDER BY occurred_at`,
        [paymentId, order.id],
      );
      expect(events.slice(-2)).toEqual([
        { action: 'payment.succeeded', actor_type: 'system' },
        { action: 'order.paid', actor_type: 'system' },
      ]);
      await api.app.get(PaymentsReconciler).reconcile();
      expect((await orderOf(order.id)).amountPaid).toBe(700);
    });

    it('survives a crash between the provider call and the second transaction', async () => {
      const order = await newOrder(api, alice.auth, oneItem(900));
      const provider = api.app.get(PaymentProviders).default();
      const charge = provider.charge.bind(provider);
      const spy = jest.spyOn(provider, 'charge').mockImplementationOnce(async (request) => {
        await charge(request);
        throw new Error('process killed');
      });
      const key = randomUUID();
      await pay(alice, order.id, VISA, key).expect(500);
      spy.mockRestore();
      expect(await paymentRows(order.id)).toEqual([{ status: 'pending', amount: '900' }]);
      // The 5xx left the key tied to its payment: the retry settles that one, charging once.
      const retry = await pay(alice, order.id, VISA, key).expect(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toMatchObject({ status: 'succeeded', amount: 900 });
      expect(await paymentRows(order.id)).toEqual([{ status: 'succeeded', amount: '900' }]);
      expect(await api.app.get(PaymentsReconciler).reconcile(0)).toMatchObject({ payments: 0 });
      expect((await orderOf(order.id)).status).toBe('paid');
    });

    it('lets a payment that failed before recording anything free its key', async () => {
      const order = await newOrder(api, alice.auth, oneItem(900));
      const key = randomUUID();
      // The database fails the payment's first transaction, as a lost connection would.
      await api.dataSource.query(
        `CREATE FUNCTION refuse_payment() RETURNS trigger LANGUAGE plpgsql
           AS $$ BEGIN RAISE EXCEPTION 'database hiccup'; END $$`,
      );
      await api.dataSource.query(
        `CREATE TRIGGER refuse_payment BEFORE INSERT ON payments FOR EACH ROW
           WHEN (NEW.order_id = '${order.id}') EXECUTE FUNCTION refuse_payment()`,
      );
      try {
        await pay(alice, order.id, VISA, key).expect(500);
      } finally {
        await api.dataSource.query('DROP TRIGGER refuse_payment ON payments');
        await api.dataSource.query('DROP FUNCTION refuse_payment()');
      }
      expect(await paymentRows(order.id)).toEqual([]);
      // Nothing was recorded, so the key is free even for another body.
      await pay(alice, order.id, { ...VISA, amount: 100 }, key).expect(201);
    });

    it('leaves young attempts to the request that is making them', async () => {
      const order = await newOrder(api, alice.auth, oneItem(100));
      await api.dataSource.query(
        `INSERT INTO payments (order_id, status, amount, currency, provider)
         VALUES ($1, 'pending', 100, 'EUR', 'sandbox')`,
        [order.id],
      );
      await api.app.get(PaymentsReconciler).reconcile();
      expect(await paymentRows(order.id)).toEqual([{ status: 'pending', amount: '100' }]);
    });

    it('settles a refund left pending by a crash', async () => {
      const { orderId, paymentId } = await paidOrder(1000);
      const [{ id }] = await api.dataSource.query(
        `INSERT INTO refunds (payment_id, amount, status, created_at)
         VALUES ($1, 250, 'pending', now() - interval '1 minute') RETURNING id`,
        [paymentId],
      );
      await refund(paymentId, { amount: 751 }).expect(409);
      await api.app
        .get(PaymentProviders)
        .default()
        .refund({
          key: id as string,
          paymentRef: 'ignored',
          amount: 250,
          currency: 'EUR',
        });
      expect(await api.app.get(PaymentsReconciler).reconcile()).toMatchObject({ refunds: 1 });
      expect(await orderOf(orderId)).toMatchObject({
        status: 'partially_refunded',
        amountRefunded: 250,
      });
    });
  });
});

describeShared('payments across two instances', () => {
  let env: TestEnvironment;
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    [a, b] = [await env.start(), await env.start()];
  });
  afterAll(() => env.close());

  it('runs 20 concurrent same-key requests spread over both instances exactly once', async () => {
    const customer = await signedIn(a);
    const order = await newOrder(a, customer.auth);
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        payOrder(index % 2 === 0 ? a : b, customer.auth, order.id, { key }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
    const ids = responses.filter((r) => r.status === 201).map((r) => r.body.id as string);
    expect(new Set(ids).size).toBe(1);
    const rows: unknown[] = await a.dataSource.query('SELECT 1 FROM payments WHERE order_id = $1', [
      order.id,
    ]);
    expect(rows).toHaveLength(1);
  });
});

describe('payments in production: the sandbox only with PAYMENTS_SANDBOX=true', () => {
  const webhookSecret = randomBytes(24).toString('hex');
  const production = {
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    SHUTDOWN_DRAIN_MS: '0',
  };
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await TestEnvironment.create();
  });
  afterAll(() => env.close());

  /** The payments recorded for the order, and every charge the sandbox ever took. */
  async function charges(api: TestInstance, orderId: string): Promise<[unknown[], number]> {
    const payments: unknown[] = await api.dataSource.query(
      'SELECT status FROM payments WHERE order_id = $1',
      [orderId],
    );
    const [{ count }] = await api.dataSource.query(
      `SELECT count(*)::int AS count FROM sandbox_operations WHERE kind = 'charge'`,
    );
    return [payments, count as number];
  }

  it('pays with tok_visa when PAYMENTS_SANDBOX=true', async () => {
    const api = await env.start({
      ...production,
      PAYMENTS_SANDBOX: 'true',
      SANDBOX_WEBHOOK_SECRET: webhookSecret,
    });
    try {
      const customer = await signedIn(api);
      const order = await newOrder(api, customer.auth);
      const response = await payOrder(api, customer.auth, order.id).expect(201);
      expect(response.body).toMatchObject({ status: 'succeeded', provider: 'sandbox' });
    } finally {
      await api.close();
    }
  });

  it('answers 503 with the sandbox off: nothing captured or recorded, webhooks refused', async () => {
    const api = await env.start(production);
    try {
      const customer = await signedIn(api);
      const order = await newOrder(api, customer.auth);
      const [, chargesBefore] = await charges(api, order.id);
      const key = randomUUID();
      const response = await payOrder(api, customer.auth, order.id, { key }).expect(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        type: `${PROBLEMS}no-provider-enabled`,
        status: 503,
      });
      // Waiting does not enable a provider: no Retry-After invites a retry loop.
      expect(response.headers['retry-after']).toBeUndefined();
      expect(await charges(api, order.id)).toEqual([[], chargesBefore]);
      expect(await auditActionsOf(api.dataSource, response.headers['x-request-id'])).toEqual([
        'request.failed',
      ]);
      const after = await api.http().get(`/v1/orders/${order.id}`).set(customer.auth).expect(200);
      expect(after.body).toMatchObject({ status: 'pending', amountPaid: 0 });
      // The key was freed, not kept with the 503: the same request gets the same answer.
      await payOrder(api, customer.auth, order.id, { key }).expect(503);

      const event = JSON.stringify({
        id: `evt_${randomUUID()}`,
        type: 'payment.succeeded',
        data: { providerRef: 'ch_sbx_any' },
      });
      const webhook = await api
        .http()
        .post('/v1/payments/webhooks/sandbox')
        .set('content-type', 'application/json')
        .set('x-signature', signWebhook(webhookSecret, event))
        .send(event)
        .expect(404);
      expect(webhook.body.type).toBe(`${PROBLEMS}unknown-provider`);
    } finally {
      await api.close();
    }
  });

  describeShared('with a payment the sandbox took while it was on', () => {
    it('refuses its refund (503) and records nothing', async () => {
      const on = await env.start({
        ...production,
        PAYMENTS_SANDBOX: 'true',
        SANDBOX_WEBHOOK_SECRET: webhookSecret,
      });
      const customer = await signedIn(on);
      const order = await newOrder(on, customer.auth);
      const payment = await payOrder(on, customer.auth, order.id).expect(201);
      await on.close();

      const off = await env.start(production);
      try {
        const manager = await signedIn(off, ['manager']);
        const response = await off
          .http()
          .post(`/v1/payments/${payment.body.id}/refunds`)
          .set(manager.auth)
          .set('idempotency-key', randomUUID())
          .send({ amount: 100 })
          .expect(503);
        expect(response.body.type).toBe(`${PROBLEMS}provider-not-enabled`);
        expect(
          await off.dataSource.query('SELECT 1 FROM refunds WHERE payment_id = $1', [
            payment.body.id,
          ]),
        ).toEqual([]);
      } finally {
        await off.close();
      }
    });
  });
});
