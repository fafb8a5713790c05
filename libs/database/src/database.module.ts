import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdvisoryLock } from './advisory-locks';
import { createDataSource, DatabaseConnectionOptions, isEmbedded } from './data-source';
import { grantRuntimePrivileges } from './runtime-role';

/**
 * Applies pending migrations; on shared PostgreSQL, under an advisory lock, followed (still under
 * it) by `afterwards`, so that concurrent starts do not grant while another migrates.
 */
export async function applyMigrations(
  dataSource: DataSource,
  afterwards?: () => Promise<void>,
): Promise<void> {
  if (isEmbedded(dataSource)) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [AdvisoryLock.Migrations]);
    await dataSource.runMigrations({ transaction: 'each' });
    await afterwards?.();
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock($1)', [AdvisoryLock.Migrations]);
    await lockHolder.release();
  }
}

/**
 * Two roles: the owner in `migrationUrl` applies migrations and grants the runtime role (the
 * one `runtime` is connected as) what it needs, then disconnects; the server runs as the runtime
 * role only.
 */
async function migrateAsOwner(migrationUrl: string, runtime: DataSource): Promise<void> {
  const [{ role }] = await runtime.query<{ role: string }[]>('SELECT current_user AS role');
  const owner = await createDataSource({ url: migrationUrl, dataDir: '', poolSize: 2 });
  await owner.initialize();
  try {
    await applyMigrations(owner, () => grantRuntimePrivileges(owner, role));
  } finally {
    await owner.destroy();
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(
    options: Omit<DatabaseConnectionOptions, 'entities'> & { migrationUrl?: string },
  ): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres', autoLoadEntities: true }),
          dataSourceFactory: async (typeOrmOptions) => {
            const dataSource = await createDataSource({
              ...options,
              entities: typeOrmOptions?.entities,
            });
            await dataSource.initialize();
            if (options.migrationUrl) await migrateAsOwner(options.migrationUrl, dataSource);
            else await applyMigrations(dataSource);
            return dataSource;
          },
        }),
      ],
    };
  }
}
