import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CredentialThrottle, CurrentPrincipal } from '@bastion/rbac';
import { ApiResponses } from '@bastion/common';
import type { Principal } from '@bastion/rbac';

import { MfaCodeDto, MfaSetupDto } from '../dto/mfa.dto';
import { MfaService } from './mfa.service';

const USERS_ONLY = 'signed-in users only; an API key gets 403';
const API_KEY_FORBIDDEN = 'The caller is an API key: MFA belongs to a signed-in user.';
const WRONG_PASSWORD =
  'A wrong current `password` (`/wrong-password`): nothing changes; the attempt is audited and counts towards the failed-login lockout.';
const LOCKED =
  'Too many requests, or too many failed passwords from this address or for this account (`/login-locked`, shared with login), with `Retry-After`.';

@ApiTags('auth')
@Controller({ path: 'auth/mfa', version: '1' })
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Post('setup')
  @Authenticated(USERS_ONLY)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Start TOTP setup: a new secret to confirm with /v1/auth/mfa/enable',
    description: 'Calling it again before enabling replaces the pending secret.',
  })
  @ApiResponses({
    200: { type: MfaSetupDto },
    403: API_KEY_FORBIDDEN,
    409: 'MFA is already enabled (`/mfa-already-enabled`).',
  })
  setup(@CurrentPrincipal() principal: Principal): Promise<MfaSetupDto> {
    return this.mfa.setup(principal);
  }

  @Post('enable')
  @Authenticated(USERS_ONLY)
  @CredentialThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Enable MFA with a code for the pending secret and the current password',
    description:
      'Every other session of the user is signed out (its refresh and access tokens stop working); this one stays.',
  })
  @ApiResponses({
    204: 'MFA is on: logins now need a code.',
    400: 'Invalid body, or a wrong code (`/invalid-otp`).',
    401: WRONG_PASSWORD,
    403: API_KEY_FORBIDDEN,
    409: 'Already enabled (`/mfa-already-enabled`) or not set up (`/mfa-not-set-up`).',
    429: LOCKED,
  })
  enable(@CurrentPrincipal() principal: Principal, @Body() dto: MfaCodeDto): Promise<void> {
    return this.mfa.enable(principal, dto);
  }

  @Post('disable')
  @Authenticated(USERS_ONLY)
  @CredentialThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Disable MFA with a current code and the current password' })
  @ApiResponses({
    204: 'MFA is off.',
    400: 'Invalid body, or a wrong code (`/invalid-otp`).',
    401: WRONG_PASSWORD,
    403: API_KEY_FORBIDDEN,
    409: 'MFA is not enabled (`/mfa-not-enabled`).',
    429: LOCKED,
  })
  disable(@CurrentPrincipal() principal: Principal, @Body() dto: MfaCodeDto): Promise<void> {
    return this.mfa.disable(principal, dto);
  }
}
