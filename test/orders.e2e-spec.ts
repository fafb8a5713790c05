import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { UserStatus } from '../src/users/entities/user.entity';
import {
  auditActionsOf,
  errorFields,
  newApiKey,
  newOrder,
  newRole,
  newUser,
  login,
  Session,
  signedIn,
} from './support/factories';
import { Caller, PROBLEMS } from './support/payments';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

function idsOf(response: Response): string[] {
  return (response.body.data as { id: string }[]).map((row) => row.id);
}

const ITEM = { sku: 'SKU-1', name: 'Widget', quantity: 2, unitPrice: 1500 };

describe('orders', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let alice: Caller;
  let bob: Caller;
  let manager: Caller;
  let admin: Session;

  async function expectAudit(response: Response, actions: string[]): Promise<void> {
    expect(await auditActionsOf(api.dataSource, response.headers['x-request-id'])).toEqual(actions);
  }

  /** The one event a refused change leaves: outcome failure, the problem's slug as the reason. */
  async function expectRefused(
    response: Response,
    actor: Caller,
    request: { method: string; path: string },
    reason: string,
  ): Promise<void> {
    const rows: { action: string; outcome: string; actor_id: string; metadata: object }[] =
      await api.dataSource.query(
        'SELECT action, outcome, actor_id, metadata FROM audit_events WHERE request_id = $1',
        [response.headers['x-request-id']],
      );
    expect(rows).toEqual([
      {
        action: 'request.refused',
        outcome: 'failure',
        actor_id: actor.id,
        metadata: {
          status: response.status,
          ...request,
          reason,
        },
      },
    ]);
  }

  /** Puts an order into a state as payments and refunds would have left it. */
  async function forceState(id: string, status: string): Promise<void> {
    const paid = ['paid', 'fulfilled', 'partially_refunded', 'refunded'].includes(status);
    await api.dataSource.query(
      `UPDATE orders SET status = $2::varchar,
         amount_paid = CASE WHEN $3::boolean THEN total ELSE 0 END,
         amount_refunded = CASE $2::varchar
           WHEN 'refunded' THEN total WHEN 'partially_refunded' THEN 1 ELSE 0 END
       WHERE id = $1`,
      [id, status, paid],
    );
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    [alice, bob, manager] = await Promise.all([
      signedIn(api),
      signedIn(api),
      signedIn(api, ['manager']),
    ]);
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  });
  afterAll(() => env.close());

  describe('POST /v1/orders', () => {
    it('creates a pending order for the caller with server-computed totals', async () => {
      const response = await api
        .http()
        .post('/v1/orders')
        .set(alice.auth)
        .send({
          currency: 'EUR',
          items: [ITEM, { sku: 'SKU-2', name: 'Gadget', quantity: 3, unitPrice: 999 }],
          note: 'Leave at the door',
        })
        .expect(201)
        .expect('content-type', 'application/json; charset=utf-8');
      expect(response.headers.etag).toBe('"1"');
      expect(response.body).toMatchObject({
        customerId: alice.id,
        status: 'pending',
        currency: 'EUR',
        subtotal: 5997,
        total: 5997,
        amountPaid: 0,
        amountRefunded: 0,
        note: 'Leave at the door',
        version: 1,
      });
      expect(response.body.items).toEqual([
        { id: expect.any(String), ...ITEM, lineTotal: 3000 },
        {
          id: expect.any(String),
          sku: 'SKU-2',
          name: 'Gadget',
          quantity: 3,
          unitPrice: 999,
          lineTotal: 2997,
        },
      ]);
      expect(Number.isInteger(response.body.number)).toBe(true);
      await expectAudit(response, ['order.created']);
    });

    it('returns free text exactly as sent, whatever JSON must escape in it', async () => {
      const text = 'Say "hi" \\ back\nslash\ttab \u0001 </script> ü 😀';
      const response = await api
        .http()
        .post('/v1/orders')
        .set(alice.auth)
        .send({ currency: 'EUR', items: [{ ...ITEM, sku: 'Q"\\1', name: text }], note: text })
        .expect(201);
      const read = await api
        .http()
        .get(`/v1/orders/${response.body.id}`)
        .set(alice.auth)
        .expect(200);
      for (const order of [response.body, read.body]) {
        expect(order.note).toBe(text);
        expect(order.items[0]).toMatchObject({ sku: 'Q"\\1', name: text });
      }
    });

    it('numbers orders uniquely and increasingly', async () => {
      const first = await newOrder(api, alice.auth);
      const second = await newOrder(api, alice.auth);
      const [a, b] = await Promise.all(
        [first.id, second.id].map(async (id) => {
          const response = await api.http().get(`/v1/orders/${id}`).set(alice.auth).expect(200);
          return response.body.number as number;
        }),
      );
      expect(b).toBeGreaterThan(a);
    });

    it('prices the largest order exactly: 100 items × 10000 × 100000000', async () => {
      const items = Array.from({ length: 100 }, (_, index) => ({
        sku: `MAX-${index}`,
        name: 'Expensive',
        quantity: 10000,
        unitPrice: 100000000,
      }));
      const response = await api
        .http()
        .post('/v1/orders')
        .set(alice.auth)
        .send({ currency: 'JPY', items })
        .expect(201);
      expect(response.body.total).toBe(100_000_000_000_000);
      expect(response.body.subtotal).toBe(1e14);
      expect(response.body.items[99].lineTotal).toBe(1_000_000_000_000);
      const [row] = await api.dataSource.query('SELECT total::text FROM orders WHERE id = $1', [
        response.body.id,
      ]);
      expect(row.total).toBe('100000000000000');
    });

    it.each([
      [{ currency: 'EUR', items: [] }, ['items']],
      [{ currency: 'eur', items: [ITEM] }, ['currency']],
      [{ currency: 'XYZ', items: [ITEM] }, ['currency']],
      [{ currency: 'EUR', items: [{ ...ITEM, quantity: 0 }] }, ['items.0.quantity']],
      [{ currency: 'EUR', items: [{ ...ITEM, quantity: 10001 }] }, ['items.0.quantity']],
      [{ currency: 'EUR', items: [{ ...ITEM, quantity: 1.5 }] }, ['items.0.quantity']],
      [{ currency: 'EUR', items: [{ ...ITEM, unitPrice: -1 }] }, ['items.0.unitPrice']],
      [{ currency: 'EUR', items: [{ ...ITEM, unitPrice: 100000001 }] }, ['items.0.unitPrice']],
      [{ currency: 'EUR', items: [ITEM, { ...ITEM, sku: '' }] }, ['items.1.sku']],
      [{ currency: 'EUR', items: [{ ...ITEM, sku: 'x'.repeat(65) }] }, ['items.0.sku']],
      [{ currency: 'EUR', items: [{ ...ITEM, lineTotal: 1 }] }, ['items.0.lineTotal']],
      [{ currency: 'EUR', items: [ITEM], total: 1 }, ['total']],
      [{ currency: 'EUR', items: [ITEM], note: 'x'.repeat(1001) }, ['note']],
      [{ currency: 'EUR', items: [ITEM], customerId: 'nope' }, ['customerId']],
    ])('answers 400 for %j', async (body, fields) => {
      const response = await api.http().post('/v1/orders').set(alice.auth).send(body).expect(400);
      expect(errorFields(response.body)).toEqual(fields);
    });

    it('refuses more than 100 items', async () => {
      const items = Array.from({ length: 101 }, () => ITEM);
      const response = await api
        .http()
        .post('/v1/orders')
        .set(alice.auth)
        .send({ currency: 'EUR', items })
        .expect(400);
      expect(errorFields(response.body)).toEqual(['items']);
    });

    it('lets a customer name only themself as customerId', async () => {
      await api
        .http()
        .post('/v1/orders')
        .set(alice.auth)
        .send({ currency: 'EUR', items: [ITEM], customerId: bob.id })
        .expect(403);
      const own = await newOrder(api, alice.auth, { customerId: alice.id });
      expect(own.customerId).toBe(alice.id);
    });

    it('lets orders:create:any create for an active customer, and only an active one', async () => {
      const order = await newOrder(api, manager.auth, { customerId: bob.id });
      expect(order.customerId).toBe(bob.id);
      const disabled = await newUser(api.dataSource, { status: UserStatus.Disabled });
      for (const customerId of [disabled.id, randomUUID()]) {
        const response = await api
          .http()
          .post('/v1/orders')
          .set(manager.auth)
          .send({ currency: 'EUR', items: [ITEM], customerId })
          .expect(400);
        expect(response.body.errors).toEqual([
          { field: 'customerId', message: 'is not an active user' },
        ]);
      }
    });

    it('makes an API key act for its creator', async () => {
      const key = await newApiKey(api, admin.auth, ['orders:create:own', 'orders:read:own']);
      const me = await api.http().get('/v1/auth/me').set(admin.auth).expect(200);
      const order = await newOrder(api, key.header);
      expect(order.customerId).toBe(me.body.user.id);
    });

    it('needs a credential and an orders:create permission', async () => {
      await api
        .http()
        .post('/v1/orders')
        .send({ currency: 'EUR', items: [ITEM] })
        .expect(401);
      const auditor = await signedIn(api, ['auditor']);
      await api
        .http()
        .post('/v1/orders')
        .set(auditor.auth)
        .send({ currency: 'EUR', items: [ITEM] })
        .expect(403);
    });
  });

  describe('GET /v1/orders/:id', () => {
    it('shows the owner and orders:read:any their order with an ETag', async () => {
      const order = await newOrder(api, alice.auth);
      for (const caller of [alice, manager]) {
        const response = await api
          .http()
          .get(`/v1/orders/${order.id}`)
          .set(caller.auth)
          .expect(200);
        expect(response.body.id).toBe(order.id);
        expect(response.headers.etag).toBe('"1"');
      }
    });

    it('answers 404 for another customer’s order, exactly as for an absent one', async () => {
      const order = await newOrder(api, alice.auth);
      const hidden = await api.http().get(`/v1/orders/${order.id}`).set(bob.auth).expect(404);
      const absent = await api.http().get(`/v1/orders/${randomUUID()}`).set(bob.auth).expect(404);
      expect(hidden.body.detail).toBe(absent.body.detail);
    });

    it('answers 400 for a malformed id, 401 without credential, 403 without permission', async () => {
      const bad = await api.http().get('/v1/orders/42').set(alice.auth).expect(400);
      expect(errorFields(bad.body)).toEqual(['id']);
      await api.http().get(`/v1/orders/${randomUUID()}`).expect(401);
      const auditor = await signedIn(api, ['auditor']);
      await api.http().get(`/v1/orders/${randomUUID()}`).set(auditor.auth).expect(403);
    });
  });

  describe('GET /v1/orders', () => {
    let carol: Caller;
    let carolOrders: string[];
    let dave: Caller;

    beforeAll(async () => {
      [carol, dave] = await Promise.all([signedIn(api), signedIn(api)]);
      carolOrders = [];
      for (let index = 0; index < 5; index += 1) {
        carolOrders.push((await newOrder(api, carol.auth)).id);
      }
      await newOrder(api, dave.auth);
    });

    it('lists only the caller’s own orders, newest first, whatever customerId says', async () => {
      const response = await api
        .http()
        .get('/v1/orders')
        .query({ limit: 100 })
        .set(carol.auth)
        .expect(200);
      expect((response.body.data as { id: string }[]).map((order) => order.id)).toEqual(
        [...carolOrders].reverse(),
      );
      const spying = await api
        .http()
        .get('/v1/orders')
        .query({ customerId: dave.id })
        .set(carol.auth)
        .expect(200);
      expect(spying.body).toEqual({ data: [], nextCursor: null });
    });

    it('lists any customer’s orders for orders:read:any, filtered by customerId', async () => {
      const response = await api
        .http()
        .get('/v1/orders')
        .query({ customerId: carol.id, limit: 100 })
        .set(manager.auth)
        .expect(200);
      expect(response.body.data).toHaveLength(5);
      const owners = (response.body.data as { customerId: string }[]).map((o) => o.customerId);
      expect(new Set(owners)).toEqual(new Set([carol.id]));
    });

    it('lists each order as JSON exactly as it reads alone', async () => {
      const page = await api
        .http()
        .get('/v1/orders')
        .query({ limit: 2 })
        .set(carol.auth)
        .expect(200)
        .expect('content-type', 'application/json; charset=utf-8');
      expect(page.body.data).toHaveLength(2);
      expect(typeof page.body.nextCursor).toBe('string');
      for (const listed of page.body.data as { id: string }[]) {
        const alone = await api.http().get(`/v1/orders/${listed.id}`).set(carol.auth).expect(200);
        expect(listed).toEqual(alone.body);
      }
    });

    it('walks every page once, with no row missing or repeated, under concurrent inserts', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response: Response = await api
          .http()
          .get('/v1/orders')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(carol.auth)
          .expect(200);
        seen.push(...(response.body.data as { id: string }[]).map((order) => order.id));
        cursor = response.body.nextCursor as string | null;
        pages += 1;
        // A new order lands at the head of the list and must not shift later pages.
        if (pages === 1) await newOrder(api, carol.auth);
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...carolOrders].reverse());
    });

    it('filters by status and creation time', async () => {
      const cancelled = carolOrders[0];
      await api.http().post(`/v1/orders/${cancelled}/cancel`).set(carol.auth).expect(200);
      const byStatus = await api
        .http()
        .get('/v1/orders')
        .query({ status: 'cancelled' })
        .set(carol.auth)
        .expect(200);
      expect(idsOf(byStatus)).toEqual([cancelled]);

      const all = await api.http().get('/v1/orders').query({ limit: 100 }).set(carol.auth);
      const oldestFirst = [...all.body.data].reverse() as { id: string; createdAt: string }[];
      const from = oldestFirst[1].createdAt;
      const to = oldestFirst[3].createdAt;
      const window = await api
        .http()
        .get('/v1/orders')
        .query({ createdFrom: from, createdTo: to })
        .set(carol.auth)
        .expect(200);
      expect(idsOf(window)).toEqual([oldestFirst[2].id, oldestFirst[1].id]);
    });

    it.each([
      [{ limit: 0 }, 'limit'],
      [{ limit: 101 }, 'limit'],
      [{ cursor: 'garbage' }, 'cursor'],
      [{ status: 'lost' }, 'status'],
      [{ customerId: 'me' }, 'customerId'],
      [{ createdFrom: 'yesterday' }, 'createdFrom'],
      [{ createdTo: '2026-13-01' }, 'createdTo'],
      [{ sort: 'total' }, 'sort'],
    ])('answers 400 for %j', async (query, field) => {
      const response = await api.http().get('/v1/orders').query(query).set(alice.auth).expect(400);
      expect(errorFields(response.body)).toEqual([field]);
    });

    it('needs an orders:read permission', async () => {
      const auditor = await signedIn(api, ['auditor']);
      await api.http().get('/v1/orders').set(auditor.auth).expect(403);
      await api.http().get('/v1/orders').expect(401);
    });
  });

  describe('PATCH /v1/orders/:id', () => {
    it('replaces items, recomputes totals, bumps the version, audits', async () => {
      const order = await newOrder(api, alice.auth);
      const response = await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .set('if-match', '"1"')
        .send({ items: [{ sku: 'NEW', name: 'New thing', quantity: 4, unitPrice: 250 }] })
        .expect(200);
      expect(response.body).toMatchObject({ subtotal: 1000, total: 1000, version: 2 });
      expect(response.body.items).toHaveLength(1);
      expect(response.headers.etag).toBe('"2"');
      await expectAudit(response, ['order.updated']);
      const [stored] = await api.dataSource.query('SELECT items FROM orders WHERE id = $1', [
        order.id,
      ]);
      expect(stored.items).toEqual(response.body.items);
    });

    it('sets and clears the note; an unchanged body changes nothing', async () => {
      const order = await newOrder(api, alice.auth);
      const set = await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .set('if-match', '"1"')
        .send({ note: 'Gift wrap' })
        .expect(200);
      expect(set.body).toMatchObject({ note: 'Gift wrap', version: 2 });
      const cleared = await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .set('if-match', '"2"')
        .send({ note: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ note: null, version: 3 });
      const same = await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .set('if-match', '"3"')
        .send({ items: [ITEM] })
        .expect(200);
      expect(same.body.version).toBe(3);
      await expectAudit(same, []);
    });

    it('answers 428 without If-Match and 412 for a stale one', async () => {
      const order = await newOrder(api, alice.auth);
      await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .send({ note: 'x' })
        .expect(428);
      await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .set('if-match', '"7"')
        .send({ note: 'x' })
        .expect(412);
    });

    it('records a stale If-Match (412) once, as request.refused, and changes nothing', async () => {
      const order = await newOrder(api, alice.auth);
      const stale = await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .set('if-match', '"7"')
        .send({ note: 'stale' })
        .expect(412);
      await expectRefused(
        stale,
        manager,
        { method: 'PATCH', path: `/v1/orders/${order.id}` },
        'precondition-failed',
      );
      const after = await api.http().get(`/v1/orders/${order.id}`).set(manager.auth).expect(200);
      expect(after.body.version).toBe(1);
      expect(after.body.note).not.toBe('stale');
    });

    it('lets exactly one of two concurrent edits of one version win', async () => {
      const order = await newOrder(api, alice.auth);
      const statuses = await Promise.all(
        ['first', 'second'].map(async (note) => {
          const response = await api
            .http()
            .patch(`/v1/orders/${order.id}`)
            .set(manager.auth)
            .set('if-match', '"1"')
            .send({ note });
          return response.status;
        }),
      );
      expect(statuses.sort()).toEqual([200, 412]);
    });

    it.each(['paid', 'fulfilled', 'cancelled', 'partially_refunded', 'refunded'])(
      'answers 409 naming the state for a %s order',
      async (status) => {
        const order = await newOrder(api, alice.auth);
        await forceState(order.id, status);
        const response = await api
          .http()
          .patch(`/v1/orders/${order.id}`)
          .set(manager.auth)
          .set('if-match', '"1"')
          .send({ note: 'late' })
          .expect(409);
        expect(response.body.type).toBe(`${PROBLEMS}order-not-editable`);
        expect(response.body.detail).toContain(`The order is ${status}`);
      },
    );

    it('needs orders:update:any; 404 for an absent order; rejects unknown fields', async () => {
      const order = await newOrder(api, alice.auth);
      await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(alice.auth)
        .set('if-match', '"1"')
        .send({ note: 'mine' })
        .expect(403);
      await api
        .http()
        .patch(`/v1/orders/${randomUUID()}`)
        .set(manager.auth)
        .set('if-match', '"1"')
        .send({ note: 'x' })
        .expect(404);
      const bad = await api
        .http()
        .patch(`/v1/orders/${order.id}`)
        .set(manager.auth)
        .set('if-match', '"1"')
        .send({ status: 'paid', items: [] })
        .expect(400);
      expect(errorFields(bad.body).sort()).toEqual(['items', 'status']);
    });
  });

  describe('POST /v1/orders/:id/cancel', () => {
    it('lets the owner cancel a pending order, audited, with a new ETag', async () => {
      const order = await newOrder(api, alice.auth);
      const response = await api
        .http()
        .post(`/v1/orders/${order.id}/cancel`)
        .set(alice.auth)
        .expect(200);
      expect(response.body).toMatchObject({ status: 'cancelled', version: 2 });
      expect(response.headers.etag).toBe('"2"');
      await expectAudit(response, ['order.cancelled']);
    });

    it('answers 404 to another customer and lets orders:cancel:any cancel anyone’s', async () => {
      const order = await newOrder(api, alice.auth);
      await api.http().post(`/v1/orders/${order.id}/cancel`).set(bob.auth).expect(404);
      await api.http().post(`/v1/orders/${order.id}/cancel`).set(manager.auth).expect(200);
    });

    it('refuses a pending order with captured money', async () => {
      const order = await newOrder(api, alice.auth);
      await api.dataSource.query('UPDATE orders SET amount_paid = 1 WHERE id = $1', [order.id]);
      const response = await api
        .http()
        .post(`/v1/orders/${order.id}/cancel`)
        .set(alice.auth)
        .expect(409);
      expect(response.body.type).toBe(`${PROBLEMS}order-has-payments`);
    });

    it.each(['paid', 'fulfilled', 'cancelled', 'partially_refunded', 'refunded'])(
      'answers 409 naming the state for a %s order',
      async (status) => {
        const order = await newOrder(api, alice.auth);
        await forceState(order.id, status);
        const response = await api
          .http()
          .post(`/v1/orders/${order.id}/cancel`)
          .set(manager.auth)
          .expect(409);
        expect(response.body.type).toBe(`${PROBLEMS}illegal-transition`);
        expect(response.body.detail).toBe(`The order is ${status}; it cannot become cancelled.`);
      },
    );

    it.each(['paid', 'cancelled'])(
      'records the refused cancel of a %s order once, as request.refused, and changes nothing',
      async (status) => {
        const order = await newOrder(api, alice.auth);
        await forceState(order.id, status);
        const refused = await api
          .http()
          .post(`/v1/orders/${order.id}/cancel`)
          .set(manager.auth)
          .expect(409);
        await expectRefused(
          refused,
          manager,
          { method: 'POST', path: `/v1/orders/${order.id}/cancel` },
          'illegal-transition',
        );
        const after = await api.http().get(`/v1/orders/${order.id}`).set(manager.auth).expect(200);
        expect(after.body).toMatchObject({ status, version: 1 });
      },
    );

    it('needs an orders:cancel permission', async () => {
      const order = await newOrder(api, alice.auth);
      const readOnly = await newRole(api.dataSource, ['orders:read:any']);
      const reader = await signedIn(api, [readOnly.name]);
      await api.http().post(`/v1/orders/${order.id}/cancel`).set(reader.auth).expect(403);
      await api.http().post(`/v1/orders/${order.id}/cancel`).expect(401);
    });
  });

  describe('POST /v1/orders/:id/fulfil', () => {
    it('fulfils a paid order, audited', async () => {
      const order = await newOrder(api, alice.auth);
      await forceState(order.id, 'paid');
      const response = await api
        .http()
        .post(`/v1/orders/${order.id}/fulfil`)
        .set(manager.auth)
        .expect(200);
      expect(response.body.status).toBe('fulfilled');
      await expectAudit(response, ['order.fulfilled']);
    });

    it.each(['pending', 'fulfilled', 'cancelled', 'partially_refunded', 'refunded'])(
      'answers 409 naming the state for a %s order',
      async (status) => {
        const order = await newOrder(api, alice.auth);
        await forceState(order.id, status);
        const response = await api
          .http()
          .post(`/v1/orders/${order.id}/fulfil`)
          .set(manager.auth)
          .expect(409);
        expect(response.body.detail).toBe(`The order is ${status}; it cannot become fulfilled.`);
      },
    );

    it('needs orders:update:any; 404 for an absent order', async () => {
      const order = await newOrder(api, alice.auth);
      await api.http().post(`/v1/orders/${order.id}/fulfil`).set(alice.auth).expect(403);
      await api.http().post(`/v1/orders/${randomUUID()}/fulfil`).set(manager.auth).expect(404);
    });
  });

  describe('the orders_items_valid constraint', () => {
    const item = { id: randomUUID(), sku: 'SKU-1', name: 'Widget', quantity: 2, unitPrice: 1500 };

    /** Writes `items` and `subtotal` straight into a new order's row, past the API. */
    async function store(items: unknown, subtotal: number): Promise<unknown> {
      const order = await newOrder(api, alice.auth);
      return api.dataSource.query(
        'UPDATE orders SET items = $2::json, subtotal = $3, total = $3 WHERE id = $1',
        [order.id, JSON.stringify(items), subtotal],
      );
    }

    it('accepts items that price to the subtotal', async () => {
      await expect(store([{ ...item, lineTotal: 3000 }], 3000)).resolves.toBeDefined();
    });

    it.each([
      ['a line total other than quantity × unit price', [{ ...item, lineTotal: 2999 }], 2999],
      ['a subtotal other than the sum of line totals', [{ ...item, lineTotal: 3000 }], 3001],
      ['no items', [], 0],
      ['an item without a sku', [{ ...item, sku: undefined, lineTotal: 3000 }], 3000],
      ['an empty name', [{ ...item, name: '', lineTotal: 3000 }], 3000],
      ['a quantity of 0', [{ ...item, quantity: 0, lineTotal: 0 }], 0],
      ['a fractional quantity', [{ ...item, quantity: 1.5, lineTotal: 2250 }], 2250],
      [
        'a unit price over 100000000',
        [{ ...item, quantity: 1, unitPrice: 1e8 + 1, lineTotal: 1e8 + 1 }],
        1e8 + 1,
      ],
      ['an amount given as a string', [{ ...item, unitPrice: '1500', lineTotal: 3000 }], 3000],
      [
        '101 items',
        Array.from({ length: 101 }, () => ({ ...item, quantity: 1, unitPrice: 1, lineTotal: 1 })),
        101,
      ],
      ['an object instead of an array', { ...item, lineTotal: 3000 }, 3000],
    ])('refuses %s', async (_case, items, subtotal) => {
      await expect(store(items, subtotal)).rejects.toThrow(/orders_items_valid/);
    });
  });
});
