import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requestContext } from '@bastion/common';
import { AuditWriter } from '../audit';
import { AppConfig } from '../config/app-config';
import { User, UsersRepository, UserStatus } from '../users';
import { AuthErrorCode, AuthException } from './auth.exception';
import { AccessCache } from './access/access-cache';
import { AccessTokens } from './access/access-token';
import { randomToken, sha256Hex } from './crypto/token-hash';
import { AuthSession, SessionRevocationReason } from './entities/auth-session.entity';
import { SessionsRepository } from './sessions.repository';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/**
 * Login sessions: one refresh-token family per sign-in. Refresh tokens are stored hashed and
 * rotate on use; presenting a used one is reuse, which revokes the whole family.
 */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly tokens: AccessTokens,
    private readonly config: AppConfig,
    private readonly cache: AccessCache,
    private readonly audit: AuditWriter,
  ) {}

  /** Starts a session for a user who just proved who they are; call inside the login transaction. */
  async start(manager: EntityManager, user: User): Promise<TokenPair> {
    const context = requestContext.current();
    const session = await this.sessions.insert(manager, {
      userId: user.id,
      expiresAt: new Date(Date.now() + this.config.auth.refreshTtlSeconds * 1000),
      ip: context?.ip ?? null,
      userAgent: context?.userAgent?.slice(0, 512) ?? null,
    });
    return this.issue(manager, session);
  }

  /** Exchanges a refresh token for a new pair; reuse of a spent one revokes its family. */
  async rotate(presented: string): Promise<TokenPair> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const token = await this.sessions.lockRefreshToken(manager, sha256Hex(presented));
      if (!token) return { kind: 'invalid' as const };
      const session = await this.sessions.get(manager, token.sessionId);
      const user = await this.users.get(manager, session.userId);
      const actor = { type: 'user' as const, id: user.id, display: user.email ?? user.id };
      if (token.usedAt !== null) {
        if (session.revokedAt === null) {
          await this.revokeInTransaction(manager, [session.id], 'refresh_reuse');
          await this.audit.record(manager, {
            action: 'auth.refresh_reuse_detected',
            resource: { type: 'session', id: session.id },
            outcome: 'denied',
            actor,
          });
        }
        return { kind: 'reused' as const, sessionId: session.id };
      }
      if (
        session.revokedAt !== null ||
        token.expiresAt <= new Date() ||
        user.status !== UserStatus.Active
      ) {
        return { kind: 'invalid' as const };
      }
      await this.sessions.markRefreshTokenUsed(manager, token.id);
      const pair = await this.issue(manager, session);
      await this.audit.record(manager, {
        action: 'auth.token_refreshed',
        resource: { type: 'session', id: session.id },
        actor,
      });
      return { kind: 'rotated' as const, pair };
    });
    if (outcome.kind === 'reused') await this.cache.revokeSessions([outcome.sessionId]);
    if (outcome.kind !== 'rotated') throw new AuthException(AuthErrorCode.InvalidRefreshToken);
    return outcome.pair;
  }

  /** Revokes sessions in the caller's transaction; call `propagate` after it commits. */
  revokeInTransaction(
    manager: EntityManager,
    sessionIds: string[],
    reason: SessionRevocationReason,
  ): Promise<void> {
    return this.sessions.revoke(manager, sessionIds, reason);
  }

  /**
   * In the caller's transaction: ends every other session of the user, whose credentials just
   * changed; returns them for `propagate` after the commit.
   */
  async revokeOthers(
    manager: EntityManager,
    userId: string,
    keep: string | undefined,
    reason: SessionRevocationReason,
  ): Promise<string[]> {
    const others = await this.sessions.liveIdsOf(manager, userId, keep);
    await this.sessions.revoke(manager, others, reason);
    return others;
  }

  /** Tells every instance that these sessions' access tokens no longer work. */
  propagate(sessionIds: string[]): Promise<void> {
    return sessionIds.length > 0 ? this.cache.revokeSessions(sessionIds) : Promise.resolve();
  }

  private async issue(manager: EntityManager, session: AuthSession): Promise<TokenPair> {
    const refreshToken = randomToken(32);
    await this.sessions.insertRefreshToken(manager, {
      sessionId: session.id,
      tokenHash: sha256Hex(refreshToken),
      expiresAt: session.expiresAt,
    });
    const accessToken = this.tokens.sign({ sub: session.userId, sid: session.id, typ: 'access' });
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.auth.accessTtlSeconds,
    };
  }
}
