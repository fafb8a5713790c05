import { MigrationInterface, QueryRunner } from 'typeorm';

// Literal lists, not the code catalogue: a migration must mean the same thing forever.
const BUILT_IN_ROLES: [name: string, description: string, permissions: string[]][] = [
  [
    'admin',
    'Every permission',
    [
      'users:read',
      'users:write',
      'roles:read',
      'roles:write',
      'roles:assign',
      'apikeys:manage',
      'orders:read:own',
      'orders:read:any',
      'orders:create:own',
      'orders:create:any',
      'orders:update:any',
      'orders:cancel:own',
      'orders:cancel:any',
      'payments:read:own',
      'payments:read:any',
      'payments:create:own',
      'payments:create:any',
      'payments:refund',
      'audit:read',
      'audit:export',
      'audit:verify',
    ],
  ],
  [
    'manager',
    'Runs orders and payments for every customer',
    [
      'users:read',
      'orders:read:any',
      'orders:create:any',
      'orders:update:any',
      'orders:cancel:any',
      'payments:read:any',
      'payments:create:any',
      'payments:refund',
    ],
  ],
  [
    'auditor',
    'Reads and verifies the audit log',
    ['audit:read', 'audit:export', 'audit:verify', 'users:read', 'roles:read'],
  ],
  [
    'customer',
    'Places, pays and cancels own orders',
    [
      'orders:read:own',
      'orders:create:own',
      'orders:cancel:own',
      'payments:read:own',
      'payments:create:own',
    ],
  ],
];

export class BuiltInRoles1763800000001 implements MigrationInterface {
  name = 'BuiltInRoles1763800000001';

  async up(db: QueryRunner): Promise<void> {
    for (const [name, description, permissions] of BUILT_IN_ROLES) {
      await db.query(
        `INSERT INTO roles (name, description, permissions, built_in) VALUES ($1, $2, $3, true)`,
        [name, description, permissions],
      );
    }
    // Built-in roles are part of the contract: the database refuses to change or drop them.
    await db.query(`
      CREATE FUNCTION roles_protect_built_in() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.built_in THEN
          RAISE EXCEPTION 'built-in role % cannot be changed', OLD.name USING ERRCODE = 'check_violation';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
      END $$`);
    await db.query(`
      CREATE TRIGGER roles_protect_built_in BEFORE UPDATE OR DELETE ON roles
      FOR EACH ROW EXECUTE FUNCTION roles_protect_built_in()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER roles_protect_built_in ON roles`);
    await db.query(`DROP FUNCTION roles_protect_built_in()`);
    await db.query(
      `DELETE FROM user_roles USING roles WHERE roles.id = user_roles.role_id AND roles.built_in`,
    );
    await db.query(`ALTER TABLE roles DISABLE TRIGGER USER`);
    await db.query(`DELETE FROM roles WHERE built_in`);
  }
}
