import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { requestContext } from '@bastion/common';
import { IS_PUBLIC, Principal, RequestWithPrincipal } from '@bastion/rbac';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { AccessResolver } from './access-resolver.service';

const API_KEY_HEADER = 'x-api-key';

/** Global: every route needs a bearer token or an API key unless it is marked @Public(). */
@Injectable()
export class AuthenticationGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessResolver,
  ) {
    super({ property: 'principal', session: false });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (
      this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      return true;
    }
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const apiKey = request.headers[API_KEY_HEADER];
    if (typeof apiKey === 'string' && !request.headers.authorization) {
      const principal = await this.access.forApiKey(apiKey);
      if (!principal) throw new AuthException(AuthErrorCode.InvalidToken);
      request.principal = principal;
    } else {
      await (super.canActivate(context) as Promise<boolean>);
    }
    this.rememberActor(request.principal);
    return true;
  }

  override handleRequest<TUser = Principal>(error: unknown, principal: TUser | false): TUser {
    if (error instanceof AuthException) throw error;
    if (error || !principal) throw new AuthException(AuthErrorCode.InvalidToken);
    return principal;
  }

  private rememberActor(principal: Principal | undefined): void {
    const context = requestContext.current();
    if (context && principal) {
      context.actor = { type: principal.type, id: principal.id, display: principal.display };
    }
  }
}
