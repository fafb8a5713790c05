import { createHash } from 'node:crypto';
import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { catchError, from, mergeMap, Observable, of } from 'rxjs';
import { ProblemException, ValidationProblem } from '@bastion/common';
import type { RequestWithPrincipal } from '@bastion/rbac';
import type { RequestWithClaim } from './idempotency-claim.decorator';
import {
  IdempotencyClaim,
  IdempotencyScope,
  IdempotencyService,
  StoredReplay,
  StoredResponse,
} from './idempotency.service';

/** Metadata of a route whose handler claims its key itself; see `@Idempotent()`. */
export const CLAIM_IN_HANDLER = 'bastion:idempotency-claim-in-handler';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const MAX_KEY_LENGTH = 255;

interface StoredProblem {
  problem: { slug: string; title: string; detail: string };
}

function keyFrom(header: string | string[] | undefined): string {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_KEY_LENGTH) {
    throw new ValidationProblem([
      { field: IDEMPOTENCY_KEY_HEADER, message: 'must be sent, 1 to 255 characters' },
    ]);
  }
  return header;
}

/** Key order in a JSON body means nothing, so it must not make two bodies differ. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([method, url, canonical(body ?? null)]))
    .digest('hex');
}

/**
 * Stripe's rule for what is kept: the final answer of a request that reached the handler,
 * including its 4xx domain errors; not input validation errors and not 5xx, which free the key.
 */
function storable(error: unknown): error is ProblemException {
  return (
    error instanceof ProblemException &&
    !(error instanceof ValidationProblem) &&
    error.getStatus() < 500
  );
}

/** Makes a POST idempotent per `Idempotency-Key` and caller; see `@Idempotent()`. */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly keys: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithPrincipal & RequestWithClaim>();
    const reply = http.getResponse<FastifyReply>();
    const principal = request.principal;
    if (!principal) throw new Error('@Idempotent() used on a route without authentication');
    const scope: IdempotencyScope = {
      actorType: principal.type,
      actorId: principal.id,
      key: keyFrom(request.headers['idempotency-key']),
    };
    const fingerprint = requestFingerprint(request.method, request.url, request.body);
    let claim: IdempotencyClaim;
    if (this.reflector.get<boolean | undefined>(CLAIM_IN_HANDLER, context.getHandler())) {
      claim = this.keys.unclaimed(scope, fingerprint);
    } else {
      const outcome = await this.keys.claim(scope, fingerprint);
      if (outcome.kind === 'replay') {
        void reply.header(REPLAYED_HEADER, 'true');
        return of(replay(outcome.response));
      }
      claim = outcome.claim;
    }
    request.idempotencyClaim = claim;
    const status =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      HttpStatus.CREATED;
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        if (!claim.completed) await this.keys.complete(claim, { status, body });
        // Taken over from a request cut short: the answer is that request's, not a new one.
        if (claim.attemptId) void reply.header(REPLAYED_HEADER, 'true');
        return body;
      }),
      catchError((error: unknown) => {
        if (error instanceof StoredReplay) {
          void reply.header(REPLAYED_HEADER, 'true');
          return of(replay(error.response));
        }
        // The handler never held the key (it was another request's): nothing to keep or free.
        if (!claim.held) throw error;
        return from(this.settleFailure(claim, error));
      }),
    );
  }

  private async settleFailure(claim: IdempotencyClaim, error: unknown): Promise<never> {
    if (storable(error)) {
      const problem: StoredProblem = {
        problem: { slug: error.slug, title: error.title, detail: error.detail },
      };
      await this.keys.complete(claim, { status: error.getStatus(), body: problem });
    } else {
      await this.keys.release(claim);
    }
    throw error;
  }
}

/** The first answer again: its body, or its error rebuilt for the one filter that formats errors. */
function replay(stored: StoredResponse): unknown {
  if (stored.status >= 400) {
    const { problem } = stored.body as StoredProblem;
    throw new ProblemException({ status: stored.status, ...problem });
  }
  return stored.body;
}
