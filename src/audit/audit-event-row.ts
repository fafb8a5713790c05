import { timestampCursorSql } from '@bastion/common';
import { ChainedEvent } from './chain/event-hash';
import { AuditChanges } from './entities/audit-event.entity';

/**
 * An audit event as read for the API, export and the chain. `occurred_at` is text with
 * microseconds: a JavaScript Date would drop them, breaking keyset cursors and hashes.
 */
export interface AuditEventRow {
  id: string;
  seq: string | null;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  actor_display: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  changes: AuditChanges | null;
  metadata: object;
  hash: string | null;
  prev_hash: string | null;
}

const OCCURRED_AT_TEXT = timestampCursorSql('e.occurred_at');

/** The select list producing an `AuditEventRow` from `audit_events e`. */
export const EVENT_COLUMNS = `e.id, e.seq, ${OCCURRED_AT_TEXT} AS occurred_at, e.actor_type,
  e.actor_id, e.actor_display, e.action, e.resource_type, e.resource_id, e.outcome, e.request_id,
  e.ip, e.user_agent, e.changes, e.metadata, e.hash, e.prev_hash`;

/** What the hash of `row` covers once it sits at `seq` after `prevHash`. */
export function chainedEventOf(row: AuditEventRow, seq: number, prevHash: string): ChainedEvent {
  return {
    id: row.id,
    seq,
    occurredAt: row.occurred_at,
    actorType: row.actor_type,
    actorId: row.actor_id,
    actorDisplay: row.actor_display,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    outcome: row.outcome,
    requestId: row.request_id,
    ip: row.ip,
    userAgent: row.user_agent,
    changes: row.changes,
    metadata: row.metadata,
    prevHash,
  };
}
