/** Every view's state lives in the URL, so that a link can be shared and back and forward work. */

export const BASE = '/console';

export const FILTER_KEYS = [
  'actorId',
  'action',
  'resourceType',
  'resourceId',
  'requestId',
  'outcome',
  'from',
  'to',
] as const;

export type FilterKey = (typeof FILTER_KEYS)[number];

export const QUICK_RANGES = {
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
} as const;

export type QuickRange = keyof typeof QUICK_RANGES;

/** A quick range is kept as such in the URL: a shared "last hour" means the last hour when opened. */
export type Filters = Partial<Record<FilterKey, string>> & { range?: QuickRange };

export type Route =
  | { view: 'events'; filters: Filters }
  | { view: 'event'; id: string }
  | { view: 'integrity'; from?: string; to?: string };

function isQuickRange(value: string | null): value is QuickRange {
  return value !== null && value in QUICK_RANGES;
}

export function filtersOf(params: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  const range = params.get('range');
  if (isQuickRange(range)) {
    filters.range = range;
    delete filters.from;
    delete filters.to;
  }
  return filters;
}

export function parseRoute(location: { pathname: string; search: string }): Route {
  const params = new URLSearchParams(location.search);
  const path = location.pathname.replace(/\/+$/, '');
  const event = /^\/console\/events\/([0-9a-f-]{36})$/i.exec(path);
  if (event) return { view: 'event', id: event[1] };
  if (path === `${BASE}/integrity`) {
    return {
      view: 'integrity',
      from: params.get('from') ?? undefined,
      to: params.get('to') ?? undefined,
    };
  }
  return { view: 'events', filters: filtersOf(params) };
}

function query(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'events':
      return `${BASE}${query(route.filters)}`;
    case 'event':
      return `${BASE}/events/${route.id}`;
    case 'integrity':
      return `${BASE}/integrity${query({ from: route.from, to: route.to })}`;
  }
}

/** The list's query parameters for these filters, a quick range turned into `from` as of `now`. */
export function apiFilters(filters: Filters, now = Date.now()): Record<string, string> {
  const result: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) result[key] = value;
  }
  if (filters.range) result.from = new Date(now - QUICK_RANGES[filters.range].ms).toISOString();
  return result;
}

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
