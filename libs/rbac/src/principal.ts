import { Permission } from './permission';

export type ActorType = 'user' | 'api_key';

/** Who is calling, resolved once per request with permissions as they stand now. */
export interface Principal {
  type: ActorType;
  /** User id, or API key id. */
  id: string;
  /** The user the call acts for: the user, or the API key's creator (owner of `:own` rows). */
  userId: string;
  display: string;
  roles: string[];
  permissions: ReadonlySet<Permission>;
  /** Login session (refresh token family) of a user's access token. */
  sessionId?: string;
}

export function holds(principal: Principal, permission: Permission): boolean {
  return principal.permissions.has(permission);
}

export function holdsAny(principal: Principal, permissions: readonly Permission[]): boolean {
  return permissions.some((permission) => principal.permissions.has(permission));
}
