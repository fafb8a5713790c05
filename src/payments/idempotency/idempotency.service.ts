import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SqlParams } from '@bastion/database';
import { AppConfig } from '../../config/app-config';
import { PaymentsErrorCode, PaymentsException } from '../payments.exception';
import { IdempotencyRepository, IdempotencyScope } from './idempotency.repository';

export type { IdempotencyScope } from './idempotency.repository';

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
  /** The request's fingerprint (method, URL, body), which a retry with this key must match. */
  fingerprint: string;
  /**
   * Whether the request holds the key yet. A route that claims it in its handler's first statement
   * (`@Idempotent({ claimInHandler: true })`) starts without: `insertFreshSql` takes a key never
   * used, and `claimTaken` any other.
   */
  held: boolean;
  /**
   * Whether the handler kept its final answer itself, in the statement that recorded its outcome
   * (`completeSql`): the interceptor then has nothing left to store.
   */
  completed: boolean;
}

/**
 * Thrown by a handler that claims its key itself when the key holds a final answer already: the
 * interceptor replays it, as it does for a claim it makes before the handler.
 */
export class StoredReplay extends Error {
  constructor(readonly response: StoredResponse) {
    super('Replay of a stored response');
  }
}

export type ClaimOutcome =
  { kind: 'claimed'; claim: IdempotencyClaim } | { kind: 'replay'; response: StoredResponse };

/** A key may be taken again once its row was released or expired; a few tries cover both races. */
const CLAIM_ATTEMPTS = 3;

/**
 * Stripe's idempotency semantics, kept in PostgreSQL so they hold across instances and restarts.
 * A running request holds its key under a lease (`IDEMPOTENCY_LEASE_SECONDS`), so a key whose
 * request died with its process is not stuck until it expires.
 */
@Injectable()
export class IdempotencyService {
  private readonly leaseSeconds: number;

  constructor(
    private readonly keys: IdempotencyRepository,
    config: AppConfig,
  ) {
    this.leaseSeconds = config.payments.idempotencyLeaseSeconds;
  }

  /**
   * Claims the key for this request, or answers with the response to replay; throws 409 while
   * another request holds the key and 422 when the key came with another request.
   */
  async claim(
    scope: IdempotencyScope,
    fingerprint: string,
    leaseToken: string = randomUUID(),
  ): Promise<ClaimOutcome> {
    const claimed = (attemptId: string | null): ClaimOutcome => ({
      kind: 'claimed',
      claim: { scope, leaseToken, attemptId, fingerprint, held: true, completed: false },
    });
    const hold = { scope, leaseToken };
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      if (await this.keys.insertOrTakeExpired(hold, fingerprint, this.leaseSeconds)) {
        return claimed(null);
      }
      // The same request again after the holder's lease ran out: the holder died or hung.
      const takenOver = await this.keys.takeOverLapsedLease(hold, fingerprint, this.leaseSeconds);
      if (takenOver) return claimed(takenOver.attemptId);
      const row = await this.keys.findLive(scope);
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

  /** A claim of the key still to be made, by the handler (`@Idempotent({ claimInHandler: true })`). */
  unclaimed(scope: IdempotencyScope, fingerprint: string): IdempotencyClaim {
    return {
      scope,
      leaseToken: randomUUID(),
      attemptId: null,
      fingerprint,
      held: false,
      completed: false,
    };
  }

  /**
   * The claim of a key never used, as one statement of the larger one that records the request's
   * attempt (`attemptIdSql`, no row when it records none): it returns a row when it took the key;
   * see `IdempotencyRepository.insertFreshSql`.
   */
  claimFreshSql(params: SqlParams, claim: IdempotencyClaim, attemptIdSql: string): string {
    return this.keys.insertFreshSql(
      params,
      claim,
      claim.fingerprint,
      this.leaseSeconds,
      attemptIdSql,
    );
  }

  /**
   * `claim` for a handler whose statement found its key in the table: the claim is held after it
   * (taken over from a request cut short when `attemptId` is set), or it throws the 409 or 422, or
   * `StoredReplay` with the answer to replay.
   */
  async claimTaken(claim: IdempotencyClaim): Promise<void> {
    const outcome = await this.claim(claim.scope, claim.fingerprint, claim.leaseToken);
    if (outcome.kind === 'replay') throw new StoredReplay(outcome.response);
    claim.attemptId = outcome.claim.attemptId;
    claim.held = true;
  }

  /**
   * Ties the payment or refund this request is recording to its key, in the transaction that
   * records it: a retry that takes the key over later finds it. Throws 409 when the key has been
   * taken over already, so that transaction cannot commit a second attempt for one key.
   */
  async bind(manager: EntityManager, claim: IdempotencyClaim, attemptId: string): Promise<void> {
    if (!(await this.keys.bindAttempt(manager, claim, attemptId))) {
      throw new PaymentsException(PaymentsErrorCode.IdempotencyKeyInUse);
    }
  }

  /**
   * `bind` as one statement of the larger one that records the attempt: it returns a row when it
   * tied the attempt to the key. None means the key was taken over, and the caller must then
   * roll back what it recorded with it, as `bind`'s 409 does.
   */
  bindSql(params: SqlParams, claim: IdempotencyClaim, attemptId: string): string {
    return this.keys.bindAttemptSql(params, claim, attemptId);
  }

  /**
   * `complete` as one statement of the larger one that records the request's outcome, for the
   * row of `from` (none: nothing is kept), the body being `bodySql` (jsonb over `from`'s columns).
   * The caller marks the claim `completed` once that statement ran.
   */
  completeSql(
    params: SqlParams,
    claim: IdempotencyClaim,
    status: number,
    from: string,
    bodySql: string,
  ): string {
    return this.keys.completeEachSql(params, claim, status, from, bodySql);
  }

  /** Keeps the final response of the request that holds the key, for replays. */
  async complete(claim: IdempotencyClaim, response: StoredResponse): Promise<void> {
    await this.keys.complete(claim, response.status, response.body);
  }

  /**
   * Lets go of the key of a request that did not run to a final answer. With nothing recorded
   * the key is freed, so a retry runs afresh, even with another body. With a payment or refund
   * recorded the key stays tied to it and only the lease ends, so the next retry takes the key
   * over at once and settles that attempt instead of making another.
   */
  release(claim: IdempotencyClaim): Promise<void> {
    return this.keys.release(claim);
  }

  /** Deletes expired keys; returns how many. */
  purgeExpired(): Promise<number> {
    return this.keys.purgeExpired();
  }
}
