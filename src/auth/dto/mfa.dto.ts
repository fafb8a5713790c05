import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export class MfaSetupDto {
  @ApiProperty({
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    description: 'Base32 TOTP secret to enter in an authenticator app; shown once.',
  })
  secret!: string;

  @ApiProperty({
    example:
      'otpauth://totp/Bastion:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&period=30&digits=6&algorithm=SHA1&issuer=Bastion',
    description: 'The same secret as an otpauth:// URI, for a QR code.',
  })
  otpauthUrl!: string;
}

export class MfaCodeDto {
  @ApiProperty({ example: '123456', description: 'Current code from the authenticator app.' })
  @Matches(/^\d{6}$/, { message: 'must be a 6-digit code' })
  otp!: string;
}
