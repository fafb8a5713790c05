import { ownershipScope } from './ownership-scope';
import { expandPermissions, Permission } from './permission';
import { Principal } from './principal';

function userPrincipal(userId: string, permissions: string[]): Principal {
  return {
    type: 'user',
    id: userId,
    userId,
    display: `${userId}@example.com`,
    roles: [],
    permissions: expandPermissions(permissions),
  };
}

describe('ownershipScope', () => {
  it('scopes to every owner when the principal holds the :any permission', () => {
    const principal = userPrincipal('user-1', ['orders:read:any']);

    expect(ownershipScope(principal, Permission.OrdersReadAny)).toEqual({ ownerId: null });
  });

  it("scopes to the principal's own rows when it holds only :own", () => {
    const principal = userPrincipal('user-1', ['orders:read:own']);

    expect(ownershipScope(principal, Permission.OrdersReadAny)).toEqual({ ownerId: 'user-1' });
  });

  it('looks only at the permission asked for', () => {
    const principal = userPrincipal('user-1', ['payments:read:any']);

    expect(ownershipScope(principal, Permission.OrdersReadAny)).toEqual({ ownerId: 'user-1' });
  });

  it("scopes an API key to its creator's rows, not the key id", () => {
    const principal: Principal = {
      type: 'api_key',
      id: 'key-9',
      userId: 'creator-3',
      display: 'api-key:ci',
      roles: [],
      permissions: expandPermissions(['orders:read:own']),
    };

    expect(ownershipScope(principal, Permission.OrdersReadAny)).toEqual({ ownerId: 'creator-3' });
  });

  it('scopes an API key holding :any to every owner', () => {
    const principal: Principal = {
      type: 'api_key',
      id: 'key-9',
      userId: 'creator-3',
      display: 'api-key:ci',
      roles: [],
      permissions: expandPermissions(['orders:read:any']),
    };

    expect(ownershipScope(principal, Permission.OrdersReadAny)).toEqual({ ownerId: null });
  });
});
