import { Injectable, Logger } from '@nestjs/common';
import { SharedStore, SharedStoreUnavailableError } from '@bastion/database';
import { AppConfig } from '../../config/app-config';
import { AuthErrorCode, AuthException } from '../auth.exception';

// Bounds how long a stale entry could live if an invalidation were ever lost.
const ACCESS_TTL_SECONDS = 60;

const userKey = (userId: string) => `access:user:${userId}`;
const apiKeyKey = (prefix: string) => `access:apikey:${prefix}`;
const revokedSessionKey = (sessionId: string) => `revoked:session:${sessionId}`;

/**
 * What the shared store remembers about access: cached grants (dropped on every change) and
 * revoked sessions (kept as long as an access token of theirs could live). Reads that fail fall
 * back to PostgreSQL; writes that fail surface as 503 so a revocation is never silently partial.
 */
@Injectable()
export class AccessCache {
  private readonly logger = new Logger(AccessCache.name);

  constructor(
    private readonly store: SharedStore,
    private readonly config: AppConfig,
  ) {}

  /** Cached user grants and whether the session was revoked; `undefined` where the store could not say. */
  async readUser(
    userId: string,
    sessionId: string | undefined,
  ): Promise<{ grants: string | null; sessionRevoked: boolean } | undefined> {
    const keys = sessionId ? [userKey(userId), revokedSessionKey(sessionId)] : [userKey(userId)];
    const values = await this.tryRead(() => this.store.getMany(keys));
    if (!values) return undefined;
    return { grants: values[0], sessionRevoked: values[1] != null };
  }

  async readApiKey(prefix: string): Promise<string | null | undefined> {
    return this.tryRead(() => this.store.get(apiKeyKey(prefix)));
  }

  async writeUser(userId: string, grants: string): Promise<void> {
    await this.tryWrite(() => this.store.set(userKey(userId), grants, ACCESS_TTL_SECONDS));
  }

  async writeApiKey(prefix: string, grants: string): Promise<void> {
    await this.tryWrite(() => this.store.set(apiKeyKey(prefix), grants, ACCESS_TTL_SECONDS));
  }

  /** Drops cached grants; throws 503 when other instances could not be told. */
  async forgetUsers(userIds: string[]): Promise<void> {
    await this.mustWrite(() => this.store.delete(userIds.map(userKey)));
  }

  async forgetApiKey(prefix: string): Promise<void> {
    await this.mustWrite(() => this.store.delete([apiKeyKey(prefix)]));
  }

  async revokeSessions(sessionIds: string[]): Promise<void> {
    const ttl = this.config.auth.accessTtlSeconds + 5;
    await this.mustWrite(() =>
      Promise.all(sessionIds.map((id) => this.store.set(revokedSessionKey(id), '1', ttl))),
    );
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

  private async tryWrite(write: () => Promise<unknown>): Promise<void> {
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
