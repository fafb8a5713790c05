import { Injectable, Logger } from '@nestjs/common';
import { InstanceBroadcast, SharedStoreUnavailableError } from '@bastion/database';
import { AppConfig } from '../../config/app-config';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { ExpiringMap } from './expiring-map';

// Bounds how long an entry lives if an invalidation were ever lost without the loss being noticed.
const GRANTS_TTL_MS = 60_000;
// Enough for every caller an instance serves in a minute; past it, the oldest entries go first.
const MAX_ENTRIES = 100_000;

const USERS = 'access:users';
const SESSIONS = 'access:sessions';
const API_KEYS = 'access:api-keys';

export type SessionState = 'active' | 'revoked';

export interface UserGrants {
  active: boolean;
  display: string;
  roles: string[];
  permissions: string[];
}

export interface ApiKeyGrants {
  id: string;
  name: string;
  secretHash: string;
  createdBy: string;
  permissions: string[];
  expiresAt: number | null;
  revoked: boolean;
}

/** Taken before reading PostgreSQL; a fill whose mark an invalidation has overtaken is dropped. */
export type FillMark = number | null;

/**
 * What this instance remembers about access, read from PostgreSQL: grants, API keys and session
 * states, so that an authenticated request needs no round trip to anything. Changes reach every
 * instance through the instance broadcast before the request that made them answers. Memory is
 * used only while the broadcast is in sync; otherwise every look-up reads PostgreSQL, so a lost
 * message or a Redis outage can delay nothing and bring no revoked session back.
 */
@Injectable()
export class AccessCache {
  private readonly logger = new Logger(AccessCache.name);
  private readonly users = new ExpiringMap<UserGrants>(MAX_ENTRIES);
  private readonly sessions = new ExpiringMap<SessionState>(MAX_ENTRIES);
  private readonly apiKeys = new ExpiringMap<ApiKeyGrants>(MAX_ENTRIES);
  private generation = 0;

  constructor(
    private readonly broadcast: InstanceBroadcast,
    private readonly config: AppConfig,
  ) {
    broadcast.on(USERS, (ids) => this.invalidate(() => ids.forEach((id) => this.users.delete(id))));
    broadcast.on(API_KEYS, (prefixes) =>
      this.invalidate(() => prefixes.forEach((prefix) => this.apiKeys.delete(prefix))),
    );
    broadcast.on(SESSIONS, (ids) =>
      this.invalidate(() => ids.forEach((id) => this.rememberRevoked(id))),
    );
    broadcast.onReset(() =>
      this.invalidate(() => {
        this.users.clear();
        this.sessions.clear();
        this.apiKeys.clear();
      }),
    );
  }

  mark(): FillMark {
    return this.broadcast.inSync ? this.generation : null;
  }

  user(userId: string): UserGrants | undefined {
    return this.broadcast.inSync ? this.users.get(userId) : undefined;
  }

  session(sessionId: string): SessionState | undefined {
    return this.broadcast.inSync ? this.sessions.get(sessionId) : undefined;
  }

  apiKey(prefix: string): ApiKeyGrants | undefined {
    return this.broadcast.inSync ? this.apiKeys.get(prefix) : undefined;
  }

  fillUser(userId: string, grants: UserGrants, mark: FillMark): void {
    if (this.current(mark)) this.users.set(userId, grants, GRANTS_TTL_MS);
  }

  fillApiKey(prefix: string, grants: ApiKeyGrants, mark: FillMark): void {
    if (this.current(mark)) this.apiKeys.set(prefix, grants, GRANTS_TTL_MS);
  }

  /** A revocation read from PostgreSQL is final, so it is kept whatever happened meanwhile. */
  fillSession(sessionId: string, state: SessionState, mark: FillMark): void {
    if (state === 'revoked') this.rememberRevoked(sessionId);
    else if (this.current(mark)) this.sessions.set(sessionId, state, GRANTS_TTL_MS);
  }

  /** Drops cached grants on every instance; throws 503 when that could not be done. */
  forgetUsers(userIds: string[]): Promise<void> {
    return this.tell(USERS, userIds);
  }

  forgetApiKey(prefix: string): Promise<void> {
    return this.tell(API_KEYS, [prefix]);
  }

  revokeSessions(sessionIds: string[]): Promise<void> {
    return this.tell(SESSIONS, sessionIds);
  }

  private current(mark: FillMark): boolean {
    return mark !== null && mark === this.generation && this.broadcast.inSync;
  }

  private invalidate(change: () => void): void {
    this.generation += 1;
    change();
  }

  // As long as an access token of the session could still be presented.
  private rememberRevoked(sessionId: string): void {
    this.sessions.set(sessionId, 'revoked', (this.config.auth.accessTtlSeconds + 5) * 1000);
  }

  private async tell(topic: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.broadcast.publish(topic, keys);
    } catch (error) {
      if (!(error instanceof SharedStoreUnavailableError)) throw error;
      this.logger.error(`Shared store unavailable, revocation not propagated: ${error.message}`);
      throw new AuthException(AuthErrorCode.RevocationUnavailable, { 'retry-after': '5' });
    }
  }
}
