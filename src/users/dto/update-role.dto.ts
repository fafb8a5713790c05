import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { ALL_PERMISSIONS, Permission } from '@bastion/rbac';
import { trimmed } from './create-user.dto';

export class UpdateRoleDto {
  @ApiPropertyOptional({ example: 'Answers customer questions', maxLength: 500 })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    enum: Permission,
    isArray: true,
    example: ['users:read'],
    description:
      'The complete new permission set; you must hold every permission added or removed.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ALL_PERMISSIONS.length)
  @ArrayUnique()
  @IsString({ each: true })
  permissions?: string[];
}
