import type { EntityManager } from 'typeorm';

/** What a user's sessions and API keys became in a change's transaction, for after the commit. */
export interface RevokedAccess {
  sessionIds: string[];
  apiKeyPrefixes: string[];
}

/**
 * How the users module ends or refreshes a user's access when it disables, deletes or re-roles
 * them. The auth module owns sessions, API keys and the cached grants, and provides this; users
 * only says when, so the dependency runs one way: auth uses users, never the reverse.
 */
export abstract class UserAccess {
  /**
   * In the caller's transaction: ends the user's sessions, and when the user is deleted revokes
   * the API keys they created (a disabled user's keys stop working while their creator is
   * inactive, and work again once enabled).
   */
  abstract revoke(
    manager: EntityManager,
    userId: string,
    reason: 'user_disabled' | 'user_deleted',
  ): Promise<RevokedAccess>;

  /**
   * After the commit: every instance drops these users' cached grants and refuses what was
   * revoked from the next request on; 503 when the instances could not be told.
   */
  abstract forget(userIds: string[], revoked?: RevokedAccess): Promise<void>;
}
