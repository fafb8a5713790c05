// The benchmark's own databases on the DATABASE_URL server, dropped and created on every run.
import pg from 'pg';

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function recreateDatabase(adminUrl, name) {
  if (!NAME.test(name)) throw new Error(`Refusing a database name like "${name}"`);
  await withClient(adminUrl, async (client) => {
    // FORCE ends the connections of a previous run that crashed before closing them.
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
}

export async function dropDatabase(adminUrl, name) {
  await withClient(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  );
}

/**
 * Vacuums and analyzes every table of the database: fresh planner statistics, and the dead rows and
 * visibility of the writes just made dealt with now, so autovacuum does not take them on in the
 * middle of the next measurement (seen: a list round at a third of its speed while it did).
 */
export async function vacuumAnalyze(url) {
  await withClient(url, (client) => client.query('VACUUM ANALYZE'));
}
