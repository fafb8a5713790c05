import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiIdParam,
  ApiIfMatch,
  etagHeaderDoc,
  IdParam,
  IfMatch,
  Page,
  PageQueryDto,
  Versioned,
} from '@bastion/common';
import { CurrentPrincipal, Permission, RequirePermissions } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import {
  CreatedWebhookEndpointDto,
  WebhookEndpointDto,
  WebhookEndpointPageDto,
  WebhookSecretDto,
} from './dto/webhook-endpoint.dto';
import {
  CreateWebhookEndpointDto,
  UpdateWebhookEndpointDto,
} from './dto/write-webhook-endpoint.dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';

const ETAG_HEADER = etagHeaderDoc('webhook endpoint', '"2"');
const NOT_FOUND = 'No webhook endpoint has this id.';
const BAD_URL =
  'Invalid field; `url` also when it is not https:// in production or resolves to a loopback, private, link-local or metadata address.';

@ApiTags('webhooks')
@Controller({ path: 'webhook-endpoints', version: '1' })
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @RequirePermissions(Permission.WebhooksManage)
  @Versioned()
  @ApiOperation({
    summary: 'Subscribe an endpoint to events (the secret is shown only in this response)',
    description:
      'Deliveries follow the Standard Webhooks specification: `POST <url>` with `{ id, type, occurredAt, seq, data: { object } }` and the headers `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the secret). Only committed changes are delivered, each at least once; a 2xx within 10 s is success, anything else is retried with exponential backoff for 3 days.',
  })
  @ApiCreatedResponse({
    type: CreatedWebhookEndpointDto,
    headers: ETAG_HEADER,
    description: 'The endpoint, with its signing secret.',
  })
  @ApiBadRequestResponse({ description: BAD_URL })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateWebhookEndpointDto,
  ): Promise<CreatedWebhookEndpointDto> {
    return this.endpoints.create(principal, dto);
  }

  @Get()
  @RequirePermissions(Permission.WebhooksManage)
  @ApiOperation({ summary: 'List webhook endpoints, newest first' })
  @ApiOkResponse({ type: WebhookEndpointPageDto, description: 'One page of endpoints.' })
  @ApiBadRequestResponse({ description: 'Bad `limit`, `cursor` or unknown parameter.' })
  list(@Query() query: PageQueryDto): Promise<Page<WebhookEndpointDto>> {
    return this.endpoints.list(query);
  }

  @Get(':id')
  @RequirePermissions(Permission.WebhooksManage)
  @Versioned()
  @ApiIdParam('webhook endpoint')
  @ApiOperation({ summary: 'Get a webhook endpoint' })
  @ApiOkResponse({ type: WebhookEndpointDto, headers: ETAG_HEADER })
  @ApiBadRequestResponse({ description: '`id` is not a UUID.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  get(@IdParam() id: string): Promise<WebhookEndpointDto> {
    return this.endpoints.get(id);
  }

  @Patch(':id')
  @RequirePermissions(Permission.WebhooksManage)
  @Versioned()
  @ApiIdParam('webhook endpoint')
  @ApiIfMatch('webhook endpoint', '"2"')
  @ApiOperation({
    summary: 'Change the URL, events, description or status of a webhook endpoint',
    description:
      'A disabled endpoint receives nothing; its pending deliveries wait and resume when it is enabled again.',
  })
  @ApiOkResponse({ type: WebhookEndpointDto, headers: ETAG_HEADER })
  @ApiBadRequestResponse({ description: BAD_URL })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  update(
    @IdParam() id: string,
    @IfMatch() version: number,
    @Body() dto: UpdateWebhookEndpointDto,
  ): Promise<WebhookEndpointDto> {
    return this.endpoints.update(id, version, dto);
  }

  @Delete(':id')
  @RequirePermissions(Permission.WebhooksManage)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiIdParam('webhook endpoint')
  @ApiOperation({
    summary: 'Delete a webhook endpoint and its delivery log',
    description: 'Deliveries not yet sent are dropped.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiBadRequestResponse({ description: '`id` is not a UUID.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  remove(@IdParam() id: string): Promise<void> {
    return this.endpoints.remove(id);
  }

  @Post(':id/rotate-secret')
  @RequirePermissions(Permission.WebhooksManage)
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('webhook endpoint')
  @ApiOperation({
    summary: 'Replace the signing secret (the new one is shown only in this response)',
    description:
      'For 24 h the previous secret keeps signing beside the new one: each delivery carries two `v1,` signatures, so receivers can switch without missing an event.',
  })
  @ApiOkResponse({ type: WebhookSecretDto, description: 'The new secret.' })
  @ApiBadRequestResponse({ description: '`id` is not a UUID.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  rotateSecret(@IdParam() id: string): Promise<WebhookSecretDto> {
    return this.endpoints.rotateSecret(id);
  }
}
