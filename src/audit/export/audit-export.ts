import { Readable } from 'node:stream';
import {
  AuditEventFilter,
  AuditEventPageRow,
  AuditEventsRepository,
} from '../audit-events.repository';
import { AuditEventDto, toAuditEventDto } from '../dto/audit-event.dto';
import { AuditExportFormat } from '../dto/list-audit-events-query.dto';

const BATCH_SIZE = 1000;

export const EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  [AuditExportFormat.Ndjson]: 'application/x-ndjson',
  [AuditExportFormat.Csv]: 'text/csv; charset=utf-8',
};

type CsvValue = string | number | null | undefined;

const CSV_COLUMNS: [header: string, value: (event: AuditEventDto) => CsvValue][] = [
  ['id', (event) => event.id],
  ['seq', (event) => event.seq],
  ['occurredAt', (event) => event.occurredAt],
  ['actorType', (event) => event.actor.type],
  ['actorId', (event) => event.actor.id],
  ['actorDisplay', (event) => event.actor.display],
  ['action', (event) => event.action],
  ['resourceType', (event) => event.resource.type],
  ['resourceId', (event) => event.resource.id],
  ['outcome', (event) => event.outcome],
  ['requestId', (event) => event.requestId],
  ['ip', (event) => event.ip],
  ['userAgent', (event) => event.userAgent],
  ['changes', (event) => (event.changes ? JSON.stringify(event.changes) : null)],
  ['metadata', (event) => JSON.stringify(event.metadata)],
  ['hash', (event) => event.hash],
  ['prevHash', (event) => event.prevHash],
];

/** What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes. Text that
 * a spreadsheet would run (a User-Agent of `=HYPERLINK(…)`) is prefixed with `'`, which makes
 * it plain text. Numbers are written as they are: they are values, never formulas.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(fields: CsvValue[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function formatEvent(format: AuditExportFormat, event: AuditEventDto): string {
  return format === AuditExportFormat.Csv
    ? csvLine(CSV_COLUMNS.map(([, value]) => value(event)))
    : `${JSON.stringify(event)}\n`;
}

async function* exportChunks(
  store: AuditEventsRepository,
  format: AuditExportFormat,
  filter: AuditEventFilter,
): AsyncGenerator<string> {
  if (format === AuditExportFormat.Csv) yield csvLine(CSV_COLUMNS.map(([header]) => header));
  let last: AuditEventPageRow | undefined;
  do {
    const rows = await store.findOldestFirst(
      filter,
      BATCH_SIZE,
      last ? { key: last.cursor_key, id: last.id } : undefined,
    );
    if (rows.length === 0) return;
    yield rows.map((row) => formatEvent(format, toAuditEventDto(row))).join('');
    last = rows.length === BATCH_SIZE ? rows[rows.length - 1] : undefined;
  } while (last);
}

/**
 * The events of the window, oldest first, one keyset batch at a time: a batch is read only when
 * the consumer has taken the previous one, so memory stays flat whatever the table's size.
 */
export function exportStream(
  store: AuditEventsRepository,
  format: AuditExportFormat,
  filter: AuditEventFilter,
): Readable {
  return Readable.from(exportChunks(store, format, filter), { highWaterMark: 1 });
}
