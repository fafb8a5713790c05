/**
 * SQL for `column` (a timestamptz) as the API writes instants, in `Date#toISOString`'s format
 * (UTC, milliseconds, `Z`): PostgreSQL writes the text, so Node neither parses nor re-formats it.
 */
export function isoTimestampSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
