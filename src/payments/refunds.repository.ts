import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { Refund, RefundStatus } from './entities/refund.entity';
import { Unsettled } from './payments.repository';

export type RefundOutcomeRow = Pick<Refund, 'status' | 'providerRef' | 'failureCode'>;

/** Statuses of a refund whose amount is spoken for: it counts against what is left to refund. */
const REFUNDED_OR_IN_FLIGHT = [RefundStatus.Pending, RefundStatus.Succeeded];

/** The refunds table. Methods taking a manager run in the caller's transaction. */
@Injectable()
export class RefundsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records an attempt, `pending` until the provider answers; returns its id. */
  async insertPending(
    manager: EntityManager,
    refund: Pick<Refund, 'paymentId' | 'amount' | 'reason'>,
  ): Promise<string> {
    const { identifiers } = await manager.insert(Refund, {
      ...refund,
      status: RefundStatus.Pending,
      providerRef: null,
      failureCode: null,
    });
    return (identifiers[0] as { id: string }).id;
  }

  /** A refund known to exist. */
  get(manager: EntityManager, id: string): Promise<Refund> {
    return manager.findOneByOrFail(Refund, { id });
  }

  /** A refund known to exist, locked (FOR UPDATE) until the transaction ends. */
  lock(manager: EntityManager, id: string): Promise<Refund> {
    return manager.findOneOrFail(Refund, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async settle(manager: EntityManager, id: string, outcome: RefundOutcomeRow): Promise<void> {
    await manager.update(Refund, { id }, outcome);
  }

  async amountRefundedOrInFlight(manager: EntityManager, paymentId: string): Promise<number> {
    const [row] = await manager.query<{ amount: string }[]>(
      `SELECT COALESCE(sum(amount), 0)::text AS amount FROM refunds
       WHERE payment_id = $1 AND status = ANY($2::text[])`,
      [paymentId, REFUNDED_OR_IN_FLIGHT],
    );
    return Number(row.amount);
  }

  /** The refunds of each payment, oldest first. */
  async byPayment(paymentIds: string[]): Promise<Map<string, Refund[]>> {
    const refunds = paymentIds.length
      ? await this.dataSource.manager.find(Refund, {
          where: { paymentId: In(paymentIds) },
          order: { createdAt: 'ASC', id: 'ASC' },
        })
      : [];
    const byPayment = new Map<string, Refund[]>();
    for (const refund of refunds) {
      byPayment.set(refund.paymentId, [...(byPayment.get(refund.paymentId) ?? []), refund]);
    }
    return byPayment;
  }

  /** Refunds still `pending` after `olderThanSeconds`, oldest first, with their payment's provider. */
  findUnsettled(olderThanSeconds: number, limit: number): Promise<Unsettled[]> {
    return this.dataSource.query<Unsettled[]>(
      `SELECT r.id, p.provider FROM refunds r JOIN payments p ON p.id = r.payment_id
       WHERE r.status = $1 AND r.created_at < now() - make_interval(secs => $2)
       ORDER BY r.created_at LIMIT $3`,
      [RefundStatus.Pending, olderThanSeconds, limit],
    );
  }
}
