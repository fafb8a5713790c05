import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import {
  CLAIM_IN_HANDLER,
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyInterceptor,
} from './idempotency.interceptor';

/** For the route's 409 description: Swagger keeps one description per status. */
export const IDEMPOTENCY_CONFLICT =
  'Or a request with this `Idempotency-Key` is still running (`/idempotency-key-in-use`); `Retry-After` says when its hold on the key lapses.';

/** Headers of the route's 409, for the same reason. */
export const IDEMPOTENCY_CONFLICT_HEADERS = {
  'Retry-After': {
    description:
      'With `/idempotency-key-in-use`: seconds until the running request’s hold on the key lapses; a retry after that takes the key over.',
    schema: { type: 'integer', example: 12 },
  },
};

/** Headers of a response that may be a replay. */
export const REPLAY_HEADERS = {
  'Idempotent-Replayed': {
    description:
      '`true` when this answers an earlier request with this key: its stored response, or the outcome of what it started before it was cut short.',
    schema: { type: 'string', example: 'true' },
  },
};

/**
 * Requires `Idempotency-Key` and replays the first answer to a retry; documents both. With
 * `claimInHandler`, the handler claims the key itself, in the statement that records what it does
 * (`IdempotencyService.claimFreshSql`, then `claimTaken` when the key is not new): a key never used
 * then costs no statement of its own.
 */
export const Idempotent = (options: { claimInHandler?: boolean } = {}) =>
  applyDecorators(
    SetMetadata(CLAIM_IN_HANDLER, options.claimInHandler === true),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: true,
      example: '3f0c9a4e-5b7d-4c1e-9f2a-8d6b1e0c7a55',
      description:
        'Unique per operation, 1–255 characters, scoped to the caller. A retry with the same key and body within 24 h gets the first response again (status and body) with `Idempotent-Replayed: true`. A request cut short before it answered (its server stopped) holds the key for `IDEMPOTENCY_LEASE_SECONDS` (30 s by default); a retry after that finishes it: it settles the payment or refund that request recorded, without charging again, or runs the request if it recorded none.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    }),
    ApiUnprocessableEntityResponse({
      description:
        'The `Idempotency-Key` was used with another request (`/idempotency-key-reused`).',
    }),
  );
