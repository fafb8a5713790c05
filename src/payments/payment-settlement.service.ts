import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SqlParams } from '@bastion/database';
import { AuditActor, AuditRecord, AuditWriter } from '../audit';
import { OrderDto, OrderPaymentsService, OrdersRepository } from '../orders';
import { Payment, PaymentStatus } from './entities/payment.entity';
import { Refund, RefundStatus } from './entities/refund.entity';
import { PaymentsRepository } from './payments.repository';
import { ChargeOutcome, RefundOutcome } from './providers/payment-provider';
import { RefundsRepository } from './refunds.repository';

/**
 * Thrown, rolling its transaction back, when the payment a request charged was settled by
 * someone else (a retry that took its key over, the reconciler, a webhook) before the request
 * could record the provider's answer: `applyCharge` then decides as for any late outcome.
 */
export class SettledElsewhere extends Error {
  constructor(paymentId: string) {
    super(`Payment ${paymentId} is no longer pending`);
  }
}

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
 * the charge, the reconciler or a webhook. Inside the caller's transaction (`applyOwnCharge`: in
 * one statement of its own) and always locking in one order (order, then payment, then refund) so
 * concurrent paths cannot deadlock.
 * Also answers the orders module's questions about an order's payments.
 */
@Injectable()
export class PaymentSettlement implements OnModuleInit {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly orderPayments: OrderPaymentsService,
    private readonly payments: PaymentsRepository,
    private readonly refunds: RefundsRepository,
    private readonly audit: AuditWriter,
  ) {}

  onModuleInit(): void {
    this.orderPayments.answerPaymentActivityWith(this.payments);
  }

  /** The order a payment is for, locked first, as every money change locks it. */
  async lockOrderOf(manager: EntityManager, payment: Pick<Payment, 'orderId'>): Promise<OrderDto> {
    const order = await this.orders.lock(manager, payment.orderId);
    if (!order) throw new Error(`Order ${payment.orderId} of a payment is missing`);
    return order;
  }

  async applyCharge(
    manager: EntityManager,
    paymentId: string,
    outcome: ChargeOutcome,
    actor?: AuditActor,
  ): Promise<Settled<Payment>> {
    const order = await this.lockOrderOf(manager, await this.payments.get(manager, paymentId));
    const payment = await this.payments.lock(manager, paymentId);
    if (!SETTLEABLE[payment.status].includes(outcome.status))
      return { row: payment, applied: false };
    const status = outcome.status as PaymentStatus;
    await this.payments.settle(manager, paymentId, {
      status,
      providerRef: outcome.providerRef,
      failureCode: outcome.failureCode,
    });
    await this.audit.record(manager, chargeEvent(payment, status, outcome, actor));
    if (status === PaymentStatus.Succeeded) {
      await this.orderPayments.recordCapture(manager, order, payment.amount, actor);
    }
    return { row: await this.payments.get(manager, paymentId), applied: true };
  }

  /**
   * `applyCharge` for the request that recorded `payment` and made its charge, in one statement
   * that commits on its own: it locks the order, settles the payment if it is still pending and
   * writes the payment's event, the order's change with its event (after the payment's), and
   * `complete` (given the settled row's clause: the idempotency key's stored answer). Throws
   * `SettledElsewhere`, having written nothing, when the payment is no longer pending.
   */
  async applyOwnCharge(
    payment: Pick<Payment, 'id' | 'orderId' | 'amount' | 'status'>,
    outcome: ChargeOutcome,
    complete: (params: SqlParams, from: string) => string,
  ): Promise<Payment> {
    const status = outcome.status as PaymentStatus;
    const settled = await this.payments.settleOwnPending(
      (params) => this.orders.lockPayableSql(params, payment.orderId),
      payment.id,
      { status, providerRef: outcome.providerRef, failureCode: outcome.failureCode },
      (params, from) =>
        this.audit.insertEachSql(
          params,
          chargeEvent(payment, status, outcome),
          from,
          `'{}'::jsonb`,
        ),
      (params) =>
        status === PaymentStatus.Succeeded
          ? this.orderPayments.recordCaptureEachSql(
              params,
              payment.orderId,
              'p',
              'payment_event',
              'payment_event.occurred_at',
            )
          : '',
      complete,
    );
    if (!settled) throw new SettledElsewhere(payment.id);
    return settled;
  }

  async applyRefund(
    manager: EntityManager,
    refundId: string,
    outcome: RefundOutcome,
    actor?: AuditActor,
  ): Promise<Settled<Refund>> {
    const { paymentId } = await this.refunds.get(manager, refundId);
    const order = await this.lockOrderOf(manager, await this.payments.get(manager, paymentId));
    await this.payments.lock(manager, paymentId);
    const refund = await this.refunds.lock(manager, refundId);
    if (refund.status !== RefundStatus.Pending) return { row: refund, applied: false };
    const status = outcome.status === 'succeeded' ? RefundStatus.Succeeded : RefundStatus.Failed;
    await this.refunds.settle(manager, refundId, {
      status,
      providerRef: outcome.providerRef,
      failureCode: outcome.failureCode,
    });
    await this.audit.record(manager, {
      action: status === RefundStatus.Succeeded ? 'refund.succeeded' : 'refund.failed',
      resource: { type: 'refund', id: refundId },
      changes: { before: { status: refund.status }, after: { status } },
      metadata: {
        paymentId,
        orderId: order.id,
        amount: refund.amount,
        ...(outcome.failureCode ? { failureCode: outcome.failureCode } : {}),
      },
      actor,
    });
    if (status === RefundStatus.Succeeded) {
      await this.orderPayments.recordRefund(manager, order, refund.amount, actor);
    }
    return { row: await this.refunds.get(manager, refundId), applied: true };
  }
}

function chargeEvent(
  payment: Pick<Payment, 'id' | 'orderId' | 'amount' | 'status'>,
  status: PaymentStatus,
  outcome: ChargeOutcome,
  actor?: AuditActor,
): AuditRecord {
  return {
    action: PAYMENT_ACTIONS[status],
    resource: { type: 'payment', id: payment.id },
    changes: { before: { status: payment.status }, after: { status } },
    metadata: {
      orderId: payment.orderId,
      amount: payment.amount,
      providerRef: outcome.providerRef,
      ...(outcome.failureCode ? { failureCode: outcome.failureCode } : {}),
    },
    actor,
  };
}

const PAYMENT_ACTIONS: Record<PaymentStatus, string> = {
  [PaymentStatus.Pending]: 'payment.created',
  [PaymentStatus.RequiresAction]: 'payment.action_required',
  [PaymentStatus.Succeeded]: 'payment.succeeded',
  [PaymentStatus.Failed]: 'payment.failed',
};
