import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH } from '../../users';

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

/** What enabling or disabling MFA needs: a code and the current password, not a session alone. */
export class MfaCodeDto {
  @ApiProperty({ example: '123456', description: 'Current code from the authenticator app.' })
  @Matches(/^\d{6}$/, { message: 'must be a 6-digit code' })
  otp!: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    maxLength: PASSWORD_MAX_LENGTH,
    description: 'The user’s current password.',
  })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;
}
