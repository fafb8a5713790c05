import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { decodeTimestampCursor, Keyset, toPageJson, VersionedJson } from '@bastion/common';
import { isoTimestampSql, preparedQuery, SqlParams } from '@bastion/database';
import { OwnershipScope } from '@bastion/rbac';
import { ListOrdersQueryDto } from './dto/list-orders-query.dto';
import { OrderDto, OrderItemDto } from './dto/order.dto';
import { Order } from './entities/order.entity';
import { OrderStatus } from './order-state';

/** A row carrying an order as the API shows it, in JSON written by PostgreSQL. */
interface OrderJsonRow {
  order: string;
  version: number;
}

/** A new order's columns, as the create writes them. */
export interface PendingOrderRow {
  id: string;
  customer_id: string;
  currency: string;
  subtotal: number;
  total: number;
  note: string | null;
  items: OrderItemDto[];
}

/** An order's state and money, as payments read and change them. */
export type PayableOrder = Pick<
  OrderDto,
  'id' | 'status' | 'currency' | 'total' | 'amountPaid' | 'amountRefunded'
>;

interface PayableOrderRow {
  id: string;
  status: OrderStatus;
  currency: string;
  total: string;
  amount_paid: string;
  amount_refunded: string;
}

/** What the statement that locks an order for a payment also does; see `lockPayable`. */
export interface LockAlso {
  read?: (params: SqlParams, orderId: string) => string;
}

export type OrderChanges = Partial<
  Pick<Order, 'note' | 'items' | 'subtotal' | 'total' | 'status' | 'amountPaid' | 'amountRefunded'>
>;

// Every value is written as `null` when its column is NULL (concat alone would drop it and leave
// invalid JSON). Only free text is escaped: every other value is a uuid, a number, a timestamp, a
// CHECKed word or the items' own JSON.
const text = (column: string) => `COALESCE('"' || ${column} || '"', 'null')`;
const freeText = (column: string) => `COALESCE(to_json(${column})::text, 'null')`;
const raw = (column: string) => `COALESCE(${column}::text, 'null')`;
const instant = (column: string) => text(isoTimestampSql(column));

/**
 * Each field of the API's Order, in order, and the SQL of its JSON value over a row `o`; the
 * compiler holds it to OrderDto, so a field added there cannot be forgotten here.
 */
export const ORDER_FIELDS = {
  id: text('o.id'),
  number: raw('o.number'),
  customerId: text('o.customer_id'),
  status: text('o.status'),
  currency: text('o.currency'),
  items: raw('o.items'),
  subtotal: raw('o.subtotal'),
  total: raw('o.total'),
  amountPaid: raw('o.amount_paid'),
  amountRefunded: raw('o.amount_refunded'),
  note: freeText('o.note'),
  version: raw('o.version'),
  createdAt: instant('o.created_at'),
  updatedAt: instant('o.updated_at'),
} satisfies Record<keyof OrderDto, string>;

/**
 * An order row `o` as the API shows it (OrderDto), as JSON text sent on without parsing it.
 * Amounts are JSON numbers: every one is below 2^53 (money.ts). Pieced together with concat:
 * json_build_object, which works out every argument's type on every row, was measured 1.5 times
 * as slow for a page of orders.
 */
const ORDER_JSON = `concat('{', ${Object.entries(ORDER_FIELDS)
  .map(([name, json], index) => `'${index === 0 ? '' : ','}"${name}":', ${json}`)
  .join(', ')}, '}') AS order`;

// Whole texts made once: the prepared statement's name is looked up by its text on every call.
const ORDER_BY_ID = `SELECT ${ORDER_JSON}, o.version FROM orders o WHERE o.id = $1`;
const OWN_ORDER_BY_ID = `${ORDER_BY_ID} AND o.customer_id = $2`;
const BY_ID = {
  read: { any: ORDER_BY_ID, own: OWN_ORDER_BY_ID },
  lock: { any: `${ORDER_BY_ID} FOR UPDATE`, own: `${OWN_ORDER_BY_ID} FOR UPDATE` },
};

const PAYABLE_COLUMNS = 'o.id, o.status, o.currency, o.total, o.amount_paid, o.amount_refunded';

const NEWEST_FIRST = new Keyset('o.created_at', 'o.id', 'DESC');

const EVERY_ORDER: OwnershipScope = { ownerId: null };

function toOrderDto(row: OrderJsonRow): OrderDto {
  return JSON.parse(row.order) as OrderDto;
}

/**
 * The orders table. Orders are read as the API shows them, written by PostgreSQL as JSON: no
 * entity hydration, one round trip and one row per order on the hot paths.
 */
@Injectable()
export class OrdersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts a pending order and the statement `alsoInsert` adds (its audit event) in one
   * statement, atomic without a transaction of its own; returns the order as JSON text to send.
   */
  async insertPending(
    manager: EntityManager,
    order: PendingOrderRow,
    alsoInsert: (params: SqlParams) => string,
  ): Promise<VersionedJson> {
    const params = new SqlParams();
    const insert = params.insert('orders', {
      id: order.id,
      customer_id: order.customer_id,
      status: OrderStatus.Pending,
      currency: order.currency,
      subtotal: order.subtotal,
      total: order.total,
      note: order.note,
      items: JSON.stringify(order.items),
    });
    const [row] = await preparedQuery<OrderJsonRow>(
      manager,
      `WITH o AS (${insert} RETURNING *), event AS (${alsoInsert(params)})
       SELECT ${ORDER_JSON}, o.version FROM o`,
      params.values,
    );
    return new VersionedJson(row.order, row.version);
  }

  /**
   * The order, as JSON text to send on, when it exists and `scope` lets the caller see it;
   * otherwise null (a 404).
   */
  async findVisible(
    id: string,
    scope: OwnershipScope,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<VersionedJson | null> {
    const [row] = await this.select(manager, id, scope, 'read');
    return row ? new VersionedJson(row.order, row.version) : null;
  }

  /**
   * The order, locked (FOR UPDATE) until `manager`'s transaction ends, when it exists and `scope`
   * lets the caller see it; otherwise null.
   */
  async lock(
    manager: EntityManager,
    id: string,
    scope: OwnershipScope = EVERY_ORDER,
  ): Promise<OrderDto | null> {
    const [row] = await this.select(manager, id, scope, 'lock');
    return row ? toOrderDto(row) : null;
  }

  /**
   * The SELECT that locks the order (FOR UPDATE) for a payment, its values bound into `params`,
   * for a statement that works with it (a MATERIALIZED WITH clause): the columns of `lockPayable`.
   */
  lockPayableSql(params: SqlParams, id: string, scope: OwnershipScope = EVERY_ORDER): string {
    const conditions = [`o.id = ${params.bind(id)}`];
    if (scope.ownerId !== null) conditions.push(`o.customer_id = ${params.bind(scope.ownerId)}`);
    return `SELECT ${PAYABLE_COLUMNS} FROM orders o WHERE ${conditions.join(' AND ')} FOR UPDATE`;
  }

  /**
   * Like `lock`, only the state and money a payment works with: the order's JSON is not built
   * for a transaction that never sends it. In the same statement, once the lock is held,
   * `also.read` reads one more value (its SQL, given the order id's column), returned as
   * `alsoRead`.
   */
  async lockPayable(
    manager: EntityManager,
    id: string,
    scope: OwnershipScope = EVERY_ORDER,
    also: LockAlso = {},
  ): Promise<(PayableOrder & { alsoRead: string | null }) | null> {
    const params = new SqlParams();
    const locked = this.lockPayableSql(params, id, scope);
    const read = also.read ? `, ${also.read(params, 'o.id')} AS also_read` : '';
    const [row] = await preparedQuery<PayableOrderRow & { also_read?: string }>(
      manager,
      read ? `WITH o AS MATERIALIZED (${locked}) SELECT o.*${read} FROM o` : locked,
      params.values,
    );
    if (!row) return null;
    return {
      id: row.id,
      status: row.status,
      currency: row.currency,
      total: Number(row.total),
      amountPaid: Number(row.amount_paid),
      amountRefunded: Number(row.amount_refunded),
      alsoRead: row.also_read ?? null,
    };
  }

  /** An order known to exist (locked or just written in `manager`'s transaction). */
  async get(manager: EntityManager, id: string): Promise<OrderDto> {
    const [row] = await this.select(manager, id, EVERY_ORDER, 'read');
    if (!row) throw new Error(`Order ${id} vanished inside its own transaction`);
    return toOrderDto(row);
  }

  /** Changes a locked order; its version and `updated_at` move on. */
  async update(manager: EntityManager, id: string, changes: OrderChanges): Promise<void> {
    await manager.update(Order, { id }, changes);
  }

  /**
   * One keyset page, newest first, as the JSON of a Page<OrderDto>: the orders' JSON comes from
   * PostgreSQL and is passed on as it is. The scope is part of the query: other customers'
   * orders are never fetched.
   */
  async pageJson(scope: OwnershipScope, query: ListOrdersQueryDto): Promise<string> {
    const params = new SqlParams();
    const { bind } = params;
    const conditions: string[] = [];
    // One customer's orders are walked on orders_by_customer. Given `customer_id = $n`, PostgreSQL
    // drops customer_id from the sort (the WHERE fixes it) and, when it believes the customer
    // holds a large share of the orders, walks orders_listing filtering instead, many times
    // slower. A range admitting one value keeps the sort key only that index provides.
    const customers = [scope.ownerId, query.customerId].filter((id): id is string => !!id);
    for (const customer of customers) {
      const bound = bind(customer);
      conditions.push(`o.customer_id >= ${bound} AND o.customer_id <= ${bound}`);
    }
    if (query.status) conditions.push(`o.status = ${bind(query.status)}`);
    if (query.createdFrom) {
      conditions.push(`o.created_at >= CAST(${bind(query.createdFrom)} AS timestamptz)`);
    }
    if (query.createdTo) {
      conditions.push(`o.created_at < CAST(${bind(query.createdTo)} AS timestamptz)`);
    }
    if (query.cursor)
      conditions.push(NEWEST_FIRST.after(decodeTimestampCursor(query.cursor), bind));
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = await preparedQuery<OrderJsonRow & { id: string; cursor_key: string }>(
      this.dataSource,
      `SELECT ${ORDER_JSON}, o.id, ${NEWEST_FIRST.keySql} AS cursor_key
       FROM orders o ${where}
       ORDER BY ${customers.length > 0 ? 'o.customer_id, ' : ''}${NEWEST_FIRST.orderBy}
       LIMIT ${bind(query.limit + 1)}`,
      params.values,
    );
    return toPageJson(
      rows,
      query.limit,
      (row) => row.order,
      (row) => ({ key: row.cursor_key, id: row.id }),
    );
  }

  /** Whether `userId` names an active user, who may have orders made out to them. */
  async isActiveCustomer(manager: EntityManager, userId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM users WHERE id = $1 AND status = 'active'`,
      [userId],
    );
    return rows.length > 0;
  }

  private select(
    manager: EntityManager,
    id: string,
    scope: OwnershipScope,
    mode: keyof typeof BY_ID,
  ): Promise<OrderJsonRow[]> {
    return scope.ownerId === null
      ? preparedQuery<OrderJsonRow>(manager, BY_ID[mode].any, [id])
      : preparedQuery<OrderJsonRow>(manager, BY_ID[mode].own, [id, scope.ownerId]);
  }
}
