import {
  ALL_PERMISSIONS,
  expandPermissions,
  isPermission,
  missingPermissions,
  Permission,
  PERMISSION_DESCRIPTIONS,
} from './permission';

describe('expandPermissions', () => {
  it('adds the :own counterpart of every :any permission', () => {
    expect(expandPermissions(['orders:read:any', 'payments:create:any'])).toEqual(
      new Set([
        Permission.OrdersReadAny,
        Permission.OrdersReadOwn,
        Permission.PaymentsCreateAny,
        Permission.PaymentsCreateOwn,
      ]),
    );
  });

  it('does not turn :own into :any', () => {
    expect(expandPermissions(['orders:read:own'])).toEqual(new Set([Permission.OrdersReadOwn]));
  });

  it('adds nothing for an :any permission without an :own counterpart', () => {
    expect(expandPermissions(['orders:update:any'])).toEqual(new Set([Permission.OrdersUpdateAny]));
  });

  it('gives payments:refund no :own variant', () => {
    const expanded = expandPermissions(['payments:refund']);

    expect(expanded).toEqual(new Set([Permission.PaymentsRefund]));
    expect(expanded.has('payments:refund:own' as Permission)).toBe(false);
  });

  it('drops unknown names, including an unknown :any whose :own would be unknown too', () => {
    expect(
      expandPermissions(['users:read', 'users:fly', 'widgets:read:any', 'USERS:READ', '']),
    ).toEqual(new Set([Permission.UsersRead]));
  });

  it('drops an unknown :own even when its :any counterpart exists', () => {
    expect(expandPermissions(['orders:update:own'])).toEqual(new Set());
  });

  it('accepts any iterable and de-duplicates', () => {
    expect(expandPermissions(new Set(['audit:read'])).size).toBe(1);
    expect(expandPermissions(['audit:read', 'audit:read']).size).toBe(1);
  });
});

describe('missingPermissions', () => {
  it('lists requested names the holder lacks, once each', () => {
    const held = expandPermissions(['users:read']);

    expect(missingPermissions(held, ['users:read', 'users:write', 'users:write'])).toEqual([
      'users:write',
    ]);
  });

  it('counts :own as covered by :any', () => {
    const held = expandPermissions(['orders:cancel:any']);

    expect(missingPermissions(held, ['orders:cancel:own', 'orders:cancel:any'])).toEqual([]);
  });

  it('does not count :any as covered by :own', () => {
    const held = expandPermissions(['orders:cancel:own']);

    expect(missingPermissions(held, ['orders:cancel:any'])).toEqual(['orders:cancel:any']);
  });

  it('reports unknown requested names as missing', () => {
    expect(missingPermissions(expandPermissions(ALL_PERMISSIONS), ['users:fly'])).toEqual([
      'users:fly',
    ]);
  });

  it('returns nothing for an empty request', () => {
    expect(missingPermissions(new Set(), [])).toEqual([]);
  });
});

describe('the catalogue', () => {
  it('describes every permission and recognises exactly its members', () => {
    for (const permission of ALL_PERMISSIONS) {
      expect(isPermission(permission)).toBe(true);
      expect(PERMISSION_DESCRIPTIONS[permission]).toEqual(expect.any(String));
    }
    expect(isPermission('users:fly')).toBe(false);
  });
});
