import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import {
  decodeTimestampCursor,
  NotFoundProblem,
  Page,
  PageQueryDto,
  timestampCursorSql,
  toPage,
} from '@bastion/common';
import { ownershipScope, Permission, Principal } from '@bastion/rbac';
import { AuditWriter } from '../audit/audit-writer.service';
import { OrderLedger } from '../orders/order-ledger.service';
import { assertTransition, OrderStatus } from '../orders/order-state';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { PaymentDto, toPaymentDto } from './dto/payment.dto';
import { Payment, PaymentStatus } from './entities/payment.entity';
import { Refund } from './entities/refund.entity';
import { IdempotencyClaim, IdempotencyService } from './idempotency/idempotency.service';
import { PaymentSettlement } from './payment-settlement.service';
import { PaymentsReconciler } from './payments-reconciler.service';
import { PaymentsErrorCode, PaymentsException } from './payments.exception';
import { PaymentProviders } from './providers/payment-providers';

@Injectable()
export class PaymentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: OrderLedger,
    private readonly settlement: PaymentSettlement,
    private readonly reconciler: PaymentsReconciler,
    private readonly providers: PaymentProviders,
    private readonly keys: IdempotencyService,
    private readonly audit: AuditWriter,
  ) {}

  /**
   * Records the attempt (`pending`), tied to the request's idempotency key, and commits before
   * calling the provider, then settles it in a second transaction: a crash in between leaves a
   * row the reconciler settles later, or the retry that takes the key over settles at once.
   */
  async create(
    principal: Principal,
    orderId: string,
    dto: CreatePaymentDto,
    claim: IdempotencyClaim,
  ): Promise<PaymentDto> {
    // Taken over from a request cut short after it recorded its payment: finish that one.
    if (claim.attemptId) return this.resume(claim.attemptId);
    const scope = ownershipScope(principal, Permission.PaymentsCreateAny);
    const provider = this.providers.default();
    const attempt = await this.dataSource.transaction(async (manager) => {
      const order = await this.ledger.lockVisibleOrder(manager, orderId, scope);
      if (!order) throw new NotFoundProblem('Order');
      // Only an order that may still become paid takes payments: cancelled and paid ones are 409s.
      assertTransition(order.status, OrderStatus.Paid);
      const outstanding =
        order.total - order.amountPaid - (await this.amountInFlight(manager, orderId));
      if (outstanding <= 0) throw new PaymentsException(PaymentsErrorCode.NothingOutstanding);
      const amount = dto.amount ?? outstanding;
      if (amount > outstanding) {
        throw new PaymentsException(
          PaymentsErrorCode.AmountExceedsOutstanding,
          String(outstanding),
        );
      }
      const { identifiers } = await manager.insert(Payment, {
        orderId,
        status: PaymentStatus.Pending,
        amount,
        currency: order.currency,
        provider: provider.name,
        providerRef: null,
        failureCode: null,
      });
      const id = (identifiers[0] as { id: string }).id;
      await this.keys.bind(manager, claim, id);
      await this.audit.record(manager, {
        action: 'payment.created',
        resource: { type: 'payment', id },
        metadata: { orderId, amount, currency: order.currency, provider: provider.name },
      });
      return { id, amount, currency: order.currency };
    });
    const outcome = await provider.charge({
      key: attempt.id,
      amount: attempt.amount,
      currency: attempt.currency,
      token: dto.paymentMethod.token,
    });
    const settled = await this.dataSource.transaction((manager) =>
      this.settlement.applyCharge(manager, attempt.id, outcome),
    );
    return toPaymentDto(settled.row, []);
  }

  /**
   * Answers for a request that recorded this payment and then died: a payment still pending is
   * settled from the provider's record of the charge (never charged again), any other status is
   * already the provider's answer.
   */
  private async resume(paymentId: string): Promise<PaymentDto> {
    let payment = await this.dataSource.manager.findOneByOrFail(Payment, { id: paymentId });
    if (payment.status === PaymentStatus.Pending) {
      payment = (await this.reconciler.settlePayment(payment)).row;
    }
    const refunds = await this.refundsByPayment(this.dataSource.manager, [paymentId]);
    return toPaymentDto(payment, refunds.get(paymentId) ?? []);
  }

  async get(principal: Principal, id: string): Promise<PaymentDto> {
    const scope = ownershipScope(principal, Permission.PaymentsReadAny);
    const builder = this.dataSource
      .createQueryBuilder(Payment, 'p')
      .innerJoin('orders', 'o', 'o.id = p.order_id')
      .where('p.id = :id', { id });
    // Scoped in the query: another customer's payment is simply not found.
    if (scope.ownerId !== null) {
      builder.andWhere('o.customer_id = :ownerId', { ownerId: scope.ownerId });
    }
    const payment = await builder.getOne();
    if (!payment) throw new NotFoundProblem('Payment');
    const refunds = await this.refundsByPayment(this.dataSource.manager, [id]);
    return toPaymentDto(payment, refunds.get(id) ?? []);
  }

  /** The order's payments, oldest first. */
  async listForOrder(
    principal: Principal,
    orderId: string,
    query: PageQueryDto,
  ): Promise<Page<PaymentDto>> {
    const manager = this.dataSource.manager;
    const scope = ownershipScope(principal, Permission.PaymentsReadAny);
    if (!(await this.ledger.findVisibleOrder(manager, orderId, scope))) {
      throw new NotFoundProblem('Order');
    }
    const builder = manager
      .createQueryBuilder(Payment, 'p')
      .select('p.id', 'id')
      .addSelect(timestampCursorSql('p.created_at'), 'cursorKey')
      .where('p.order_id = :orderId', { orderId })
      .orderBy('p.created_at', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .limit(query.limit + 1);
    if (query.cursor) {
      const cursor = decodeTimestampCursor(query.cursor);
      builder.andWhere('(p.created_at, p.id) > (CAST(:key AS timestamptz), CAST(:id AS uuid))', {
        key: cursor.key,
        id: cursor.id,
      });
    }
    const rows = await builder.getRawMany<{ id: string; cursorKey: string }>();
    const ids = rows.map((row) => row.id);
    const payments = ids.length ? await manager.findBy(Payment, { id: In(ids) }) : [];
    const refunds = await this.refundsByPayment(manager, ids);
    const byId = new Map(payments.map((payment) => [payment.id, payment]));
    return toPage(
      rows,
      query.limit,
      (row) => toPaymentDto(byId.get(row.id) as Payment, refunds.get(row.id) ?? []),
      (row) => ({ key: row.cursorKey, id: row.id }),
    );
  }

  /** Money being captured right now: it counts against the balance so it cannot be paid twice. */
  private async amountInFlight(manager: EntityManager, orderId: string): Promise<number> {
    const [row] = await manager.query<{ amount: string }[]>(
      `SELECT COALESCE(sum(amount), 0)::text AS amount FROM payments
       WHERE order_id = $1 AND status IN ('pending', 'requires_action')`,
      [orderId],
    );
    return Number(row.amount);
  }

  private async refundsByPayment(
    manager: EntityManager,
    paymentIds: string[],
  ): Promise<Map<string, Refund[]>> {
    const refunds = paymentIds.length
      ? await manager.find(Refund, {
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
}
