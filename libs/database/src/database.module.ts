import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdvisoryLock } from './advisory-locks';
import { createDataSource, DatabaseConnectionOptions, isEmbedded } from './data-source';

/** Applies pending migrations; on shared PostgreSQL, under an advisory lock. */
export async function applyMigrations(dataSource: DataSource): Promise<void> {
  if (isEmbedded(dataSource)) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [AdvisoryLock.Migrations]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock($1)', [AdvisoryLock.Migrations]);
    await lockHolder.release();
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(options: Omit<DatabaseConnectionOptions, 'entities'>): DynamicModule {
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
            await applyMigrations(dataSource);
            return dataSource;
          },
        }),
      ],
    };
  }
}
