import { Permission } from './permission';
import { holds, Principal } from './principal';

/** `null` means every owner's rows; otherwise only rows owned by `ownerId`. */
export interface OwnershipScope {
  ownerId: string | null;
}

/**
 * Resolves `:own` vs `:any` for a query. Repositories add `owner = ownerId` to the WHERE clause,
 * so another owner's row is simply not found.
 */
export function ownershipScope(principal: Principal, any: Permission): OwnershipScope {
  return { ownerId: holds(principal, any) ? null : principal.userId };
}
