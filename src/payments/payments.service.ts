import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  decodeTimestampCursor,
  NotFoundProblem,
  Page,
  PageQueryDto,
  toPage,
} from '@bastion/common';
import { OwnershipScope, ownershipScope, Permission, Principal } from '@bastion/rbac';
import { AuditWriter } from '../audit';
import {
  assertTransition,
  OrderStatus,
  OrdersRepository,
  PayableOrder,
  statusesAllowing,
} from '../orders';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { PaymentDto, paymentDtoJsonbSql, toPaymentDto } from './dto/payment.dto';
import { Payment, PaymentStatus } from './entities/payment.entity';
import { IdempotencyClaim, IdempotencyService } from './idempotency/idempotency.service';
import { ChargeOutcome } from './providers/payment-provider';
import { PaymentSettlement, SettledElsewhere } from './payment-settlement.service';
import { PaymentsReconciler } from './payments-reconciler.service';
import { PaymentsErrorCode, PaymentsException } from './payments.exception';
import { PaymentsRepository } from './payments.repository';
import { PaymentProviders } from './providers/payment-providers';
import { RefundsRepository } from './refunds.repository';

@Injectable()
export class PaymentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly payments: PaymentsRepository,
    private readonly refunds: RefundsRepository,
    private readonly settlement: PaymentSettlement,
    private readonly reconciler: PaymentsReconciler,
    private readonly providers: PaymentProviders,
    private readonly keys: IdempotencyService,
    private readonly audit: AuditWriter,
  ) {}

  /**
   * Records the attempt (`pending`), tied to the request's idempotency key, and commits before
   * calling the provider, then settles it and keeps the key's answer in a second statement: a
   * crash in between leaves a row the reconciler settles later, or the retry that takes the key
   * over settles at once. A key never used is claimed in the statement that records the attempt;
   * any other is claimed first and the attempt recorded in a transaction with its order lock.
   */
  async create(
    principal: Principal,
    orderId: string,
    dto: CreatePaymentDto,
    claim: IdempotencyClaim,
  ): Promise<PaymentDto> {
    const scope = ownershipScope(principal, Permission.PaymentsCreateAny);
    if (!claim.held) {
      const provider = this.providers.default().name;
      const first = await this.recordFirst(orderId, scope, provider, dto, claim);
      if (first) return this.charge(first, dto, claim);
    }
    // Taken over from a request cut short after it recorded its payment: finish that one.
    if (claim.attemptId) return this.resume(claim.attemptId);
    const provider = this.providers.default();
    const attempt = await this.dataSource.transaction(async (manager) => {
      const order = await this.orders.lockPayable(manager, orderId, scope, {
        read: (params, id) => this.payments.amountInFlightSql(params, id),
      });
      if (!order) throw new NotFoundProblem('Order');
      const amount = payableAmount(order, Number(order.alsoRead), dto);
      const id = randomUUID();
      const recorded = await this.payments.insertPending(
        manager,
        { id, orderId, amount, currency: order.currency, provider: provider.name },
        (params) => this.keys.bindSql(params, claim, id),
        (params) => [
          this.audit.insertSql(params, {
            action: 'payment.created',
            resource: { type: 'payment', id },
            metadata: { orderId, amount, currency: order.currency, provider: provider.name },
          }),
        ],
      );
      // The key was taken over: rolled back, so one key never records two attempts.
      if (!recorded.bound) throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyInUse);
      return recorded.payment;
    });
    return this.charge(attempt, dto, claim);
  }

  /**
   * The request's first try with a key it has not claimed yet: claims the key and records the
   * attempt, `pending`, in one statement (`PaymentsRepository.insertFirstPending`), which commits
   * the claim alone when the order refuses the payment (the refusal is then thrown, and kept as
   * the key's answer). Null when the key was in the table already: the claim is then held (taken
   * over from a request cut short when `attemptId` is set) and the caller goes on as for a claim
   * made before the handler; or `claimTaken` threw the 409, the 422 or the replay.
   */
  private async recordFirst(
    orderId: string,
    scope: OwnershipScope,
    provider: string,
    dto: CreatePaymentDto,
    claim: IdempotencyClaim,
  ): Promise<Payment | null> {
    const id = randomUUID();
    const recorded = await this.payments.insertFirstPending(
      (params) => this.orders.lockPayableSql(params, orderId, scope),
      { id, amount: dto.amount ?? null, provider },
      PAYABLE_STATUSES,
      (params, attemptIdSql) => this.keys.claimFreshSql(params, claim, attemptIdSql),
      (params, from, metadataSql) =>
        this.audit.insertEachSql(
          params,
          {
            action: 'payment.created',
            resource: { type: 'payment', id },
            metadata: { orderId, provider },
          },
          from,
          metadataSql,
        ),
    );
    if (!recorded.claimed) {
      await this.keys.claimTaken(claim);
      return null;
    }
    claim.held = true;
    if (recorded.payment) return recorded.payment;
    if (!recorded.order) throw new NotFoundProblem('Order');
    payableAmount(recorded.order, recorded.order.inFlight, dto);
    throw new Error(`Order ${orderId} refused a payment it could take`);
  }

  /** Charges the recorded attempt and settles it with the provider's answer. */
  private async charge(
    attempt: Payment,
    dto: CreatePaymentDto,
    claim: IdempotencyClaim,
  ): Promise<PaymentDto> {
    const outcome = await this.providers.ofPayment(attempt.provider).charge({
      key: attempt.id,
      amount: attempt.amount,
      currency: attempt.currency,
      token: dto.paymentMethod.token,
    });
    return toPaymentDto(await this.settleOwnCharge(attempt, outcome, claim), []);
  }

  /**
   * Settles the request's own charge and keeps its answer for the key in one statement; when
   * the payment was settled by someone else first, as any late outcome, and the interceptor
   * keeps the answer.
   */
  private async settleOwnCharge(
    attempt: Payment,
    outcome: ChargeOutcome,
    claim: IdempotencyClaim,
  ): Promise<Payment> {
    try {
      const settled = await this.settlement.applyOwnCharge(attempt, outcome, (params, from) =>
        this.keys.completeSql(params, claim, HttpStatus.CREATED, from, paymentDtoJsonbSql(from)),
      );
      claim.completed = true;
      return settled;
    } catch (error) {
      if (!(error instanceof SettledElsewhere)) throw error;
    }
    const settled = await this.dataSource.transaction((manager) =>
      this.settlement.applyCharge(manager, attempt.id, outcome),
    );
    return settled.row;
  }

  /**
   * Answers for a request that recorded this payment and then died: a payment still pending is
   * settled from the provider's record of the charge (never charged again), any other status is
   * already the provider's answer.
   */
  private async resume(paymentId: string): Promise<PaymentDto> {
    let payment = await this.payments.get(this.dataSource.manager, paymentId);
    if (payment.status === PaymentStatus.Pending) {
      payment = (await this.reconciler.settlePayment(payment)).row;
    }
    return this.withRefunds(payment);
  }

  async get(principal: Principal, id: string): Promise<PaymentDto> {
    const scope = ownershipScope(principal, Permission.PaymentsReadAny);
    const payment = await this.payments.findById(id);
    // Scoped by its order: another customer's payment is simply not found.
    const hidden =
      scope.ownerId !== null &&
      !!payment &&
      !(await this.orders.findVisible(payment.orderId, scope));
    if (!payment || hidden) {
      throw new NotFoundProblem('Payment');
    }
    return this.withRefunds(payment);
  }

  /** The order's payments, oldest first. */
  async listForOrder(
    principal: Principal,
    orderId: string,
    query: PageQueryDto,
  ): Promise<Page<PaymentDto>> {
    const scope = ownershipScope(principal, Permission.PaymentsReadAny);
    if (!(await this.orders.findVisible(orderId, scope))) throw new NotFoundProblem('Order');
    const rows = await this.payments.findPageForOrder(
      orderId,
      query.limit + 1,
      query.cursor ? decodeTimestampCursor(query.cursor) : undefined,
    );
    const refunds = await this.refunds.byPayment(rows.map((row) => row.id));
    return toPage(
      rows,
      query.limit,
      (row) => toPaymentDto(row, refunds.get(row.id) ?? []),
      (row) => ({ key: row.cursorKey, id: row.id }),
    );
  }

  private async withRefunds(payment: Payment): Promise<PaymentDto> {
    const refunds = await this.refunds.byPayment([payment.id]);
    return toPaymentDto(payment, refunds.get(payment.id) ?? []);
  }
}

/** Statuses of an order that may still become paid: only those take payments. */
const PAYABLE_STATUSES = statusesAllowing(OrderStatus.Paid);

/**
 * The amount a payment of `dto` takes from a locked order with `inFlight` being captured, or the
 * problem that refuses it: a cancelled or paid order is a 409, as is an amount beyond what is
 * outstanding. `PaymentsRepository.insertFirstPending` applies the same rules in SQL.
 */
function payableAmount(
  order: Pick<PayableOrder, 'status' | 'total' | 'amountPaid'>,
  inFlight: number,
  dto: CreatePaymentDto,
): number {
  assertTransition(order.status, OrderStatus.Paid);
  const outstanding = order.total - order.amountPaid - inFlight;
  if (outstanding <= 0) throw new PaymentsException(PaymentsErrorCode.NothingOutstanding);
  const amount = dto.amount ?? outstanding;
  if (amount > outstanding) {
    throw new PaymentsException(PaymentsErrorCode.AmountExceedsOutstanding, String(outstanding));
  }
  return amount;
}
