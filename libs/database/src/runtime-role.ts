import { DataSource, EntityManager } from 'typeorm';

/**
 * Tables the runtime role may only append to and read. The sealer's UPDATE of an event's seal
 * columns is the one change it may make there, and the append-only trigger allows it once.
 */
const APPEND_ONLY_TABLES = ['audit_events', 'audit_checkpoints'];
const SEAL_COLUMNS = ['seq', 'hash', 'prev_hash'];
/** The migrations' own bookkeeping belongs to the owner alone. */
const OWNER_ONLY_TABLES = ['migrations'];

async function currentRole(manager: EntityManager): Promise<string> {
  const [row] = await manager.query<{ role: string }[]>('SELECT current_user AS role');
  return row.role;
}

/**
 * As the owner, after migrations: grants the runtime role exactly what the server needs. Read and
 * write on business tables, append and read on the audit tables, the seal columns, nothing on
 * the migrations table. It owns nothing, so it cannot alter a table or disable a trigger.
 * Idempotent; run after every migration so that new tables are covered.
 */
export async function grantRuntimePrivileges(
  owner: DataSource,
  runtimeRole: string,
): Promise<void> {
  if (runtimeRole === (await currentRole(owner.manager))) return;
  const role = owner.driver.escape(runtimeRole);
  const quoted = (tables: string[]) => tables.map((table) => owner.driver.escape(table)).join(', ');
  await owner.transaction(async (manager) => {
    await manager.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await manager.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`,
    );
    await manager.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await manager.query(
      `REVOKE ALL ON ${quoted([...APPEND_ONLY_TABLES, ...OWNER_ONLY_TABLES])} FROM ${role}`,
    );
    await manager.query(`GRANT SELECT, INSERT ON ${quoted(APPEND_ONLY_TABLES)} TO ${role}`);
    await manager.query(`GRANT UPDATE (${SEAL_COLUMNS.join(', ')}) ON audit_events TO ${role}`);
  });
}

/**
 * Why the audit log is only as safe as the server's own database role, if it is: a superuser, or
 * a member of the role that owns the audit tables, can disable their triggers and rewrite them.
 * Empty when the runtime role holds no more than `grantRuntimePrivileges` gives it.
 */
export async function auditLogExposure(manager: EntityManager): Promise<string[]> {
  const [row] = await manager.query<{ role: string; superuser: boolean; owns: string[] }[]>(
    `SELECT current_user AS role,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            coalesce(array_agg(c.relname::text ORDER BY c.relname)
                       FILTER (WHERE pg_has_role(current_user, c.relowner, 'MEMBER')), '{}') AS owns
       FROM pg_class c
      WHERE c.relname = ANY($1) AND c.relnamespace = 'public'::regnamespace`,
    [APPEND_ONLY_TABLES],
  );
  const reasons: string[] = [];
  if (row.superuser) reasons.push(`the database role "${row.role}" is a superuser`);
  if (row.owns.length > 0) {
    reasons.push(`the database role "${row.role}" owns ${row.owns.join(' and ')}`);
  }
  return reasons;
}
