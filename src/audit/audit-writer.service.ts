import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { RequestContext, requestContext } from '@bastion/common';
import { preparedQuery } from '@bastion/database';
import { AuditActorType, AuditEvent, AuditOutcome } from './entities/audit-event.entity';
import { redact } from './redaction';

export interface AuditActor {
  type: AuditActorType;
  id: string | null;
  display: string | null;
}

export interface AuditRecord {
  /** `<resource>.<past-tense verb>`, e.g. `user.created`. */
  action: string;
  resource: { type: string; id?: string | null };
  outcome?: AuditOutcome;
  changes?: { before: object | null; after: object | null };
  metadata?: Record<string, unknown>;
  /** Defaults to the authenticated caller of the current request, else anonymous. */
  actor?: AuditActor;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, display: 'system' };

type AuditEventRow = Omit<AuditEvent, 'seq' | 'occurredAt' | 'hash' | 'prevHash'>;

const EVENT_COLUMNS = [
  'id',
  'actor_type',
  'actor_id',
  'actor_display',
  'action',
  'resource_type',
  'resource_id',
  'outcome',
  'request_id',
  'ip',
  'user_agent',
  'changes',
  'metadata',
];

/**
 * One event as an INSERT whose values (`AuditWriter.eventValues`) are the parameters from
 * `$<firstParameter>` on. Also for the statement that makes a change (in a WITH clause): a write
 * done in one statement then commits with its event and needs no transaction around it.
 */
export function auditEventInsertSql(firstParameter: number): string {
  const parameters = EVENT_COLUMNS.map((_column, index) => `$${firstParameter + index}`);
  return `INSERT INTO audit_events (${EVENT_COLUMNS.join(', ')}) VALUES (${parameters.join(', ')})`;
}

const INSERT_EVENT = auditEventInsertSql(1);

const writtenInRequest = new WeakMap<RequestContext, string[]>();

/**
 * Ids of the events written while serving this request, committed or not: the denial recorder
 * checks which of them committed before deciding the request still needs an event of its own.
 */
export function eventIdsWrittenIn(context: RequestContext): readonly string[] {
  return writtenInRequest.get(context) ?? [];
}

/**
 * The only way to write audit events. Business code passes its transaction's manager so the
 * change and its event commit together or not at all. Events are written unsealed: the sealer
 * chains them moments after they commit, so no business transaction waits on the chain.
 */
@Injectable()
export class AuditWriter {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(manager: EntityManager, record: AuditRecord): Promise<void> {
    await this.insert(manager, record);
  }

  /** For events with no business change around them (denials, failed logins). */
  async recordAlone(record: AuditRecord): Promise<void> {
    await this.insert(this.dataSource.manager, record);
  }

  /** The values of `auditEventInsertSql`'s parameters, in order, for this event. */
  eventValues(record: AuditRecord): unknown[] {
    const row = this.toRow(record);
    return [
      row.id,
      row.actorType,
      row.actorId,
      row.actorDisplay,
      row.action,
      row.resourceType,
      row.resourceId,
      row.outcome,
      row.requestId,
      row.ip,
      row.userAgent,
      row.changes === null ? null : JSON.stringify(row.changes),
      JSON.stringify(row.metadata),
    ];
  }

  // Plain SQL: this insert is on every write path, and entity insert machinery costs more than it.
  private async insert(manager: EntityManager, record: AuditRecord): Promise<void> {
    await preparedQuery(manager, INSERT_EVENT, this.eventValues(record));
  }

  private toRow(record: AuditRecord): AuditEventRow {
    const context = requestContext.current();
    const actor: AuditActor =
      record.actor ??
      (context?.actor
        ? { type: context.actor.type, id: context.actor.id, display: context.actor.display }
        : { type: 'anonymous', id: null, display: null });
    const id = randomUUID();
    if (context) writtenInRequest.set(context, [...eventIdsWrittenIn(context), id]);
    // occurred_at is left to the database clock (microseconds, one clock for every instance).
    return {
      id,
      actorType: actor.type,
      actorId: actor.id,
      actorDisplay: actor.display,
      action: record.action,
      resourceType: record.resource.type,
      resourceId: record.resource.id ?? null,
      outcome: record.outcome ?? 'success',
      requestId: context?.requestId ?? null,
      ip: context?.ip ?? null,
      userAgent: context?.userAgent?.slice(0, 512) ?? null,
      changes: record.changes
        ? {
            before: redact(record.changes.before) as object | null,
            after: redact(record.changes.after) as object | null,
          }
        : null,
      metadata: redact(record.metadata ?? {}) as object,
    };
  }
}
