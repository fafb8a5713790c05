import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { KeysetCursor, Keyset } from '@bastion/common';
import { preparedQuery, SqlParams } from '@bastion/database';
import { AuditEventRow, EVENT_COLUMNS } from './audit-event-row';
import { AuditEvent } from './entities/audit-event.entity';

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

/** An event as written: `seq`, the hashes and `occurred_at` come later or from the database. */
export type NewAuditEvent = Omit<AuditEvent, 'seq' | 'occurredAt' | 'hash' | 'prevHash'>;

const EVENT_INSERT_COLUMNS = `id, actor_type, actor_id, actor_display, action, resource_type,
  resource_id, outcome, request_id, ip, user_agent, changes, metadata`;

const NEWEST_FIRST = new Keyset('e.occurred_at', 'e.id', 'DESC');
const OLDEST_FIRST = new Keyset('e.occurred_at', 'e.id', 'ASC');

function conditions(filter: AuditEventFilter, params: SqlParams): string[] {
  const where: string[] = [];
  if (filter.actorId !== undefined) where.push(`e.actor_id = ${params.bind(filter.actorId)}`);
  if (filter.actionPrefix !== undefined) {
    // `_` is a LIKE wildcard; escaped, the pattern stays a plain prefix the index can serve.
    const pattern = `${filter.actionPrefix.replace(/_/g, '\\_')}%`;
    where.push(`e.action LIKE ${params.bind(pattern)}`);
  }
  if (filter.resourceType !== undefined) {
    where.push(`e.resource_type = ${params.bind(filter.resourceType)}`);
  }
  if (filter.resourceId !== undefined) {
    where.push(`e.resource_id = ${params.bind(filter.resourceId)}`);
  }
  if (filter.outcome !== undefined) where.push(`e.outcome = ${params.bind(filter.outcome)}`);
  if (filter.requestId !== undefined) {
    where.push(`e.request_id = ${params.bind(filter.requestId)}`);
  }
  if (filter.seq !== undefined) where.push(`e.seq = ${params.bind(filter.seq)}`);
  if (filter.from) where.push(`e.occurred_at >= CAST(${params.bind(filter.from)} AS timestamptz)`);
  if (filter.to) where.push(`e.occurred_at <= CAST(${params.bind(filter.to)} AS timestamptz)`);
  return where;
}

/**
 * The audit events table: inserts (the only writes the append-only trigger lets through, besides
 * sealing) and reads for people (filtered pages, one event, export batches).
 */
@Injectable()
export class AuditEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The INSERT of `event`, its values bound into `params` by column name. Also for a statement
   * that makes a change (in a WITH clause): the change then commits with its event and needs no
   * transaction around it.
   */
  insertSql(params: SqlParams, event: NewAuditEvent): string {
    return params.insert('audit_events', {
      id: event.id,
      actor_type: event.actorType,
      actor_id: event.actorId,
      actor_display: event.actorDisplay,
      action: event.action,
      resource_type: event.resourceType,
      resource_id: event.resourceId,
      outcome: event.outcome,
      request_id: event.requestId,
      ip: event.ip,
      user_agent: event.userAgent,
      changes: event.changes === null ? null : JSON.stringify(event.changes),
      metadata: JSON.stringify(event.metadata),
    });
  }

  /**
   * `insertSql` of an event written once for each row of `from` (none, one): for a statement whose
   * event depends on what an earlier part of it wrote. `metadataSql`, over `from`'s columns, is a
   * jsonb object merged into the event's metadata. With `occurredAfterSql` (an instant over
   * `from`'s columns), the event's time comes after it.
   */
  insertEachSql(
    params: SqlParams,
    event: NewAuditEvent,
    from: string,
    metadataSql: string,
    occurredAfterSql?: string,
  ): string {
    const values = [
      event.id,
      event.actorType,
      event.actorId,
      event.actorDisplay,
      event.action,
      event.resourceType,
      event.resourceId,
      event.outcome,
      event.requestId,
      event.ip,
      event.userAgent,
      event.changes === null ? null : JSON.stringify(event.changes),
    ].map((value) => params.bind(value));
    // Typed where text would not be assigned to the column: a SELECT's parameters are text.
    values[0] += '::uuid';
    values[11] += '::jsonb';
    const metadata = `${params.bind(JSON.stringify(event.metadata))}::jsonb || ${metadataSql}`;
    // Strictly after an event the same statement wrote: the database clock alone could tie them.
    const [column, value] = occurredAfterSql
      ? [
          ', occurred_at',
          `, GREATEST(clock_timestamp(), ${occurredAfterSql} + interval '1 microsecond')`,
        ]
      : ['', ''];
    return `INSERT INTO audit_events (${EVENT_INSERT_COLUMNS}${column})
      SELECT ${values.join(', ')}, ${metadata}${value} FROM ${from}`;
  }

  // Plain SQL: this insert is on every write path, and entity insert machinery costs more than it.
  async insert(manager: EntityManager, event: NewAuditEvent): Promise<void> {
    const params = new SqlParams();
    await preparedQuery(manager, this.insertSql(params, event), params.values);
  }

  /** Newest first, `limit` rows after `cursor`; each row carries its cursor key. */
  findNewestFirst(
    filter: AuditEventFilter,
    limit: number,
    cursor?: KeysetCursor,
  ): Promise<AuditEventPageRow[]> {
    return this.findPage(NEWEST_FIRST, filter, limit, cursor);
  }

  /** Oldest first, `limit` rows after `cursor`: the export's batches. */
  findOldestFirst(
    filter: AuditEventFilter,
    limit: number,
    cursor?: KeysetCursor,
  ): Promise<AuditEventPageRow[]> {
    return this.findPage(OLDEST_FIRST, filter, limit, cursor);
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

  private findPage(
    keyset: Keyset,
    filter: AuditEventFilter,
    limit: number,
    cursor?: KeysetCursor,
  ): Promise<AuditEventPageRow[]> {
    const params = new SqlParams();
    const where = conditions(filter, params);
    if (cursor) where.push(keyset.after(cursor, params.bind));
    return this.dataSource.query(
      `SELECT ${EVENT_COLUMNS}, ${keyset.keySql} AS cursor_key FROM audit_events e
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${keyset.orderBy} LIMIT ${Number(limit)}`,
      params.values,
    );
  }
}
