import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
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

/** A request's hold on its key, for as long as its lease lasts. */
export interface IdempotencyClaim {
  scope: IdempotencyScope;
  /** Fences this request's writes to the key off once a retry has taken the key over. */
  leaseToken: string;
  /**
   * The payment or refund an earlier holder of the key recorded before it stopped answering (a
   * crash): this request settles that attempt instead of making another. Null: run afresh.
   */
  attemptId: string | null;
}

export type ClaimOutcome =
  { kind: 'claimed'; claim: IdempotencyClaim } | { kind: 'replay'; response: StoredResponse };

interface KeyRow {
  state: 'in_progress' | 'completed';
  request_fingerprint: string;
  response_status: number | null;
  response_body: unknown;
  lease_seconds_left: number;
}

/** A key may be taken again once its row was released or expired; a few tries cover both races. */
const CLAIM_ATTEMPTS = 3;

const SCOPE_MATCHES = 'actor_type = $1 AND actor_id = $2 AND key = $3';

/**
 * Stripe's idempotency semantics, kept in PostgreSQL so they hold across instances and restarts.
 * A running request holds its key under a lease (`IDEMPOTENCY_LEASE_SECONDS`), so a key whose
 * request died with its process is not stuck until it expires. Every statement here runs on
 * its own, outside the request's business transactions, except `bind`.
 */
@Injectable()
export class IdempotencyService {
  private readonly leaseSeconds: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.leaseSeconds = config.payments.idempotencyLeaseSeconds;
  }

  /**
   * Claims the key for this request, or answers with the response to replay; throws 409 while
   * another request holds the key and 422 when the key came with another request.
   */
  async claim(scope: IdempotencyScope, fingerprint: string): Promise<ClaimOutcome> {
    const leaseToken = randomUUID();
    const claimed = (attemptId: string | null): ClaimOutcome => ({
      kind: 'claimed',
      claim: { scope, leaseToken, attemptId },
    });
    const params = [scope.actorType, scope.actorId, scope.key, fingerprint];
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      // An expired row is taken over in the same statement, so expiry needs no purge to be exact.
      const fresh: unknown[] = await this.dataSource.query(
        `INSERT INTO idempotency_keys (actor_type, actor_id, key, request_fingerprint, state,
                                       lease_token, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, 'in_progress',
                 $5, now() + make_interval(secs => $6), now() + interval '24 hours')
         ON CONFLICT (actor_type, actor_id, key) DO UPDATE SET
           request_fingerprint = EXCLUDED.request_fingerprint, state = 'in_progress',
           response_status = NULL, response_body = NULL, created_at = now(),
           expires_at = EXCLUDED.expires_at, lease_token = EXCLUDED.lease_token,
           locked_until = EXCLUDED.locked_until, attempt_id = NULL
         WHERE idempotency_keys.expires_at <= now()
         RETURNING key`,
        [...params, leaseToken, this.leaseSeconds],
      );
      if (fresh.length > 0) return claimed(null);
      // The same request again after the holder's lease ran out: the holder died or hung. The row
      // lock makes one retry the new holder; any other then sees a live lease and gets a 409.
      const [[takenOver]] = await this.dataSource.query<[{ attempt_id: string | null }[], number]>(
        `UPDATE idempotency_keys
            SET lease_token = $5, locked_until = now() + make_interval(secs => $6)
          WHERE ${SCOPE_MATCHES} AND request_fingerprint = $4 AND state = 'in_progress'
            AND locked_until <= now() AND expires_at > now()
          RETURNING attempt_id`,
        [...params, leaseToken, this.leaseSeconds],
      );
      if (takenOver) return claimed(takenOver.attempt_id);
      const [row] = await this.dataSource.query<KeyRow[]>(
        `SELECT state, request_fingerprint, response_status, response_body,
                ceil(extract(epoch FROM locked_until - now()))::int AS lease_seconds_left
           FROM idempotency_keys WHERE ${SCOPE_MATCHES} AND expires_at > now()`,
        params.slice(0, 3),
      );
      if (!row) continue;
      if (row.state === 'in_progress' && row.lease_seconds_left > 0) {
        throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyInUse, '', {
          'retry-after': String(row.lease_seconds_left),
        });
      }
      if (row.request_fingerprint !== fingerprint) {
        throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyReused);
      }
      // The lease ran out between the statements above: try to take the key over again.
      if (row.state === 'in_progress') continue;
      return {
        kind: 'replay',
        response: { status: row.response_status as number, body: row.response_body },
      };
    }
    throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyInUse);
  }

  /**
   * Ties the payment or refund this request is recording to its key, in the transaction that
   * records it: a retry that takes the key over later finds it. Throws 409 when the key has been
   * taken over already, so that transaction cannot commit a second attempt for one key.
   */
  async bind(manager: EntityManager, claim: IdempotencyClaim, attemptId: string): Promise<void> {
    const [, bound] = await manager.query<[unknown, number]>(
      `UPDATE idempotency_keys SET attempt_id = $5
        WHERE ${SCOPE_MATCHES} AND lease_token = $4 AND state = 'in_progress'`,
      [...scopeParams(claim), attemptId],
    );
    if (bound === 0) throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyInUse);
  }

  /** Keeps the final response of the request that holds the key, for replays. */
  async complete(claim: IdempotencyClaim, response: StoredResponse): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys SET state = 'completed', response_status = $5, response_body = $6
        WHERE ${SCOPE_MATCHES} AND lease_token = $4 AND state = 'in_progress'`,
      [...scopeParams(claim), response.status, JSON.stringify(response.body)],
    );
  }

  /**
   * Lets go of the key of a request that did not run to a final answer. With nothing recorded
   * the key is freed, so a retry runs afresh, even with another body. With a payment or refund
   * recorded the key stays tied to it and only the lease ends, so the next retry takes the key
   * over at once and settles that attempt instead of making another.
   */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys
        WHERE ${SCOPE_MATCHES} AND lease_token = $4 AND state = 'in_progress'
          AND attempt_id IS NULL`,
      scopeParams(claim),
    );
    await this.dataSource.query(
      `UPDATE idempotency_keys SET locked_until = now()
        WHERE ${SCOPE_MATCHES} AND lease_token = $4 AND state = 'in_progress'`,
      scopeParams(claim),
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

function scopeParams({ scope, leaseToken }: IdempotencyClaim): string[] {
  return [scope.actorType, scope.actorId, scope.key, leaseToken];
}
