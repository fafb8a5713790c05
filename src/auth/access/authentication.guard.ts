import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import passport from 'passport';
import { requestContext } from '@bastion/common';
import { IS_PUBLIC, Principal, RequestWithPrincipal } from '@bastion/rbac';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { AccessResolver } from './access-resolver.service';
import { AuthenticationFailures } from './authentication-failures';
import { JwtStrategy } from './jwt.strategy';

const API_KEY_HEADER = 'x-api-key';

/**
 * Global: every route needs a bearer token or an API key unless it is marked @Public().
 * A bearer token wins over an API key when both are sent.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessResolver,
    private readonly jwtStrategy: JwtStrategy,
    private readonly failures: AuthenticationFailures,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithPrincipal>();
    // Both lookups leave together (one round trip to Redis); a blocked IP is refused either way.
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

  private async authenticate(
    request: RequestWithPrincipal,
    response: unknown,
  ): Promise<Principal | null> {
    if (request.headers.authorization === undefined) {
      const apiKey = request.headers[API_KEY_HEADER];
      return typeof apiKey === 'string' ? this.access.forApiKey(apiKey) : null;
    }
    // This app's strategy, not a name: Passport's name registry is process-wide, and several app
    // instances in one process (the multi-instance tests) would share the last one registered.
    // Passport sets its result callbacks on the object it is given, so each request gets its own.
    const strategy = Object.create(this.jwtStrategy) as JwtStrategy;
    return new Promise<Principal | null>((resolve, reject) => {
      const middleware = passport.authenticate(
        strategy,
        { session: false },
        (error: Error | null, principal: Principal | false) =>
          error ? reject(error) : resolve(principal || null),
      ) as (req: unknown, res: unknown, next: (error?: Error) => void) => void;
      middleware(request, response, (error) => (error ? reject(error) : resolve(null)));
    });
  }
}
