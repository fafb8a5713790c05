import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '@bastion/common';
import { AUDIT_OUTCOMES } from '../entities/audit-event.entity';
import type { AuditOutcome } from '../entities/audit-event.entity';

/** A time window on `occurredAt`, both ends included. */
export class AuditTimeRangeQueryDto {
  @ApiPropertyOptional({
    format: 'date-time',
    example: '2030-01-01T00:00:00Z',
    description: 'Events at or after this instant (ISO 8601).',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2030-01-31T23:59:59Z',
    description: 'Events at or before this instant (ISO 8601); not before `from`.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class ListAuditEventsQueryDto extends IntersectionType(
  PageQueryDto,
  AuditTimeRangeQueryDto,
) {
  @ApiPropertyOptional({
    example: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11',
    maxLength: 64,
    description: 'User or API key id of the actor.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  actorId?: string;

  @ApiPropertyOptional({
    example: 'user.',
    maxLength: 100,
    pattern: '^[a-z_.]+$',
    description: 'Prefix of the action: `user.` matches `user.created`, `user.deleted`, …',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z_.]+$/, { message: 'may contain only a-z, _ and .' })
  action?: string;

  @ApiPropertyOptional({ example: 'user', maxLength: 50 })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  resourceType?: string;

  @ApiPropertyOptional({ example: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  resourceId?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES, example: 'denied' })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;
}

export enum AuditExportFormat {
  Ndjson = 'ndjson',
  Csv = 'csv',
}

export class ExportAuditEventsQueryDto extends AuditTimeRangeQueryDto {
  @ApiPropertyOptional({
    enum: AuditExportFormat,
    default: AuditExportFormat.Ndjson,
    example: AuditExportFormat.Csv,
  })
  @IsOptional()
  @IsIn(Object.values(AuditExportFormat))
  format: AuditExportFormat = AuditExportFormat.Ndjson;
}
