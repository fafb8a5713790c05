import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiIdParam, IdParam, Page } from '@bastion/common';
import { Permission, RequirePermissions } from '@bastion/rbac';
import {
  ListWebhookDeliveriesQueryDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDeliveryParams,
} from './dto/webhook-delivery.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';

const NOT_FOUND = 'No webhook endpoint has this id.';

@ApiTags('webhooks')
@Controller({ path: 'webhook-endpoints', version: '1' })
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Post(':id/test')
  @RequirePermissions(Permission.WebhooksManage)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiIdParam('webhook endpoint')
  @ApiOperation({
    summary: 'Send a webhook.test event to the endpoint',
    description:
      'Queued like any delivery (signed, retried); its `data.object` is the endpoint and its `seq` is null. A disabled endpoint receives it once enabled.',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto, description: 'The queued delivery.' })
  @ApiBadRequestResponse({ description: '`id` is not a UUID.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  sendTest(@IdParam() id: string): Promise<WebhookDeliveryDto> {
    return this.deliveries.sendTest(id);
  }

  @Get(':id/deliveries')
  @RequirePermissions(Permission.WebhooksManage)
  @ApiIdParam('webhook endpoint')
  @ApiOperation({ summary: "List an endpoint's deliveries, newest first" })
  @ApiOkResponse({ type: WebhookDeliveryPageDto, description: 'One page of deliveries.' })
  @ApiBadRequestResponse({ description: 'Bad `limit`, `cursor`, `status` or unknown parameter.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  list(
    @IdParam() id: string,
    @Query() query: ListWebhookDeliveriesQueryDto,
  ): Promise<Page<WebhookDeliveryDto>> {
    return this.deliveries.list(id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @RequirePermissions(Permission.WebhooksManage)
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Send a delivery again, now',
    description:
      'Whatever its status: a failed one is retried, a delivered one is sent again with the same `webhook-id`. One already in flight is not sent twice at once.',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto, description: 'The delivery, due now.' })
  @ApiBadRequestResponse({ description: '`id` or `deliveryId` is not a UUID.' })
  @ApiNotFoundResponse({ description: 'No such endpoint, or no such delivery of it.' })
  retry(@Param() params: WebhookDeliveryParams): Promise<WebhookDeliveryDto> {
    return this.deliveries.retry(params.id, params.deliveryId);
  }
}
