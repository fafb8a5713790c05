import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PaymentsErrorCode, PaymentsException } from '../payments.exception';

/** Keys are scoped to the actor: two callers may use the same key without meeting. */
export interface IdempotencyScope {
  actorType: string;
  actorId: string;
  key: string;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

interface KeyRow {
  state: 'in_progress' | 'completed';
  request_fingerprint: string;
  response_status: number | null;
  response_body: unknown;
}

/** A key may be taken again once its row was released or expired; a few tries cover both races. */
const CLAIM_ATTEMPTS = 3;

/**
 * Stripe's idempotency semantics, kept in PostgreSQL so they hold across instances and restarts.
 * Every statement here runs on its own, outside the request's business transactions.
 */
@Injectable()
export class IdempotencyService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims the key for this request (null), or answers with the response to replay; throws 409
   * while the first request is still running and 422 when the key came with another request.
   */
  async claim(scope: IdempotencyScope, fingerprint: string): Promise<StoredResponse | null> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      // An expired row is taken over in the same statement, so expiry needs no purge to be exact.
      const claimed: unknown[] = await this.dataSource.query(
        `INSERT INTO idempotency_keys
           (actor_type, actor_id, key, request_fingerprint, state, expires_at)
         VALUES ($1, $2, $3, $4, 'in_progress', now() + interval '24 hours')
         ON CONFLICT (actor_type, actor_id, key) DO UPDATE SET
           request_fingerprint = EXCLUDED.request_fingerprint, state = 'in_progress',
           response_status = NULL, response_body = NULL, created_at = now(),
           expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at <= now()
         RETURNING key`,
        [scope.actorType, scope.actorId, scope.key, fingerprint],
      );
      if (claimed.length > 0) return null;
      const [row] = await this.dataSource.query<KeyRow[]>(
        `SELECT state, request_fingerprint, response_status, response_body FROM idempotency_keys
         WHERE actor_type = $1 AND actor_id = $2 AND key = $3 AND expires_at > now()`,
        [scope.actorType, scope.actorId, scope.key],
      );
      if (!row) continue;
      if (row.state === 'in_progress') {
        throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyInUse);
      }
      if (row.request_fingerprint !== fingerprint) {
        throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyReused);
      }
      return { status: row.response_status as number, body: row.response_body };
    }
    throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyInUse);
  }

  /** Keeps the final response of the request that claimed the key, for replays. */
  async complete(scope: IdempotencyScope, response: StoredResponse): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys SET state = 'completed', response_status = $4, response_body = $5
       WHERE actor_type = $1 AND actor_id = $2 AND key = $3`,
      [scope.actorType, scope.actorId, scope.key, response.status, JSON.stringify(response.body)],
    );
  }

  /** Frees the key of a request that did not run to a final answer, so a retry can run it. */
  async release(scope: IdempotencyScope): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys
       WHERE actor_type = $1 AND actor_id = $2 AND key = $3 AND state = 'in_progress'`,
      [scope.actorType, scope.actorId, scope.key],
    );
  }

  /** Deletes expired keys; returns how many. */
  async purgeExpired(): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown, number]>(
      'DELETE FROM idempotency_keys WHERE expires_at <= now()',
    );
    return count;
  }
}
