import { type BastionClient, BastionProblem } from '@bastion/client';

/**
 * `fulfilled`: this call fulfilled the order.
 * `not-fulfillable`: Bastion refused the transition (409): the order is fulfilled already (an
 * earlier delivery, or someone by hand), or was refunded since it was paid. Either way there is
 * nothing left to do, and retrying would not change it.
 */
export type FulfilOutcome =
  | { result: 'fulfilled'; orderId: string; orderNumber: number }
  | { result: 'not-fulfillable'; orderId: string; reason: string };

/**
 * Fulfils a paid order: `POST /v1/orders/:id/fulfil` (`orders:update:any`). This is the place for
 * the real work of a fulfilment app (booking the parcel) before the call.
 *
 * No `If-Match`: fulfilling is a state transition, not an edit of fields. Bastion takes the
 * order's row lock and checks `paid → fulfilled` itself, so a stale view of the order cannot
 * overwrite anything (the contract takes `If-Match` on PATCH only, and this key could not read
 * the order to get its ETag anyway). The answer is the whole order.
 *
 * Any other error is thrown: the caller answers the delivery with a 5xx, and Bastion retries it.
 */
export async function fulfilOrder(client: BastionClient, orderId: string): Promise<FulfilOutcome> {
  try {
    const order = await client.POST('/v1/orders/{id}/fulfil', {
      params: { path: { id: orderId } },
    });
    return { result: 'fulfilled', orderId, orderNumber: order.number };
  } catch (error) {
    if (error instanceof BastionProblem && error.status === 409) {
      return { result: 'not-fulfillable', orderId, reason: error.detail };
    }
    throw error;
  }
}
