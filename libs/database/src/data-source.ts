import type { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { DataSource, DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from './snake-naming.strategy';
import { EmbeddedPostgres, openEmbeddedPostgres } from './embedded-postgres';
import { migrations } from '../../../migrations';

export interface DatabaseConnectionOptions {
  url?: string;
  dataDir: string;
  /** A dumped, migrated PGlite data directory to start an in-memory database from (tests). */
  embeddedSeed?: Blob;
  entities?: DataSourceOptions['entities'];
  poolSize?: number;
}

const common = {
  type: 'postgres' as const,
  synchronize: false,
  migrationsRun: false,
  migrations,
  migrationsTransactionMode: 'each' as const,
  namingStrategy: new SnakeNamingStrategy(),
};

/**
 * A TypeORM data source on PostgreSQL when a URL is given, otherwise on embedded PGlite through
 * its node-postgres adapter with a pool of one (the only mode measured not to lose writes).
 */
export async function createDataSource(options: DatabaseConnectionOptions): Promise<DataSource> {
  if (options.url) {
    return new DataSource({
      ...common,
      url: options.url,
      entities: options.entities ?? [],
      poolSize: options.poolSize ?? 10,
      extra: { connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 },
    });
  }
  const embedded: EmbeddedPostgres = await openEmbeddedPostgres(
    options.dataDir,
    options.embeddedSeed,
  );
  const dataSource = createEmbeddedDataSource(embedded.pglite, options.entities);
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    await destroy();
    await embedded.close();
  };
  return dataSource;
}

/** A data source over an open PGlite instance; the caller owns the instance. */
export function createEmbeddedDataSource(
  pglite: PGlite,
  entities: DataSourceOptions['entities'] = [],
): DataSource {
  return new DataSource({
    ...common,
    entities,
    poolSize: 1,
    extra: { ...createPgConfig(pglite), max: 1 },
  });
}

export function isEmbedded(dataSource: DataSource): boolean {
  return !(dataSource.options as { url?: string }).url;
}
