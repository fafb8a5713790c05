import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RevokedAccess, UserAccess } from '../../users';
import { ApiKeysRepository } from '../api-keys/api-keys.repository';
import { SessionsRepository } from '../sessions.repository';
import { AccessCache } from './access-cache';

/** Auth's side of `UserAccess`: what disabling, deleting or re-roling a user does to access. */
@Injectable()
export class UserAccessRevoker extends UserAccess {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly cache: AccessCache,
  ) {
    super();
  }

  async revoke(
    manager: EntityManager,
    userId: string,
    reason: 'user_disabled' | 'user_deleted',
  ): Promise<RevokedAccess> {
    const sessionIds = await this.sessions.liveIdsOf(manager, userId);
    await this.sessions.revoke(manager, sessionIds, reason);
    const apiKeyPrefixes =
      reason === 'user_deleted' ? await this.apiKeys.revokeAllCreatedBy(manager, userId) : [];
    return { sessionIds, apiKeyPrefixes };
  }

  async forget(userIds: string[], revoked?: RevokedAccess): Promise<void> {
    if (revoked && revoked.sessionIds.length > 0) {
      await this.cache.revokeSessions(revoked.sessionIds);
    }
    await this.cache.forgetUsers(userIds);
    for (const prefix of revoked?.apiKeyPrefixes ?? []) await this.cache.forgetApiKey(prefix);
  }
}
