import type { Api } from './api';
import type { AuditEvent, Page, Verification } from './types';

/** Enough steps for progress to move, few enough that each one's `audit.verified` stays noise-free. */
const SLICES = 10;

export interface VerifyProgress {
  done: number;
  total: number;
  /** The highest seq checked so far. */
  throughSeq: number | null;
}

export async function eventAtSeq(api: Api, seq: number): Promise<AuditEvent | null> {
  const page = await api.json<Page<AuditEvent>>(`/v1/audit-events?seq=${seq}&limit=1`);
  return page.data[0] ?? null;
}

function verifyPath(from?: string, to?: string): string {
  const params = new URLSearchParams();
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  const query = params.toString();
  return `/v1/audit-events/verify${query ? `?${query}` : ''}`;
}

/**
 * Time windows covering `from`..`to`, ends included, so that together they cover every event. The
 * first has no lower bound when the caller gave none, and the last no upper bound: verify then
 * also checks that the chain starts at seq 1 and that nothing was cut off its end.
 */
function slices(start: number, end: number, from?: string, to?: string) {
  const step = (end - start) / SLICES;
  return Array.from({ length: SLICES }, (_unused, index) => ({
    from: index === 0 ? from : new Date(start + step * index).toISOString(),
    to: index === SLICES - 1 ? to : new Date(start + step * (index + 1)).toISOString(),
  }));
}

/**
 * Verifies the chain over a window in time slices, each slice linked to the one before by verify
 * itself (it checks the first event's link to its predecessor), and stops at the first break.
 * Where the window's start cannot be found (no event at seq 1, or no audit:read), it is one step.
 */
export async function verifyInSlices(
  api: Api,
  range: { from?: string; to?: string },
  canRead: boolean,
  onProgress: (progress: VerifyProgress) => void,
): Promise<Verification> {
  let start = range.from ? new Date(range.from).getTime() : null;
  if (start === null && canRead) {
    const first = await eventAtSeq(api, 1).catch(() => null);
    start = first ? new Date(first.occurredAt).getTime() : null;
  }
  const end = range.to ? new Date(range.to).getTime() : Date.now();
  const windows =
    start !== null && end > start ? slices(start, end, range.from, range.to) : [range];
  const total: Verification = { valid: true, checked: 0, firstSeq: null, lastSeq: null };
  onProgress({ done: 0, total: windows.length, throughSeq: null });
  for (const [index, window] of windows.entries()) {
    const result = await api.json<Verification>(verifyPath(window.from, window.to));
    total.checked += result.checked;
    if (result.firstSeq !== null) {
      total.firstSeq = Math.min(total.firstSeq ?? result.firstSeq, result.firstSeq);
    }
    if (result.lastSeq !== null) total.lastSeq = Math.max(total.lastSeq ?? 0, result.lastSeq);
    if (result.anchoredThrough !== undefined) {
      total.anchoredThrough = Math.max(total.anchoredThrough ?? 0, result.anchoredThrough);
    }
    onProgress({ done: index + 1, total: windows.length, throughSeq: total.lastSeq });
    if (!result.valid) return { ...total, valid: false, brokenAtSeq: result.brokenAtSeq };
  }
  return total;
}
