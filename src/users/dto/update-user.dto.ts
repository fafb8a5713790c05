import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { normalizedEmail, trimmed } from './create-user.dto';

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Ada King', maxLength: 200 })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({
    example: 'ada.king@example.com',
    maxLength: 254,
    description: 'Needs `users:write`, also for your own account.',
  })
  @IsOptional()
  @Transform(normalizedEmail)
  @IsEmail()
  @MaxLength(254)
  email?: string;
}
