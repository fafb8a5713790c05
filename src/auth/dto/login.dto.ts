import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin@bastion.local' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString()
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({
    example: '123456',
    description: 'TOTP code, required when MFA is enabled.',
  })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'must be a 6-digit code' })
  otp?: string;
}

export class RefreshDto {
  @ApiProperty({ example: 'Vg3x…' })
  @IsString()
  @MaxLength(512)
  refreshToken!: string;
}

export class TokenPairDto {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIs…' })
  accessToken!: string;

  @ApiProperty({ example: 'Vg3x…' })
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({
    type: 'integer',
    example: 900,
    description: 'Seconds until the access token expires.',
  })
  expiresIn!: number;
}
