import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { requestContext } from '@bastion/common';
import { IS_PUBLIC, Principal, RequestWithPrincipal } from '@bastion/rbac';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { ApplicationPassport } from './application-passport';
import { AuthenticationFailures } from './authentication-failures';

const API_KEY_HEADER = 'x-api-key';
const BEARER = /^Bearer\s+(\S+)$/i;
/** Tried in order; each declines a request that does not carry its credential. */
const STRATEGIES = ['jwt', 'api-key'];

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

/**
 * Global: every route needs a bearer token or an API key unless it is marked @Public(). What
 * `AuthGuard(['jwt', 'api-key'])` of @nestjs/passport does, on this application's passport
 * registry rather than the process-wide one that AuthGuard reads.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly passport: ApplicationPassport,
    private readonly failures: AuthenticationFailures,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithPrincipal>();
    // Both run together (either may read PostgreSQL or Redis); a blocked IP is refused either way.
    const [, principal] = await Promise.all([
      this.failures.assertAllowed(request.ip),
      this.authenticate(request, http.getResponse()),
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

  /** The principal a strategy vouches for; null when none does; rejected on a strategy's error. */
  private authenticate(
    request: RequestWithPrincipal,
    response: unknown,
  ): Promise<Principal | null> {
    return new Promise((resolve, reject) => {
      const callback = (error: unknown, principal: Principal | false | undefined) => {
        // What a strategy's validate threw (the database or the store failing), passed on as is.
        if (error)
          reject(error instanceof Error ? error : new Error('Strategy error', { cause: error }));
        else resolve(principal || null);
      };
      const middleware = this.passport.authenticate(STRATEGIES, { session: false }, callback) as (
        request: unknown,
        response: unknown,
        next: (error?: unknown) => void,
      ) => void;
      // `next` runs only if a strategy neither succeeds nor fails: no principal then.
      middleware(request, response, (error) => callback(error, false));
    });
  }
}
