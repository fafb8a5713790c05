import { Controller, Get, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiIdParam, IdParam, Page } from '@bastion/common';
import { Permission, RequirePermissions } from '@bastion/rbac';
import { ApiExportAuditEvents, BAD_RANGE } from './audit.openapi';
import { AuditService } from './audit.service';
import { AuditEventDto, AuditEventPageDto } from './dto/audit-event.dto';
import { AuditVerificationDto } from './dto/audit-verification.dto';
import {
  AuditTimeRangeQueryDto,
  ExportAuditEventsQueryDto,
  ListAuditEventsQueryDto,
} from './dto/list-audit-events-query.dto';

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
  @ApiExportAuditEvents()
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
