import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, isCredentialRoute } from '@bastion/rbac';
import { AccessTokens, parseApiKey, presentedCredential, sha256Hex } from '../auth';
import { AppConfig } from '../config/app-config';

/** The request's pending rate-limit count, from the moment it leaves until its verdict. */
const PENDING_COUNT = Symbol('pendingRateLimitCount');

type CountedRequest = { [PENDING_COUNT]?: Promise<boolean> };

/**
 * Limits per caller: the user of a valid access token, the API key presented, or the client IP on
 * public routes and for anything else. The window is shared by every route (RATE_LIMIT_MAX is per
 * caller, not per route), except for credential routes, which each count separately against
 * CREDENTIAL_RATE_LIMIT_MAX.
 *
 * Runs first and does not wait: the count is usually answered from memory, but when the caller's
 * lease from Redis has run out it waits for a new one, and that wait overlaps authentication's
 * look-ups; ThrottleVerdictGuard, after authentication, answers 429 when the count says so. The
 * caller is therefore known from the credential itself, before it is checked.
 * So that nobody can use up another caller's window, the window is one only the credential's
 * holder reaches: a token's signature is checked here, and an API key counts under its whole
 * value (hashed), never under the prefix alone, which is no secret. Wrong credentials are
 * limited by address (AuthenticationFailures).
 */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly tokens: AccessTokens,
    private readonly config: AppConfig,
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
      // Not the secret's hash, which is what the database keeps.
      if (parsed) return `api_key:${parsed.prefix}:${sha256Hex(credential.key)}`;
    }
    return `ip:${ip}`;
  }

  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    if (!isCredentialRoute(this.requestOf(request.context))) return super.handleRequest(request);
    return super.handleRequest({ ...request, limit: this.config.rateLimit.credentialMax });
  }

  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    return isCredentialRoute(this.requestOf(context))
      ? super.generateKey(context, tracker, name)
      : `${name}:${tracker}`;
  }

  private requestOf(context: ExecutionContext): FastifyRequest {
    return context.switchToHttp().getRequest<FastifyRequest>();
  }
}

/** The rate limit's answer for a request CallerThrottlerGuard counted: 429 over the limit. */
@Injectable()
export class ThrottleVerdictGuard implements CanActivate {
  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    return context.switchToHttp().getRequest<CountedRequest>()[PENDING_COUNT] ?? true;
  }
}
