import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { requestContext } from '@bastion/common';
import { IS_PUBLIC, Principal, RequestWithPrincipal } from '@bastion/rbac';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { AccessResolver } from './access-resolver.service';
import { AccessTokens } from './access-token';
import { AuthenticationFailures } from './authentication-failures';

const API_KEY_HEADER = 'x-api-key';
const BEARER = /^Bearer\s+(\S+)$/i;

export type PresentedCredential =
  { type: 'bearer'; token: string | undefined } | { type: 'api_key'; key: string } | null;

/** The credential a request carries: a bearer token wins over an API key when both are sent. */
export function presentedCredential(request: {
  headers: Record<string, string | string[] | undefined>;
}): PresentedCredential {
  const { authorization } = request.headers;
  if (typeof authorization === 'string') {
    return { type: 'bearer', token: BEARER.exec(authorization)?.[1] };
  }
  const apiKey = request.headers[API_KEY_HEADER];
  return typeof apiKey === 'string' ? { type: 'api_key', key: apiKey } : null;
}

/** Global: every route needs a bearer token or an API key unless it is marked @Public(). */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessResolver,
    private readonly tokens: AccessTokens,
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
    const credential = presentedCredential(request);
    if (credential?.type === 'api_key') return this.access.forApiKey(credential.key);
    const claims = credential?.token === undefined ? null : this.tokens.verify(credential.token);
    return claims ? this.access.forAccessToken(claims.sub, claims.sid) : null;
  }
}
