import { createHash } from 'node:crypto';

/** `prevHash` of the first event in the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an event's hash covers: every content column, its place (`seq`) and its predecessor. */
export interface ChainedEvent {
  id: string;
  seq: number;
  /** ISO 8601 UTC with microseconds, exactly as stored. */
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  actorDisplay: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  outcome: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes: unknown;
  metadata: unknown;
  prevHash: string;
}

/**
 * JSON with object keys sorted at every depth and no insignificant whitespace, so the same
 * content always serializes to the same bytes, whoever wrote it and whatever order its keys had.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
}

export function eventHash(event: ChainedEvent): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}
