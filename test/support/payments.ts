import { randomUUID } from 'node:crypto';
import type { Session, TestUser } from './factories';
import type { TestInstance } from './test-app';

/** A signed-in user, as most tests act. */
export type Caller = TestUser & Session;

export const PROBLEMS = 'https://bastion.dev/problems/';
export const VISA = { paymentMethod: { type: 'card', token: 'tok_visa' } };

/** An order body of one item at `unitPrice`. */
export function oneItem(unitPrice: number) {
  return { items: [{ sku: 'SKU-1', name: 'Widget', quantity: 1, unitPrice }] };
}

/** `POST /v1/orders/:id/payments` with an Idempotency-Key (a new one unless given). */
export function payOrder(
  instance: TestInstance,
  auth: Record<string, string>,
  orderId: string,
  options: { key?: string; body?: object } = {},
) {
  return instance
    .http()
    .post(`/v1/orders/${orderId}/payments`)
    .set(auth)
    .set('idempotency-key', options.key ?? randomUUID())
    .send(options.body ?? VISA);
}
