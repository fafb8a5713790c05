import type { AuditEvent } from '../types';

type Change = 'added' | 'removed' | 'changed' | 'same';

function show(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function changeOf(before: unknown, after: unknown, inBefore: boolean, inAfter: boolean): Change {
  if (!inBefore) return 'added';
  if (!inAfter) return 'removed';
  return JSON.stringify(before) === JSON.stringify(after) ? 'same' : 'changed';
}

const LABELS: Record<Change, string> = {
  added: 'added',
  removed: 'removed',
  changed: 'changed',
  same: 'unchanged',
};

/** Before and after, field by field: what was removed, what was added, what stayed. */
export function ChangesDiff({ changes }: { changes: NonNullable<AuditEvent['changes']> }) {
  const before = changes.before ?? {};
  const after = changes.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  if (fields.length === 0) return <p class="muted">No field changed.</p>;
  return (
    <div class="table-wrap">
      <table class="diff">
        <caption class="visually-hidden">Changes, field by field</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((field) => {
            const inBefore = field in before;
            const inAfter = field in after;
            const change = changeOf(before[field], after[field], inBefore, inAfter);
            return (
              <tr key={field} class={`diff-${change}`}>
                <th scope="row">
                  <span class="mono">{field}</span>
                  <span class="diff-label">{LABELS[change]}</span>
                </th>
                <td>
                  {inBefore && (
                    <pre class={change === 'same' ? undefined : 'old'}>
                      {change !== 'same' && <span class="visually-hidden">Before: </span>}
                      {show(before[field])}
                    </pre>
                  )}
                </td>
                <td>
                  {inAfter && (
                    <pre class={change === 'same' ? undefined : 'new'}>
                      {change !== 'same' && <span class="visually-hidden">After: </span>}
                      {show(after[field])}
                    </pre>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
