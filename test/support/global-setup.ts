import { writeFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { DataSource } from 'typeorm';
import {
  applyMigrations,
  createDataSource,
  createEmbeddedDataSource,
} from '../../libs/database/src';
import {
  databaseUrl,
  EMBEDDED_SEED_FILE,
  SEED_FILE_ENV,
  TEMPLATE_DATABASE_ENV,
  templateDatabase,
  withAdminClient,
} from './test-database';

async function migrate(dataSource: DataSource): Promise<void> {
  await dataSource.initialize();
  await applyMigrations(dataSource);
  await dataSource.destroy();
}

/** Migrates one template database for the whole run; each test file clones it. */
export default async function globalSetup(): Promise<void> {
  const base = process.env.DATABASE_URL;
  if (base) {
    const template = templateDatabase();
    process.env[TEMPLATE_DATABASE_ENV] = template;
    await withAdminClient(base, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${template}`);
    });
    await migrate(await createDataSource({ url: databaseUrl(base, template), dataDir: '' }));
    return;
  }
  const pglite = await PGlite.create('memory://');
  await migrate(createEmbeddedDataSource(pglite));
  const dump = await pglite.dumpDataDir('none');
  await writeFile(EMBEDDED_SEED_FILE, Buffer.from(await dump.arrayBuffer()));
  await pglite.close();
  process.env[SEED_FILE_ENV] = EMBEDDED_SEED_FILE;
}
