import { useEffect, useState } from 'preact/hooks';
import { inputFromIso, isoFromInput } from '../format';
import { BASE, Filters, hrefOf, navigate, QUICK_RANGES, QuickRange } from '../route';

const TEXT_FIELDS = [
  { key: 'actorId', label: 'Actor id', placeholder: 'user or API key id' },
  { key: 'action', label: 'Action prefix', placeholder: 'order. or auth.' },
  { key: 'resourceType', label: 'Resource type', placeholder: 'order, user, route…' },
  { key: 'resourceId', label: 'Resource id', placeholder: 'id' },
  { key: 'requestId', label: 'Request id', placeholder: 'X-Request-Id' },
] as const;

function go(filters: Filters) {
  navigate(hrefOf({ view: 'events', filters }));
}

/** Every filter of the list; applying one puts it in the URL, which the results follow. */
export function FilterBar({ filters }: { filters: Filters }) {
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filters), [filters]);

  const set = (key: keyof Filters, value: string | undefined) =>
    setDraft((current) => ({ ...current, [key]: value || undefined }));

  const setTime = (key: 'from' | 'to', value: string) =>
    setDraft((current) => ({ ...current, range: undefined, [key]: isoFromInput(value) }));

  const quick = (range: QuickRange | undefined) =>
    go({ ...draft, from: undefined, to: undefined, range });

  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
        go(draft);
      }}
    >
      <div class="filter-grid">
        {TEXT_FIELDS.map((field) => (
          <div class="field" key={field.key}>
            <label for={`filter-${field.key}`}>{field.label}</label>
            <input
              id={`filter-${field.key}`}
              name={field.key}
              type="search"
              autoComplete="off"
              spellcheck={false}
              placeholder={field.placeholder}
              value={draft[field.key] ?? ''}
              onInput={(event) => set(field.key, event.currentTarget.value.trim())}
            />
          </div>
        ))}
        <div class="field">
          <label for="filter-outcome">Outcome</label>
          <select
            id="filter-outcome"
            name="outcome"
            value={draft.outcome ?? ''}
            onChange={(event) => set('outcome', event.currentTarget.value)}
          >
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="denied">Denied</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-from">From (UTC)</label>
          <input
            id="filter-from"
            name="from"
            type="datetime-local"
            step={1}
            value={inputFromIso(draft.from)}
            onChange={(event) => setTime('from', event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="filter-to">To (UTC)</label>
          <input
            id="filter-to"
            name="to"
            type="datetime-local"
            step={1}
            value={inputFromIso(draft.to)}
            onChange={(event) => setTime('to', event.currentTarget.value)}
          />
        </div>
      </div>
      <div class="filter-actions">
        <div class="segmented" role="group" aria-label="Time range">
          {(Object.keys(QUICK_RANGES) as QuickRange[]).map((range) => (
            <button
              type="button"
              key={range}
              aria-pressed={filters.range === range}
              onClick={() => quick(range)}
            >
              {QUICK_RANGES[range].label}
            </button>
          ))}
          <button
            type="button"
            aria-pressed={!filters.range && !filters.from && !filters.to}
            onClick={() => quick(undefined)}
          >
            All time
          </button>
        </div>
        <div class="spacer" />
        <button type="button" class="quiet" onClick={() => navigate(BASE)}>
          Clear
        </button>
        <button type="submit" class="primary">
          Apply filters
        </button>
      </div>
    </form>
  );
}
