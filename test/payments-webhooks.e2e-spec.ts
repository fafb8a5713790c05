import { randomUUID } from 'node:crypto';
import { signWebhook } from '../src/payments/providers/webhook-signature';
import { auditActionsOf, newOrder, signedIn } from './support/factories';
import { Caller, PROBLEMS } from './support/payments';
import { TestEnvironment, TestInstance } from './support/test-app';

const SECRET = 'whsec_for_tests_only';
const URL = '/v1/payments/webhooks/sandbox';

describe('payment webhooks', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let alice: Caller;

  function deliver(body: string, signature: string | null = signWebhook(SECRET, body)) {
    const request = api.http().post(URL).set('content-type', 'application/json');
    if (signature !== null) void request.set('x-signature', signature);
    return request.send(body);
  }

  function event(type: string, providerRef: string, extra: object = {}): string {
    return JSON.stringify({ id: `evt_${randomUUID()}`, type, data: { providerRef, ...extra } });
  }

  /** An order of alice's with a 3-D Secure payment waiting for the provider's event. */
  async function awaitingAction(): Promise<{ orderId: string; paymentId: string; ref: string }> {
    const order = await newOrder(api, alice.auth);
    const response = await api
      .http()
      .post(`/v1/orders/${order.id}/payments`)
      .set(alice.auth)
      .set('idempotency-key', randomUUID())
      .send({ paymentMethod: { type: 'card', token: 'tok_3ds' } })
      .expect(201);
    expect(response.body.status).toBe('requires_action');
    return {
      orderId: order.id,
      paymentId: response.body.id as string,
      ref: response.body.providerRef as string,
    };
  }

  async function statusOf(paymentId: string): Promise<{ status: string; failureCode: string }> {
    const response = await api.http().get(`/v1/payments/${paymentId}`).set(alice.auth).expect(200);
    return response.body as { status: string; failureCode: string };
  }

  async function orderStatus(orderId: string): Promise<string> {
    const response = await api.http().get(`/v1/orders/${orderId}`).set(alice.auth).expect(200);
    return response.body.status as string;
  }

  async function inbox(): Promise<number> {
    const [{ count }] = await api.dataSource.query(
      'SELECT count(*)::int AS count FROM webhook_events',
    );
    return count as number;
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start({ SANDBOX_WEBHOOK_SECRET: SECRET });
    alice = await signedIn(api);
  });
  afterAll(() => env.close());

  it('settles a 3-D Secure payment as succeeded; the order is paid when the 200 returns', async () => {
    const { orderId, paymentId, ref } = await awaitingAction();
    const body = event('payment.succeeded', ref);
    const response = await deliver(body).expect(200);
    expect(response.body).toEqual({ eventId: JSON.parse(body).id, outcome: 'applied' });
    expect((await statusOf(paymentId)).status).toBe('succeeded');
    expect(await orderStatus(orderId)).toBe('paid');
    expect(await auditActionsOf(api.dataSource, response.headers['x-request-id'])).toEqual([
      'payment.succeeded',
      'order.paid',
    ]);
    const [actor] = await api.dataSource.query(
      `SELECT actor_type, actor_display FROM audit_events WHERE request_id = $1 LIMIT 1`,
      [response.headers['x-request-id']],
    );
    expect(actor).toEqual({ actor_type: 'system', actor_display: 'webhook:sandbox' });
  });

  it('settles a 3-D Secure payment as failed, freeing the balance', async () => {
    const { orderId, paymentId, ref } = await awaitingAction();
    await deliver(event('payment.failed', ref)).expect(200);
    expect(await statusOf(paymentId)).toMatchObject({
      status: 'failed',
      failureCode: 'authentication_failed',
    });
    expect(await orderStatus(orderId)).toBe('pending');
    await api
      .http()
      .post(`/v1/orders/${orderId}/payments`)
      .set(alice.auth)
      .set('idempotency-key', randomUUID())
      .send({ paymentMethod: { type: 'card', token: 'tok_visa' } })
      .expect(201);
  });

  it('applies an event id once: a duplicate is a 200 with no effect', async () => {
    const { paymentId, ref } = await awaitingAction();
    const body = event('payment.succeeded', ref);
    await deliver(body).expect(200);
    const before = await inbox();
    const again = await deliver(body).expect(200);
    expect(again.body.outcome).toBe('duplicate');
    expect(await auditActionsOf(api.dataSource, again.headers['x-request-id'])).toEqual([]);
    expect(await inbox()).toBe(before);
    expect((await statusOf(paymentId)).status).toBe('succeeded');
  });

  it('applies concurrent deliveries of one event once', async () => {
    const { orderId, ref } = await awaitingAction();
    const body = event('payment.succeeded', ref);
    const responses = await Promise.all(Array.from({ length: 5 }, () => deliver(body)));
    expect(responses.map((response) => response.body.outcome as string).sort()).toEqual([
      'applied',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    const order = await api.http().get(`/v1/orders/${orderId}`).set(alice.auth);
    expect(order.body.amountPaid).toBe(order.body.total);
  });

  it('records and ignores a late payment.failed after succeeded', async () => {
    const { orderId, paymentId, ref } = await awaitingAction();
    await deliver(event('payment.succeeded', ref)).expect(200);
    const body = event('payment.failed', ref, { failureCode: 'card_declined' });
    const late = await deliver(body).expect(200);
    expect(late.body.outcome).toBe('ignored');
    expect(await auditActionsOf(api.dataSource, late.headers['x-request-id'])).toEqual([
      'webhook.ignored',
    ]);
    const [row] = await api.dataSource.query(
      'SELECT outcome FROM webhook_events WHERE event_id = $1',
      [JSON.parse(body).id],
    );
    expect(row.outcome).toBe('ignored');
    expect((await statusOf(paymentId)).status).toBe('succeeded');
    expect(await orderStatus(orderId)).toBe('paid');
  });

  it('records and ignores event types it does not handle', async () => {
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'payout.paid', data: {} });
    const response = await deliver(body).expect(200);
    expect(response.body.outcome).toBe('ignored');
  });

  it('verifies the raw bytes, not re-serialized JSON', async () => {
    const { paymentId, ref } = await awaitingAction();
    const spaced = `{ "id" : "evt_${randomUUID()}",\n  "type": "payment.succeeded", "data": { "providerRef": "${ref}" } }`;
    await deliver(spaced).expect(200);
    expect((await statusOf(paymentId)).status).toBe('succeeded');
  });

  describe('refuses, with no effect', () => {
    let target: { paymentId: string; ref: string };

    beforeAll(async () => {
      target = await awaitingAction();
    });

    afterEach(async () => {
      expect((await statusOf(target.paymentId)).status).toBe('requires_action');
    });

    const now = () => Math.floor(Date.now() / 1000);
    // A minute beyond the 5-minute tolerance: a request slowed by a busy machine must not drift
    // back inside it (at +301 s, a 2-second delay made the future signature valid).
    const beyondTolerance = 300 + 60;

    it.each([
      ['another secret', (body: string) => signWebhook('not-the-secret', body)],
      ['a stale signature', (body: string) => signWebhook(SECRET, body, now() - beyondTolerance)],
      [
        'a signature from the future',
        (body: string) => signWebhook(SECRET, body, now() + beyondTolerance),
      ],
      ['no signature', () => null],
      ['a malformed signature', () => 'sha256=deadbeef'],
    ])('%s (400)', async (_label, sign) => {
      const before = await inbox();
      const body = event('payment.succeeded', target.ref);
      const response = await deliver(body, sign(body)).expect(400);
      expect(response.body.type).toBe(`${PROBLEMS}invalid-signature`);
      expect(await inbox()).toBe(before);
    });

    it('a tampered body (400)', async () => {
      const signed = event('payment.failed', target.ref);
      const tampered = signed.replace('payment.failed', 'payment.succeeded');
      const response = await deliver(tampered, signWebhook(SECRET, signed)).expect(400);
      expect(response.body.type).toBe(`${PROBLEMS}invalid-signature`);
    });

    it('a signed body that is not an event (400)', async () => {
      const body = JSON.stringify({ id: 'evt_x', type: 'payment.succeeded', data: {} });
      const response = await deliver(body).expect(400);
      expect(response.body.type).toBe(`${PROBLEMS}invalid-webhook-payload`);
    });

    it('an unknown provider reference (404), so the provider delivers it again', async () => {
      const before = await inbox();
      const response = await deliver(event('payment.succeeded', 'ch_sbx_unknown')).expect(404);
      expect(response.body.type).toBe(`${PROBLEMS}unknown-payment-reference`);
      expect(await inbox()).toBe(before);
    });

    it('an unknown provider (404) and a non-JSON body (415)', async () => {
      const body = event('payment.succeeded', target.ref);
      await api
        .http()
        .post('/v1/payments/webhooks/acme')
        .set('content-type', 'application/json')
        .set('x-signature', signWebhook(SECRET, body))
        .send(body)
        .expect(404);
      await api
        .http()
        .post(URL)
        .set('content-type', 'text/plain')
        .set('x-signature', signWebhook(SECRET, body))
        .send(body)
        .expect(415);
    });
  });
});
