import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageMetaDto } from '@bastion/common';
import { AuditEventRow } from '../audit-event-row';
import { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES } from '../entities/audit-event.entity';
import type { AuditActorType, AuditOutcome } from '../entities/audit-event.entity';

const HASH_EXAMPLE = '9f2c4e0b7a1d3c5e8f6a2b4d0c1e3f5a7b9d2c4e6f8a0b1c3d5e7f9a1b2c3d4e';

export class AuditActorDto {
  @ApiProperty({ enum: AUDIT_ACTOR_TYPES, example: 'user' })
  type!: AuditActorType;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11',
    description: 'User or API key id; null for system and anonymous actors.',
  })
  id!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ada@example.com',
    description: 'How the actor was known when the event happened (email, key name).',
  })
  display!: string | null;
}

export class AuditResourceDto {
  @ApiProperty({ example: 'user', description: 'Kind of resource; `route` for denials.' })
  type!: string;

  @ApiProperty({ type: String, nullable: true, example: '0c1d5b8f-2c1e-4a63-9e0b-2f1f4f3f9a11' })
  id!: string | null;
}

export class AuditChangesDto {
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    example: { name: 'Ada' },
    description: 'Changed fields before the change, secrets redacted.',
  })
  before!: object | null;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    example: { name: 'Ada Lovelace' },
    description: 'Changed fields after the change, secrets redacted.',
  })
  after!: object | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid', example: '7d0c1e3f-5a7b-4d2c-8e6f-0a1b3c5d7e9f' })
  id!: string;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 1042,
    description: 'Position in the hash chain; null until sealed, moments after commit.',
  })
  seq!: number | null;

  @ApiProperty({
    format: 'date-time',
    example: '2030-01-02T03:04:05.678901Z',
    description: 'When the event was written, UTC, to the microsecond.',
  })
  occurredAt!: string;

  @ApiProperty({ type: AuditActorDto })
  actor!: AuditActorDto;

  @ApiProperty({
    example: 'user.updated',
    description: '`<resource>.<past-tense verb>`; the README lists every action.',
  })
  action!: string;

  @ApiProperty({ type: AuditResourceDto })
  resource!: AuditResourceDto;

  @ApiProperty({ enum: AUDIT_OUTCOMES, example: 'success' })
  outcome!: AuditOutcome;

  @ApiProperty({ type: String, nullable: true, example: '0f8fad5b-d9cb-469f-a165-70867728950e' })
  requestId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0' })
  userAgent!: string | null;

  @ApiPropertyOptional({ type: AuditChangesDto, description: 'Present for updates.' })
  changes?: AuditChangesDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { revokedSessions: 2 },
    description: 'Details of the event, secrets redacted.',
  })
  metadata!: object;

  @ApiProperty({
    type: String,
    nullable: true,
    example: HASH_EXAMPLE,
    description: 'SHA-256 (hex) of this event and `prevHash`; null until sealed.',
  })
  hash!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: HASH_EXAMPLE.split('').reverse().join(''),
    description: 'Hash of the event at `seq - 1` (64 zeros for the first); null until sealed.',
  })
  prevHash!: string | null;
}

export class AuditEventPageDto extends PageMetaDto {
  @ApiProperty({ type: [AuditEventDto] })
  data!: AuditEventDto[];
}

export function toAuditEventDto(row: AuditEventRow): AuditEventDto {
  return {
    id: row.id,
    seq: row.seq === null ? null : Number(row.seq),
    occurredAt: row.occurred_at,
    actor: {
      type: row.actor_type as AuditActorType,
      id: row.actor_id,
      display: row.actor_display,
    },
    action: row.action,
    resource: { type: row.resource_type, id: row.resource_id },
    outcome: row.outcome as AuditOutcome,
    requestId: row.request_id,
    ip: row.ip,
    userAgent: row.user_agent,
    ...(row.changes ? { changes: row.changes } : {}),
    metadata: row.metadata,
    hash: row.hash,
    prevHash: row.prev_hash,
  };
}
