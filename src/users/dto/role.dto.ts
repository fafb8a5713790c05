import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '@bastion/common';
import { Permission } from '@bastion/rbac';
import { Role } from '../entities/role.entity';

export class RoleDto {
  @ApiProperty({ format: 'uuid', example: '0e1c8a52-2f8e-4f57-9d0b-6d2b7f9b3c41' })
  id!: string;

  @ApiProperty({ example: 'support', pattern: '^[a-z][a-z0-9_-]{1,63}$' })
  name!: string;

  @ApiProperty({ example: 'Reads users and orders to answer customers' })
  description!: string;

  @ApiProperty({ enum: Permission, isArray: true, example: ['users:read', 'orders:read:any'] })
  permissions!: string[];

  @ApiProperty({ example: false, description: 'Built-in roles cannot be changed or deleted.' })
  builtIn!: boolean;

  @ApiProperty({
    type: 'integer',
    example: 1,
    description: 'Optimistic-locking version; also sent as the ETag.',
  })
  version!: number;

  @ApiProperty({ format: 'date-time', example: '2026-01-05T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-05T10:00:00.000Z' })
  updatedAt!: string;
}

export class RolePageDto extends PageMetaDto {
  @ApiProperty({ type: [RoleDto] })
  data!: RoleDto[];
}

export function toRoleDto(role: Role): RoleDto {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: [...role.permissions].sort(),
    builtIn: role.builtIn,
    version: role.version,
    createdAt: role.createdAt.toISOString(),
    updatedAt: role.updatedAt.toISOString(),
  };
}
