import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { decodeKeysetCursor, PageQueryDto, toPage } from '@bastion/common';
import type { Page } from '@bastion/common';
import { Permission, RequirePermissions } from '@bastion/rbac';
import { WebhookEventTypeDto, WebhookEventTypePageDto } from './dto/webhook-endpoint.dto';
import { WEBHOOK_EVENT_TYPES } from './event-types';

const TYPES_BY_NAME = [...WEBHOOK_EVENT_TYPES].sort();
const TYPE_CURSOR = { key: /^[a-z_]+\.[a-z_]+$/, id: /^[a-z_]+\.[a-z_]+$/ };

@ApiTags('webhooks')
@Controller({ path: 'webhook-event-types', version: '1' })
export class WebhookEventTypesController {
  @Get()
  @RequirePermissions(Permission.WebhooksManage)
  @ApiOperation({
    summary: 'List the event types an endpoint can subscribe to, by name',
    description: '`*` (every type) is accepted too but is not a type of its own.',
  })
  @ApiOkResponse({ type: WebhookEventTypePageDto, description: 'One page of event types.' })
  @ApiBadRequestResponse({ description: 'Bad `limit`, `cursor` or unknown parameter.' })
  list(@Query() query: PageQueryDto): Page<WebhookEventTypeDto> {
    const after = query.cursor ? decodeKeysetCursor(query.cursor, TYPE_CURSOR).key : null;
    const types = TYPES_BY_NAME.filter((type) => after === null || type > after);
    return toPage(
      types.slice(0, query.limit + 1),
      query.limit,
      (type) => ({ type }),
      (type) => ({ key: type, id: type }),
    );
  }
}
