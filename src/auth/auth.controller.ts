import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Throttle } from '@nestjs/throttler';
import { Authenticated, CurrentPrincipal, Public } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { AuthService } from './auth.service';
import { LoginDto, RefreshDto, TokenPairDto } from './dto/login.dto';
import { MeDto } from './dto/me.dto';
import { TokenPair } from './sessions.service';

const LOGIN_THROTTLE = { default: { limit: 20, ttl: 60_000 } };

@ApiTags('auth')
@Controller({ path: 'auth', version: '1' })
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @Throttle(LOGIN_THROTTLE)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Log in with email and password (and a TOTP code when MFA is on)' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({
    description:
      'Wrong credentials, MFA required (`/mfa-required`) or wrong code (`/invalid-otp`).',
  })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this IP or for this email.' })
  login(@Body() dto: LoginDto): Promise<TokenPair> {
    return this.auth.login(dto);
  }

  @Post('refresh')
  @Public()
  @Throttle(LOGIN_THROTTLE)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Exchange a refresh token for a new token pair (rotation)' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ description: 'Invalid, expired, revoked or reused refresh token.' })
  refresh(@Body() dto: RefreshDto): Promise<TokenPair> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @Authenticated()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End this session: its refresh tokens and access tokens stop working' })
  @ApiNoContentResponse({ description: 'Logged out.' })
  logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.auth.logout(principal);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller: user, roles and effective permissions' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    return this.auth.me(principal);
  }
}
