import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Redirect,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CredentialThrottle, Public } from '@bastion/rbac';
import { TokenPairDto } from '../dto/login.dto';
import { TokenPair } from '../sessions.service';
import { SsoExchangeDto, SsoProviderDto, SsoStartQueryDto } from './dto/sso.dto';
import { SsoService } from './sso.service';

const PROVIDER_PARAM = {
  name: 'provider',
  description: 'The provider id from SSO_PROVIDERS.',
  example: 'corp',
};
const UNKNOWN_PROVIDER = 'No provider has this id (`/sso-provider-not-found`).';

@ApiTags('auth')
@Controller({ path: 'auth/sso', version: '1' })
export class SsoController {
  constructor(private readonly sso: SsoService) {}

  @Get('providers')
  @Public()
  @ApiOperation({ summary: 'The single sign-on providers a sign-in page can offer' })
  @ApiOkResponse({ type: SsoProviderDto, isArray: true })
  providers(): SsoProviderDto[] {
    return this.sso.listProviders();
  }

  @Get(':provider/start')
  @Public()
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Begin single sign-on: redirects the browser to the identity provider',
    description:
      'Authorization code flow with PKCE, `state` and `nonce`. After the sign-in the browser comes back to `redirectUri` with `?code=` (exchange it at POST /v1/auth/sso/exchange) or `?error=`.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiFoundResponse({ description: "Redirect to the provider's authorization endpoint." })
  @ApiBadRequestResponse({
    description: "`redirectUri` is missing or not in the provider's allow-list.",
  })
  @ApiNotFoundResponse({ description: UNKNOWN_PROVIDER })
  @ApiServiceUnavailableResponse({
    description:
      'The identity provider did not answer (`/sso-provider-unavailable`, with Retry-After).',
  })
  async start(
    @Param('provider') provider: string,
    @Query() query: SsoStartQueryDto,
  ): Promise<{ url: string }> {
    return { url: await this.sso.start(provider, query.redirectUri) };
  }

  @Get(':provider/callback')
  @Public()
  @CredentialThrottle()
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      "The identity provider's redirect back: validates the sign-in, then redirects to the app",
    description:
      "Checks `state`, exchanges the code (PKCE), validates the ID token (signature by the provider's keys, `iss`, `aud`, `exp`, `nonce`). Redirects to the app's `redirectUri` with `?code=<one-time code>`, or with `?error=` (`access_denied`, `invalid_id_token`, `account_unavailable`, `temporarily_unavailable`).",
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiFoundResponse({ description: 'Redirect to the app with `code` or `error`.' })
  @ApiBadRequestResponse({
    description: 'Unknown, expired or already used `state` (`/invalid-sso-state`): start again.',
  })
  @ApiNotFoundResponse({ description: UNKNOWN_PROVIDER })
  async callback(
    @Param('provider') provider: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ url: string }> {
    return { url: await this.sso.callback(provider, query) };
  }

  @Post('exchange')
  @Public()
  @CredentialThrottle()
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Exchange the one-time code from the redirect for a session (the login body)',
    description:
      'A code lives 60 seconds and works once. The session refreshes, logs out and is revoked like any other.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({
    description: 'Unknown, expired or already used code (`/invalid-sso-code`).',
  })
  exchange(@Body() dto: SsoExchangeDto): Promise<TokenPair> {
    return this.sso.exchange(dto.code);
  }
}
