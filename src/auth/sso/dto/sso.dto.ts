import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';

export class SsoStartQueryDto {
  @ApiProperty({
    example: 'https://app.example/sso/done',
    description:
      "Where to send the browser back with `?code=` or `?error=`; must be in the provider's allow-list.",
  })
  @IsString()
  @MaxLength(2048)
  redirectUri!: string;
}

export class SsoExchangeDto {
  @ApiProperty({
    example: 'q1w2e3…',
    description: 'The one-time code from the redirect (60 s, single use).',
  })
  @IsString()
  @Length(1, 128)
  code!: string;
}

export class SsoProviderDto {
  @ApiProperty({ example: 'corp' })
  id!: string;

  @ApiProperty({ example: 'Corp SSO' })
  name!: string;
}
