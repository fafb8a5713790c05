import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery, SqlParams } from '@bastion/database';

/** Keys are scoped to the actor: two callers may use the same key without meeting. */
export interface IdempotencyScope {
  actorType: string;
  actorId: string;
  key: string;
}

/** A request's hold on a key: its scope and the lease token that fences its writes. */
export interface KeyHold {
  scope: IdempotencyScope;
  leaseToken: string;
}

export interface KeyRow {
  state: 'in_progress' | 'completed';
  request_fingerprint: string;
  response_status: number | null;
  response_body: unknown;
  lease_seconds_left: number;
}

const SCOPE_MATCHES = 'actor_type = $1 AND actor_id = $2 AND key = $3';

function scopeParams({ actorType, actorId, key }: IdempotencyScope): string[] {
  return [actorType, actorId, key];
}

function holdParams({ scope, leaseToken }: KeyHold): string[] {
  return [...scopeParams(scope), leaseToken];
}

/** The holder's fence, its placeholders bound into `params`. */
function heldBy(params: SqlParams, { scope, leaseToken }: KeyHold): string {
  return `actor_type = ${params.bind(scope.actorType)} AND actor_id = ${params.bind(scope.actorId)}
      AND key = ${params.bind(scope.key)} AND lease_token = ${params.bind(leaseToken)}
      AND state = 'in_progress'`;
}

// Prepared: the claim and the completion run on every payment and refund.
const INSERT_OR_TAKE_EXPIRED = `INSERT INTO idempotency_keys (actor_type, actor_id, key, lease_token,
                                 request_fingerprint, state, locked_until, expires_at)
   VALUES ($1, $2, $3, $4, $5, 'in_progress',
           now() + make_interval(secs => $6), now() + interval '24 hours')
   ON CONFLICT (actor_type, actor_id, key) DO UPDATE SET
     request_fingerprint = EXCLUDED.request_fingerprint, state = 'in_progress',
     response_status = NULL, response_body = NULL, created_at = now(),
     expires_at = EXCLUDED.expires_at, lease_token = EXCLUDED.lease_token,
     locked_until = EXCLUDED.locked_until, attempt_id = NULL
   WHERE idempotency_keys.expires_at <= now()
   RETURNING key`;
const COMPLETE = `UPDATE idempotency_keys SET state = 'completed', response_status = $5, response_body = $6
    WHERE ${SCOPE_MATCHES} AND lease_token = $4 AND state = 'in_progress'`;

/**
 * The idempotency keys table. Every statement runs on its own, outside the request's business
 * transactions, except the binding of an attempt; leases run on the database clock, one for every
 * instance.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Takes the key for a new request: a key never used, or expired (taken over in the same
   * statement, so expiry needs no purge to be exact). False when a live row holds it.
   */
  async insertOrTakeExpired(
    hold: KeyHold,
    fingerprint: string,
    leaseSeconds: number,
  ): Promise<boolean> {
    const rows = await preparedQuery(this.dataSource, INSERT_OR_TAKE_EXPIRED, [
      ...holdParams(hold),
      fingerprint,
      leaseSeconds,
    ]);
    return rows.length > 0;
  }

  /**
   * The INSERT of a key never used, for its first request, as one statement of the larger one that
   * also records what the request does (a WITH clause), its values bound into `params`;
   * `attemptIdSql` is the attempt recorded with it (no row: none). It returns a row when it took
   * the key; none when the key was in the table (live or expired), and the caller then claims it
   * as `insertOrTakeExpired` and the rest do.
   */
  insertFreshSql(
    params: SqlParams,
    hold: KeyHold,
    fingerprint: string,
    leaseSeconds: number,
    attemptIdSql: string,
  ): string {
    const { scope, leaseToken } = hold;
    return `INSERT INTO idempotency_keys (actor_type, actor_id, key, lease_token,
        request_fingerprint, state, locked_until, expires_at, attempt_id)
      SELECT ${params.bind(scope.actorType)}, ${params.bind(scope.actorId)},
        ${params.bind(scope.key)}, ${params.bind(leaseToken)}::uuid, ${params.bind(fingerprint)},
        'in_progress', now() + make_interval(secs => ${params.bind(leaseSeconds)}),
        now() + interval '24 hours', (${attemptIdSql})
      ON CONFLICT (actor_type, actor_id, key) DO NOTHING RETURNING 1`;
  }

  /**
   * Takes over a live key for the same request whose holder's lease ran out; returns the attempt
   * the holder recorded (or null), or undefined when there was nothing to take over. The row lock
   * makes one caller the new holder.
   */
  async takeOverLapsedLease(
    hold: KeyHold,
    fingerprint: string,
    leaseSeconds: number,
  ): Promise<{ attemptId: string | null } | undefined> {
    const [[row]] = await this.dataSource.query<[{ attempt_id: string | null }[], number]>(
      `UPDATE idempotency_keys
          SET lease_token = $4, locked_until = now() + make_interval(secs => $6)
        WHERE ${SCOPE_MATCHES} AND request_fingerprint = $5 AND state = 'in_progress'
          AND locked_until <= now() AND expires_at > now()
        RETURNING attempt_id`,
      [...holdParams(hold), fingerprint, leaseSeconds],
    );
    return row ? { attemptId: row.attempt_id } : undefined;
  }

  async findLive(scope: IdempotencyScope): Promise<KeyRow | undefined> {
    const [row] = await this.dataSource.query<KeyRow[]>(
      `SELECT state, request_fingerprint, response_status, response_body,
              ceil(extract(epoch FROM locked_until - now()))::int AS lease_seconds_left
         FROM idempotency_keys WHERE ${SCOPE_MATCHES} AND expires_at > now()`,
      scopeParams(scope),
    );
    return row;
  }

  /** Ties the attempt to the key while `hold` still holds it; false when it no longer does. */
  async bindAttempt(manager: EntityManager, hold: KeyHold, attemptId: string): Promise<boolean> {
    const params = new SqlParams();
    const rows = await preparedQuery(
      manager,
      this.bindAttemptSql(params, hold, attemptId),
      params.values,
    );
    return rows.length > 0;
  }

  /**
   * `bindAttempt` as one statement of a larger one (a WITH clause), its values bound into
   * `params`: it returns a row when it tied the attempt to the key, none when `hold` no longer
   * holds it.
   */
  bindAttemptSql(params: SqlParams, hold: KeyHold, attemptId: string): string {
    return `UPDATE idempotency_keys SET attempt_id = ${params.bind(attemptId)}
        WHERE ${heldBy(params, hold)} RETURNING 1`;
  }

  /**
   * `complete` as one statement of a larger one (a WITH clause), for each row of `from` (one or
   * none), with `bodySql` (a jsonb value over `from`'s columns) as the stored body.
   */
  completeEachSql(
    params: SqlParams,
    hold: KeyHold,
    status: number,
    from: string,
    bodySql: string,
  ): string {
    return `UPDATE idempotency_keys SET state = 'completed',
        response_status = ${params.bind(status)}, response_body = ${bodySql}
      FROM ${from} WHERE ${heldBy(params, hold)}`;
  }

  async complete(hold: KeyHold, status: number, body: unknown): Promise<void> {
    await preparedQuery(this.dataSource, COMPLETE, [
      ...holdParams(hold),
      status,
      JSON.stringify(body),
    ]);
  }

  /** Frees a key with no attempt tied to it; a key with one keeps it and only its lease ends. */
  async release(hold: KeyHold): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys
        WHERE ${SCOPE_MATCHES} AND lease_token = $4 AND state = 'in_progress'
          AND attempt_id IS NULL`,
      holdParams(hold),
    );
    await this.dataSource.query(
      `UPDATE idempotency_keys SET locked_until = now()
        WHERE ${SCOPE_MATCHES} AND lease_token = $4 AND state = 'in_progress'`,
      holdParams(hold),
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
