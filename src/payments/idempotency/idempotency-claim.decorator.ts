import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { IdempotencyClaim } from './idempotency.service';

export interface RequestWithClaim {
  idempotencyClaim?: IdempotencyClaim;
}

/**
 * The request's claim on its `Idempotency-Key`, set by `@Idempotent()`: services tie what they
 * record to it and learn whether they are finishing the work of a request cut short.
 */
export const IdempotencyKeyClaim = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotencyClaim => {
    const claim = context.switchToHttp().getRequest<RequestWithClaim>().idempotencyClaim;
    if (!claim) throw new Error('@IdempotencyKeyClaim() used on a route without @Idempotent()');
    return claim;
  },
);
