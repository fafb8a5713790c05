/** The fixed permission catalogue. Roles map to subsets of it; code never checks role names. */
export enum Permission {
  UsersRead = 'users:read',
  UsersWrite = 'users:write',
  RolesRead = 'roles:read',
  RolesWrite = 'roles:write',
  RolesAssign = 'roles:assign',
  ApiKeysManage = 'apikeys:manage',
  WebhooksManage = 'webhooks:manage',
  OrdersReadOwn = 'orders:read:own',
  OrdersReadAny = 'orders:read:any',
  OrdersCreateOwn = 'orders:create:own',
  OrdersCreateAny = 'orders:create:any',
  OrdersUpdateAny = 'orders:update:any',
  OrdersCancelOwn = 'orders:cancel:own',
  OrdersCancelAny = 'orders:cancel:any',
  PaymentsReadOwn = 'payments:read:own',
  PaymentsReadAny = 'payments:read:any',
  PaymentsCreateOwn = 'payments:create:own',
  PaymentsCreateAny = 'payments:create:any',
  PaymentsRefund = 'payments:refund',
  AuditRead = 'audit:read',
  AuditExport = 'audit:export',
  AuditVerify = 'audit:verify',
}

export const PERMISSION_DESCRIPTIONS: Record<Permission, string> = {
  [Permission.UsersRead]: 'List and read users',
  [Permission.UsersWrite]: 'Create, update, disable and delete users',
  [Permission.RolesRead]: 'Read roles and the permission catalogue',
  [Permission.RolesWrite]: 'Create, edit and delete custom roles',
  [Permission.RolesAssign]: "Set a user's roles",
  [Permission.ApiKeysManage]: 'Create, list and revoke API keys',
  [Permission.WebhooksManage]:
    'Create, edit, delete and inspect event subscriptions (outbound webhooks)',
  [Permission.OrdersReadOwn]: 'Read own orders',
  [Permission.OrdersReadAny]: 'Read any order',
  [Permission.OrdersCreateOwn]: 'Create orders for oneself',
  [Permission.OrdersCreateAny]: 'Create orders for any customer',
  [Permission.OrdersUpdateAny]: 'Edit pending orders and fulfil paid orders',
  [Permission.OrdersCancelOwn]: 'Cancel own unpaid orders',
  [Permission.OrdersCancelAny]: 'Cancel any unpaid order',
  [Permission.PaymentsReadOwn]: 'Read payments of own orders',
  [Permission.PaymentsReadAny]: 'Read payments of any order',
  [Permission.PaymentsCreateOwn]: 'Pay own orders',
  [Permission.PaymentsCreateAny]: 'Pay any order',
  [Permission.PaymentsRefund]: 'Refund payments',
  [Permission.AuditRead]: 'Query the audit log',
  [Permission.AuditExport]: 'Export the audit log',
  [Permission.AuditVerify]: "Verify the audit log's integrity",
};

export const ALL_PERMISSIONS: readonly Permission[] = Object.values(Permission);
const KNOWN = new Set<string>(ALL_PERMISSIONS);

export function isPermission(value: string): value is Permission {
  return KNOWN.has(value);
}

/** An `:any` permission includes its `:own` counterpart. */
export function expandPermissions(granted: Iterable<string>): Set<Permission> {
  const expanded = new Set<Permission>();
  for (const name of granted) {
    if (!isPermission(name)) continue;
    expanded.add(name);
    if (name.endsWith(':any')) {
      const own = `${name.slice(0, -':any'.length)}:own`;
      if (isPermission(own)) expanded.add(own);
    }
  }
  return expanded;
}

/** Permissions in `requested` that `held` does not cover (after `:any` ⇒ `:own` expansion). */
export function missingPermissions(
  held: ReadonlySet<Permission>,
  requested: Iterable<string>,
): string[] {
  return [...new Set(requested)].filter((name) => !held.has(name as Permission));
}
