import { useEffect, useRef, useState } from 'preact/hooks';
import { Api, ApiError } from '../api';
import { exportEvents, ExportFormat } from '../export';
import { bytes, formatNumber, formatTime, shortId } from '../format';
import { Link } from '../link';
import { apiFilters, Filters, hrefOf } from '../route';
import type { AuditEvent, Page } from '../types';
import { FilterBar } from './filter-bar';
import { OutcomeBadge } from './outcome-badge';

const PAGE_SIZE = 50;
const LIVE_INTERVAL_MS = 5_000;
/**
 * An event's time is taken when it is written, but it shows up when its transaction commits, a
 * moment later: the live tail looks back this far past the newest event it has, so a late
 * commit is not skipped.
 */
const LIVE_LOOKBACK_MS = 30_000;

interface ListState {
  key: string;
  events: AuditEvent[];
  nextCursor: string | null;
}

/** The last list shown, so that coming back from an event shows the same rows, not page one. */
let remembered: ListState | null = null;
let lastListHref: string | null = null;

export function listHref(): string {
  return lastListHref ?? hrefOf({ view: 'events', filters: {} });
}

function newestFirst(a: AuditEvent, b: AuditEvent): number {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt < b.occurredAt ? 1 : -1;
  return a.id < b.id ? 1 : -1;
}

function pagePath(filters: Record<string, string>, cursor?: string, limit = PAGE_SIZE): string {
  const params = new URLSearchParams({ ...filters, limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  return `/v1/audit-events?${params.toString()}`;
}

function actorLabel(event: AuditEvent): string {
  return event.actor.display ?? event.actor.id ?? event.actor.type;
}

function EventRow({ event, fresh }: { event: AuditEvent; fresh: boolean }) {
  const { actor, resource } = event;
  return (
    <tr class={fresh ? 'fresh' : undefined}>
      <td class="mono nowrap">{formatTime(event.occurredAt)}</td>
      <td class="num">{event.seq === null ? '–' : formatNumber(event.seq)}</td>
      <td>
        <Link href={hrefOf({ view: 'event', id: event.id })} class="action-link">
          {event.action}
        </Link>
      </td>
      <td>
        <OutcomeBadge outcome={event.outcome} />
      </td>
      <td class="truncate">
        {actor.id ? (
          <Link
            href={hrefOf({ view: 'events', filters: { actorId: actor.id } })}
            title={`Events by ${actor.type} ${actor.id}`}
          >
            {actorLabel(event)}
          </Link>
        ) : (
          <span class="muted">{actorLabel(event)}</span>
        )}
      </td>
      <td class="truncate">
        {resource.id ? (
          <Link
            href={hrefOf({
              view: 'events',
              filters: { resourceType: resource.type, resourceId: resource.id },
            })}
            title={`Events of ${resource.type} ${resource.id}`}
          >
            <span class="muted">{resource.type}</span> {resource.id}
          </Link>
        ) : (
          <span class="muted">{resource.type}</span>
        )}
      </td>
      <td class="mono muted" title={event.requestId ?? undefined}>
        {event.requestId ? shortId(event.requestId) : '–'}
      </td>
    </tr>
  );
}

function ExportButtons(props: { api: Api; filters: Record<string, string>; allowed: boolean }) {
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(format: ExportFormat) {
    setBusy(true);
    setStatus('Exporting…');
    try {
      const result = await exportEvents(props.api, format, props.filters, (total) =>
        setStatus(`Exporting… ${bytes(total)}`),
      );
      setStatus(result.saved ? `Saved ${result.file} (${bytes(result.bytes)})` : null);
    } catch (error) {
      setStatus(`Export failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  }

  if (!props.allowed) {
    return <span class="muted small">Export needs the audit:export permission.</span>;
  }
  return (
    <div class="export">
      <span class="small muted" role="status">
        {status}
      </span>
      <button type="button" disabled={busy} onClick={() => void run('csv')}>
        Export CSV
      </button>
      <button type="button" disabled={busy} onClick={() => void run('ndjson')}>
        Export NDJSON
      </button>
    </div>
  );
}

export function EventsView(props: { api: Api; filters: Filters; canExport: boolean }) {
  const key = JSON.stringify(props.filters);
  const [list, setList] = useState<ListState | null>(remembered?.key === key ? remembered : null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [live, setLive] = useState(false);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [liveNote, setLiveNote] = useState('');
  const listRef = useRef(list);
  listRef.current = list;
  const canTail = !props.filters.to;

  useEffect(() => {
    document.title = 'Events · Bastion ops console';
    lastListHref = location.pathname + location.search;
  }, [key]);

  useEffect(() => {
    if (list?.key === key) return;
    const abort = new AbortController();
    setList(null);
    setError(null);
    props.api
      .fetch(pagePath(apiFilters(props.filters)), { signal: abort.signal })
      .then((response) => response.json() as Promise<Page<AuditEvent>>)
      .then((page) => setList({ key, events: page.data, nextCursor: page.nextCursor }))
      .catch((failure: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(failure));
      });
    return () => abort.abort();
  }, [key]);

  useEffect(() => {
    remembered = list;
  }, [list]);

  useEffect(() => {
    if (!live || !canTail) return;
    const timer = window.setInterval(() => {
      const current = listRef.current;
      if (!current || current.key !== key) return;
      const filters = apiFilters(props.filters);
      const newest = current.events[0]?.occurredAt;
      if (newest) {
        const since = new Date(new Date(newest).getTime() - LIVE_LOOKBACK_MS).toISOString();
        if (!filters.from || since > filters.from) filters.from = since;
      }
      void props.api
        .json<Page<AuditEvent>>(pagePath(filters, undefined, 100))
        .then((page) => {
          const latest = listRef.current;
          if (!latest || latest.key !== key) return;
          const known = new Set(latest.events.map((event) => event.id));
          const added = page.data.filter((event) => !known.has(event.id));
          if (added.length === 0) return;
          setFresh(new Set(added.map((event) => event.id)));
          setLiveNote(`${added.length} new ${added.length === 1 ? 'event' : 'events'}`);
          setList({ ...latest, events: [...added, ...latest.events].sort(newestFirst) });
        })
        .catch(() => undefined);
    }, LIVE_INTERVAL_MS);
    return () => window.clearInterval(timer);
  }, [live, canTail, key]);

  async function loadMore() {
    if (!list?.nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await props.api.json<Page<AuditEvent>>(
        pagePath(apiFilters(props.filters), list.nextCursor),
      );
      setList({ key, events: [...list.events, ...page.data], nextCursor: page.nextCursor });
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <>
      <div class="page-head">
        <h1>Audit events</h1>
        <p class="muted small">Newest first · times in UTC</p>
      </div>
      <FilterBar filters={props.filters} />
      <section class="panel results" aria-labelledby="results-title">
        <div class="toolbar">
          <h2 id="results-title" class="small-title">
            {list
              ? `${formatNumber(list.events.length)}${list.nextCursor ? '+' : ''} events`
              : 'Events'}
          </h2>
          <label class="check" title={canTail ? undefined : 'Not with an end time in the filter'}>
            <input
              type="checkbox"
              checked={live && canTail}
              disabled={!canTail}
              onChange={(event) => setLive(event.currentTarget.checked)}
            />
            Live tail
          </label>
          <span class="small muted" role="status" aria-live="polite">
            {live && canTail ? liveNote || 'Watching for new events…' : ''}
          </span>
          <div class="spacer" />
          <ExportButtons
            api={props.api}
            filters={apiFilters(props.filters)}
            allowed={props.canExport}
          />
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {!list && !error && (
          <p class="loading" role="status">
            Loading events…
          </p>
        )}
        {list && list.events.length === 0 && <p class="empty">No event matches these filters.</p>}
        {list && list.events.length > 0 && (
          <div class="table-wrap">
            <table class="events">
              <caption class="visually-hidden">Audit events, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time (UTC)</th>
                  <th scope="col" class="num">
                    Seq
                  </th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Request</th>
                </tr>
              </thead>
              <tbody>
                {list.events.map((event) => (
                  <EventRow key={event.id} event={event} fresh={fresh.has(event.id)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list?.nextCursor && (
          <div class="more">
            <button type="button" disabled={loadingMore} onClick={() => void loadMore()}>
              {loadingMore ? 'Loading…' : `Load ${PAGE_SIZE} more`}
            </button>
          </div>
        )}
      </section>
    </>
  );
}

export function messageOf(failure: unknown): string {
  if (failure instanceof ApiError) {
    if (failure.problem?.errors?.length) {
      return failure.problem.errors.map((error) => `${error.field} ${error.message}`).join('; ');
    }
    return failure.message;
  }
  return 'The server cannot be reached.';
}
