import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AuditEventsRepository } from '../audit-events.repository';
import { AuditExportFormat } from '../dto/list-audit-events-query.dto';
import { exportStream } from '../export/audit-export';
import { auditWriterOn, parseRangeOptions, withDatabase } from './cli-support';

const FORMATS = Object.values(AuditExportFormat) as string[];

/**
 * `npm run audit:export -- --from <iso> --to <iso> [--format ndjson|csv] [--out <file>]`:
 * streams the events of the window, oldest first, to stdout or a file, in constant memory.
 * The export is itself recorded.
 */
export async function exportCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  stdout: Writable,
): Promise<void> {
  const options = parseRangeOptions(argv, {
    format: { type: 'string', default: AuditExportFormat.Ndjson },
    out: { type: 'string' },
  });
  const format = options.format as AuditExportFormat;
  if (!FORMATS.includes(format)) {
    throw new Error(`--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
  }
  await withDatabase(env, async ({ dataSource, actor }) => {
    await auditWriterOn(dataSource).recordAlone({
      action: 'audit.exported',
      resource: { type: 'audit_log', id: null },
      actor,
      metadata: { format, from: options.from ?? null, to: options.to ?? null, via: 'cli' },
    });
    const range = { from: options.from, to: options.to };
    const target = options.out ? createWriteStream(options.out) : stdout;
    await pipeline(exportStream(new AuditEventsRepository(dataSource), format, range), target, {
      end: Boolean(options.out),
    });
  });
}
