import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditActor, SYSTEM_ACTOR } from '../audit';
import { Payment } from './entities/payment.entity';
import { Refund } from './entities/refund.entity';
import { PaymentSettlement, Settled } from './payment-settlement.service';
import { PaymentsRepository, Unsettled } from './payments.repository';
import { PaymentProviders } from './providers/payment-providers';
import { RefundsRepository } from './refunds.repository';

/** Attempts younger than this may still be in the hands of the request that made them. */
export const RECONCILE_AFTER_SECONDS = 30;
const BATCH = 100;

export interface ReconcileReport {
  payments: number;
  refunds: number;
}

/**
 * Settles payments and refunds left `pending` by a crash between recording the attempt and
 * recording the provider's answer, using the provider's own record of the attempt.
 */
@Injectable()
export class PaymentsReconciler {
  private readonly logger = new Logger(PaymentsReconciler.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly providers: PaymentProviders,
    private readonly settlement: PaymentSettlement,
    private readonly payments: PaymentsRepository,
    private readonly refunds: RefundsRepository,
  ) {}

  async reconcile(olderThanSeconds = RECONCILE_AFTER_SECONDS): Promise<ReconcileReport> {
    const payments = await this.payments.findUnsettled(olderThanSeconds, BATCH);
    const refunds = await this.refunds.findUnsettled(olderThanSeconds, BATCH);
    const report: ReconcileReport = { payments: 0, refunds: 0 };
    // One at a time, each in its own transaction: one bad row must not hold back the others.
    for (const payment of payments) {
      await this.settleOne('payment', payment.id, async () => {
        if ((await this.settlePayment(payment, SYSTEM_ACTOR)).applied) report.payments += 1;
      });
    }
    for (const refund of refunds) {
      await this.settleOne('refund', refund.id, async () => {
        if ((await this.settleRefund(refund, SYSTEM_ACTOR)).applied) report.refunds += 1;
      });
    }
    return report;
  }

  /**
   * Settles one payment with the provider's record of its charge (a charge it never received is
   * closed as failed). The first outcome applied wins, so whoever calls this cannot conflict with
   * the request that made the charge, a webhook or another reconciler. `actor` defaults to the
   * caller of the current request.
   */
  async settlePayment({ id, provider }: Unsettled, actor?: AuditActor): Promise<Settled<Payment>> {
    const outcome = await this.providers.ofPayment(provider).chargeOutcome(id);
    return this.dataSource.transaction((manager) =>
      this.settlement.applyCharge(manager, id, outcome, actor),
    );
  }

  /** Like `settlePayment`, for a refund; `provider` is its payment's. */
  async settleRefund({ id, provider }: Unsettled, actor?: AuditActor): Promise<Settled<Refund>> {
    const outcome = await this.providers.ofPayment(provider).refundOutcome(id);
    return this.dataSource.transaction((manager) =>
      this.settlement.applyRefund(manager, id, outcome, actor),
    );
  }

  private async settleOne(kind: string, id: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.error({ err: error, id }, `Could not reconcile ${kind}`);
    }
  }
}
