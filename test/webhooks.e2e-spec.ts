import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { AuditSealer } from '../src/audit/chain/audit-sealer.service';
import { WebhookClock } from '../src/webhooks/webhook-clock';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher.service';
import { auditActionsOf, errorFields, login, Session, signedIn } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface EventPayload {
  id: string;
  type: string;
  occurredAt: string;
  seq: number | null;
  data: { object: { id: string; status?: string } };
}

/** A real HTTP receiver on loopback; each test answers on a path of its own. */
class Receiver {
  readonly received: Received[] = [];
  private readonly statuses = new Map<string, number[]>();
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString() });
        const queue = this.statuses.get(path) ?? [];
        res.statusCode = queue.length > 1 ? (queue.shift() as number) : (queue[0] ?? 200);
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Answers `path` with these statuses in turn, the last one from then on. */
  answer(path: string, ...statuses: number[]): void {
    this.statuses.set(path, statuses);
  }

  at(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const ITEM = { sku: 'SKU-1', name: 'Widget', quantity: 2, unitPrice: 1500 };
const DAY_MS = 24 * 3600 * 1000;

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('event subscriptions (outbound webhooks)', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;
  const receiver = new Receiver();
  let paths = 0;

  beforeAll(async () => {
    await receiver.start();
    env = await TestEnvironment.create();
    api = await env.start({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_BASE_MS: '200' });
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  });

  afterAll(async () => {
    await env.close();
    await receiver.stop();
  });

  /** Seals what committed and dispatches it now, instead of waiting for the next passes. */
  async function flush(): Promise<void> {
    await api.app.get(AuditSealer).seal();
    await api.app.get(WebhookDispatcher).dispatch();
  }

  async function subscribe(
    events: string[],
    statuses: number[] = [200],
  ): Promise<{ id: string; secret: string; path: string; version: number }> {
    paths += 1;
    const path = `/hook-${paths}`;
    receiver.answer(path, ...statuses);
    const response = await api
      .http()
      .post('/v1/webhook-endpoints')
      .set(admin.auth)
      .send({ url: receiver.url(path), events, description: `test ${paths}` })
      .expect(201);
    return { id: response.body.id, secret: response.body.secret, path, version: 1 };
  }

  async function newOrder(): Promise<{ id: string }> {
    const response = await api
      .http()
      .post('/v1/orders')
      .set(admin.auth)
      .send({ currency: 'EUR', items: [ITEM] })
      .expect(201);
    return response.body as { id: string };
  }

  async function receivedAt(path: string, count: number): Promise<Received[]> {
    return eventually(`${count} deliveries at ${path}`, async () => {
      await flush();
      const got = receiver.at(path);
      return got.length >= count ? got : undefined;
    });
  }

  function payloadOf(request: Received): EventPayload {
    return JSON.parse(request.body) as EventPayload;
  }

  it('delivers a committed order.created, signed as Standard Webhooks verifies it', async () => {
    const endpoint = await subscribe(['order.created']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const order = await newOrder();

    const [delivery] = await receivedAt(endpoint.path, 1);

    const verified = new Webhook(endpoint.secret).verify(
      delivery.body,
      delivery.headers as Record<string, string>,
    ) as EventPayload;
    expect(verified).toMatchObject({
      type: 'order.created',
      data: { object: { id: order.id, status: 'pending', total: 3000 } },
    });
    const [event] = await api.dataSource.query<{ id: string; seq: string; occurred_at: Date }[]>(
      `SELECT id, seq, occurred_at FROM audit_events
        WHERE action = 'order.created' AND resource_id = $1`,
      [order.id],
    );
    expect(verified.id).toBe(event.id);
    expect(delivery.headers['webhook-id']).toBe(event.id);
    expect(verified.seq).toBe(Number(event.seq));
    expect(verified.occurredAt).toBe(event.occurred_at.toISOString());
    expect(delivery.headers['content-type']).toBe('application/json');

    const log = await api
      .http()
      .get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
      .set(admin.auth)
      .expect(200);
    expect(log.body).toEqual({
      data: [
        expect.objectContaining({
          eventId: event.id,
          type: 'order.created',
          status: 'succeeded',
          attempts: 1,
          lastStatusCode: 200,
          lastError: null,
          nextAttemptAt: null,
          deliveredAt: expect.any(String),
        }),
      ],
      nextCursor: null,
    });
  });

  it('retries after a 500 with the same event id, then succeeds', async () => {
    const endpoint = await subscribe(['order.created'], [500, 200]);
    await newOrder();

    const [failed, succeeded] = await receivedAt(endpoint.path, 2);

    expect(succeeded.headers['webhook-id']).toBe(failed.headers['webhook-id']);
    expect(succeeded.body).toBe(failed.body);
    const log = await eventually('the delivery to be recorded as succeeded', async () => {
      const response = await api
        .http()
        .get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?status=succeeded`)
        .set(admin.auth)
        .expect(200);
      const page = response.body as { data: { attempts: number }[] };
      return page.data.length === 1 ? page : undefined;
    });
    expect(log.data[0]).toMatchObject({ attempts: 2, lastStatusCode: 200 });
  });

  it('sends a delivery again when asked (manual retry), and audits it', async () => {
    const endpoint = await subscribe(['order.created']);
    await newOrder();
    const [first] = await receivedAt(endpoint.path, 1);
    const log = await api
      .http()
      .get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
      .set(admin.auth)
      .expect(200);
    const deliveryId = log.body.data[0].id as string;

    const retried = await api
      .http()
      .post(`/v1/webhook-endpoints/${endpoint.id}/deliveries/${deliveryId}/retry`)
      .set(admin.auth)
      .expect(202);

    expect(retried.body).toMatchObject({ id: deliveryId, status: 'pending' });
    const [, again] = await receivedAt(endpoint.path, 2);
    expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(await auditActionsOf(api.dataSource, retried.headers['x-request-id'])).toEqual([
      'webhook_delivery.retried',
    ]);
    await api
      .http()
      .post(`/v1/webhook-endpoints/${endpoint.id}/deliveries/${endpoint.id}/retry`)
      .set(admin.auth)
      .expect(404);
  });

  it('delivers a webhook.test event on request', async () => {
    const endpoint = await subscribe(['order.paid']);

    const response = await api
      .http()
      .post(`/v1/webhook-endpoints/${endpoint.id}/test`)
      .set(admin.auth)
      .expect(202);

    expect(response.body).toMatchObject({ type: 'webhook.test', status: 'pending' });
    const [delivery] = await receivedAt(endpoint.path, 1);
    const payload = new Webhook(endpoint.secret).verify(
      delivery.body,
      delivery.headers as Record<string, string>,
    ) as EventPayload;
    expect(payload).toMatchObject({
      type: 'webhook.test',
      seq: null,
      data: { object: { id: endpoint.id } },
    });
  });

  it('sends nothing to a disabled endpoint', async () => {
    const disabled = await subscribe(['order.created']);
    const marker = await subscribe(['order.created']);
    const patched = await api
      .http()
      .patch(`/v1/webhook-endpoints/${disabled.id}`)
      .set(admin.auth)
      .set('if-match', '"1"')
      .send({ status: 'disabled' })
      .expect(200);
    expect(patched.body).toMatchObject({ status: 'disabled', version: 2 });
    expect(patched.headers.etag).toBe('"2"');

    await newOrder();

    await receivedAt(marker.path, 1);
    expect(receiver.at(disabled.path)).toEqual([]);
  });

  it('sends nothing for a refused change (cancelling a paid order is a 409)', async () => {
    const endpoint = await subscribe(['*']);
    const order = await newOrder();
    await api
      .http()
      .post(`/v1/orders/${order.id}/payments`)
      .set(admin.auth)
      .set('idempotency-key', `pay-${order.id}`)
      .send({ paymentMethod: { type: 'card', token: 'tok_visa' } })
      .expect(201);
    await api.http().post(`/v1/orders/${order.id}/cancel`).set(admin.auth).expect(409);
    await api.http().post(`/v1/orders/${order.id}/fulfil`).set(admin.auth).expect(200);

    // Deliveries of one endpoint run concurrently: they may arrive in any order.
    const types = await eventually('the events of the order to arrive', async () => {
      await flush();
      const got = receiver.at(endpoint.path).map((request) => payloadOf(request).type);
      return got.includes('order.fulfilled') && got.includes('payment.succeeded') ? got : undefined;
    });

    expect(types).not.toContain('order.cancelled');
    expect(types.sort()).toEqual(
      ['order.created', 'order.fulfilled', 'order.paid', 'payment.succeeded'].sort(),
    );
    const paid = receiver.at(endpoint.path).map(payloadOf);
    expect(paid.find((event) => event.type === 'payment.succeeded')?.data.object).toMatchObject({
      orderId: order.id,
      status: 'succeeded',
    });
  });

  it('signs with the old and the new secret for 24 h after a rotation', async () => {
    const endpoint = await subscribe(['order.created']);

    const rotated = await api
      .http()
      .post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set(admin.auth)
      .expect(200);

    expect(Object.keys(rotated.body)).toEqual(['secret']);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(await auditActionsOf(api.dataSource, rotated.headers['x-request-id'])).toEqual([
      'webhook_endpoint.secret_rotated',
    ]);
    await api.http().post(`/v1/webhook-endpoints/${endpoint.id}/test`).set(admin.auth).expect(202);
    const [delivery] = await receivedAt(endpoint.path, 1);
    expect(String(delivery.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.body.secret as string]) {
      expect(
        new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>),
      ).toMatchObject({ type: 'webhook.test' });
    }
  });

  it('manages endpoints: list, get with ETag, 412 on a stale If-Match, delete, audit', async () => {
    const endpoint = await subscribe(['user.created', 'order.paid']);

    const got = await api
      .http()
      .get(`/v1/webhook-endpoints/${endpoint.id}`)
      .set(admin.auth)
      .expect(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.body).toEqual({
      id: endpoint.id,
      url: receiver.url(endpoint.path),
      events: ['user.created', 'order.paid'],
      description: expect.any(String),
      status: 'enabled',
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const page = await api.http().get('/v1/webhook-endpoints?limit=1').set(admin.auth).expect(200);
    expect(page.body.data).toHaveLength(1);
    expect(page.body.data[0].id).toBe(endpoint.id);
    const next = await api
      .http()
      .get(`/v1/webhook-endpoints?limit=100&cursor=${page.body.nextCursor}`)
      .set(admin.auth)
      .expect(200);
    const rest = next.body as { data: { id: string }[] };
    expect(rest.data.map((row) => row.id)).not.toContain(endpoint.id);
    for (const row of [...page.body.data, ...next.body.data]) expect(row.secret).toBeUndefined();

    await api
      .http()
      .patch(`/v1/webhook-endpoints/${endpoint.id}`)
      .set(admin.auth)
      .set('if-match', '"7"')
      .send({ description: 'stale' })
      .expect(412);
    await api
      .http()
      .patch(`/v1/webhook-endpoints/${endpoint.id}`)
      .set(admin.auth)
      .send({ description: 'no If-Match' })
      .expect(428);
    const removed = await api
      .http()
      .delete(`/v1/webhook-endpoints/${endpoint.id}`)
      .set(admin.auth)
      .expect(204);
    expect(await auditActionsOf(api.dataSource, removed.headers['x-request-id'])).toEqual([
      'webhook_endpoint.deleted',
    ]);
    await api.http().get(`/v1/webhook-endpoints/${endpoint.id}`).set(admin.auth).expect(404);
    const [{ secret }] = await api.dataSource.query<{ secret: string }[]>(
      `SELECT secret FROM webhook_endpoints LIMIT 1`,
    );
    expect(secret).toMatch(/^v1\./);
  });

  it('deletes an endpoint while its deliveries are failing and being retried', async () => {
    const endpoint = await subscribe(['order.created'], [500]);
    for (let i = 0; i < 12; i += 1) await newOrder();
    await receivedAt(endpoint.path, 20);
    // Attempts keep failing and being recorded while the endpoint goes: both lock its row.
    await api.http().delete(`/v1/webhook-endpoints/${endpoint.id}`).set(admin.auth).expect(204);
    const [{ left }] = await api.dataSource.query<{ left: string }[]>(
      `SELECT count(*)::text AS left FROM webhook_deliveries WHERE endpoint_id = $1`,
      [endpoint.id],
    );
    expect(left).toBe('0');
    const sent = receiver.at(endpoint.path).length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await flush();
    // An attempt in flight at the deletion may still arrive; nothing is sent after it.
    expect(receiver.at(endpoint.path).length).toBeLessThanOrEqual(sent + 4);
  });

  it('lists the event types and refuses unknown ones', async () => {
    const types = await api
      .http()
      .get('/v1/webhook-event-types?limit=100')
      .set(admin.auth)
      .expect(200);
    expect(types.body.data).toHaveLength(18);
    expect(types.body.data).toContainEqual({ type: 'order.paid' });

    const refused = await api
      .http()
      .post('/v1/webhook-endpoints')
      .set(admin.auth)
      .send({ url: receiver.url('/x'), events: ['order.paid', 'order.exploded'] })
      .expect(400);
    expect(errorFields(refused.body)).toEqual(['events']);
  });

  it('answers 403 without webhooks:manage', async () => {
    const customer = await signedIn(api, ['manager']);
    await api.http().get('/v1/webhook-endpoints').set(customer.auth).expect(403);
    await api.http().get('/v1/webhook-event-types').set(customer.auth).expect(403);
    await api
      .http()
      .post('/v1/webhook-endpoints')
      .set(customer.auth)
      .send({ url: receiver.url('/x'), events: ['*'] })
      .expect(403);
  });

  it('refuses loopback, private and metadata addresses unless allowed', async () => {
    const strict = await env.start({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    try {
      const session = await login(strict, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      for (const url of [
        'http://127.0.0.1:9/hook',
        'http://10.0.0.1/hook',
        'http://169.254.169.254/latest/meta-data',
        'http://[fd00:ec2::254]/latest',
        'http://localhost:9/hook',
      ]) {
        const response = await strict
          .http()
          .post('/v1/webhook-endpoints')
          .set(session.auth)
          .send({ url, events: ['*'] })
          .expect(400);
        expect({ url, fields: errorFields(response.body) }).toEqual({ url, fields: ['url'] });
      }
    } finally {
      await strict.close();
    }
  });

  // Last: it moves this instance's webhook clock three days ahead.
  it('disables and audits an endpoint whose deliveries have all failed for 3 days', async () => {
    const endpoint = await subscribe(['order.created'], [503]);
    await newOrder();
    await receivedAt(endpoint.path, 1);

    api.app.get(WebhookClock).advance(3 * DAY_MS + 60_000);

    const disabled = await eventually('the endpoint to be disabled', async () => {
      const response = await api
        .http()
        .get(`/v1/webhook-endpoints/${endpoint.id}`)
        .set(admin.auth)
        .expect(200);
      const body = response.body as { status: string; version: number };
      return body.status === 'disabled' ? body : undefined;
    });
    expect(disabled.version).toBe(2);
    const events = await api.dataSource.query<{ actor_type: string; outcome: string }[]>(
      `SELECT actor_type, outcome FROM audit_events
        WHERE action = 'webhook_endpoint.disabled' AND resource_id = $1`,
      [endpoint.id],
    );
    expect(events).toEqual([{ actor_type: 'system', outcome: 'success' }]);
    const given = await api
      .http()
      .get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
      .set(admin.auth)
      .expect(200);
    expect(given.body.data[0]).toMatchObject({ status: 'failed', lastStatusCode: 503 });
  });
});
