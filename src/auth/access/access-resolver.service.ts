import { Injectable } from '@nestjs/common';
import { expandPermissions, Permission, Principal } from '@bastion/rbac';
import { UsersRepository, UserStatus } from '../../users';
import { ApiKeysRepository } from '../api-keys/api-keys.repository';
import { hashesMatch, sha256Hex } from '../crypto/token-hash';
import { SessionsRepository } from '../sessions.repository';
import { AccessCache, ApiKeyGrants, FillMark, SessionState, UserGrants } from './access-cache';

/**
 * Resolves the caller on every request with permissions as they stand now, so role edits,
 * disabling, logout and key revocation apply at the next request on every instance.
 */
@Injectable()
export class AccessResolver {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly cache: AccessCache,
  ) {}

  /** The principal of a verified access token, or null when the user or session no longer may act. */
  async forAccessToken(userId: string, sessionId: string): Promise<Principal | null> {
    const mark = this.cache.mark();
    const session = this.cache.session(sessionId) ?? (await this.sessionState(sessionId, mark));
    if (session === 'revoked') return null;
    const grants = this.cache.user(userId) ?? (await this.userGrants(userId, mark));
    if (!grants?.active) return null;
    return {
      type: 'user',
      id: userId,
      userId,
      display: grants.display,
      roles: grants.roles,
      permissions: expandPermissions(grants.permissions),
      sessionId,
    };
  }

  /** The principal of an `X-API-Key` value, or null when it is unknown, wrong, expired or revoked. */
  async forApiKey(presented: string): Promise<Principal | null> {
    const parsed = parseApiKey(presented);
    if (!parsed) return null;
    const mark = this.cache.mark();
    const key = this.cache.apiKey(parsed.prefix) ?? (await this.apiKeyGrants(parsed.prefix, mark));
    if (!key || key.revoked || (key.expiresAt !== null && key.expiresAt <= Date.now())) return null;
    if (!hashesMatch(key.secretHash, sha256Hex(parsed.secret))) return null;
    const creator = this.cache.user(key.createdBy) ?? (await this.userGrants(key.createdBy, mark));
    if (!creator?.active) return null;
    // A key never outgrows its creator: it loses what the creator loses.
    const creatorPermissions = expandPermissions(creator.permissions);
    const permissions = new Set<Permission>(
      [...expandPermissions(key.permissions)].filter((permission) =>
        creatorPermissions.has(permission),
      ),
    );
    return {
      type: 'api_key',
      id: key.id,
      userId: key.createdBy,
      display: `api-key:${key.name}`,
      roles: [],
      permissions,
    };
  }

  private async userGrants(userId: string, mark: FillMark): Promise<UserGrants | null> {
    const user = await this.users.findWithRoles(userId);
    if (!user) return null;
    const grants: UserGrants = {
      active: user.status === UserStatus.Active,
      display: user.email ?? user.id,
      roles: user.roles.map((role) => role.name).sort(),
      permissions: [...new Set(user.roles.flatMap((role) => role.permissions))].sort(),
    };
    this.cache.fillUser(userId, grants, mark);
    return grants;
  }

  private async apiKeyGrants(prefix: string, mark: FillMark): Promise<ApiKeyGrants | null> {
    const key = await this.apiKeys.findWithSecretHash(prefix);
    if (!key) return null;
    const grants: ApiKeyGrants = {
      id: key.id,
      name: key.name,
      secretHash: key.secretHash,
      createdBy: key.createdBy,
      permissions: key.permissions,
      expiresAt: key.expiresAt?.getTime() ?? null,
      revoked: key.revokedAt !== null,
    };
    this.cache.fillApiKey(prefix, grants, mark);
    return grants;
  }

  private async sessionState(sessionId: string, mark: FillMark): Promise<SessionState> {
    const session = await this.sessions.findById(sessionId);
    const state =
      session && session.revokedAt === null && session.expiresAt > new Date()
        ? 'active'
        : 'revoked';
    this.cache.fillSession(sessionId, state, mark);
    return state;
  }
}

export const API_KEY_PREFIX = 'bst';

/** API keys read `bst_<prefix>_<secret>`; the prefix finds the row, the secret proves possession. */
export function parseApiKey(value: string): { prefix: string; secret: string } | null {
  const match = /^bst_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(value);
  return match ? { prefix: match[1], secret: match[2] } : null;
}
