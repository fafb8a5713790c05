import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { login, newOrder, Session, signedIn, TestUser } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

type Caller = TestUser & Session;
const PROBLEMS = 'https://bastion.dev/problems/';
const NUL = '\u0000';
const TOO_DEEP = 'is nested deeper than 32 levels';
const HOLDS_NUL = 'must not contain a NUL character';

/** `{ "<field>": [[[ … ]]] }`: the object is level 1, so the arrays reach `depth` levels in all. */
function nestedBody(field: string, depth: number): string {
  return `{"${field}":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

/** The dotted path of the first array past the limit: `<field>.0.0…`. */
function pathAtDepth(field: string, depth: number): string {
  return [field, ...Array.from({ length: depth - 2 }, () => '0')].join('.');
}

function expectBadInput(response: Response, errors: { field: string; message: string }[]): void {
  expect(response.status).toBe(400);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: `${PROBLEMS}validation-failed`, status: 400 });
  expect(response.body.errors).toEqual(errors);
}

describe('bad input of any shape is a 400 with errors, never a 500', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let customer: Caller;
  let admin: Session;
  let orderId: string;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    customer = await signedIn(api);
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    orderId = (await newOrder(api, customer.auth)).id;
  });
  afterAll(() => env.close());

  // The server still answers, and still takes a well-formed request, after each of them.
  afterEach(async () => {
    await api.http().get('/health/live').expect(200);
    await newOrder(api, customer.auth);
  });

  const postOrder = () => api.http().post('/v1/orders').set(customer.auth);
  const postPayment = (id = orderId) =>
    api
      .http()
      .post(`/v1/orders/${id}/payments`)
      .set(customer.auth)
      .set('idempotency-key', randomUUID());
  const postLogin = () => api.http().post('/v1/auth/login');
  const routes: [string, () => ReturnType<typeof postOrder>, string][] = [
    ['POST /v1/orders', postOrder, 'items'],
    ['POST /v1/orders/:id/payments', () => postPayment(), 'paymentMethod'],
    ['POST /v1/auth/login', postLogin, 'email'],
  ];

  describe.each(routes)('%s', (_route, send, field) => {
    it('refuses a 400 KB body of nested arrays', async () => {
      const depth = 200_000;
      const body = nestedBody(field, depth);
      expect(body.length).toBeGreaterThan(400_000);
      const response = await send().set('content-type', 'application/json').send(body);
      expectBadInput(response, [{ field: pathAtDepth(field, 33), message: TOO_DEEP }]);
    });

    it('refuses 33 levels of nesting and lets 32 through to validation', async () => {
      const tooDeep = await send()
        .set('content-type', 'application/json')
        .send(nestedBody(field, 33));
      expectBadInput(tooDeep, [{ field: pathAtDepth(field, 33), message: TOO_DEEP }]);
      const deepest = await send()
        .set('content-type', 'application/json')
        .send(nestedBody(field, 32))
        .expect(400);
      expect(deepest.body.errors).not.toContainEqual(
        expect.objectContaining({ message: TOO_DEEP }),
      );
    });

    it('refuses an empty body sent as JSON', async () => {
      const response = await send().set('content-type', 'application/json').send('');
      expectBadInput(response, [{ field: 'body', message: 'must not be empty' }]);
    });
  });

  it('refuses a NUL character in an item name', async () => {
    const response = await postOrder().send({
      currency: 'EUR',
      items: [{ sku: 'SKU-1', name: `Wid${NUL}get`, quantity: 1, unitPrice: 100 }],
    });
    expectBadInput(response, [{ field: 'items.0.name', message: HOLDS_NUL }]);
  });

  it('refuses a NUL character in a note, on create and on edit', async () => {
    const created = await postOrder().send({
      currency: 'EUR',
      items: [{ sku: 'SKU-1', name: 'Widget', quantity: 1, unitPrice: 100 }],
      note: `leave at the door${NUL}`,
    });
    expectBadInput(created, [{ field: 'note', message: HOLDS_NUL }]);
    const edited = await api
      .http()
      .patch(`/v1/orders/${orderId}`)
      .set(admin.auth)
      .set('if-match', '"1"')
      .send({ note: NUL });
    expectBadInput(edited, [{ field: 'note', message: HOLDS_NUL }]);
  });

  it('refuses a NUL character in a payment token', async () => {
    const response = await postPayment().send({
      paymentMethod: { type: 'card', token: `tok_visa${NUL}` },
    });
    expectBadInput(response, [{ field: 'paymentMethod.token', message: HOLDS_NUL }]);
  });

  it('refuses a NUL character in a field name', async () => {
    const response = await postOrder()
      .set('content-type', 'application/json')
      .send(`{"currency":"EUR","no\\u0000te":"x"}`);
    expectBadInput(response, [{ field: 'body', message: 'has a field name with a NUL character' }]);
  });

  it('refuses a NUL character in a query parameter and in a path parameter', async () => {
    const query = await api.http().get('/v1/users?q=ad%00min').set(admin.auth);
    expectBadInput(query, [{ field: 'q', message: HOLDS_NUL }]);
    const audit = await api.http().get('/v1/audit-events?action=order.%00').set(admin.auth);
    expectBadInput(audit, [{ field: 'action', message: HOLDS_NUL }]);
    const path = await api.http().get('/v1/orders/%00').set(customer.auth);
    expectBadInput(path, [{ field: 'id', message: HOLDS_NUL }]);
  });
});
