import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { VersionedJson } from '@bastion/common';
import { preparedQuery } from '@bastion/database';
import { OwnershipScope } from '@bastion/rbac';
import {
  AuditActor,
  auditEventInsertSql,
  AuditRecord,
  AuditWriter,
} from '../audit/audit-writer.service';
import { OrderItemInputDto } from './dto/order-item-input.dto';
import { OrderItemDto } from './dto/order.dto';
import { Order } from './entities/order.entity';
import { PricedOrder } from './money';
import { assertTransition, OrderStatus } from './order-state';
import { ORDER_JSON, OrderJsonRow } from './order-views';

export interface NewOrder {
  id: string;
  customerId: string;
  currency: string;
  note: string | null;
  priced: PricedOrder<OrderItemInputDto>;
}

// The order's 8 parameters, then its audit event's from $9.
const INSERT_PENDING = `WITH o AS (
    INSERT INTO orders (id, customer_id, status, currency, subtotal, total, note, items)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    RETURNING *
  ), event AS (${auditEventInsertSql(9)})
  SELECT ${ORDER_JSON}, o.version FROM o`;

/** Priced lines as the order's items, each under a new id. */
export function toOrderItems(lines: PricedOrder<OrderItemInputDto>['lines']): OrderItemDto[] {
  return lines.map(({ sku, name, quantity, unitPrice, lineTotal }) => ({
    id: randomUUID(),
    sku,
    name,
    quantity,
    unitPrice,
    lineTotal,
  }));
}

/**
 * Data access to orders and the money changes other modules make to them (captures, refunds),
 * always inside the caller's transaction and through the transition table.
 */
@Injectable()
export class OrderLedger {
  constructor(private readonly audit: AuditWriter) {}

  /**
   * Inserts a pending order with its items and its audit event in one statement, atomic without a
   * transaction of its own; returns the order as JSON text to send, with its version.
   */
  async insertPending(
    manager: EntityManager,
    order: NewOrder,
    event: AuditRecord,
  ): Promise<VersionedJson> {
    const { lines, subtotal, total } = order.priced;
    const values = [
      order.id,
      order.customerId,
      OrderStatus.Pending,
      order.currency,
      subtotal,
      total,
      order.note,
      JSON.stringify(toOrderItems(lines)),
    ];
    const [row] = await preparedQuery<OrderJsonRow & { version: number }>(manager, INSERT_PENDING, [
      ...values,
      ...this.audit.eventValues(event),
    ]);
    return new VersionedJson(row.order, row.version);
  }

  /** The order, when it exists and `scope` lets the caller see it; otherwise null (a 404). */
  findVisibleOrder(manager: EntityManager, id: string, scope: OwnershipScope) {
    return this.visible(manager, id, scope).getOne();
  }

  /** Like `findVisibleOrder`, with the row locked (FOR UPDATE) until the transaction ends. */
  lockVisibleOrder(manager: EntityManager, id: string, scope: OwnershipScope) {
    return this.visible(manager, id, scope).setLock('pessimistic_write').getOne();
  }

  /** The order locked for a money change made on the provider's or the system's behalf. */
  lockOrderForPayment(manager: EntityManager, id: string): Promise<Order> {
    return manager
      .createQueryBuilder(Order, 'o')
      .where('o.id = :id', { id })
      .setLock('pessimistic_write')
      .getOneOrFail();
  }

  /** Whether money was captured or is being captured for the order, so it must stay as it is. */
  async hasPaymentActivity(
    manager: EntityManager,
    order: Pick<Order, 'id' | 'amountPaid'>,
  ): Promise<boolean> {
    if (order.amountPaid > 0) return true;
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM payments WHERE order_id = $1 AND status IN ('pending', 'requires_action') LIMIT 1`,
      [order.id],
    );
    return rows.length > 0;
  }

  reload(manager: EntityManager, id: string): Promise<Order> {
    return manager.findOneByOrFail(Order, { id });
  }

  /**
   * Adds a captured amount to a locked order; the order becomes `paid` once payments cover
   * its total. The CHECK constraints refuse anything beyond the total.
   */
  async recordCapture(
    manager: EntityManager,
    order: Order,
    amount: number,
    actor?: AuditActor,
  ): Promise<Order> {
    const amountPaid = order.amountPaid + amount;
    const status = amountPaid === order.total ? OrderStatus.Paid : order.status;
    if (status !== order.status) assertTransition(order.status, status);
    await manager.update(Order, { id: order.id }, { amountPaid, status });
    if (status !== order.status) {
      await this.audit.record(manager, {
        action: 'order.paid',
        resource: { type: 'order', id: order.id },
        changes: { before: { status: order.status }, after: { status } },
        metadata: { amountPaid, total: order.total },
        actor,
      });
    }
    return this.reload(manager, order.id);
  }

  /** The status a refund of `amount` would leave a locked order in. */
  statusAfterRefund(order: Order, amount: number): OrderStatus {
    return order.amountRefunded + amount === order.amountPaid
      ? OrderStatus.Refunded
      : OrderStatus.PartiallyRefunded;
  }

  /** Adds a refunded amount to a locked order: `partially_refunded`, then `refunded`. */
  async recordRefund(
    manager: EntityManager,
    order: Order,
    amount: number,
    actor?: AuditActor,
  ): Promise<Order> {
    const status = this.statusAfterRefund(order, amount);
    assertTransition(order.status, status);
    const amountRefunded = order.amountRefunded + amount;
    await manager.update(Order, { id: order.id }, { amountRefunded, status });
    await this.audit.record(manager, {
      action: status === OrderStatus.Refunded ? 'order.refunded' : 'order.partially_refunded',
      resource: { type: 'order', id: order.id },
      changes: {
        before: { status: order.status, amountRefunded: order.amountRefunded },
        after: { status, amountRefunded },
      },
      actor,
    });
    return this.reload(manager, order.id);
  }

  private visible(manager: EntityManager, id: string, scope: OwnershipScope) {
    const builder = manager.createQueryBuilder(Order, 'o').where('o.id = :id', { id });
    if (scope.ownerId !== null) {
      builder.andWhere('o.customer_id = :ownerId', { ownerId: scope.ownerId });
    }
    return builder;
  }
}
