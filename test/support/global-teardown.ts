import { rm } from 'node:fs/promises';
import { templateDatabase, withAdminClient } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const base = process.env.DATABASE_URL;
  if (base) {
    await withAdminClient(base, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${templateDatabase()} WITH (FORCE)`),
    );
  } else if (process.env.BASTION_TEST_SEED_FILE) {
    await rm(process.env.BASTION_TEST_SEED_FILE, { force: true });
  }
}
