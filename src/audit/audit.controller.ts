import { Controller, Get, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiIdParam, IdParam, Page } from '@bastion/common';
import { Permission, RequirePermissions } from '@bastion/rbac';
import { AuditService } from './audit.service';
import { AuditEventDto, AuditEventPageDto } from './dto/audit-event.dto';
import { AuditVerificationDto } from './dto/audit-verification.dto';
import {
  AuditTimeRangeQueryDto,
  ExportAuditEventsQueryDto,
  ListAuditEventsQueryDto,
} from './dto/list-audit-events-query.dto';

const BAD_RANGE = '`from` or `to` not ISO 8601, or `from` after `to`.';

@ApiTags('audit')
@Controller({ path: 'audit-events', version: '1' })
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermissions(Permission.AuditRead)
  @ApiOperation({
    summary: 'List audit events, newest first',
    description: 'Filters combine with AND; `action` matches a prefix (`order.`).',
  })
  @ApiOkResponse({ type: AuditEventPageDto, description: 'One page of events.' })
  @ApiBadRequestResponse({
    description: `Bad \`limit\`, \`cursor\`, \`action\`, \`outcome\`, \`requestId\` or \`seq\`, unknown parameter, or ${BAD_RANGE}`,
  })
  list(@Query() query: ListAuditEventsQueryDto): Promise<Page<AuditEventDto>> {
    return this.audit.list(query);
  }

  // Declared before `:id`, which would otherwise capture `export` and `verify`.
  @Get('export')
  @RequirePermissions(Permission.AuditExport)
  @ApiOperation({
    summary: 'Export audit events, oldest first, as NDJSON or CSV',
    description:
      "Takes the filters of the list, so that an export holds what the list shows. Streamed in constant memory. NDJSON lines have the shape of `AuditEvent`; CSV has one column per field, `changes` and `metadata` as JSON; a text cell that begins with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` so that no spreadsheet runs it. The export itself is recorded (`audit.exported`).",
  })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({
    description: 'The events, streamed.',
    content: {
      'application/x-ndjson': {
        schema: { type: 'string' },
        example:
          '{"id":"7d0c1e3f-5a7b-4d2c-8e6f-0a1b3c5d7e9f","seq":1,"action":"user.created",…}\n',
      },
      'text/csv': {
        schema: { type: 'string' },
        example: 'id,seq,occurredAt,…\r\n7d0c1e3f-5a7b-4d2c-8e6f-0a1b3c5d7e9f,1,…\r\n',
      },
    },
  })
  @ApiBadRequestResponse({
    description: `Unknown \`format\` or parameter, a bad filter as in the list, or ${BAD_RANGE}`,
  })
  async export(
    @Query() query: ExportAuditEventsQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const exported = await this.audit.export(query);
    await reply
      .header('content-type', exported.contentType)
      .header('content-disposition', `attachment; filename="${exported.fileName}"`)
      .send(exported.body);
  }

  @Get('verify')
  @RequirePermissions(Permission.AuditVerify)
  @ApiOperation({
    summary: 'Verify the hash chain and its signed checkpoints',
    description:
      'Recomputes every sealed event in the window in `seq` order and checks each signed checkpoint in it. Events not sealed yet (the last moment) are not covered. The verification itself is recorded (`audit.verified`).',
  })
  @ApiOkResponse({ type: AuditVerificationDto, description: 'The verdict.' })
  @ApiBadRequestResponse({ description: `Unknown parameter, or ${BAD_RANGE}` })
  verify(@Query() query: AuditTimeRangeQueryDto): Promise<AuditVerificationDto> {
    return this.audit.verify(query);
  }

  @Get(':id')
  @RequirePermissions(Permission.AuditRead)
  @ApiIdParam('audit event')
  @ApiOperation({ summary: 'Get one audit event' })
  @ApiOkResponse({ type: AuditEventDto, description: 'The event.' })
  @ApiBadRequestResponse({ description: '`id` is not a UUID.' })
  @ApiNotFoundResponse({ description: 'No audit event has this id.' })
  get(@IdParam() id: string): Promise<AuditEventDto> {
    return this.audit.get(id);
  }
}
