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
  /** The order as locked, with the money in flight before this payment; null when not found. */
  order: (PayableOrder & { inFlight: number }) | null;
  /** The payment recorded, or null when the order could not take it. */
  payment: Payment | null;
}

type FirstAttemptRow = Partial<PaymentRow> & {
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
   * the money in flight after the lock, inserts the payment only when the order may become paid
   * and `amount` (null: all of it) fits the outstanding balance, and runs `claim` (given the SQL of
   * the payment's id, NULL when none was recorded: the request's idempotency key) and `event`
   * (given the name of the inserted payment's clause and a jsonb object of its amount and currency:
   * its audit event). Returns the order as locked (null when not found) and the payment (null when
   * the order refused it: the caller then says why).
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
    const amount = `COALESCE(${params.bind(payment.amount)}::bigint, a.outstanding)`;
    const [row] = await preparedQuery<FirstAttemptRow>(
      this.dataSource,
      `WITH o AS MATERIALIZED (${locked}),
        f AS MATERIALIZED (SELECT o.*, (${inFlight})::bigint AS in_flight FROM o),
        a AS (SELECT f.*, f.total - f.amount_paid - f.in_flight AS outstanding FROM f),
        p AS (INSERT INTO payments (id, order_id, status, amount, currency, provider)
          SELECT ${params.bind(payment.id)}::uuid, a.id, ${params.bind(PaymentStatus.Pending)},
            ${amount}, a.currency, ${params.bind(payment.provider)}
            FROM a
           WHERE a.status = ANY(${params.bind(payableStatuses)}::text[]) AND a.outstanding > 0
             AND ${amount} <= a.outstanding
          RETURNING ${PAYMENT_COLUMNS}),
        k AS (${claim(params, 'SELECT id FROM p')}),
        e AS (${event(params, 'p', `jsonb_build_object('amount', p.amount, 'currency', p.currency)`)})
       SELECT f.id AS order_id_found, f.status AS order_status, f.currency AS order_currency,
              f.total AS order_total, f.amount_paid AS order_amount_paid,
              f.amount_refunded AS order_amount_refunded, f.in_flight AS order_in_flight, p.*
         FROM (VALUES (1)) AS one LEFT JOIN f ON true LEFT JOIN p ON true`,
      params.values,
    );
    return {
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
   * `settle` of a payment still `pending`, in one statement with the statements `also` adds (its
   * audit event, the order's change): returns the payment as settled, or null when it was no
   * longer pending, and the caller then rolls the transaction back.
   */
  async settlePending(
    manager: EntityManager,
    id: string,
    outcome: PaymentOutcome,
    also: (params: SqlParams) => string[],
  ): Promise<Payment | null> {
    const params = new SqlParams();
    const update = `UPDATE payments SET status = ${params.bind(outcome.status)},
        provider_ref = ${params.bind(outcome.providerRef)},
        failure_code = ${params.bind(outcome.failureCode)}, updated_at = CURRENT_TIMESTAMP
      WHERE id = ${params.bind(id)} AND status = ${params.bind(PaymentStatus.Pending)}`;
    const [row] = await preparedQuery<PaymentRow>(
      manager,
      `WITH p AS (${update} RETURNING ${PAYMENT_COLUMNS}) ${alongside(also(params))}
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
