import { OrdersErrorCode, OrdersException } from './orders.exception';

export enum OrderStatus {
  Pending = 'pending',
  Paid = 'paid',
  Fulfilled = 'fulfilled',
  Cancelled = 'cancelled',
  PartiallyRefunded = 'partially_refunded',
  Refunded = 'refunded',
}

/** The one table of allowed transitions; every path that changes an order's status asks it. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  [OrderStatus.Pending]: [OrderStatus.Paid, OrderStatus.Cancelled],
  [OrderStatus.Paid]: [OrderStatus.Fulfilled, OrderStatus.PartiallyRefunded, OrderStatus.Refunded],
  [OrderStatus.Fulfilled]: [OrderStatus.PartiallyRefunded, OrderStatus.Refunded],
  [OrderStatus.PartiallyRefunded]: [OrderStatus.PartiallyRefunded, OrderStatus.Refunded],
  [OrderStatus.Cancelled]: [],
  [OrderStatus.Refunded]: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** The statuses an order may move to `to` from. */
export function statusesAllowing(to: OrderStatus): OrderStatus[] {
  return (Object.keys(ORDER_TRANSITIONS) as OrderStatus[]).filter((from) =>
    canTransition(from, to),
  );
}

/** A 409 naming the current state when the table does not allow `from → to`. */
export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new OrdersException(OrdersErrorCode.IllegalTransition, { from, to });
  }
}
