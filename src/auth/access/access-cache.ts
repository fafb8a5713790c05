import { Injectable, Logger } from '@nestjs/common';
import { SharedStore, SharedStoreUnavailableError } from '@bastion/database';
import { AppConfig } from '../../config/app-config';
import { AuthErrorCode, AuthException } from '../auth.exception';

// Bounds how long a stale entry could live if an invalidation were ever lost.
const GRANTS_TTL_SECONDS = 60;
// Longer than any database read that could race with an invalidation and write back stale data.
const TOMBSTONE_TTL_SECONDS = 10;
const TOMBSTONE = '';
const ACTIVE = 'active';
const REVOKED = 'revoked';

const userKey = (userId: string) => `access:user:${userId}`;
const apiKeyKey = (prefix: string) => `access:apikey:${prefix}`;
const sessionKey = (sessionId: string) => `access:session:${sessionId}`;

export type SessionState = 'active' | 'revoked';

/**
 * What the shared store remembers about access: grants and session states read from PostgreSQL.
 * A missing entry always means "ask PostgreSQL", never "allowed", so losing Redis data (restart,
 * eviction, failover) cannot bring a revoked session back. Invalidation leaves a short tombstone
 * and cache fills only write where nothing is, so a read that raced with a change cannot put stale
 * grants back. Reads that fail fall back to PostgreSQL; invalidations that fail answer 503.
 */
@Injectable()
export class AccessCache {
  private readonly logger = new Logger(AccessCache.name);

  constructor(
    private readonly store: SharedStore,
    private readonly config: AppConfig,
  ) {}

  /** Cached grants and session state; `undefined` when the store could not answer. */
  async readUser(
    userId: string,
    sessionId: string,
  ): Promise<{ grants: string | null; session: SessionState | null } | undefined> {
    const values = await this.tryRead(() =>
      this.store.getMany([userKey(userId), sessionKey(sessionId)]),
    );
    if (!values) return undefined;
    const [grants, session] = values;
    return {
      grants: grants || null,
      session: session === ACTIVE || session === REVOKED ? session : null,
    };
  }

  async readApiKey(prefix: string): Promise<string | null | undefined> {
    const value = await this.tryRead(() => this.store.get(apiKeyKey(prefix)));
    return value === undefined ? undefined : value || null;
  }

  async fillUser(userId: string, grants: string): Promise<void> {
    await this.tryFill(() => this.store.setIfAbsent(userKey(userId), grants, GRANTS_TTL_SECONDS));
  }

  async fillApiKey(prefix: string, grants: string): Promise<void> {
    await this.tryFill(() => this.store.setIfAbsent(apiKeyKey(prefix), grants, GRANTS_TTL_SECONDS));
  }

  /** Remembers a session state read from PostgreSQL; never overwrites a revocation. */
  async fillSession(sessionId: string, state: SessionState): Promise<void> {
    await this.tryFill(() =>
      state === REVOKED
        ? this.store.set(sessionKey(sessionId), REVOKED, this.revocationTtl())
        : this.store.setIfAbsent(sessionKey(sessionId), ACTIVE, GRANTS_TTL_SECONDS),
    );
  }

  /** Drops cached grants on every instance; throws 503 when they could not be told. */
  async forgetUsers(userIds: string[]): Promise<void> {
    await this.mustWrite(() =>
      Promise.all(
        userIds.map((id) => this.store.set(userKey(id), TOMBSTONE, TOMBSTONE_TTL_SECONDS)),
      ),
    );
  }

  async forgetApiKey(prefix: string): Promise<void> {
    await this.mustWrite(() => this.store.set(apiKeyKey(prefix), TOMBSTONE, TOMBSTONE_TTL_SECONDS));
  }

  async revokeSessions(sessionIds: string[]): Promise<void> {
    await this.mustWrite(() =>
      Promise.all(
        sessionIds.map((id) => this.store.set(sessionKey(id), REVOKED, this.revocationTtl())),
      ),
    );
  }

  // As long as an access token of the session could still be presented.
  private revocationTtl(): number {
    return this.config.auth.accessTtlSeconds + 5;
  }

  private async tryRead<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof SharedStoreUnavailableError)) throw error;
      this.logger.warn(
        `Shared store unavailable, reading access from PostgreSQL: ${error.message}`,
      );
      return undefined;
    }
  }

  private async tryFill(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (!(error instanceof SharedStoreUnavailableError)) throw error;
    }
  }

  private async mustWrite(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (!(error instanceof SharedStoreUnavailableError)) throw error;
      this.logger.error(`Shared store unavailable, revocation not propagated: ${error.message}`);
      throw new AuthException(AuthErrorCode.RevocationUnavailable, { 'retry-after': '5' });
    }
  }
}
