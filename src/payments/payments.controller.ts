import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, IdParam, Page, PageQueryDto } from '@bastion/common';
import { CurrentPrincipal, Permission, RequirePermissions } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { CreateRefundDto } from './dto/create-refund.dto';
import { PaymentDto, PaymentPageDto, RefundDto } from './dto/payment.dto';
import { IdempotencyKeyClaim } from './idempotency/idempotency-claim.decorator';
import type { IdempotencyClaim } from './idempotency/idempotency.service';
import { Idempotent } from './idempotency/idempotent.decorator';
import { ApiPayOrder, ApiRefundPayment, ORDER_NOT_FOUND } from './payments.openapi';
import { PaymentsService } from './payments.service';
import { RefundsService } from './refunds.service';

@ApiTags('payments')
@Controller({ version: '1' })
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly refunds: RefundsService,
  ) {}

  @Post('orders/:id/payments')
  @RequirePermissions(Permission.PaymentsCreateOwn, Permission.PaymentsCreateAny)
  @Idempotent({ claimInHandler: true })
  @ApiIdParam('order')
  @ApiPayOrder()
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
  @ApiRefundPayment()
  refund(
    @IdParam() paymentId: string,
    @Body() dto: CreateRefundDto,
    @IdempotencyKeyClaim() claim: IdempotencyClaim,
  ): Promise<RefundDto> {
    return this.refunds.create(paymentId, dto, claim);
  }
}
