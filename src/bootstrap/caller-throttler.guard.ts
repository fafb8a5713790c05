import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { THROTTLER_LIMIT } from '@nestjs/throttler/dist/throttler.constants';
import { IS_PUBLIC } from '@bastion/rbac';
import { parseApiKey } from '../auth/access/access-resolver.service';
import { AccessTokens } from '../auth/access/access-token';
import { presentedCredential } from '../auth/access/authentication.guard';

/** The request's pending rate-limit count, from the moment it leaves until its verdict. */
const PENDING_COUNT = Symbol('pendingRateLimitCount');

type CountedRequest = { [PENDING_COUNT]?: Promise<boolean> };

/**
 * Limits per caller: the user of a valid access token, the API key presented, or the client IP on
 * public routes and for anything else. The window is shared by every route (RATE_LIMIT_MAX is per
 * caller, not per route), except for routes with a limit of their own (credential routes), which
 * count separately.
 *
 * Runs first and does not wait: the count goes to Redis together with authentication's look-ups
 * (ioredis sends the commands of one event-loop turn in one write), and ThrottleVerdictGuard,
 * after authentication, answers 429 when the count says so. That is one round trip per request
 * instead of two; the caller is therefore known from the credential itself, before it is checked.
 */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly tokens: AccessTokens,
  ) {
    super(options, storage, reflector);
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    const count = super.canActivate(context);
    // Awaited by the verdict guard, unless authentication refuses the request first.
    count.catch(() => undefined);
    context.switchToHttp().getRequest<CountedRequest>()[PENDING_COUNT] = count;
    return Promise.resolve(true);
  }

  // The library passes the context too, though its type does not say so.
  protected override async getTracker(
    request: Record<string, unknown>,
    context?: ExecutionContext,
  ): Promise<string> {
    const { ip, headers } = request as { ip: string; headers: Record<string, string | undefined> };
    const isPublic =
      !context ||
      this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ]);
    const credential = isPublic ? null : presentedCredential({ headers });
    if (credential?.type === 'bearer' && credential.token !== undefined) {
      const claims = this.tokens.verify(credential.token);
      if (claims) return `user:${claims.sub}`;
    }
    if (credential?.type === 'api_key') {
      const parsed = parseApiKey(credential.key);
      if (parsed) return `api_key:${parsed.prefix}`;
    }
    return `ip:${ip}`;
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

/** The rate limit's answer for a request CallerThrottlerGuard counted: 429 over the limit. */
@Injectable()
export class ThrottleVerdictGuard implements CanActivate {
  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    return context.switchToHttp().getRequest<CountedRequest>()[PENDING_COUNT] ?? true;
  }
}
