import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditActor, AuditWriter } from '../audit/audit-writer.service';
import { OrderLedger } from '../orders/order-ledger.service';
import { Payment, PaymentStatus } from './entities/payment.entity';
import { Refund, RefundStatus } from './entities/refund.entity';
import { ChargeOutcome, RefundOutcome } from './providers/payment-provider';

export interface Settled<Row> {
  row: Row;
  /** False when the row had already been settled: the first outcome wins, later ones are ignored. */
  applied: boolean;
}

/** Which provider outcomes may still change a payment in each status. */
const SETTLEABLE: Record<PaymentStatus, readonly string[]> = {
  [PaymentStatus.Pending]: ['succeeded', 'failed', 'requires_action'],
  [PaymentStatus.RequiresAction]: ['succeeded', 'failed'],
  [PaymentStatus.Succeeded]: [],
  [PaymentStatus.Failed]: [],
};

/**
 * Applies provider outcomes to payments and refunds, whoever learnt them: the request that made
 * the charge, the reconciler or a webhook. Always inside the caller's transaction and always
 * locking in one order (order, then payment, then refund) so concurrent paths cannot deadlock.
 */
@Injectable()
export class PaymentSettlement {
  constructor(
    private readonly ledger: OrderLedger,
    private readonly audit: AuditWriter,
  ) {}

  async applyCharge(
    manager: EntityManager,
    paymentId: string,
    outcome: ChargeOutcome,
    actor?: AuditActor,
  ): Promise<Settled<Payment>> {
    const { orderId } = await manager.findOneByOrFail(Payment, { id: paymentId });
    const order = await this.ledger.lockOrderForPayment(manager, orderId);
    const payment = await this.lockPayment(manager, paymentId);
    if (!SETTLEABLE[payment.status].includes(outcome.status))
      return { row: payment, applied: false };
    const status = outcome.status as PaymentStatus;
    await manager.update(
      Payment,
      { id: paymentId },
      { status, providerRef: outcome.providerRef, failureCode: outcome.failureCode },
    );
    await this.audit.record(manager, {
      action: PAYMENT_ACTIONS[status],
      resource: { type: 'payment', id: paymentId },
      changes: { before: { status: payment.status }, after: { status } },
      metadata: {
        orderId,
        amount: payment.amount,
        providerRef: outcome.providerRef,
        ...(outcome.failureCode ? { failureCode: outcome.failureCode } : {}),
      },
      actor,
    });
    if (status === PaymentStatus.Succeeded) {
      await this.ledger.recordCapture(manager, order, payment.amount, actor);
    }
    return { row: await manager.findOneByOrFail(Payment, { id: paymentId }), applied: true };
  }

  async applyRefund(
    manager: EntityManager,
    refundId: string,
    outcome: RefundOutcome,
    actor?: AuditActor,
  ): Promise<Settled<Refund>> {
    const { paymentId } = await manager.findOneByOrFail(Refund, { id: refundId });
    const { orderId } = await manager.findOneByOrFail(Payment, { id: paymentId });
    const order = await this.ledger.lockOrderForPayment(manager, orderId);
    await this.lockPayment(manager, paymentId);
    const refund = await manager
      .createQueryBuilder(Refund, 'r')
      .where('r.id = :refundId', { refundId })
      .setLock('pessimistic_write')
      .getOneOrFail();
    if (refund.status !== RefundStatus.Pending) return { row: refund, applied: false };
    const status = outcome.status === 'succeeded' ? RefundStatus.Succeeded : RefundStatus.Failed;
    await manager.update(
      Refund,
      { id: refundId },
      { status, providerRef: outcome.providerRef, failureCode: outcome.failureCode },
    );
    await this.audit.record(manager, {
      action: status === RefundStatus.Succeeded ? 'refund.succeeded' : 'refund.failed',
      resource: { type: 'refund', id: refundId },
      changes: { before: { status: refund.status }, after: { status } },
      metadata: {
        paymentId,
        orderId,
        amount: refund.amount,
        ...(outcome.failureCode ? { failureCode: outcome.failureCode } : {}),
      },
      actor,
    });
    if (status === RefundStatus.Succeeded) {
      await this.ledger.recordRefund(manager, order, refund.amount, actor);
    }
    return { row: await manager.findOneByOrFail(Refund, { id: refundId }), applied: true };
  }

  lockPayment(manager: EntityManager, id: string): Promise<Payment> {
    return manager
      .createQueryBuilder(Payment, 'p')
      .where('p.id = :id', { id })
      .setLock('pessimistic_write')
      .getOneOrFail();
  }
}

const PAYMENT_ACTIONS: Record<PaymentStatus, string> = {
  [PaymentStatus.Pending]: 'payment.created',
  [PaymentStatus.RequiresAction]: 'payment.action_required',
  [PaymentStatus.Succeeded]: 'payment.succeeded',
  [PaymentStatus.Failed]: 'payment.failed',
};
