import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '@bastion/common';
import { UserStatus } from '../entities/user.entity';

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    example: 'ada',
    maxLength: 254,
    description: 'Case-insensitive substring of the email or the name.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  q?: string;

  @ApiPropertyOptional({ example: 'manager', maxLength: 64, description: 'Role name.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  role?: string;

  @ApiPropertyOptional({
    enum: UserStatus,
    example: UserStatus.Active,
    description: 'Without it, active and disabled users are listed; deleted ones only on request.',
  })
  @IsOptional()
  @IsEnum(UserStatus)
  status?: UserStatus;
}
