import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { KeysetCursor, Keyset } from '@bastion/common';
import { SqlParams } from '@bastion/database';
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

/** The payments table. Methods taking a manager run in the caller's transaction. */
@Injectable()
export class PaymentsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records an attempt, `pending` until the provider answers; returns its id. */
  async insertPending(
    manager: EntityManager,
    payment: Pick<Payment, 'orderId' | 'amount' | 'currency' | 'provider'>,
  ): Promise<string> {
    const { identifiers } = await manager.insert(Payment, {
      ...payment,
      status: PaymentStatus.Pending,
      providerRef: null,
      failureCode: null,
    });
    return (identifiers[0] as { id: string }).id;
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

  /** Money being captured for the order right now. */
  async amountInFlight(manager: EntityManager, orderId: string): Promise<number> {
    const [row] = await manager.query<{ amount: string }[]>(
      `SELECT COALESCE(sum(amount), 0)::text AS amount FROM payments
       WHERE order_id = $1 AND status = ANY($2::text[])`,
      [orderId, CAPTURE_IN_FLIGHT],
    );
    return Number(row.amount);
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
