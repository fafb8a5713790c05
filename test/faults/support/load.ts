import { randomUUID } from 'node:crypto';
import { call, orderBody, ORDER_ITEMS, Outcome } from './app';
import { sleep } from './services';

export interface AckedOrder {
  id: string;
  items: number;
  total: number;
}

export interface AckedPayment {
  id: string;
  orderId: string;
  amount: number;
}

/** A payment request that got no answer: the client does not know whether it happened. */
export interface UnansweredPayment {
  orderId: string;
  key: string;
  token: string;
  /** The network error: ECONNREFUSED never reached a server; the others may have. */
  error: string;
}

export interface OrderLoadResult {
  orders: AckedOrder[];
  payments: AckedPayment[];
  unanswered: UnansweredPayment[];
  statuses: Map<string, number>;
  requests: number;
  slowest: number;
}

const PAY_BODY = { paymentMethod: { type: 'card', token: 'tok_visa' } };

/**
 * `clients` concurrent clients, each creating an order and paying it, round-robin over the
 * instances' URLs (`targets()` is read at every request), until `stop()` says so.
 */
export async function runOrderLoad(options: {
  clients: number;
  tokens: string[];
  targets: () => string[];
  stop: () => boolean;
  timeoutMs?: number;
  /** A hard bound, whatever `stop` says. */
  maxMs?: number;
  /** Kept up to date while the load runs: payment requests sent and not yet answered, per URL. */
  paymentsInFlight?: Map<string, number>;
}): Promise<OrderLoadResult> {
  const result: OrderLoadResult = {
    orders: [],
    payments: [],
    unanswered: [],
    statuses: new Map(),
    requests: 0,
    slowest: 0,
  };
  const count = (kind: string, outcome: Outcome) => {
    const label = `${kind} ${outcome.status === 0 ? outcome.error : outcome.status}`;
    result.statuses.set(label, (result.statuses.get(label) ?? 0) + 1);
    result.requests += 1;
    result.slowest = Math.max(result.slowest, outcome.ms);
  };
  const total = ORDER_ITEMS.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
  const client = async (index: number) => {
    const token = options.tokens[index % options.tokens.length];
    const deadline = Date.now() + (options.maxMs ?? 180_000);
    for (let round = 0; !options.stop() && Date.now() < deadline; round += 1) {
      const targets = options.targets();
      const created = await call(targets[(index + round) % targets.length], 'POST', '/v1/orders', {
        token,
        body: orderBody(),
        timeoutMs: options.timeoutMs ?? 15_000,
      });
      count('order', created);
      if (created.status !== 201) {
        if (created.status === 0) await sleep(100);
        continue;
      }
      const order = (created as { body: { id: string; total: number } }).body;
      result.orders.push({ id: order.id, items: ORDER_ITEMS.length, total: order.total });
      if (order.total !== total) throw new Error(`Order total ${order.total}, expected ${total}`);
      const key = randomUUID();
      const target = targets[(index + round + 1) % targets.length];
      const inFlight = options.paymentsInFlight;
      inFlight?.set(target, (inFlight.get(target) ?? 0) + 1);
      const paid = await call(target, 'POST', `/v1/orders/${order.id}/payments`, {
        token,
        headers: { 'idempotency-key': key },
        body: PAY_BODY,
        timeoutMs: options.timeoutMs ?? 15_000,
      });
      inFlight?.set(target, (inFlight.get(target) ?? 1) - 1);
      count('payment', paid);
      if (paid.status === 201) {
        const payment = (paid as { body: { id: string; status: string; amount: number } }).body;
        if (payment.status === 'succeeded') {
          result.payments.push({ id: payment.id, orderId: order.id, amount: payment.amount });
        }
      } else if (paid.status === 0) {
        result.unanswered.push({ orderId: order.id, key, token, error: paid.error ?? 'unknown' });
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
  return result;
}

export function retryPayment(base: string, unanswered: UnansweredPayment): Promise<Outcome> {
  return call(base, 'POST', `/v1/orders/${unanswered.orderId}/payments`, {
    token: unanswered.token,
    headers: { 'idempotency-key': unanswered.key },
    body: PAY_BODY,
  });
}

export function statusTable(statuses: Map<string, number>): string {
  return [...statuses.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([label, n]) => `  ${label.padEnd(28)} ${n}`)
    .join('\n');
}
