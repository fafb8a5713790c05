import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiIdParam, IdParam, Page, PageQueryDto } from '@bastion/common';
import { CurrentPrincipal, Permission, RequirePermissions } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { CreateRefundDto } from './dto/create-refund.dto';
import { PaymentDto, PaymentPageDto, RefundDto } from './dto/payment.dto';
import { IdempotencyKeyClaim } from './idempotency/idempotency-claim.decorator';
import type { IdempotencyClaim } from './idempotency/idempotency.service';
import {
  IDEMPOTENCY_CONFLICT,
  IDEMPOTENCY_CONFLICT_HEADERS,
  Idempotent,
  REPLAY_HEADERS,
} from './idempotency/idempotent.decorator';
import { PaymentsService } from './payments.service';
import { RefundsService } from './refunds.service';

const NO_PROVIDER =
  'No payment provider is enabled on this server (`/no-provider-enabled`): in production the sandbox is off unless `PAYMENTS_SANDBOX=true`. No `Retry-After`: retrying does not help until the configuration changes.';

const ORDER_NOT_FOUND =
  'No order has this id, or it is another customer’s and the caller may only use their own.';

@ApiTags('payments')
@Controller({ version: '1' })
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly refunds: RefundsService,
  ) {}

  @Post('orders/:id/payments')
  @RequirePermissions(Permission.PaymentsCreateOwn, Permission.PaymentsCreateAny)
  @Idempotent()
  @ApiIdParam('order')
  @ApiOperation({
    summary: 'Pay an order',
    description:
      'Charges the card token through the provider. `amount` defaults to the outstanding balance and can never exceed it (amounts being captured count); the order becomes `paid` once payments cover its total. A declined card is a 201 with `status: failed` and `failureCode`; `tok_3ds` gives `requires_action`, settled later by a signed webhook. Own orders need `payments:create:own`, any order `payments:create:any`.',
  })
  @ApiCreatedResponse({
    type: PaymentDto,
    headers: REPLAY_HEADERS,
    description:
      'The payment, with the provider’s answer: `succeeded`, `failed` or `requires_action`.',
  })
  @ApiBadRequestResponse({
    description:
      'Invalid body (e.g. `paymentMethod.token`), or `Idempotency-Key` missing, empty or longer than 255.',
  })
  @ApiNotFoundResponse({ description: ORDER_NOT_FOUND })
  @ApiConflictResponse({
    description: `The order cannot take payments: it is cancelled or already paid (\`/illegal-transition\`, naming its state), nothing is left to pay (\`/nothing-outstanding\`) or \`amount\` exceeds the outstanding balance (\`/amount-exceeds-outstanding\`). ${IDEMPOTENCY_CONFLICT}`,
    headers: IDEMPOTENCY_CONFLICT_HEADERS,
  })
  @ApiServiceUnavailableResponse({ description: NO_PROVIDER })
  pay(
    @CurrentPrincipal() principal: Principal,
    @IdParam() orderId: string,
    @Body() dto: CreatePaymentDto,
    @IdempotencyKeyClaim() claim: IdempotencyClaim,
  ): Promise<PaymentDto> {
    return this.payments.create(principal, orderId, dto, claim);
  }

  @Get('orders/:id/payments')
  @RequirePermissions(Permission.PaymentsReadOwn, Permission.PaymentsReadAny)
  @ApiIdParam('order')
  @ApiOperation({ summary: 'List an order’s payments, oldest first, with their refunds' })
  @ApiOkResponse({ type: PaymentPageDto, description: 'One page of payments.' })
  @ApiNotFoundResponse({ description: ORDER_NOT_FOUND })
  listForOrder(
    @CurrentPrincipal() principal: Principal,
    @IdParam() orderId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<PaymentDto>> {
    return this.payments.listForOrder(principal, orderId, query);
  }

  @Get('payments/:id')
  @RequirePermissions(Permission.PaymentsReadOwn, Permission.PaymentsReadAny)
  @ApiIdParam('payment')
  @ApiOperation({ summary: 'Get a payment with its refunds' })
  @ApiOkResponse({ type: PaymentDto, description: 'The payment.' })
  @ApiNotFoundResponse({
    description: 'No payment has this id, or it belongs to another customer’s order.',
  })
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<PaymentDto> {
    return this.payments.get(principal, id);
  }

  @Post('payments/:id/refunds')
  @RequirePermissions(Permission.PaymentsRefund)
  @Idempotent()
  @ApiIdParam('payment')
  @ApiOperation({
    summary: 'Refund a payment, wholly or in part',
    description:
      'Refunds of a payment never sum past what it captured, even when requested concurrently. The order becomes `partially_refunded`, then `refunded`.',
  })
  @ApiCreatedResponse({ type: RefundDto, headers: REPLAY_HEADERS, description: 'The refund.' })
  @ApiBadRequestResponse({
    description: 'Invalid body, or `Idempotency-Key` missing, empty or longer than 255.',
  })
  @ApiNotFoundResponse({ description: 'No payment has this id.' })
  @ApiConflictResponse({
    description: `The payment did not succeed (\`/payment-not-refundable\`), the amount exceeds what is left to refund (\`/refund-exceeds-captured\`), or the order cannot be refunded in its state (\`/illegal-transition\`). ${IDEMPOTENCY_CONFLICT}`,
    headers: IDEMPOTENCY_CONFLICT_HEADERS,
  })
  @ApiServiceUnavailableResponse({
    description:
      'The provider that took the payment is not enabled on this server (`/provider-not-enabled`); nothing was recorded. No `Retry-After`: retrying does not help until the configuration changes.',
  })
  refund(
    @IdParam() paymentId: string,
    @Body() dto: CreateRefundDto,
    @IdempotencyKeyClaim() claim: IdempotencyClaim,
  ): Promise<RefundDto> {
    return this.refunds.create(paymentId, dto, claim);
  }
}
