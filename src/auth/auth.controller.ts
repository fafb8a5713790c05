import { Body, Controller, Get, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CredentialThrottle, CurrentPrincipal, Public } from '@bastion/rbac';
import { ApiResponses } from '@bastion/common';
import type { Principal } from '@bastion/rbac';
import { UserDto } from '../users';
import { AccountService } from './account.service';
import { AuthService } from './auth.service';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginDto, RefreshDto, TokenPairDto } from './dto/login.dto';
import { MeDto } from './dto/me.dto';
import { RegisterDto } from './dto/register.dto';
import { TokenPair } from './sessions.service';
import { PasswordLoginGuard } from './sso/password-login.guard';

const REVOCATION_UNAVAILABLE =
  'The revocation could not be propagated to every instance (`/revocation-unavailable`); retry.';

@ApiTags('auth')
@Controller({ path: 'auth', version: '1' })
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly account: AccountService,
  ) {}

  @Post('login')
  @Public()
  @CredentialThrottle()
  @UseGuards(PasswordLoginGuard)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Log in with email and password (and a TOTP code when MFA is on)' })
  @ApiResponses({
    200: { type: TokenPairDto },
    401: 'Wrong credentials, MFA required (`/mfa-required`) or wrong code (`/invalid-otp`).',
    403: 'SSO_ONLY=true: only the bootstrap admin logs in with a password (`/password-login-disabled`).',
    429: 'Too many attempts from this IP or for this email.',
  })
  login(@Body() dto: LoginDto): Promise<TokenPair> {
    return this.auth.login(dto);
  }

  @Post('refresh')
  @Public()
  @CredentialThrottle()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Exchange a refresh token for a new token pair (rotation)' })
  @ApiResponses({
    200: { type: TokenPairDto },
    401: 'Invalid, expired, revoked or reused refresh token.',
    503: REVOCATION_UNAVAILABLE,
  })
  refresh(@Body() dto: RefreshDto): Promise<TokenPair> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @Authenticated()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End this session: its refresh tokens and access tokens stop working' })
  @ApiResponses({
    204: 'Logged out.',
    403: 'The caller is an API key, not a signed-in user.',
    503: REVOCATION_UNAVAILABLE,
  })
  logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.auth.logout(principal);
  }

  @Post('register')
  @Public()
  @CredentialThrottle()
  @ApiOperation({
    summary: 'Sign up as a customer (only when SIGNUP_ENABLED=true)',
    description: 'Any field other than `email`, `password` and `name` (e.g. `roles`) is a 400.',
  })
  @ApiResponses({
    201: { type: UserDto, description: 'The new user, with the role `customer`.' },
    404: 'Self-service sign-up is disabled (`/signup-disabled`).',
    409: 'A user with this email exists (`/email-taken`).',
  })
  register(@Body() dto: RegisterDto): Promise<UserDto> {
    return this.account.register(dto);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller: user, roles and effective permissions' })
  @ApiResponses({
    200: { type: MeDto },
  })
  me(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    return this.auth.me(principal);
  }

  @Post('password')
  @Authenticated('signed-in users only; an API key gets 403')
  @CredentialThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "Change the caller's password; every other session is signed out",
  })
  @ApiResponses({
    204: 'Changed; only this session stays signed in.',
    400: 'Invalid body, or the current password is wrong (`/wrong-password`).',
    403: 'The caller is an API key, not a signed-in user.',
    503: REVOCATION_UNAVAILABLE,
  })
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangePasswordDto,
  ): Promise<void> {
    return this.account.changePassword(principal, dto);
  }
}
