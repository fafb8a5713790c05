import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { resolve } from 'node:path';
import { createDataSource } from './data-source';

loadDotenv({ quiet: true });

// Used by the TypeORM CLI (`npm run migration:*`): PostgreSQL as the owner role
// (MIGRATION_DATABASE_URL, else DATABASE_URL), else PGlite.
export default createDataSource({
  url: process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL || undefined,
  dataDir: resolve(process.env.DATA_DIR || './data'),
  entities: [resolve(__dirname, '../../../src/**/*.entity.js')],
});
