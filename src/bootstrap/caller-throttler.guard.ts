import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { THROTTLER_LIMIT } from '@nestjs/throttler/dist/throttler.constants';
import { RequestWithPrincipal } from '@bastion/rbac';

/**
 * Limits per caller: the authenticated principal, or the client IP on public routes. The window
 * is shared by every route (RATE_LIMIT_MAX is per caller, not per route), except for routes with
 * a limit of their own (credential routes), which count separately.
 */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const { principal, ip } = request as unknown as RequestWithPrincipal;
    return principal ? `${principal.type}:${principal.id}` : `ip:${ip}`;
  }

  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    const ownLimit = this.reflector.getAllAndOverride<unknown>(THROTTLER_LIMIT + name, [
      context.getHandler(),
      context.getClass(),
    ]);
    return ownLimit === undefined
      ? `${name}:${tracker}`
      : super.generateKey(context, tracker, name);
  }
}
