import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SqlParams } from '@bastion/database';
import { AuditActor, AuditRecord, AuditWriter } from '../audit';
import { OrderDto } from './dto/order.dto';
import { assertTransition, OrderStatus } from './order-state';
import { OrdersRepository } from './orders.repository';

/** What the module that owns payments answers about an order's payments. */
export interface PaymentActivity {
  /** Whether money is being captured for the order right now. */
  hasCaptureInFlight(manager: EntityManager, orderId: string): Promise<boolean>;
}

type LockedOrder = Pick<OrderDto, 'id' | 'status' | 'total' | 'amountPaid' | 'amountRefunded'>;

/**
 * The orders module's side of payments: the money changes payments make to orders (captures,
 * refunds), always inside the caller's transaction on an order it locked and through the
 * transition table, and what orders must know of payments. Payments answer that through
 * `answerPaymentActivityWith`, so that orders need not depend on the module that owns them.
 */
@Injectable()
export class OrderPaymentsService {
  private payments?: PaymentActivity;

  constructor(
    private readonly orders: OrdersRepository,
    private readonly audit: AuditWriter,
  ) {}

  answerPaymentActivityWith(payments: PaymentActivity): void {
    this.payments = payments;
  }

  /** Whether money was captured or is being captured for the order, so it must stay as it is. */
  async hasPaymentActivity(
    manager: EntityManager,
    order: Pick<OrderDto, 'id' | 'amountPaid'>,
  ): Promise<boolean> {
    if (order.amountPaid > 0) return true;
    if (!this.payments) throw new Error('No module answers for payments of orders');
    return this.payments.hasCaptureInFlight(manager, order.id);
  }

  /**
   * Adds a captured amount to a locked order; the order becomes `paid` once payments cover
   * its total. The CHECK constraints refuse anything beyond the total.
   */
  async recordCapture(
    manager: EntityManager,
    order: LockedOrder,
    amount: number,
    actor?: AuditActor,
  ): Promise<void> {
    const capture = captureOf(order, amount, actor);
    await this.orders.update(manager, order.id, capture.changes);
    if (capture.event) await this.audit.record(manager, capture.event);
  }

  /**
   * `recordCapture` for the payment row of the WITH clause `payment` (its `order_id`, which is
   * `orderId`, and `amount`; no row: nothing changes), as WITH clauses of the statement that
   * settles it, worked out by the database on the order as it is when the statement updates it:
   * `captured` (the order's change) and `order_paid` (its event when the order became paid, timed
   * after the instant `afterSql` over the clause `after`: the payment's event). The statement must
   * have locked the order before it settled `payment`. Only a pending order becomes paid (the
   * transition table's one way there), as `recordCapture`'s event says.
   */
  recordCaptureEachSql(
    params: SqlParams,
    orderId: string,
    payment: string,
    after: string,
    afterSql: string,
  ): string {
    const pending = params.bind(OrderStatus.Pending);
    const paid = params.bind(OrderStatus.Paid);
    const event = this.audit.insertEachSql(
      params,
      {
        action: 'order.paid',
        resource: { type: 'order', id: orderId },
        changes: { before: { status: OrderStatus.Pending }, after: { status: OrderStatus.Paid } },
      },
      `captured CROSS JOIN ${after} WHERE captured.became_paid`,
      `jsonb_build_object('amountPaid', captured.amount_paid, 'total', captured.total)`,
      afterSql,
    );
    return `, captured AS (UPDATE orders ord SET amount_paid = ord.amount_paid + c.amount,
          status = CASE WHEN ord.amount_paid + c.amount = ord.total AND ord.status = ${pending}
            THEN ${paid} ELSE ord.status END,
          version = ord.version + 1, updated_at = CURRENT_TIMESTAMP
        FROM ${payment} c WHERE ord.id = c.order_id
        RETURNING ord.amount_paid, ord.total,
          ord.status = ${paid} AND ord.amount_paid - c.amount < ord.total AS became_paid),
      order_paid AS (${event})`;
  }

  /** Adds a refunded amount to a locked order: `partially_refunded`, then `refunded`. */
  async recordRefund(
    manager: EntityManager,
    order: LockedOrder,
    amount: number,
    actor?: AuditActor,
  ): Promise<void> {
    const amountRefunded = order.amountRefunded + amount;
    const status =
      amountRefunded === order.amountPaid ? OrderStatus.Refunded : OrderStatus.PartiallyRefunded;
    assertTransition(order.status, status);
    await this.orders.update(manager, order.id, { amountRefunded, status });
    await this.audit.record(manager, {
      action: status === OrderStatus.Refunded ? 'order.refunded' : 'order.partially_refunded',
      resource: { type: 'order', id: order.id },
      changes: {
        before: { status: order.status, amountRefunded: order.amountRefunded },
        after: { status, amountRefunded },
      },
      actor,
    });
  }
}

/** What capturing `amount` does to a locked order, and the event that records its being paid. */
function captureOf(
  order: LockedOrder,
  amount: number,
  actor?: AuditActor,
): { changes: { amountPaid: number; status: OrderStatus }; event: AuditRecord | null } {
  const amountPaid = order.amountPaid + amount;
  const status = amountPaid === order.total ? OrderStatus.Paid : order.status;
  if (status === order.status) return { changes: { amountPaid, status }, event: null };
  assertTransition(order.status, status);
  return {
    changes: { amountPaid, status },
    event: {
      action: 'order.paid',
      resource: { type: 'order', id: order.id },
      changes: { before: { status: order.status }, after: { status } },
      metadata: { amountPaid, total: order.total },
      actor,
    },
  };
}
