import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Page, PageQueryDto } from '@bastion/common';
import { Permission, RequirePermissions } from '@bastion/rbac';
import { AuditService } from './audit.service';
import { AuditCheckpointDto, AuditCheckpointPageDto } from './dto/audit-checkpoint.dto';

@ApiTags('audit')
@Controller({ path: 'audit-checkpoints', version: '1' })
export class AuditCheckpointsController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermissions(Permission.AuditVerify)
  @ApiOperation({
    summary: 'List signed checkpoints of the hash chain, newest first',
    description:
      'For an archiver that copies them out of the database: a checkpoint kept elsewhere (an anchor) lets `verify` catch a log that was truncated or re-chained by whoever owns the database. Each one is also logged and appended under `AUDIT_ANCHOR_DIR` when it is signed.',
  })
  @ApiOkResponse({ type: AuditCheckpointPageDto, description: 'One page of checkpoints.' })
  @ApiBadRequestResponse({ description: 'Bad `limit` or `cursor`, or unknown parameter.' })
  list(@Query() query: PageQueryDto): Promise<Page<AuditCheckpointDto>> {
    return this.audit.checkpoints(query);
  }
}
