import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import { PaymentDto, RefundDto } from './dto/payment.dto';
import { WebhookReceiptDto } from './dto/webhook.dto';
import {
  IDEMPOTENCY_CONFLICT,
  IDEMPOTENCY_CONFLICT_HEADERS,
  REPLAY_HEADERS,
} from './idempotency/idempotent.decorator';

const NO_PROVIDER =
  'No payment provider is enabled on this server (`/no-provider-enabled`): in production the sandbox is off unless `PAYMENTS_SANDBOX=true`. No `Retry-After`: retrying does not help until the configuration changes.';

export const ORDER_NOT_FOUND =
  'No order has this id, or it is another customer’s and the caller may only use their own.';

/** `POST /orders/:id/payments`: what it does and every answer it gives. */
export const ApiPayOrder = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Pay an order',
      description:
        'Charges the card token through the provider. `amount` defaults to the outstanding balance and can never exceed it (amounts being captured count); the order becomes `paid` once payments cover its total. A declined card is a 201 with `status: failed` and `failureCode`; `tok_3ds` gives `requires_action`, settled later by a signed webhook. Own orders need `payments:create:own`, any order `payments:create:any`.',
    }),
    ApiCreatedResponse({
      type: PaymentDto,
      headers: REPLAY_HEADERS,
      description:
        'The payment, with the provider’s answer: `succeeded`, `failed` or `requires_action`.',
    }),
    ApiBadRequestResponse({
      description:
        'Invalid body (e.g. `paymentMethod.token`), or `Idempotency-Key` missing, empty or longer than 255.',
    }),
    ApiNotFoundResponse({ description: ORDER_NOT_FOUND }),
    ApiConflictResponse({
      description: `The order cannot take payments: it is cancelled or already paid (\`/illegal-transition\`, naming its state), nothing is left to pay (\`/nothing-outstanding\`) or \`amount\` exceeds the outstanding balance (\`/amount-exceeds-outstanding\`). ${IDEMPOTENCY_CONFLICT}`,
      headers: IDEMPOTENCY_CONFLICT_HEADERS,
    }),
    ApiServiceUnavailableResponse({ description: NO_PROVIDER }),
  );

/** `POST /payments/:id/refunds`: what it does and every answer it gives. */
export const ApiRefundPayment = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Refund a payment, wholly or in part',
      description:
        'Refunds of a payment never sum past what it captured, even when requested concurrently. The order becomes `partially_refunded`, then `refunded`.',
    }),
    ApiCreatedResponse({ type: RefundDto, headers: REPLAY_HEADERS, description: 'The refund.' }),
    ApiBadRequestResponse({
      description: 'Invalid body, or `Idempotency-Key` missing, empty or longer than 255.',
    }),
    ApiNotFoundResponse({ description: 'No payment has this id.' }),
    ApiConflictResponse({
      description: `The payment did not succeed (\`/payment-not-refundable\`), the amount exceeds what is left to refund (\`/refund-exceeds-captured\`), or the order cannot be refunded in its state (\`/illegal-transition\`). ${IDEMPOTENCY_CONFLICT}`,
      headers: IDEMPOTENCY_CONFLICT_HEADERS,
    }),
    ApiServiceUnavailableResponse({
      description:
        'The provider that took the payment is not enabled on this server (`/provider-not-enabled`); nothing was recorded. No `Retry-After`: retrying does not help until the configuration changes.',
    }),
  );

/** `POST /payments/webhooks/:provider`: the event's shape and every answer. */
export const ApiReceiveProviderEvent = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Receive a payment provider’s event',
      description:
        'Needs no credential but a valid `X-Signature`: HMAC-SHA256 with the provider’s webhook secret over `<t>.<raw body>`, at most 5 minutes old. Each event id is applied once; its effect is committed when the 200 is returned.',
    }),
    ApiBody({
      description: 'The provider’s event, verified over its raw bytes.',
      schema: {
        type: 'object',
        required: ['id', 'type', 'data'],
        properties: {
          id: { type: 'string', example: 'evt_3f9a1c' },
          type: { type: 'string', enum: ['payment.succeeded', 'payment.failed'] },
          data: {
            type: 'object',
            required: ['providerRef'],
            properties: {
              providerRef: { type: 'string', example: 'ch_sbx_4f1c2a9e8b7d6c5b4a3f2e1d' },
              failureCode: { type: 'string', example: 'authentication_failed' },
            },
          },
        },
      },
      examples: {
        succeeded: {
          value: {
            id: 'evt_3f9a1c',
            type: 'payment.succeeded',
            data: { providerRef: 'ch_sbx_4f1c2a9e8b7d6c5b4a3f2e1d' },
          },
        },
        failed: {
          value: {
            id: 'evt_7b2d4e',
            type: 'payment.failed',
            data: {
              providerRef: 'ch_sbx_4f1c2a9e8b7d6c5b4a3f2e1d',
              failureCode: 'authentication_failed',
            },
          },
        },
      },
    }),
    ApiOkResponse({
      type: WebhookReceiptDto,
      description: 'Received: applied, ignored or a duplicate.',
    }),
    ApiBadRequestResponse({
      description:
        'Missing, malformed, wrong or stale signature (`/invalid-signature`), or not an event (`/invalid-webhook-payload`).',
    }),
    ApiNotFoundResponse({
      description:
        'No enabled provider has this name (`/unknown-provider`; the sandbox is off in production unless `PAYMENTS_SANDBOX=true`), or no payment has the event’s `providerRef` yet (`/unknown-payment-reference`; deliver again later).',
    }),
  );
