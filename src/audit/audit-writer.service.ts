import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { RequestContext, requestContext } from '@bastion/common';
import { SqlParams } from '@bastion/database';
import { AuditEventsRepository, NewAuditEvent } from './audit-events.repository';
import { AuditActorType, AuditOutcome } from './entities/audit-event.entity';
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
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: AuditEventsRepository,
  ) {}

  async record(manager: EntityManager, record: AuditRecord): Promise<void> {
    await this.events.insert(manager, this.toRow(record));
  }

  /** For events with no business change around them (denials, failed logins). */
  async recordAlone(record: AuditRecord): Promise<void> {
    await this.events.insert(this.dataSource.manager, this.toRow(record));
  }

  /**
   * The event's INSERT, its values bound into `params`, for a statement that makes a change and
   * records it at once (a WITH clause): atomic without a transaction of its own.
   */
  insertSql(params: SqlParams, record: AuditRecord): string {
    return this.events.insertSql(params, this.toRow(record));
  }

  /**
   * `insertSql` of an event written once for each row of `from` (a WITH clause of the same
   * statement, holding one row or none), with `metadataSql` (a jsonb object over `from`'s
   * columns) merged into `record`'s metadata: values the statement itself works out; with
   * `occurredAfterSql`, an instant the event must come after (an earlier event of the statement).
   */
  insertEachSql(
    params: SqlParams,
    record: AuditRecord,
    from: string,
    metadataSql: string,
    occurredAfterSql?: string,
  ): string {
    return this.events.insertEachSql(
      params,
      this.toRow(record),
      from,
      metadataSql,
      occurredAfterSql,
    );
  }

  private toRow(record: AuditRecord): NewAuditEvent {
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
