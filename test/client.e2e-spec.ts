import { setTimeout as sleep } from 'node:timers/promises';
import { BastionClient, type TokenPair } from '@bastion/client';
import { rejection } from './support/client-expectations';
import { newUser } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

const ITEMS = [{ sku: 'SKU-1', name: 'Espresso beans', quantity: 2, unitPrice: 1999 }];

describe('@bastion/client against a real server', () => {
  let env: TestEnvironment;
  let api: TestInstance;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
  });
  afterAll(() => env.close());

  async function signedInClient(roles: string[], instance = api): Promise<BastionClient> {
    const user = await newUser(instance.dataSource, { roles });
    const client = new BastionClient({ baseUrl: instance.url });
    await client.signIn({ email: user.email, password: user.password });
    return client;
  }

  it('signs in and refreshes an expired access token by itself, once for concurrent calls', async () => {
    const shortLived = await env.start({ JWT_ACCESS_TTL: '2s' });
    const user = await newUser(shortLived.dataSource, { roles: ['customer'] });
    const issued: (TokenPair | null)[] = [];
    const client = new BastionClient({
      baseUrl: shortLived.url,
      onTokens: (tokens) => issued.push(tokens),
    });
    const first = await client.signIn({ email: user.email, password: user.password });
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 2 });
    expect((await client.GET('/v1/auth/me')).user.email).toBe(user.email);

    await sleep(3000);
    const answers = await Promise.all(Array.from({ length: 5 }, () => client.GET('/v1/auth/me')));
    expect(answers.map((me) => me.user.id)).toEqual(Array(5).fill(user.id));
    // One sign-in and one refresh: a second refresh would have presented a rotated token.
    expect(issued).toHaveLength(2);
    expect(client.tokens?.refreshToken).not.toBe(first.refreshToken);

    await client.signOut();
    expect(client.tokens).toBeNull();
    await shortLived.close();
  });

  it('throws typed problems: a wrong password is a 401 with its type', async () => {
    const client = new BastionClient({ baseUrl: api.url });
    const problem = await rejection(
      client.signIn({ email: ADMIN_EMAIL, password: `${ADMIN_PASSWORD}-wrong` }),
    );
    expect(problem.status).toBe(401);
    expect(problem.requestId).toBeTruthy();
    expect(client.tokens).toBeNull();
  });

  it('calls with an API key (X-API-Key)', async () => {
    const admin = new BastionClient({ baseUrl: api.url });
    await admin.signIn({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const created = await admin.POST('/v1/api-keys', {
      body: { name: 'fulfilment', permissions: ['orders:read:any'] },
    });
    const service = new BastionClient({ baseUrl: api.url, apiKey: created.key });
    const me = await service.GET('/v1/auth/me');
    expect([...me.permissions].sort()).toEqual(['orders:read:any', 'orders:read:own']);
    const orders = await service.GET('/v1/orders', { params: { query: { limit: 1 } } });
    expect(orders).toHaveProperty('nextCursor');
    const refused = await rejection(
      service.POST('/v1/orders', { body: { currency: 'EUR', items: ITEMS } }),
    );
    expect(refused.status).toBe(403);
  });

  it('sends If-Match from the last ETag it saw; a stale one is a typed 412', async () => {
    const manager = await signedInClient(['manager']);
    const order = await manager.POST('/v1/orders', { body: { currency: 'EUR', items: ITEMS } });
    expect(manager.ifMatch(order)).toEqual({ 'If-Match': '"1"' });

    const edited = await manager.PATCH('/v1/orders/{id}', {
      params: { path: { id: order.id }, header: manager.ifMatch(order) },
      body: { note: 'Leave at the front desk.' },
    });
    expect(edited).toMatchObject({ version: 2, note: 'Leave at the front desk.' });
    expect(manager.ifMatch(order.id)).toEqual({ 'If-Match': '"2"' });

    // Someone else changes the order meanwhile; this client's ETag is now stale.
    const colleague = await signedInClient(['manager']);
    const current = await colleague.GET('/v1/orders/{id}', { params: { path: { id: order.id } } });
    await colleague.PATCH('/v1/orders/{id}', {
      params: { path: { id: current.id }, header: colleague.ifMatch(current) },
      body: { note: 'Ring twice.' },
    });
    const stale = await rejection(
      manager.PATCH('/v1/orders/{id}', {
        params: { path: { id: order.id }, header: manager.ifMatch(order) },
        body: { note: 'Too late.' },
      }),
    );
    expect(stale).toMatchObject({
      status: 412,
      type: 'https://bastion.dev/problems/precondition-failed',
    });
    expect(stale.slug).toBe('precondition-failed');
  });

  it('pays once per Idempotency-Key: a repeated call and a lost answer charge once', async () => {
    const customer = await signedInClient(['customer']);
    const order = await customer.POST('/v1/orders', { body: { currency: 'EUR', items: ITEMS } });
    const paid = await customer.pay(
      order.id,
      { paymentMethod: { type: 'card', token: 'tok_visa' } },
      { idempotencyKey: 'order-checkout-1' },
    );
    expect(paid).toMatchObject({ status: 'succeeded', amount: 3998 });
    const again = await customer.pay(
      order.id,
      { paymentMethod: { type: 'card', token: 'tok_visa' } },
      { idempotencyKey: 'order-checkout-1' },
    );
    expect(again.id).toBe(paid.id);

    // The server takes the payment but the answer is lost on the way back: the client retries
    // with the key it generated for the call, and the server replays the payment.
    const user = await newUser(api.dataSource, { roles: ['customer'] });
    const sentKeys: string[] = [];
    let lose = true;
    const flaky = new BastionClient({
      baseUrl: api.url,
      fetch: async (request) => {
        const key = request.headers.get('idempotency-key');
        if (key) sentKeys.push(key);
        const response = await fetch(request);
        if (key && lose) {
          lose = false;
          throw new TypeError('fetch failed');
        }
        return response;
      },
    });
    await flaky.signIn({ email: user.email, password: user.password });
    const second = await flaky.POST('/v1/orders', { body: { currency: 'EUR', items: ITEMS } });
    const payment = await flaky.pay(second.id, {
      paymentMethod: { type: 'card', token: 'tok_visa' },
    });
    expect(sentKeys).toHaveLength(2);
    expect(sentKeys[1]).toBe(sentKeys[0]);
    const payments = await flaky.GET('/v1/orders/{id}/payments', {
      params: { path: { id: second.id } },
    });
    expect(payments.data.map((each) => each.id)).toEqual([payment.id]);
    const settled = await flaky.GET('/v1/orders/{id}', { params: { path: { id: second.id } } });
    expect(settled).toMatchObject({ status: 'paid', amountPaid: 3998 });
  });

  it('pages through every order with an async iterator', async () => {
    const user = await newUser(api.dataSource, { roles: ['customer'] });
    const pageRequests: string[] = [];
    const customer = new BastionClient({
      baseUrl: api.url,
      fetch: (request) => {
        if (request.method === 'GET') pageRequests.push(new URL(request.url).search);
        return fetch(request);
      },
    });
    await customer.signIn({ email: user.email, password: user.password });
    const created: string[] = [];
    for (let index = 0; index < 5; index++) {
      const order = await customer.POST('/v1/orders', { body: { currency: 'EUR', items: ITEMS } });
      created.push(order.id);
    }
    const seen: string[] = [];
    for await (const order of customer.paginate('/v1/orders', { query: { limit: 2 } })) {
      seen.push(order.id);
    }
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual([...created].sort());
    expect(pageRequests).toHaveLength(3);
    expect(pageRequests[0]).toBe('?limit=2');
    expect(pageRequests[1]).toMatch(/^\?limit=2&cursor=/);
  });

  it('gives a validation 400 its field errors', async () => {
    const customer = await signedInClient(['customer']);
    const problem = await rejection(
      customer.POST('/v1/orders', {
        body: { currency: 'EUR', items: [{ ...ITEMS[0], quantity: 0 }] },
      }),
    );
    expect(problem.status).toBe(400);
    expect(problem.errors?.map((error) => error.field)).toEqual(['items.0.quantity']);
  });
});
