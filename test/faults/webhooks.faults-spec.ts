import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  AppProcess,
  expectStatus,
  FaultCluster,
  loginAs,
  orderBody,
} from './support/app';
import { sleep, waitFor } from './support/services';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * An HTTPS receiver (production sends only to https://) with a certificate of its own that the
 * instances trust through NODE_EXTRA_CA_CERTS. A path put on hold gets no answer until released.
 */
class TlsReceiver {
  readonly received: Received[] = [];
  readonly held = new Set<string>();
  private readonly waiting: ServerResponse[] = [];
  private server!: Server;

  constructor(private readonly dir: string) {}

  get caFile(): string {
    return join(this.dir, 'receiver-cert.pem');
  }

  async start(): Promise<void> {
    const keyFile = join(this.dir, 'receiver-key.pem');
    execFileSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      this.caFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    this.server = createServer(
      { key: readFileSync(keyFile), cert: readFileSync(this.caFile) },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const path = req.url ?? '';
          this.received.push({
            path,
            headers: req.headers,
            body: Buffer.concat(chunks).toString(),
          });
          if (this.held.has(path)) this.waiting.push(res);
          else res.end();
        });
      },
    );
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    for (const res of this.waiting) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const WEBHOOK_ENV = (caFile: string) => ({
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  NODE_EXTRA_CA_CERTS: caFile,
  // The shortest lease allowed, so that a killed instance's delivery is taken over within the test.
  WEBHOOK_LEASE_SECONDS: '12',
  WEBHOOK_RETRY_BASE_MS: '500',
});

describe('webhook deliveries across instances and a kill -9', () => {
  let cluster: FaultCluster;
  let receiver: TlsReceiver;
  let a: AppProcess;
  let b: AppProcess;
  let admin: string;

  beforeAll(async () => {
    cluster = await FaultCluster.create();
    receiver = new TlsReceiver(cluster.dir);
    await receiver.start();
    a = cluster.instance('a', WEBHOOK_ENV(receiver.caFile));
    b = cluster.instance('b', WEBHOOK_ENV(receiver.caFile));
    await cluster.start(a, b);
    admin = (await loginAs(a.url, ADMIN_EMAIL, ADMIN_PASSWORD)).token;
  }, 180_000);

  afterAll(async () => {
    await receiver?.stop();
    await cluster?.close();
  });

  async function subscribe(path: string): Promise<string> {
    const created = await expectStatus(201, a.url, 'POST', '/v1/webhook-endpoints', {
      token: admin,
      body: { url: receiver.url(path), events: ['order.created'] },
    });
    return created.body.secret as string;
  }

  async function deliveryStatuses(eventIds: string[]): Promise<string[]> {
    const client = new Client({ connectionString: cluster.pg.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ status: string }>(
        `SELECT status FROM webhook_deliveries WHERE event_id = ANY ($1::uuid[])`,
        [eventIds],
      );
      return rows.map((row) => row.status);
    } finally {
      await client.end();
    }
  }

  it('delivers each event once when two instances share the work', async () => {
    const secret = await subscribe('/shared');
    const orders = 30;
    for (let i = 0; i < orders; i += 1) {
      await expectStatus(201, i % 2 ? b.url : a.url, 'POST', '/v1/orders', {
        token: admin,
        body: orderBody(),
      });
    }

    await waitFor(
      `${orders} deliveries`,
      () => Promise.resolve(receiver.at('/shared').length >= orders),
      60_000,
      200,
    );
    // Long enough for a second copy of any of them to arrive.
    await sleep(3000);

    const ids = receiver.at('/shared').map((request) => String(request.headers['webhook-id']));
    expect(ids).toHaveLength(orders);
    expect(new Set(ids).size).toBe(orders);
    for (const request of receiver.at('/shared')) {
      expect(
        new Webhook(secret).verify(request.body, request.headers as Record<string, string>),
      ).toMatchObject({ type: 'order.created' });
    }
    expect(await deliveryStatuses(ids)).toEqual(Array(orders).fill('succeeded'));
  });

  it('loses no event when the delivering instance is killed mid-request', async () => {
    await b.stop();
    receiver.held.add('/slow');
    await subscribe('/slow');
    await expectStatus(201, a.url, 'POST', '/v1/orders', { token: admin, body: orderBody() });
    await waitFor(
      'the delivery to reach the receiver',
      () => Promise.resolve(receiver.at('/slow').length === 1),
      30_000,
      100,
    );
    const eventId = String(receiver.at('/slow')[0].headers['webhook-id']);

    a.signal('SIGKILL');
    await a.exited(10_000);
    receiver.held.delete('/slow');
    await b.start();

    await waitFor(
      'another instance to take the delivery over once its lease ran out',
      () => Promise.resolve(receiver.at('/slow').length >= 2),
      60_000,
      200,
    );
    const retried = receiver.at('/slow')[1];
    expect(retried.headers['webhook-id']).toBe(eventId);
    await waitFor(
      'the delivery to be recorded',
      async () => (await deliveryStatuses([eventId])).includes('succeeded'),
      10_000,
      200,
    );
  });
});
