import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundProblem } from '@bastion/common';
import { AuditWriter } from '../audit';
import { assertTransition, OrderStatus } from '../orders';
import { CreateRefundDto } from './dto/create-refund.dto';
import { RefundDto, toRefundDto } from './dto/payment.dto';
import { PaymentStatus } from './entities/payment.entity';
import { RefundStatus } from './entities/refund.entity';
import { IdempotencyClaim, IdempotencyService } from './idempotency/idempotency.service';
import { PaymentSettlement } from './payment-settlement.service';
import { PaymentsReconciler } from './payments-reconciler.service';
import { PaymentsErrorCode, PaymentsException } from './payments.exception';
import { PaymentsRepository } from './payments.repository';
import { PaymentProviders } from './providers/payment-providers';
import { RefundsRepository } from './refunds.repository';

@Injectable()
export class RefundsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly payments: PaymentsRepository,
    private readonly refunds: RefundsRepository,
    private readonly settlement: PaymentSettlement,
    private readonly reconciler: PaymentsReconciler,
    private readonly providers: PaymentProviders,
    private readonly keys: IdempotencyService,
    private readonly audit: AuditWriter,
  ) {}

  /**
   * Reserves the amount under the payment's row lock (pending refunds count), tied to the
   * request's idempotency key, commits, asks the provider, then settles: concurrent refunds can
   * never sum past what was captured, and a retry after a crash settles this refund, not another.
   */
  async create(
    paymentId: string,
    dto: CreateRefundDto,
    claim: IdempotencyClaim,
  ): Promise<RefundDto> {
    // Taken over from a request cut short after it recorded its refund: finish that one.
    if (claim.attemptId) return this.resume(claim.attemptId);
    const attempt = await this.dataSource.transaction(async (manager) => {
      const found = await this.payments.findById(paymentId, manager);
      if (!found) throw new NotFoundProblem('Payment');
      // Before anything is recorded: a refund its provider cannot take must not be left pending.
      const provider = this.providers.ofPayment(found.provider);
      const order = await this.settlement.lockOrderOf(manager, found);
      const payment = await this.payments.lock(manager, paymentId);
      if (payment.status !== PaymentStatus.Succeeded) {
        throw new PaymentsException(PaymentsErrorCode.PaymentNotRefundable, payment.status);
      }
      // Refunds follow the order's state table too (a partly paid, still pending order: 409).
      assertTransition(order.status, OrderStatus.Refunded);
      const refundable =
        payment.amount - (await this.refunds.amountRefundedOrInFlight(manager, paymentId));
      if (dto.amount > refundable) {
        throw new PaymentsException(PaymentsErrorCode.RefundExceedsCaptured, String(refundable));
      }
      const id = await this.refunds.insertPending(manager, {
        paymentId,
        amount: dto.amount,
        reason: dto.reason ?? null,
      });
      await this.keys.bind(manager, claim, id);
      await this.audit.record(manager, {
        action: 'refund.created',
        resource: { type: 'refund', id },
        metadata: { paymentId, orderId: payment.orderId, amount: dto.amount, reason: dto.reason },
      });
      return { id, payment, provider };
    });
    const outcome = await attempt.provider.refund({
      key: attempt.id,
      paymentRef: attempt.payment.providerRef as string,
      amount: dto.amount,
      currency: attempt.payment.currency,
    });
    const settled = await this.dataSource.transaction((manager) =>
      this.settlement.applyRefund(manager, attempt.id, outcome),
    );
    return toRefundDto(settled.row);
  }

  /** Like `PaymentsService.resume`: settles a refund left pending from the provider's record. */
  private async resume(refundId: string): Promise<RefundDto> {
    const manager = this.dataSource.manager;
    const refund = await this.refunds.get(manager, refundId);
    if (refund.status !== RefundStatus.Pending) return toRefundDto(refund);
    const { provider } = await this.payments.get(manager, refund.paymentId);
    return toRefundDto((await this.reconciler.settleRefund({ id: refundId, provider })).row);
  }
}
