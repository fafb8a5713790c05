const numbers = new Intl.NumberFormat('en-US');

export function formatNumber(value: number): string {
  return numbers.format(value);
}

/** `2026-12-04 22:48:03.123`: UTC, to the millisecond, for a dense table. */
export function formatTime(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/(\.\d{3})\d*/, '$1')
    .replace(/Z$/, '');
}

/** The value of a `datetime-local` input, read as UTC, as the API's ISO 8601. */
export function isoFromInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(`${value}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** An ISO instant shown in a `datetime-local` input, in UTC. */
export function inputFromIso(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 19);
}

export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

export function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KB`;
  return `${(count / 1024 / 1024).toFixed(1)} MB`;
}
