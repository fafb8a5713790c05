import 'reflect-metadata';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import { DataSource } from 'typeorm';
import { createDataSource } from '@bastion/database';
import { AppConfig, loadAppConfig } from '../../config/app-config';
import { AuditEventsRepository } from '../audit-events.repository';
import { AuditActor, AuditWriter } from '../audit-writer.service';
import { AuditEvent } from '../entities/audit-event.entity';

export interface CliOutput {
  write(chunk: string): unknown;
}

export interface CliContext {
  config: AppConfig;
  dataSource: DataSource;
  /** Who ran the command, as the audit log records them. */
  actor: AuditActor;
}

export type CliOptions = Record<string, string | undefined> & { from?: string; to?: string };

/** Parses `--from`, `--to` (ISO 8601) and the command's own string options; refuses others. */
export function parseRangeOptions(
  argv: string[],
  extra: Record<string, { type: 'string'; default?: string }>,
): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, to: { type: 'string' }, ...extra },
    strict: true,
    allowPositionals: false,
  });
  const options = values as CliOptions;
  for (const name of ['from', 'to']) {
    const value = options[name];
    if (value !== undefined && Number.isNaN(Date.parse(value))) {
      throw new Error(`--${name} must be an ISO 8601 date-time, got "${value}"`);
    }
  }
  if (options.from && options.to && Date.parse(options.from) > Date.parse(options.to)) {
    throw new Error('--from must not be after --to');
  }
  return options;
}

/**
 * Runs an ops command against the configured database (DATABASE_URL, or the embedded one under
 * DATA_DIR, which must not be open in a running server), without the HTTP server.
 */
export async function withDatabase<T>(
  env: NodeJS.ProcessEnv,
  command: (context: CliContext) => Promise<T>,
): Promise<T> {
  loadDotenv({ quiet: true });
  const config = loadAppConfig(env);
  const dataSource = await createDataSource({
    url: config.database.url,
    dataDir: config.database.dataDir,
    entities: [AuditEvent],
  });
  await dataSource.initialize();
  try {
    return await command({
      config,
      dataSource,
      actor: { type: 'system', id: null, display: `cli:${userInfo().username}` },
    });
  } finally {
    await dataSource.destroy();
  }
}

/** The audit writer outside the Nest container, for the commands' own events. */
export function auditWriterOn(dataSource: DataSource): AuditWriter {
  return new AuditWriter(dataSource, new AuditEventsRepository(dataSource));
}

/** Exit code 2 and a one-line message for usage and configuration errors. */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
