import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
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

/** What both the list and the export filter by: the console exports what its list shows. */
export class AuditEventFilterQueryDto extends AuditTimeRangeQueryDto {
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

  @ApiPropertyOptional({
    example: '0f8fad5b-d9cb-469f-a165-70867728950e',
    maxLength: 128,
    pattern: '^[A-Za-z0-9._-]+$',
    description: 'The `X-Request-Id` of the request that wrote the events.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9._-]+$/, { message: 'may contain only A-Z, a-z, 0-9, ., _ and -' })
  requestId?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    example: 1204,
    description: 'The event at this place in the hash chain (sealed events only).',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  seq?: number;
}

export class ListAuditEventsQueryDto extends IntersectionType(
  PageQueryDto,
  AuditEventFilterQueryDto,
) {}

export enum AuditExportFormat {
  Ndjson = 'ndjson',
  Csv = 'csv',
}

export class ExportAuditEventsQueryDto extends AuditEventFilterQueryDto {
  @ApiPropertyOptional({
    enum: AuditExportFormat,
    default: AuditExportFormat.Ndjson,
    example: AuditExportFormat.Csv,
  })
  @IsOptional()
  @IsIn(Object.values(AuditExportFormat))
  format: AuditExportFormat = AuditExportFormat.Ndjson;
}
