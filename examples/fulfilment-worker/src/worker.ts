import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BastionClient,
  verifyWebhook,
  WebhookVerificationError,
  type components,
} from '@bastion/client';
import { DeliveryLog } from './deliveries';
import { fulfilOrder, type FulfilOutcome } from './fulfil';

type Order = components['schemas']['OrderDto'];

/** A delivery's body, as Bastion sends it (API.md, "Event subscriptions"). */
export interface BastionEvent {
  /** The audit event's id; the same as the `webhook-id` header and on every retry. */
  id: string;
  type: string;
  occurredAt: string;
  seq: number;
  data: { object: unknown };
}

export interface FulfilmentWorkerOptions {
  bastionUrl: string;
  /** The restricted key (`orders:update:any` only). */
  apiKey: string;
  /** The endpoint's secret; several during a rotation. */
  webhookSecrets: string | string[];
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where deliveries are posted; the setup step registers `<worker URL><path>`. */
  path?: string;
  log?: (message: string) => void;
}

export interface FulfilmentWorker {
  /** The URL to register with Bastion, e.g. `http://127.0.0.1:8080/bastion-events`. */
  url: string;
  close(): Promise<void>;
}

export const EVENTS_PATH = '/bastion-events';
/** Bastion's own request limit; a delivery is far smaller. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Bastion counts an answer slower than 10 s as a failure and sends the delivery again. The call to
 * Bastion gets less than that, so the worker always answers in time, one way or the other.
 */
const BASTION_CALL_TIMEOUT_MS = 5_000;

type Handled = FulfilOutcome | { result: 'ignored'; type: string };

/**
 * Starts the worker: an HTTP server that receives Bastion's deliveries and fulfils each paid order.
 *
 * It answers a delivery after handling it, not before: handling is one call to Bastion, bounded
 * well inside the 10 s Bastion waits, and answering 2xx first would lose the order when that call
 * fails. A failure is answered with a 503 instead, and Bastion's retries (with backoff, for a day
 * and more, across its restarts) are the worker's queue.
 */
export async function startFulfilmentWorker(
  options: FulfilmentWorkerOptions,
): Promise<FulfilmentWorker> {
  const secrets = Array.isArray(options.webhookSecrets)
    ? options.webhookSecrets
    : [options.webhookSecrets];
  const path = options.path ?? EVENTS_PATH;
  const log = options.log ?? (() => undefined);
  const bastion = new BastionClient({
    baseUrl: options.bastionUrl,
    apiKey: options.apiKey,
    fetch: (request) => fetch(request, { signal: AbortSignal.timeout(BASTION_CALL_TIMEOUT_MS) }),
  });
  const deliveries = new DeliveryLog<Handled>();

  async function handle(event: BastionEvent): Promise<Handled> {
    // The endpoint is registered for `order.paid` only, but `POST …/test` sends `webhook.test`,
    // and someone may widen the subscription: anything else is acknowledged and left alone.
    if (event.type !== 'order.paid') return { result: 'ignored', type: event.type };
    const order = event.data.object as Order;
    const outcome = await fulfilOrder(bastion, order.id);
    log(
      outcome.result === 'fulfilled'
        ? `Fulfilled order ${outcome.orderNumber} (${outcome.orderId})`
        : `Order ${outcome.orderId} not fulfilled: ${outcome.reason}`,
    );
    return outcome;
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://worker').pathname !== path) {
      return answer(res, 404, { error: 'not found' });
    }
    if (req.method !== 'POST') return answer(res, 405, { error: 'POST only' });

    const raw = await readBody(req);
    if (raw === null) return answer(res, 413, { error: 'body too large' });

    let event: BastionEvent;
    try {
      // The signature covers the bytes as sent: verify the raw body, never re-serialised JSON.
      // It also covers `webhook-id` and `webhook-timestamp` (replays over 5 minutes old fail).
      event = verifyWebhook<BastionEvent>(secrets, raw, req.headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        log(`Refused a delivery: ${error.message}`);
        return answer(res, 401, { error: 'invalid signature' });
      }
      // Signed, but not JSON: nothing Bastion sends; refuse rather than guess.
      return answer(res, 400, { error: 'invalid body' });
    }

    // Verified above, so the id is Bastion's and not a caller's choice.
    const webhookId = req.headers['webhook-id'] as string;
    try {
      const { outcome, duplicate } = await deliveries.once(webhookId, () => handle(event));
      answer(res, 200, { ...outcome, duplicate });
    } catch (error) {
      log(`Delivery ${webhookId} failed, Bastion will retry it: ${describe(error)}`);
      answer(res, 503, { error: 'fulfilment failed; retry later' });
    }
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      log(`Unexpected error: ${describe(error)}`);
      if (!res.headersSent) answer(res, 500, { error: 'internal error' });
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Bastion opens a connection per attempt; idle ones should not hold the close up.
        server.closeIdleConnections();
      }),
  };
}

/** The body as bytes, or null past the limit (read to the end all the same, to answer cleanly). */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks);
}

function answer(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
