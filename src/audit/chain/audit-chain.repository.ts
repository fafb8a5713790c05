import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AdvisoryLock } from '@bastion/database';
import { AuditEventRow, EVENT_COLUMNS } from '../audit-event-row';
import { Checkpoint } from './checkpoint-signer';

/** Bounds on `occurred_at`, both included: ISO 8601 text, microseconds kept. */
export interface TimeRange {
  from?: string;
  to?: string;
}

export interface ChainLink {
  seq: number;
  hash: string;
}

export interface Seal extends ChainLink {
  id: string;
  prevHash: string;
}

interface CheckpointRow {
  seq: string;
  hash: string;
  signed_at: string;
  key_id: string;
  signature: string;
}

const CHECKPOINT_COLUMNS = `seq, hash, key_id, signature,
  to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS signed_at`;

function checkpointOf(row: CheckpointRow): Checkpoint {
  return {
    seq: Number(row.seq),
    hash: row.hash,
    signedAt: row.signed_at,
    keyId: row.key_id,
    signature: row.signature,
  };
}

/**
 * The hash chain: the sealed columns of `audit_events` and the `audit_checkpoints` table. Every
 * method takes the manager to run on: the sealer's transaction (it holds the advisory lock and, on
 * PGlite, the only connection) or a plain one.
 */
@Injectable()
export class AuditChainRepository {
  async tryLockSealer(manager: EntityManager): Promise<boolean> {
    const [row] = await manager.query<{ locked: boolean }[]>(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [AdvisoryLock.AuditSealer],
    );
    return row.locked;
  }

  async lockSealer(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [AdvisoryLock.AuditSealer]);
  }

  /** Committed, unsealed events written at least `settleMs` ago, oldest first. */
  unsealed(manager: EntityManager, settleMs: number, limit: number): Promise<AuditEventRow[]> {
    return manager.query(
      `SELECT ${EVENT_COLUMNS} FROM audit_events e
        WHERE e.seq IS NULL AND e.occurred_at <= clock_timestamp() - $1 * interval '1 millisecond'
        ORDER BY e.occurred_at, e.id LIMIT $2`,
      [settleMs, limit],
    );
  }

  async head(manager: EntityManager): Promise<ChainLink | null> {
    const rows: { seq: string; hash: string }[] = await manager.query(
      'SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1',
    );
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : null;
  }

  /** One statement for the whole batch; the append-only trigger checks each row. */
  async assignSeals(manager: EntityManager, seals: Seal[]): Promise<void> {
    await manager.query(
      `UPDATE audit_events e SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[]) AS s(id, seq, prev_hash, hash)
        WHERE e.id = s.id AND e.seq IS NULL`,
      [
        seals.map((seal) => seal.id),
        seals.map((seal) => seal.seq),
        seals.map((seal) => seal.prevHash),
        seals.map((seal) => seal.hash),
      ],
    );
  }

  async latestCheckpoint(manager: EntityManager): Promise<{ seq: number; signedAt: Date } | null> {
    const rows: { seq: string; signed_at: Date }[] = await manager.query(
      'SELECT seq, signed_at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1',
    );
    return rows[0] ? { seq: Number(rows[0].seq), signedAt: rows[0].signed_at } : null;
  }

  async insertCheckpoint(manager: EntityManager, checkpoint: Checkpoint): Promise<void> {
    await manager.query(
      `INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature)
       VALUES ($1, $2, $3, $4, $5)`,
      [
        checkpoint.seq,
        checkpoint.hash,
        checkpoint.signedAt,
        checkpoint.keyId,
        checkpoint.signature,
      ],
    );
  }

  /** Lowest and highest `seq` of sealed events in the time window. */
  async sealedBounds(
    manager: EntityManager,
    range: TimeRange,
  ): Promise<{ first: number; last: number } | null> {
    const [row] = await manager.query<{ first: string | null; last: string | null }[]>(
      `SELECT min(seq) AS first, max(seq) AS last FROM audit_events
        WHERE seq IS NOT NULL
          AND ($1::timestamptz IS NULL OR occurred_at >= $1)
          AND ($2::timestamptz IS NULL OR occurred_at <= $2)`,
      [range.from ?? null, range.to ?? null],
    );
    return row.first === null || row.last === null
      ? null
      : { first: Number(row.first), last: Number(row.last) };
  }

  async hashAt(manager: EntityManager, seq: number): Promise<string | null> {
    const rows: { hash: string }[] = await manager.query(
      'SELECT hash FROM audit_events WHERE seq = $1',
      [seq],
    );
    return rows[0]?.hash ?? null;
  }

  /** Sealed events with `from <= seq <= to`, in chain order, at most `limit`. */
  sealedBetween(
    manager: EntityManager,
    from: number,
    to: number,
    limit: number,
  ): Promise<AuditEventRow[]> {
    return manager.query(
      `SELECT ${EVENT_COLUMNS} FROM audit_events e
        WHERE e.seq BETWEEN $1 AND $2 ORDER BY e.seq LIMIT $3`,
      [from, to, limit],
    );
  }

  async checkpointsBetween(
    manager: EntityManager,
    from: number,
    to: number,
  ): Promise<Checkpoint[]> {
    const rows: CheckpointRow[] = await manager.query(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq BETWEEN $1 AND $2 ORDER BY seq`,
      [from, to],
    );
    return rows.map(checkpointOf);
  }

  /** At most `limit` checkpoints below `beforeSeq` (null: from the newest), newest first. */
  async checkpointsNewestFirst(
    manager: EntityManager,
    limit: number,
    beforeSeq: number | null,
  ): Promise<Checkpoint[]> {
    const rows: CheckpointRow[] = await manager.query(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints
        WHERE $1::bigint IS NULL OR seq < $1 ORDER BY seq DESC LIMIT $2`,
      [beforeSeq, limit],
    );
    return rows.map(checkpointOf);
  }

  async firstCheckpointAfter(manager: EntityManager, seq: number): Promise<number | null> {
    const [row] = await manager.query<{ seq: string | null }[]>(
      'SELECT min(seq) AS seq FROM audit_checkpoints WHERE seq > $1',
      [seq],
    );
    return row.seq === null ? null : Number(row.seq);
  }
}
