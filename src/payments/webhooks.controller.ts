import { Controller, Headers, HttpCode, HttpStatus, Param, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '@bastion/rbac';
import { WebhookReceiptDto } from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('payments')
@Controller({ path: 'payments/webhooks', version: '1' })
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':provider')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Receive a payment provider’s event',
    description:
      'Needs no credential but a valid `X-Signature`: HMAC-SHA256 with the provider’s webhook secret over `<t>.<raw body>`, at most 5 minutes old. Each event id is applied once; its effect is committed when the 200 is returned.',
  })
  @ApiParam({ name: 'provider', example: 'sandbox', description: 'The provider’s name.' })
  @ApiHeader({
    name: 'X-Signature',
    required: true,
    example: 't=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
    description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.',
  })
  @ApiBody({
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
  })
  @ApiOkResponse({
    type: WebhookReceiptDto,
    description: 'Received: applied, ignored or a duplicate.',
  })
  @ApiBadRequestResponse({
    description:
      'Missing, malformed, wrong or stale signature (`/invalid-signature`), or not an event (`/invalid-webhook-payload`).',
  })
  @ApiNotFoundResponse({
    description:
      'No enabled provider has this name (`/unknown-provider`; the sandbox is off in production unless `PAYMENTS_SANDBOX=true`), or no payment has the event’s `providerRef` yet (`/unknown-payment-reference`; deliver again later).',
  })
  receive(
    @Param('provider') provider: string,
    @Headers('x-signature') signature: string | undefined,
    @Req() request: RawBodyRequest<FastifyRequest>,
  ): Promise<WebhookReceiptDto> {
    return this.webhooks.receive(provider, request.rawBody, signature);
  }
}
