import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

const statementNames = new Map<string, string>();

function nameOf(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `bastion_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * The pg pool TypeORM's postgres driver keeps (PostgreSQL and the embedded PGlite alike);
 * undefined before the data source is initialised.
 */
export function pgPoolOf(dataSource: DataSource): Pool | undefined {
  const driver = dataSource.driver;
  if (!(driver instanceof PostgresDriver)) {
    throw new Error(`Expected TypeORM's postgres driver, got ${dataSource.options.type}`);
  }
  return driver.master as Pool | undefined;
}

/**
 * Runs `text` as a named statement: PostgreSQL parses and plans it once per connection instead of
 * on every call, which on the hot paths costs more than running it. Use it for statements built
 * from a bounded set of texts: each distinct text is prepared on each pooled connection. With a
 * transaction's `manager`, it runs on that transaction's connection. A failure is TypeORM's
 * `QueryFailedError`, as from `manager.query`, so the same catch (a unique violation) serves both.
 */
export async function preparedQuery<Row extends QueryResultRow>(
  on: DataSource | EntityManager,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  const client = await clientOf(on);
  try {
    const { rows } = await client.query<Row>({ name: nameOf(text), text, values });
    return rows;
  } catch (error) {
    throw new QueryFailedError(text, values, error as Error);
  }
}

async function clientOf(on: DataSource | EntityManager): Promise<Pool | PoolClient> {
  const runner = on instanceof EntityManager ? on.queryRunner : undefined;
  // A transaction's runner holds its connection once the transaction has started.
  if (runner) return (await runner.connect()) as PoolClient;
  const pool = pgPoolOf(on instanceof EntityManager ? on.connection : on);
  if (!pool) throw new Error('preparedQuery: the data source is not initialised');
  return pool;
}
