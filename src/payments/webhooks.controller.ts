import { Controller, Headers, HttpCode, HttpStatus, Param, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiHeader, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '@bastion/rbac';
import { WebhookReceiptDto } from './dto/webhook.dto';
import { ApiReceiveProviderEvent } from './payments.openapi';
import { WebhooksService } from './webhooks.service';

@ApiTags('payments')
@Controller({ path: 'payments/webhooks', version: '1' })
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':provider')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'provider', example: 'sandbox', description: 'The provider’s name.' })
  @ApiHeader({
    name: 'X-Signature',
    required: true,
    example: 't=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
    description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.',
  })
  @ApiReceiveProviderEvent()
  receive(
    @Param('provider') provider: string,
    @Headers('x-signature') signature: string | undefined,
    @Req() request: RawBodyRequest<FastifyRequest>,
  ): Promise<WebhookReceiptDto> {
    return this.webhooks.receive(provider, request.rawBody, signature);
  }
}
