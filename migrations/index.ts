import { Identity1763800000000 } from './1763800000000-identity';
import { BuiltInRoles1763800000001 } from './1763800000001-built-in-roles';
import { AuditEvents1763800000002 } from './1763800000002-audit-events';

/** Every migration, in order. */
export const migrations = [
  Identity1763800000000,
  BuiltInRoles1763800000001,
  AuditEvents1763800000002,
];
