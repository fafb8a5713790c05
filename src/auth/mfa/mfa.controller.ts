import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { CredentialThrottle } from '../credential-throttle';
import { MfaCodeDto, MfaSetupDto } from '../dto/mfa.dto';
import { MfaService } from './mfa.service';

const USERS_ONLY = 'signed-in users only; an API key gets 403';
const API_KEY_FORBIDDEN = 'The caller is an API key: MFA belongs to a signed-in user.';

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
  @ApiOkResponse({ type: MfaSetupDto })
  @ApiForbiddenResponse({ description: API_KEY_FORBIDDEN })
  @ApiConflictResponse({ description: 'MFA is already enabled (`/mfa-already-enabled`).' })
  setup(@CurrentPrincipal() principal: Principal): Promise<MfaSetupDto> {
    return this.mfa.setup(principal);
  }

  @Post('enable')
  @Authenticated(USERS_ONLY)
  @CredentialThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Enable MFA with a code for the pending secret' })
  @ApiNoContentResponse({ description: 'MFA is on: logins now need a code.' })
  @ApiBadRequestResponse({ description: 'Invalid body, or a wrong code (`/invalid-otp`).' })
  @ApiForbiddenResponse({ description: API_KEY_FORBIDDEN })
  @ApiConflictResponse({
    description: 'Already enabled (`/mfa-already-enabled`) or not set up (`/mfa-not-set-up`).',
  })
  enable(@CurrentPrincipal() principal: Principal, @Body() dto: MfaCodeDto): Promise<void> {
    return this.mfa.enable(principal, dto.otp);
  }

  @Post('disable')
  @Authenticated(USERS_ONLY)
  @CredentialThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Disable MFA with a current code' })
  @ApiNoContentResponse({ description: 'MFA is off.' })
  @ApiBadRequestResponse({ description: 'Invalid body, or a wrong code (`/invalid-otp`).' })
  @ApiForbiddenResponse({ description: API_KEY_FORBIDDEN })
  @ApiConflictResponse({ description: 'MFA is not enabled (`/mfa-not-enabled`).' })
  disable(@CurrentPrincipal() principal: Principal, @Body() dto: MfaCodeDto): Promise<void> {
    return this.mfa.disable(principal, dto.otp);
  }
}
