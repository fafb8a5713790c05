import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { ALL_PERMISSIONS, Permission } from '@bastion/rbac';
import { trimmed } from './create-user.dto';

export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]{1,63}$/;

export class CreateRoleDto {
  @ApiProperty({ example: 'support', pattern: ROLE_NAME_PATTERN.source })
  @IsString()
  @Matches(ROLE_NAME_PATTERN, {
    message: 'must be 2 to 64 lowercase letters, digits, "_" or "-", starting with a letter',
  })
  name!: string;

  @ApiPropertyOptional({
    example: 'Reads users and orders to answer customers',
    maxLength: 500,
    default: '',
  })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiProperty({
    enum: Permission,
    isArray: true,
    example: ['users:read', 'orders:read:any'],
    description: 'Names from `GET /v1/permissions`; you must hold each of them.',
  })
  @IsArray()
  @ArrayMaxSize(ALL_PERMISSIONS.length)
  @ArrayUnique()
  @IsString({ each: true })
  permissions!: string[];
}
