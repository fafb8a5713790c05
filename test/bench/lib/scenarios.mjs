// What is measured. Each scenario describes one request for Bastion and, where the baseline has
// the same operation, one for the baseline; `setupRequest` varies it per request (autocannon hook).
import { randomUUID } from 'node:crypto';

/** Cycles through `values`, shared by all connections. */
function rotation(values) {
  let next = 0;
  return () => {
    const value = values[next % values.length];
    next += 1;
    return value;
  };
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

const BASTION_ITEMS = [
  { sku: 'SKU-1001', name: 'Espresso beans, 1 kg', quantity: 2, unitPrice: 1999 },
  { sku: 'SKU-1002', name: 'Milk frother', quantity: 1, unitPrice: 4500 },
  { sku: 'SKU-1003', name: 'Paper filters', quantity: 3, unitPrice: 350 },
];
const BASELINE_ITEMS = BASTION_ITEMS.map(({ sku, quantity, unitPrice }) => ({
  sku,
  qty: quantity,
  priceCents: unitPrice,
}));

/**
 * Targets: Bastion ÷ baseline req/s at least `minRatio`, p99 at saturation at most 2× baseline's,
 * and at an equal fixed load at most 1.5× baseline's.
 */
export const MAX_P99_RATIO = 2;
export const MAX_EQUAL_LOAD_P99_RATIO = 1.5;

/**
 * `ctx`: tokens and ids prepared by run.mjs.
 * - bastion.customer / bastion.payer / bastion.admin: bearer tokens
 * - bastion.orderIds: the customer's own orders; bastion.pendingOrderIds(): orders to pay
 * - baseline.token, baseline.orderIds: the baseline's user and its orders
 */
export function scenarios(ctx) {
  return [
    {
      name: 'read',
      title: 'read own order',
      minRatio: 0.7,
      expect: 200,
      bastion: () => {
        const nextId = rotation(ctx.bastion.orderIds);
        return {
          label: 'GET /v1/orders/:id',
          method: 'GET',
          path: `/v1/orders/${ctx.bastion.orderIds[0]}`,
          headers: bearer(ctx.bastion.customer),
          setupRequest: (request) => ({ ...request, path: `/v1/orders/${nextId()}` }),
        };
      },
      baseline: () => {
        const nextId = rotation(ctx.baseline.orderIds);
        return {
          label: 'GET /orders/:id',
          method: 'GET',
          path: `/orders/${ctx.baseline.orderIds[0]}`,
          headers: bearer(ctx.baseline.token),
          setupRequest: (request) => ({ ...request, path: `/orders/${nextId()}` }),
        };
      },
    },
    {
      name: 'list',
      title: 'list 20 orders',
      minRatio: 0.65,
      expect: 200,
      bastion: () => ({
        label: 'GET /v1/orders?limit=20',
        method: 'GET',
        path: '/v1/orders?limit=20',
        headers: bearer(ctx.bastion.customer),
      }),
      baseline: () => ({
        label: 'GET /orders?limit=20',
        method: 'GET',
        path: '/orders?limit=20',
        headers: bearer(ctx.baseline.token),
      }),
    },
    {
      name: 'create',
      title: 'create order (3 items)',
      minRatio: 0.55,
      expect: 201,
      bastion: () => ({
        label: 'POST /v1/orders',
        method: 'POST',
        path: '/v1/orders',
        headers: bearer(ctx.bastion.customer),
        body: { currency: 'EUR', items: BASTION_ITEMS },
      }),
      baseline: () => ({
        label: 'POST /orders',
        method: 'POST',
        path: '/orders',
        headers: bearer(ctx.baseline.token),
        body: { items: BASELINE_ITEMS },
      }),
    },
    {
      name: 'me',
      title: 'who am I',
      expect: 200,
      bastion: () => ({
        label: 'GET /v1/auth/me',
        method: 'GET',
        path: '/v1/auth/me',
        headers: bearer(ctx.bastion.customer),
      }),
    },
    {
      name: 'pay',
      title: 'pay an order',
      expect: 201,
      bastion: () => {
        const nextOrder = ctx.bastion.pendingOrder;
        const body = { paymentMethod: { type: 'card', token: 'tok_visa' } };
        return {
          label: 'POST /v1/orders/:id/payments',
          method: 'POST',
          path: '/v1/orders/:id/payments',
          headers: bearer(ctx.bastion.payer),
          body,
          // A fresh key and an order still pending for every request: each one is a real payment.
          setupRequest: (request) => ({
            ...request,
            path: `/v1/orders/${nextOrder()}/payments`,
            headers: { ...request.headers, 'idempotency-key': randomUUID() },
          }),
        };
      },
    },
    {
      name: 'audit',
      title: 'audit events, filtered',
      expect: 200,
      bastion: () => ({
        label: 'GET /v1/audit-events?action=order.&limit=20',
        method: 'GET',
        path: '/v1/audit-events?action=order.&limit=20',
        headers: bearer(ctx.bastion.admin),
      }),
    },
  ];
}

/** One request sent before the load, so a misconfigured scenario fails loudly, not as a fast 4xx. */
export async function probe(baseUrl, request, expected) {
  const built = request.setupRequest ? request.setupRequest({ ...request }) : request;
  const response = await fetch(`${baseUrl}${built.path}`, {
    method: built.method,
    headers: { ...built.headers, ...(built.body ? { 'content-type': 'application/json' } : {}) },
    body: built.body ? JSON.stringify(built.body) : undefined,
  });
  const text = await response.text();
  if (response.status !== expected) {
    throw new Error(
      `${built.method} ${built.path} answered ${response.status}, expected ${expected}: ${text.slice(0, 500)}`,
    );
  }
}
