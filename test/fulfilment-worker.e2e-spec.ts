import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BastionClient, signWebhook } from '@bastion/client';
import {
  ConfigError,
  EVENTS_PATH,
  loadWorkerConfig,
  setupFulfilmentWorker,
  startFulfilmentWorker,
  type FulfilmentWorker,
  type SetupResult,
} from '../examples/fulfilment-worker/src';
import { rejection } from './support/client-expectations';
import { newUser } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

const ITEMS = [{ sku: 'SKU-1', name: 'Espresso beans', quantity: 2, unitPrice: 1999 }];
const VISA = { paymentMethod: { type: 'card' as const, token: 'tok_visa' } };
const EXAMPLE = join(__dirname, '..', 'examples', 'fulfilment-worker');

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A port nobody listens on now: the worker's URL must be known before the setup registers it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('examples/fulfilment-worker against a real server', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: BastionClient;
  let setup: SetupResult;
  let port: number;
  let workerUrl: string;
  let worker: FulfilmentWorker;
  const workerLog: string[] = [];

  async function startWorker(): Promise<FulfilmentWorker> {
    return startFulfilmentWorker({
      bastionUrl: api.url,
      apiKey: setup.apiKey,
      webhookSecrets: setup.webhookSecret,
      port,
      log: (message) => workerLog.push(message),
    });
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    // Loopback receivers are allowed in tests; failed deliveries come back after 200 ms, not 5 s.
    api = await env.start({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_BASE_MS: '200' });
    admin = new BastionClient({ baseUrl: api.url });
    await admin.signIn({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    port = await freePort();
    workerUrl = `http://127.0.0.1:${port}${EVENTS_PATH}`;
    setup = await setupFulfilmentWorker({ admin, workerUrl });
    worker = await startWorker();
  });

  afterAll(async () => {
    await worker?.close();
    await env.close();
  });

  /** A customer's new order, paid with the sandbox card: `order.paid` follows. */
  async function paidOrder(): Promise<{ id: string; number: number }> {
    const user = await newUser(api.dataSource, { roles: ['customer'] });
    const customer = new BastionClient({ baseUrl: api.url });
    await customer.signIn({ email: user.email, password: user.password });
    const order = await customer.POST('/v1/orders', { body: { currency: 'EUR', items: ITEMS } });
    const payment = await customer.pay(order.id, VISA);
    expect(payment.status).toBe('succeeded');
    return order;
  }

  function getOrder(id: string) {
    return admin.GET('/v1/orders/{id}', { params: { path: { id } } });
  }

  async function fulfilledEvents(orderId: string) {
    const page = await admin.GET('/v1/audit-events', {
      params: { query: { action: 'order.fulfilled', resourceId: orderId } },
    });
    return page.data;
  }

  /** Bastion's delivery of this order's `order.paid` to the worker, once it exists. */
  async function deliveryOf(orderId: string) {
    const paid = await admin.GET('/v1/audit-events', {
      params: { query: { action: 'order.paid', resourceId: orderId } },
    });
    const page = await admin.GET('/v1/webhook-endpoints/{id}/deliveries', {
      params: { path: { id: setup.endpointId }, query: { limit: 100 } },
    });
    return page.data.find((delivery) => delivery.eventId === paid.data[0]?.id);
  }

  async function setEndpointStatus(status: 'enabled' | 'disabled', id = setup.endpointId) {
    const endpoint = await admin.GET('/v1/webhook-endpoints/{id}', { params: { path: { id } } });
    await admin.PATCH('/v1/webhook-endpoints/{id}', {
      params: { path: { id }, header: admin.ifMatch(endpoint) },
      body: { status },
    });
  }

  it('setup subscribes the worker to order.paid and mints a key that can only fulfil', async () => {
    const endpoint = await admin.GET('/v1/webhook-endpoints/{id}', {
      params: { path: { id: setup.endpointId } },
    });
    expect(endpoint).toMatchObject({ url: workerUrl, events: ['order.paid'], status: 'enabled' });
    expect(setup.webhookSecret).toMatch(/^whsec_/);

    const asWorker = new BastionClient({ baseUrl: api.url, apiKey: setup.apiKey });
    const me = await asWorker.GET('/v1/auth/me');
    expect(me.permissions).toEqual(['orders:update:any']);
    // Everything else is refused: people, reading or paying orders, subscriptions, more keys.
    const order = await paidOrder();
    const refused = await Promise.all([
      rejection(asWorker.GET('/v1/users')),
      rejection(asWorker.GET('/v1/orders/{id}', { params: { path: { id: order.id } } })),
      rejection(asWorker.pay(order.id, VISA)),
      rejection(asWorker.GET('/v1/webhook-endpoints')),
      rejection(
        asWorker.POST('/v1/api-keys', {
          body: { name: 'escalate', permissions: ['orders:update:any'] },
        }),
      ),
    ]);
    expect(refused.map((problem) => problem.status)).toEqual([403, 403, 403, 403, 403]);

    // Run twice for one URL, setup refuses: the second secret would be one the worker lacks.
    await expect(setupFulfilmentWorker({ admin, workerUrl })).rejects.toThrow(/exists already/);
  });

  it('fulfils a paid order with its key when order.paid arrives', async () => {
    const order = await paidOrder();

    const fulfilled = await eventually('the order to be fulfilled', async () => {
      const current = await getOrder(order.id);
      return current.status === 'fulfilled' ? current : undefined;
    });

    expect(fulfilled.amountPaid).toBe(3998);
    const [event] = await fulfilledEvents(order.id);
    expect(event.actor).toMatchObject({ type: 'api_key', id: setup.apiKeyId });
    const delivery = await eventually('the delivery to be recorded', async () => {
      const found = await deliveryOf(order.id);
      return found?.status === 'succeeded' ? found : undefined;
    });
    expect(delivery).toMatchObject({ attempts: 1, lastStatusCode: 200, lastError: null });
    // Logged before the worker answered, and so before Bastion recorded the delivery.
    expect(workerLog).toContain(`Fulfilled order ${order.number} (${order.id})`);
  });

  it('refuses a delivery whose signature does not verify, and changes nothing', async () => {
    // Bastion's own delivery of this order's order.paid must not come: hold the endpoint.
    await setEndpointStatus('disabled');
    try {
      const order = await paidOrder();
      const body = JSON.stringify({
        id: randomUUID(),
        type: 'order.paid',
        occurredAt: new Date().toISOString(),
        seq: 1,
        data: { object: { id: order.id, status: 'paid' } },
      });
      const webhookId = JSON.parse(body).id as string;
      const otherSecret = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;
      const post = (headers: Record<string, string>, payload = body) =>
        fetch(worker.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: payload,
        });

      const forged = [
        await post({}),
        await post(signWebhook(otherSecret, webhookId, body)),
        // Signed for another body: the order id was swapped after signing.
        await post(
          signWebhook(setup.webhookSecret, webhookId, body.replace(order.id, randomUUID())),
        ),
        // Signed right, but six minutes ago: a replay.
        await post(
          signWebhook(setup.webhookSecret, webhookId, body, new Date(Date.now() - 360_000)),
        ),
      ];

      expect(forged.map((response) => response.status)).toEqual([401, 401, 401, 401]);
      expect(await getOrder(order.id)).toMatchObject({ status: 'paid', version: 2 });
      expect(await fulfilledEvents(order.id)).toEqual([]);

      // The same delivery, signed with the endpoint's secret, is acted on: what was refused
      // above was refused for its signature and nothing else.
      const genuine = await post(signWebhook(setup.webhookSecret, webhookId, body));
      expect(genuine.status).toBe(200);
      expect(await genuine.json()).toMatchObject({ result: 'fulfilled', duplicate: false });
      expect((await getOrder(order.id)).status).toBe('fulfilled');
    } finally {
      await setEndpointStatus('enabled');
    }
  });

  it('acknowledges a redelivery of the same event without acting twice, even after a restart', async () => {
    const order = await paidOrder();
    await eventually('the order to be fulfilled', async () =>
      (await getOrder(order.id)).status === 'fulfilled' ? true : undefined,
    );
    const first = await eventually('the delivery to succeed', async () => {
      const found = await deliveryOf(order.id);
      return found?.status === 'succeeded' ? found : undefined;
    });
    const version = (await getOrder(order.id)).version;

    async function redeliver(after: number) {
      await admin.POST('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/retry', {
        params: { path: { id: setup.endpointId, deliveryId: first.id } },
      });
      return eventually('the redelivery to succeed', async () => {
        const again = await deliveryOf(order.id);
        return again && again.status === 'succeeded' && again.attempts > after ? again : undefined;
      });
    }

    const linesBefore = workerLog.length;
    const linesOfThisOrder = () =>
      workerLog.slice(linesBefore).filter((line) => line.includes(order.id));

    // The worker remembers the webhook-id and answers without calling Bastion.
    const remembered = await redeliver(first.attempts);
    expect(remembered.lastStatusCode).toBe(200);
    expect(linesOfThisOrder()).toEqual([]);

    // A restarted worker has forgotten it: it calls Bastion, which refuses a second fulfilment,
    // and that is done too.
    await worker.close();
    worker = await startWorker();
    const afterRestart = await redeliver(remembered.attempts);
    expect(afterRestart.lastStatusCode).toBe(200);
    expect(linesOfThisOrder()).toEqual([
      `Order ${order.id} not fulfilled: The order is fulfilled; it cannot become fulfilled.`,
    ]);

    expect(await fulfilledEvents(order.id)).toHaveLength(1);
    expect((await getOrder(order.id)).version).toBe(version);
  });

  it('will not start without its configuration, naming every missing variable', () => {
    const load = () => loadWorkerConfig({ BASTION_URL: 'http://bastion.internal' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^Missing BASTION_API_KEY, BASTION_WEBHOOK_SECRET\./);
    expect(() =>
      loadWorkerConfig({
        BASTION_URL: 'http://bastion.internal',
        BASTION_API_KEY: 'key',
        BASTION_WEBHOOK_SECRET: 'not-a-secret',
      }),
    ).toThrow(/BASTION_WEBHOOK_SECRET must be whsec_/);
  });

  it('runs by hand as the README says: setup, then the worker, on Node alone', async () => {
    const run = (script: string, extraEnv: Record<string, string>) =>
      spawn(
        process.execPath,
        ['--import', join(EXAMPLE, 'register.mjs'), join(EXAMPLE, 'src', script)],
        { env: { PATH: process.env.PATH, BASTION_URL: api.url, ...extraEnv } },
      );
    const output = (child: ReturnType<typeof spawn>) => {
      const text = { stdout: '', stderr: '' };
      child.stdout?.on('data', (chunk: Buffer) => (text.stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (text.stderr += chunk.toString()));
      return text;
    };
    const exited = (child: ReturnType<typeof spawn>) =>
      new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const missing = run('main.ts', {});
    const missingOutput = output(missing);
    expect(await exited(missing)).toBe(1);
    expect(missingOutput.stderr).toMatch(/^Missing BASTION_API_KEY, BASTION_WEBHOOK_SECRET\./);

    const cliPort = await freePort();
    const setupRun = run('setup-main.ts', {
      BASTION_ADMIN_EMAIL: ADMIN_EMAIL,
      BASTION_ADMIN_PASSWORD: ADMIN_PASSWORD,
      WORKER_URL: `http://127.0.0.1:${cliPort}${EVENTS_PATH}`,
    });
    const setupOutput = output(setupRun);
    expect(await exited(setupRun)).toBe(0);
    const printed = Object.fromEntries(
      [...setupOutput.stdout.matchAll(/^(BASTION_API_KEY|BASTION_WEBHOOK_SECRET)=(.+)$/gm)].map(
        ([, name, value]) => [name, value],
      ),
    );
    expect(Object.keys(printed).sort()).toEqual(['BASTION_API_KEY', 'BASTION_WEBHOOK_SECRET']);
    const cliKeyId = /^Created API key (\S+) holding only orders:update:any$/m.exec(
      setupOutput.stdout,
    )?.[1];
    expect(cliKeyId).toBeDefined();

    // Only the process gets order.paid now, so it is the one that fulfils.
    await setEndpointStatus('disabled');
    const cli = run('main.ts', { ...printed, PORT: String(cliPort) });
    const cliOutput = output(cli);
    try {
      await eventually('the worker process to listen', async () =>
        cliOutput.stdout.includes('listening') ? true : undefined,
      );
      const order = await paidOrder();
      // The process's log line comes through a pipe, possibly after Bastion has the change.
      await eventually('the worker process to fulfil the order', async () =>
        cliOutput.stdout.includes(`Fulfilled order ${order.number} (${order.id})`)
          ? true
          : undefined,
      );
      expect((await getOrder(order.id)).status).toBe('fulfilled');
      const [event] = await fulfilledEvents(order.id);
      expect(event.actor).toMatchObject({ type: 'api_key', id: cliKeyId });
    } finally {
      cli.kill('SIGTERM');
      expect(await exited(cli)).toBe(0);
      await setEndpointStatus('enabled');
    }
    expect(cliOutput.stderr).toBe('');
  });
});
