import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { PageMetaDto } from '@bastion/common';
import { Permission } from '@bastion/rbac';
import { ApiKey } from '../../entities/api-key.entity';

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid', example: '3f0c8a56-51a4-4d8e-9d0e-6c1f2b7a9e42' })
  id!: string;

  @ApiProperty({ example: 'billing-sync' })
  name!: string;

  @ApiProperty({ example: 'Ab3dE6gH9jK1', description: 'Public part of the key, to recognise it.' })
  prefix!: string;

  @ApiProperty({ enum: Permission, isArray: true, example: [Permission.OrdersReadAny] })
  permissions!: Permission[];

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2030-01-01T00:00:00.000Z',
  })
  expiresAt!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-01-15T09:30:00.000Z' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'Set once the key is revoked; it then no longer works.',
  })
  revokedAt!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    example: 'bst_Ab3dE6gH9jK1_q8Vn0yRZ2m7cXw4Lp1sT6uB9eA3kD5fG8hJ0iN2oQ4r',
    description: 'The key to send as `X-API-Key`. Shown only in this response; store it now.',
  })
  key!: string;
}

export class ApiKeyPageDto extends PageMetaDto {
  @ApiProperty({ type: [ApiKeyDto] })
  data!: ApiKeyDto[];
}

export class ApiKeyIdParams {
  @ApiProperty({ format: 'uuid', example: '3f0c8a56-51a4-4d8e-9d0e-6c1f2b7a9e42' })
  @IsUUID()
  id!: string;
}

export function toApiKeyDto(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    permissions: key.permissions as Permission[],
    expiresAt: key.expiresAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
