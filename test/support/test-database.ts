import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

// Named per run (global setup exports it to the test files) so that concurrent runs do not collide.
export const TEMPLATE_DATABASE_ENV = 'BASTION_TEST_TEMPLATE';
export const EMBEDDED_SEED_FILE = join(tmpdir(), `bastion-test-seed-${process.pid}.tar`);
export const SEED_FILE_ENV = 'BASTION_TEST_SEED_FILE';

export function templateDatabase(): string {
  return process.env[TEMPLATE_DATABASE_ENV] ?? `bastion_test_template_${process.pid}`;
}

export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(
  base: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: databaseUrl(base, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of its own for one test file: cloned from the migrated template, or PGlite from its dump. */
export interface TestDatabase {
  url?: string;
  embeddedSeed?: Blob;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const seed = new Blob([await readFile(process.env[SEED_FILE_ENV] as string)]);
    return { embeddedSeed: seed, drop: async () => {} };
  }
  const name = `bastion_test_${randomUUID().replace(/-/g, '')}`;
  await withAdminClient(base, (client) =>
    client.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase()}`),
  );
  return {
    url: databaseUrl(base, name),
    drop: () =>
      withAdminClient(base, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}
