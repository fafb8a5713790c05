import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { KeysetCursor, Keyset } from '@bastion/common';
import { preparedQuery, SqlParams } from '@bastion/database';
import type { OrderStatus, PayableOrder } from '../orders';
import { Payment, PaymentStatus } from './entities/payment.entity';

/** A payment or refund in doubt, and the provider that was (or was about to be) asked. */
export interface Unsettled {
  id: string;
  provider: string;
}

export type PaymentOutcome = Pick<Payment, 'status' | 'providerRef' | 'failureCode'>;

/** Statuses of a payment whose money is being captured: it counts against the balance. */
const CAPTURE_IN_FLIGHT = [PaymentStatus.Pending, PaymentStatus.RequiresAction];

const OLDEST_FIRST = new Keyset('p.created_at', 'p.id', 'ASC');

const PAYMENT_COLUMNS = `id, order_id, status, amount, currency, provider, provider_ref,
  failure_code, created_at, updated_at`;

const QUALIFIED_PAYMENT_COLUMNS = PAYMENT_COLUMNS.split(',')
  .map((column) => `payments.${column.trim()}`)
  .join(', ');

interface PaymentRow {
  id: string;
  order_id: string;
  status: PaymentStatus;
  amount: string;
  currency: string;
  provider: string;
  provider_ref: string | null;
  failure_code: string | null;
  created_at: Date;
  updated_at: Date;
}

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    amount: Number(row.amount),
    currency: row.currency,
    provider: row.provider,
    providerRef: row.provider_ref,
    failureCode: row.failure_code,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What `insertFirstPending` found and did. */
export interface FirstAttempt {
  /** Whether the statement took the idempotency key: false when the key was in the table. */
  claimed: boolean;
  /** The order as locked, with the money in flight before this payment; null when not found. */
  order: (PayableOrder & { inFlight: number }) | null;
  /** The payment recorded, or null when the order could not take it. */
  payment: Payment | null;
}

type FirstAttemptRow = Partial<PaymentRow> & {
  claimed: boolean;
  order_id_found: string | null;
  order_status: string | null;
  order_currency: string | null;
  order_total: string | null;
  order_amount_paid: string | null;
  order_amount_refunded: string | null;
  order_in_flight: string | null;
};

/** Statements run with the main one, as WITH clauses named `alongside_<n>`. */
function alongside(statements: string[]): string {
  return statements.map((sql, index) => `, alongside_${index} AS (${sql})`).join('');
}

/** The payments table. Methods taking a manager run in the caller's transaction. */
@Injectable()
export class PaymentsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records an attempt, `pending` until the provider answers, in one statement with `binding` (a
   * statement returning a row when it applies: the attempt's tie to its idempotency key) and the
   * statements `also` adds (its audit event). Returns the payment and whether `binding` applied;
   * when it did not, the caller rolls the transaction back.
   */
  async insertPending(
    manager: EntityManager,
    payment: Pick<Payment, 'id' | 'orderId' | 'amount' | 'currency' | 'provider'>,
    binding: (params: SqlParams) => string,
    also: (params: SqlParams) => string[],
  ): Promise<{ payment: Payment; bound: boolean }> {
    const params = new SqlParams();
    const insert = params.insert('payments', {
      id: payment.id,
      order_id: payment.orderId,
      status: PaymentStatus.Pending,
      amount: payment.amount,
      currency: payment.currency,
      provider: payment.provider,
    });
    const [row] = await preparedQuery<PaymentRow & { bound: boolean }>(
      manager,
      `WITH p AS (${insert} RETURNING ${PAYMENT_COLUMNS}), binding AS (${binding(params)})
       ${alongside(also(params))}
       SELECT p.*, EXISTS (SELECT 1 FROM binding) AS bound FROM p`,
      params.values,
    );
    return { payment: toPayment(row), bound: row.bound };
  }

  /**
   * Records the first attempt of a request, `pending`, in one statement that locks its order
   * (`lockOrder`, a SELECT ... FOR UPDATE of the columns of `OrdersRepository.lockPayable`), reads
   * the money in flight after the lock, decides whether the order takes the payment (it may still
   * become paid and `amount`, null for all of it, fits the outstanding balance), runs `claim`
   * (the claim of the request's idempotency key: given the SQL of the payment's id when the order
   * takes it, else NULL, it returns a row when it took the key) and, only when it did and the order
   * takes the payment, inserts the payment and runs `event` (given the name of the inserted
   * payment's clause and a jsonb object of its amount and currency: its audit event). Returns
   * whether the key was taken, the order as locked (null when not found) and the payment (null
   * when the key was not taken or the order refused it: the caller then says why).
   */
  async insertFirstPending(
    lockOrder: (params: SqlParams) => string,
    payment: Pick<Payment, 'id' | 'provider'> & { amount: number | null },
    payableStatuses: readonly string[],
    claim: (params: SqlParams, attemptIdSql: string) => string,
    event: (params: SqlParams, from: string, metadataSql: string) => string,
  ): Promise<FirstAttempt> {
    const params = new SqlParams();
    const locked = lockOrder(params);
    const inFlight = this.amountInFlightSql(params, 'o.id');
    const id = params.bind(payment.id);
    const amount = `COALESCE(${params.bind(payment.amount)}::bigint, f.outstanding)`;
    const [row] = await preparedQuery<FirstAttemptRow>(
      this.dataSource,
      `WITH o AS MATERIALIZED (${locked}),
        f AS MATERIALIZED (SELECT l.*, l.total - l.amount_paid - l.in_flight AS outstanding
          FROM (SELECT o.*, (${inFlight})::bigint AS in_flight FROM o) l),
        a AS MATERIALIZED (SELECT f.id, f.currency, ${amount} AS amount FROM f
          WHERE f.status = ANY(${params.bind(payableStatuses)}::text[]) AND f.outstanding > 0
            AND ${amount} <= f.outstanding),
        k AS (${claim(params, `SELECT ${id}::uuid FROM a`)}),
        p AS (INSERT INTO payments (id, order_id, status, amount, currency, provider)
          SELECT ${id}::uuid, a.id, ${params.bind(PaymentStatus.Pending)}, a.amount, a.currency,
            ${params.bind(payment.provider)}
            FROM a WHERE EXISTS (SELECT 1 FROM k)
          RETURNING ${PAYMENT_COLUMNS}),
        e AS (${event(params, 'p', `jsonb_build_object('amount', p.amount, 'currency', p.currency)`)})
       SELECT EXISTS (SELECT 1 FROM k) AS claimed, f.id AS order_id_found,
              f.status AS order_status, f.currency AS order_currency, f.total AS order_total,
              f.amount_paid AS order_amount_paid, f.amount_refunded AS order_amount_refunded,
              f.in_flight AS order_in_flight, p.*
         FROM (VALUES (1)) AS one LEFT JOIN f ON true LEFT JOIN p ON true`,
      params.values,
    );
    return {
      claimed: row.claimed,
      order: row.order_id_found
        ? {
            id: row.order_id_found,
            status: row.order_status as OrderStatus,
            currency: row.order_currency as string,
            total: Number(row.order_total),
            amountPaid: Number(row.order_amount_paid),
            amountRefunded: Number(row.order_amount_refunded),
            inFlight: Number(row.order_in_flight),
          }
        : null,
      payment: row.id ? toPayment(row as PaymentRow) : null,
    };
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<Payment | null> {
    return manager.findOneBy(Payment, { id });
  }

  /** A payment known to exist. */
  get(manager: EntityManager, id: string): Promise<Payment> {
    return manager.findOneByOrFail(Payment, { id });
  }

  /** A payment known to exist, locked (FOR UPDATE) until the transaction ends. */
  lock(manager: EntityManager, id: string): Promise<Payment> {
    return manager.findOneOrFail(Payment, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  findByProviderRef(
    manager: EntityManager,
    provider: string,
    providerRef: string,
  ): Promise<Payment | null> {
    return manager.findOneBy(Payment, { provider, providerRef });
  }

  async settle(manager: EntityManager, id: string, outcome: PaymentOutcome): Promise<void> {
    await manager.update(Payment, { id }, outcome);
  }

  /**
   * Settles a payment still `pending` in one statement that commits on its own: it first locks
   * the payment's order (`lockOrder`, a SELECT ... FOR UPDATE), then settles the payment if it is
   * still pending and runs, for the settled
   * row (a WITH clause `p`; none when it was no longer pending): `event` (its audit event, a
   * clause `payment_event` returning `occurred_at`), `also` (more WITH clauses, each starting with
   * a comma: the order's change) and `complete` (the idempotency key's stored answer). Returns
   * the payment as settled, or null when it was no longer pending and nothing was written.
   */
  async settleOwnPending(
    lockOrder: (params: SqlParams) => string,
    id: string,
    outcome: PaymentOutcome,
    event: (params: SqlParams, from: string) => string,
    also: (params: SqlParams) => string,
    complete: (params: SqlParams, from: string) => string,
  ): Promise<Payment | null> {
    const params = new SqlParams();
    const locked = lockOrder(params);
    const update = `UPDATE payments SET status = ${params.bind(outcome.status)},
        provider_ref = ${params.bind(outcome.providerRef)},
        failure_code = ${params.bind(outcome.failureCode)}, updated_at = CURRENT_TIMESTAMP
      FROM o WHERE payments.id = ${params.bind(id)}
        AND payments.status = ${params.bind(PaymentStatus.Pending)}`;
    const [row] = await preparedQuery<PaymentRow>(
      this.dataSource,
      `WITH o AS MATERIALIZED (${locked}),
        p AS (${update} RETURNING ${QUALIFIED_PAYMENT_COLUMNS}),
        payment_event AS (${event(params, 'p')} RETURNING occurred_at)
        ${also(params)},
        completion AS (${complete(params, 'p')})
       SELECT * FROM p`,
      params.values,
    );
    return row ? toPayment(row) : null;
  }

  /**
   * SQL of the money being captured for the order in `orderId` (a column) right now, as text.
   * Read with a snapshot of its own (`payments_in_flight`, migrations): in the statement that
   * locks the order, it sees the payments of the transaction the lock waited for.
   */
  amountInFlightSql(params: SqlParams, orderId: string): string {
    return `payments_in_flight(${orderId}, ${params.bind(CAPTURE_IN_FLIGHT)}::text[])::text`;
  }

  async hasCaptureInFlight(manager: EntityManager, orderId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM payments WHERE order_id = $1 AND status = ANY($2::text[]) LIMIT 1`,
      [orderId, CAPTURE_IN_FLIGHT],
    );
    return rows.length > 0;
  }

  /** The order's payments, oldest first, `limit` after `cursor`; each with its cursor key. */
  async findPageForOrder(
    orderId: string,
    limit: number,
    cursor?: KeysetCursor,
  ): Promise<(Payment & { cursorKey: string })[]> {
    const params = new SqlParams();
    const conditions = [`p.order_id = ${params.bind(orderId)}`];
    if (cursor) conditions.push(OLDEST_FIRST.after(cursor, params.bind));
    const keys = await this.dataSource.query<{ id: string; cursor_key: string }[]>(
      `SELECT p.id, ${OLDEST_FIRST.keySql} AS cursor_key FROM payments p
        WHERE ${conditions.join(' AND ')} ORDER BY ${OLDEST_FIRST.orderBy} LIMIT ${Number(limit)}`,
      params.values,
    );
    if (keys.length === 0) return [];
    const payments = await this.dataSource.manager.findBy(Payment, {
      id: In(keys.map((key) => key.id)),
    });
    const byId = new Map(payments.map((payment) => [payment.id, payment]));
    return keys.map((key) =>
      Object.assign(byId.get(key.id) as Payment, { cursorKey: key.cursor_key }),
    );
  }

  /** Payments still `pending` after `olderThanSeconds`, oldest first. */
  findUnsettled(olderThanSeconds: number, limit: number): Promise<Unsettled[]> {
    return this.dataSource.query<Unsettled[]>(
      `SELECT id, provider FROM payments
       WHERE status = $1 AND created_at < now() - make_interval(secs => $2)
       ORDER BY created_at LIMIT $3`,
      [PaymentStatus.Pending, olderThanSeconds, limit],
    );
  }
}
