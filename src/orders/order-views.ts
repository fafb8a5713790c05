import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { decodeTimestampCursor, Page, timestampCursorSql, toPage } from '@bastion/common';
import { preparedQuery } from '@bastion/database';
import { OwnershipScope } from '@bastion/rbac';
import { OrderDto, OrderItemDto } from './dto/order.dto';
import { ListOrdersQueryDto } from './dto/list-orders-query.dto';
import { OrderStatus } from './order-state';

/** An order as one row: its columns plus its items, aggregated in position order. */
export interface OrderViewRow {
  id: string;
  number: string;
  customer_id: string;
  status: OrderStatus;
  currency: string;
  subtotal: string;
  total: string;
  amount_paid: string;
  amount_refunded: string;
  note: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  items: OrderItemDto[];
}

// The API's timestamps (toISOString's format), written by PostgreSQL instead of parsed and re-written.
const isoMilliseconds = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The select list of an order `o` as the API shows it, its items taken from `items` (a table or a
 * CTE of order_items rows). Items come back as JSON numbers: every amount is below 2^53 (money.ts).
 */
export function orderViewSql(items: string): string {
  return `o.id, o.number, o.customer_id, o.status, o.currency, o.subtotal, o.total,
    o.amount_paid, o.amount_refunded, o.note, o.version,
    ${isoMilliseconds('o.created_at')} AS created_at, ${isoMilliseconds('o.updated_at')} AS updated_at,
    COALESCE((
      SELECT json_agg(json_build_object('id', i.id, 'sku', i.sku, 'name', i.name,
        'quantity', i.quantity, 'unitPrice', i.unit_price, 'lineTotal', i.line_total)
        ORDER BY i.position)
      FROM ${items} i WHERE i.order_id = o.id), '[]') AS items`;
}

const ORDER_VIEW = orderViewSql('order_items');
// Whole texts made once: the prepared statement's name is looked up by its text on every call.
const ORDER_BY_ID = `SELECT ${ORDER_VIEW} FROM orders o WHERE o.id = $1`;
const OWN_ORDER_BY_ID = `${ORDER_BY_ID} AND o.customer_id = $2`;

/**
 * Orders as the API shows them, each read in one statement (the order with its items), for the
 * hot read paths: no entity hydration, one round trip per page or order.
 */
@Injectable()
export class OrderViews {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The order when it exists and `scope` lets the caller see it; otherwise null (a 404). */
  async findVisible(
    id: string,
    scope: OwnershipScope,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<OrderDto | null> {
    const rows = await preparedQuery<OrderViewRow>(
      manager,
      scope.ownerId === null ? ORDER_BY_ID : OWN_ORDER_BY_ID,
      scope.ownerId === null ? [id] : [id, scope.ownerId],
    );
    return rows.length > 0 ? toOrderView(rows[0]) : null;
  }

  /** An order known to exist (locked or just written in `manager`'s transaction). */
  async get(manager: EntityManager, id: string): Promise<OrderDto> {
    const order = await this.findVisible(id, { ownerId: null }, manager);
    if (!order) throw new Error(`Order ${id} vanished inside its own transaction`);
    return order;
  }

  /** One keyset page, newest first. The scope is part of the query: other customers' orders are never fetched. */
  async page(scope: OwnershipScope, query: ListOrdersQueryDto): Promise<Page<OrderDto>> {
    const params: unknown[] = [];
    const conditions: string[] = [];
    const bind = (value: unknown) => `$${params.push(value)}`;
    if (scope.ownerId !== null) conditions.push(`o.customer_id = ${bind(scope.ownerId)}`);
    if (query.customerId) conditions.push(`o.customer_id = ${bind(query.customerId)}`);
    if (query.status) conditions.push(`o.status = ${bind(query.status)}`);
    if (query.createdFrom) {
      conditions.push(`o.created_at >= CAST(${bind(query.createdFrom)} AS timestamptz)`);
    }
    if (query.createdTo) {
      conditions.push(`o.created_at < CAST(${bind(query.createdTo)} AS timestamptz)`);
    }
    if (query.cursor) {
      const cursor = decodeTimestampCursor(query.cursor);
      conditions.push(
        `(o.created_at, o.id) < (CAST(${bind(cursor.key)} AS timestamptz), CAST(${bind(cursor.id)} AS uuid))`,
      );
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = await preparedQuery<OrderViewRow & { cursor_key: string }>(
      this.dataSource,
      `SELECT ${ORDER_VIEW}, ${timestampCursorSql('o.created_at')} AS cursor_key
       FROM orders o ${where}
       ORDER BY o.created_at DESC, o.id DESC
       LIMIT ${bind(query.limit + 1)}`,
      params,
    );
    return toPage(rows, query.limit, toOrderView, (row) => ({ key: row.cursor_key, id: row.id }));
  }
}

export function toOrderView(row: OrderViewRow): OrderDto {
  return {
    id: row.id,
    number: Number(row.number),
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    items: row.items,
    subtotal: Number(row.subtotal),
    total: Number(row.total),
    amountPaid: Number(row.amount_paid),
    amountRefunded: Number(row.amount_refunded),
    note: row.note,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
