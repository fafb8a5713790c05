import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { requestContext } from '@bastion/common';
import { IS_PUBLIC, Principal, RequestWithPrincipal } from '@bastion/rbac';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { AccessResolver } from './access-resolver.service';
import { AccessTokenClaims, isAccessTokenClaims } from './access-token';
import { AuthenticationFailures } from './authentication-failures';

const API_KEY_HEADER = 'x-api-key';
const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Global: every route needs a bearer token or an API key unless it is marked @Public().
 * A bearer token wins over an API key when both are sent.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessResolver,
    private readonly jwt: JwtService,
    private readonly failures: AuthenticationFailures,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    // Both lookups leave together (one round trip to Redis); a blocked IP is refused either way.
    const [, principal] = await Promise.all([
      this.failures.assertAllowed(request.ip),
      this.authenticate(request),
    ]);
    if (!principal) {
      await this.failures.record(request.ip);
      throw new AuthException(AuthErrorCode.InvalidToken);
    }
    request.principal = principal;
    const current = requestContext.current();
    if (current)
      current.actor = { type: principal.type, id: principal.id, display: principal.display };
    return true;
  }

  private async authenticate(request: RequestWithPrincipal): Promise<Principal | null> {
    const { authorization } = request.headers;
    if (authorization === undefined) {
      const apiKey = request.headers[API_KEY_HEADER];
      return typeof apiKey === 'string' ? this.access.forApiKey(apiKey) : null;
    }
    const claims = this.verifiedClaims(BEARER.exec(authorization)?.[1]);
    return claims ? this.access.forAccessToken(claims.sub, claims.sid) : null;
  }

  /** The claims of a valid access token (HS256, signature and expiry checked), else null. */
  private verifiedClaims(token: string | undefined): AccessTokenClaims | null {
    if (token === undefined) return null;
    try {
      const claims: unknown = this.jwt.verify(token);
      return isAccessTokenClaims(claims) ? claims : null;
    } catch {
      // Malformed, forged or expired: not a credential, answered like a missing one.
      return null;
    }
  }
}
