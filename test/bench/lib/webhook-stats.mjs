// Figures of the webhook bench: delivery latencies from what the receiver recorded, the retry
// schedule from Bastion's own backoff (the built dist/), and the Markdown tables.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { REPO_ROOT } from './settings.mjs';

const require = createRequire(import.meta.url);
const { retryDelayMs, RETRY_WINDOW_MS } = require(
  resolve(REPO_ROOT, 'dist/src/webhooks/backoff.js'),
);

/** WEBHOOK_RETRY_BASE_MS's default (src/config/environment.ts); the bench does not set it. */
export const RETRY_BASE_MS = 5000;

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? null,
  };
}

/**
 * Latency per event from the first 2xx arrival at the receiver, against the `occurredAt` the
 * payload carries (the audit event's `occurred_at`: the database's clock_timestamp() in the
 * create's one statement, just before its commit; millisecond precision). `expected`: the order
 * ids created while the endpoint existed; `dispatched`: event id → when the dispatcher made its
 * delivery row (webhook_deliveries.created_at, ms).
 */
export function deliveryStats(accepted, expected, dispatched, loadEndedAt) {
  const first = new Map();
  for (const delivery of accepted) {
    if (!first.has(delivery.id)) first.set(delivery.id, delivery);
  }
  const events = [...first.values()];
  const orders = new Set(events.filter((e) => e.type === 'order.created').map((e) => e.objectId));
  const missing = expected.filter((id) => !orders.has(id)).length;
  const lastArrival = Math.max(...events.map((e) => e.arrivedAt));
  const toDispatch = [];
  const fromDispatch = [];
  for (const e of events) {
    const at = dispatched.get(e.id);
    if (at === undefined) continue;
    toDispatch.push(at - e.occurredAt);
    fromDispatch.push(e.arrivedAt - at);
  }
  const afterLoad = events.filter((e) => e.arrivedAt > loadEndedAt).length;
  const drainMs = events.length ? lastArrival - loadEndedAt : null;
  return {
    expected: expected.length,
    distinct: events.length,
    duplicates: accepted.length - events.length,
    missing,
    latencyMs: spread(events.map((e) => e.arrivedAt - e.occurredAt)),
    commitToDispatchMs: spread(toDispatch),
    dispatchToArrivalMs: spread(fromDispatch),
    drainMs,
    /** Still to arrive when the load ended, and how fast they came then (the server otherwise idle). */
    owedAtLoadEnd: afterLoad,
    drainPerSecond: drainMs > 0 ? Math.round((afterLoad * 1000) / drainMs) : null,
  };
}

/** Attempts made within `seconds` of an event's first attempt, `random` fixing the jitter. */
export function attemptsWithin(seconds, random) {
  let at = 0;
  let attempts = 1;
  for (;;) {
    at += retryDelayMs(RETRY_BASE_MS, attempts, random) / 1000;
    if (at > seconds) return attempts;
    attempts += 1;
  }
}

/**
 * The retry schedule as the code makes it: attempts in the first hour (earliest, mean and latest
 * jitter) and over the retry window; and the attempts an outage of one hour asks for in total
 * when events arrive at `perSecond` (each second's events retried for what is left of the hour).
 */
export function retrySchedule(perSecond) {
  const jitters = { earliest: () => 0, mean: () => 0.5, latest: () => 1 };
  const inHour = Object.fromEntries(
    Object.entries(jitters).map(([name, random]) => [name, attemptsWithin(3600, random)]),
  );
  let hourAttempts = 0;
  for (let second = 0; second < 3600; second += 1) {
    hourAttempts += attemptsWithin(3600 - second, jitters.mean);
  }
  return {
    baseMs: RETRY_BASE_MS,
    retryWindowHours: RETRY_WINDOW_MS / 3600000,
    attemptsInFirstHour: inHour,
    attemptsInRetryWindow: attemptsWithin(RETRY_WINDOW_MS / 1000, jitters.mean),
    attemptsPerEventCreatedDuringTheHour: Math.round((hourAttempts / 3600) * 10) / 10,
    attemptsAskedForByOneHour: Math.round(hourAttempts * perSecond),
  };
}

export const table = (header, rows) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

export const ms = (s) => (s.p50 === null ? '–' : `${s.p50} / ${s.p99} / ${s.max}`);
