import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KeysetCursor } from '@bastion/common';
import { AuditEventRow, EVENT_COLUMNS, OCCURRED_AT_TEXT } from './audit-event-row';

export interface AuditEventFilter {
  actorId?: string;
  /** Prefix of the action, e.g. `order.`; only `[a-z_.]`. */
  actionPrefix?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: string;
  requestId?: string;
  seq?: number;
  /** ISO 8601, microseconds kept. */
  from?: string;
  to?: string;
}

export type AuditEventPageRow = AuditEventRow & { cursor_key: string };

/** SQL conditions over `audit_events e` with their positional parameters. */
class Conditions {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(sql: (placeholder: (value: unknown) => string) => string): void {
    this.clauses.push(
      sql((value) => {
        this.params.push(value);
        return `$${this.params.length}`;
      }),
    );
  }

  static of(filter: AuditEventFilter): Conditions {
    const where = new Conditions();
    if (filter.actorId !== undefined) where.add((p) => `e.actor_id = ${p(filter.actorId)}`);
    if (filter.actionPrefix !== undefined) {
      // `_` is a LIKE wildcard; escaped, the pattern stays a plain prefix the index can serve.
      const pattern = `${filter.actionPrefix.replace(/_/g, '\\_')}%`;
      where.add((p) => `e.action LIKE ${p(pattern)}`);
    }
    if (filter.resourceType !== undefined) {
      where.add((p) => `e.resource_type = ${p(filter.resourceType)}`);
    }
    if (filter.resourceId !== undefined) {
      where.add((p) => `e.resource_id = ${p(filter.resourceId)}`);
    }
    if (filter.outcome !== undefined) where.add((p) => `e.outcome = ${p(filter.outcome)}`);
    if (filter.requestId !== undefined) {
      where.add((p) => `e.request_id = ${p(filter.requestId)}`);
    }
    if (filter.seq !== undefined) where.add((p) => `e.seq = ${p(filter.seq)}`);
    if (filter.from) where.add((p) => `e.occurred_at >= CAST(${p(filter.from)} AS timestamptz)`);
    if (filter.to) where.add((p) => `e.occurred_at <= CAST(${p(filter.to)} AS timestamptz)`);
    return where;
  }

  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

/** Reads of the audit log for people: filtered pages, one event, export batches. */
@Injectable()
export class AuditEventStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Newest first, `limit` rows after `cursor`; each row carries its cursor key. */
  findNewestFirst(
    filter: AuditEventFilter,
    limit: number,
    cursor?: KeysetCursor,
  ): Promise<AuditEventPageRow[]> {
    const where = Conditions.of(filter);
    if (cursor) {
      where.add(
        (p) =>
          `(e.occurred_at, e.id) < (CAST(${p(cursor.key)} AS timestamptz), CAST(${p(cursor.id)} AS uuid))`,
      );
    }
    return this.dataSource.query(
      `SELECT ${EVENT_COLUMNS}, ${OCCURRED_AT_TEXT} AS cursor_key FROM audit_events e ${where.sql}
        ORDER BY e.occurred_at DESC, e.id DESC LIMIT ${Number(limit)}`,
      where.params,
    );
  }

  /** Oldest first, `limit` rows after `cursor`: the export's batches. */
  findOldestFirst(
    filter: AuditEventFilter,
    limit: number,
    cursor?: KeysetCursor,
  ): Promise<AuditEventPageRow[]> {
    const where = Conditions.of(filter);
    if (cursor) {
      where.add(
        (p) =>
          `(e.occurred_at, e.id) > (CAST(${p(cursor.key)} AS timestamptz), CAST(${p(cursor.id)} AS uuid))`,
      );
    }
    return this.dataSource.query(
      `SELECT ${EVENT_COLUMNS}, ${OCCURRED_AT_TEXT} AS cursor_key FROM audit_events e ${where.sql}
        ORDER BY e.occurred_at, e.id LIMIT ${Number(limit)}`,
      where.params,
    );
  }

  async findById(id: string): Promise<AuditEventRow | null> {
    const rows: AuditEventRow[] = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM audit_events e WHERE e.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Whether any of these events is committed (a rolled-back transaction takes its events along). */
  async anyCommitted(ids: readonly string[]): Promise<boolean> {
    if (ids.length === 0) return false;
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM audit_events WHERE id = ANY($1::uuid[]) LIMIT 1`,
      [ids],
    );
    return rows.length > 0;
  }
}
