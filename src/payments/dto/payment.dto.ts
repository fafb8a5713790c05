import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '@bastion/common';
import { isoTimestampSql } from '@bastion/database';
import { Payment, PaymentStatus } from '../entities/payment.entity';
import { Refund, RefundStatus } from '../entities/refund.entity';

export class RefundDto {
  @ApiProperty({ format: 'uuid', example: '9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f' })
  id!: string;

  @ApiProperty({ format: 'uuid', example: '2a7b9c4d-1e3f-4a5b-9c8d-7e6f5a4b3c2d' })
  paymentId!: string;

  @ApiProperty({ type: 'integer', example: 1000, description: 'Minor units.' })
  amount!: number;

  @ApiProperty({ type: String, nullable: true, example: 'Damaged in transit' })
  reason!: string | null;

  @ApiProperty({
    enum: RefundStatus,
    example: RefundStatus.Succeeded,
    description: '`pending` only while the provider has not answered.',
  })
  status!: RefundStatus;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class PaymentDto {
  @ApiProperty({ format: 'uuid', example: '2a7b9c4d-1e3f-4a5b-9c8d-7e6f5a4b3c2d' })
  id!: string;

  @ApiProperty({ format: 'uuid', example: '7d1f0c52-8a4b-4f7e-b1a2-6c3d9e8f0a1b' })
  orderId!: string;

  @ApiProperty({ enum: PaymentStatus, example: PaymentStatus.Succeeded })
  status!: PaymentStatus;

  @ApiProperty({ type: 'integer', example: 3998, description: 'Minor units.' })
  amount!: number;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ example: 'sandbox' })
  provider!: string;

  @ApiProperty({ type: String, nullable: true, example: 'ch_sbx_4f1c2a9e8b7d6c5b4a3f2e1d' })
  providerRef!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Why a `failed` payment failed, e.g. `card_declined`, `insufficient_funds`.',
  })
  failureCode!: string | null;

  @ApiProperty({ type: [RefundDto] })
  refunds!: RefundDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class PaymentPageDto extends PageMetaDto {
  @ApiProperty({ type: [PaymentDto] })
  data!: PaymentDto[];
}

export function toRefundDto(refund: Refund): RefundDto {
  return {
    id: refund.id,
    paymentId: refund.paymentId,
    amount: refund.amount,
    reason: refund.reason,
    status: refund.status,
    createdAt: refund.createdAt.toISOString(),
  };
}

export function toPaymentDto(payment: Payment, refunds: Refund[]): PaymentDto {
  return {
    id: payment.id,
    orderId: payment.orderId,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    provider: payment.provider,
    providerRef: payment.providerRef,
    failureCode: payment.failureCode,
    refunds: refunds.map(toRefundDto),
    createdAt: payment.createdAt.toISOString(),
    updatedAt: payment.updatedAt.toISOString(),
  };
}

/**
 * Each field of a payment with no refunds as `toPaymentDto` writes it, as SQL over a payments row
 * `row`: for a statement that keeps the answer it settles (the idempotency key's stored response).
 * The compiler holds it to PaymentDto, so a field added there cannot be forgotten here.
 */
function paymentFieldsSql(row: string): Record<keyof PaymentDto, string> {
  return {
    id: `${row}.id`,
    orderId: `${row}.order_id`,
    status: `${row}.status`,
    amount: `${row}.amount`,
    currency: `${row}.currency`,
    provider: `${row}.provider`,
    providerRef: `${row}.provider_ref`,
    failureCode: `${row}.failure_code`,
    refunds: `'[]'::jsonb`,
    createdAt: isoTimestampSql(`${row}.created_at`),
    updatedAt: isoTimestampSql(`${row}.updated_at`),
  };
}

/** `toPaymentDto(payment, [])` of the payments row `row`, as a jsonb value made by the database. */
export function paymentDtoJsonbSql(row: string): string {
  const fields = Object.entries(paymentFieldsSql(row)).map(([name, sql]) => `'${name}', ${sql}`);
  return `jsonb_build_object(${fields.join(', ')})`;
}
