import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@bastion/common';

export enum PaymentsErrorCode {
  NothingOutstanding = 'nothing-outstanding',
  AmountExceedsOutstanding = 'amount-exceeds-outstanding',
  PaymentNotRefundable = 'payment-not-refundable',
  RefundExceedsCaptured = 'refund-exceeds-captured',
  IdempotencyKeyInUse = 'idempotency-key-in-use',
  IdempotencyKeyReused = 'idempotency-key-reused',
  UnknownProvider = 'unknown-provider',
  InvalidSignature = 'invalid-signature',
  InvalidWebhookPayload = 'invalid-webhook-payload',
  UnknownPaymentReference = 'unknown-payment-reference',
  NoProviderEnabled = 'no-provider-enabled',
  ProviderNotEnabled = 'provider-not-enabled',
}

interface PaymentsErrorShape {
  status: HttpStatus;
  title: string;
  detail: string;
}

/** `context` fills in the detail: an amount, a payment status or a signature check result. */
function describe(code: PaymentsErrorCode, context: string): PaymentsErrorShape {
  switch (code) {
    case PaymentsErrorCode.NothingOutstanding:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Nothing outstanding',
        detail: 'Nothing is left to pay on this order: its total is captured or being captured.',
      };
    case PaymentsErrorCode.AmountExceedsOutstanding:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Amount exceeds the outstanding balance',
        detail: `At most ${context} can be paid on this order now.`,
      };
    case PaymentsErrorCode.PaymentNotRefundable:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Payment not refundable',
        detail: `The payment is ${context}; only succeeded payments can be refunded.`,
      };
    case PaymentsErrorCode.RefundExceedsCaptured:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Refund exceeds the captured amount',
        detail: `At most ${context} of this payment can still be refunded.`,
      };
    case PaymentsErrorCode.IdempotencyKeyInUse:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Idempotency key in use',
        detail: 'A request with this Idempotency-Key is still being processed; retry shortly.',
      };
    case PaymentsErrorCode.IdempotencyKeyReused:
      return {
        status: HttpStatus.UNPROCESSABLE_ENTITY,
        title: 'Idempotency key reused',
        detail: 'This Idempotency-Key was used with another request; use a new key.',
      };
    case PaymentsErrorCode.UnknownProvider:
      return {
        status: HttpStatus.NOT_FOUND,
        title: 'Unknown provider',
        detail: 'No enabled payment provider has this name.',
      };
    case PaymentsErrorCode.InvalidSignature:
      return {
        status: HttpStatus.BAD_REQUEST,
        title: 'Invalid signature',
        detail: `The X-Signature header is ${context}.`,
      };
    case PaymentsErrorCode.InvalidWebhookPayload:
      return {
        status: HttpStatus.BAD_REQUEST,
        title: 'Invalid webhook payload',
        detail: 'The event is not JSON of the form { id, type, data: { providerRef } }.',
      };
    case PaymentsErrorCode.UnknownPaymentReference:
      return {
        status: HttpStatus.NOT_FOUND,
        title: 'Unknown payment reference',
        detail: 'No payment has this provider reference (yet); deliver the event again later.',
      };
    // No Retry-After: a provider is enabled by configuration and a restart, not by waiting.
    case PaymentsErrorCode.NoProviderEnabled:
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        title: 'No payment provider enabled',
        detail: 'This server has no payment provider enabled, so it cannot take payments.',
      };
    case PaymentsErrorCode.ProviderNotEnabled:
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        title: 'Payment provider not enabled',
        detail: `The payment was made with the ${context} provider, which is not enabled on this server.`,
      };
  }
}

export class PaymentsException extends ProblemException {
  constructor(
    readonly code: PaymentsErrorCode,
    context = '',
    headers?: Record<string, string>,
  ) {
    super({ ...describe(code, context), slug: code, headers });
  }
}
