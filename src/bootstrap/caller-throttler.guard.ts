import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { RequestWithPrincipal } from '@bastion/rbac';

/** Limits per caller: the authenticated principal, or the client IP on public routes. */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const { principal, ip } = request as unknown as RequestWithPrincipal;
    return principal ? `${principal.type}:${principal.id}` : `ip:${ip}`;
  }
}
