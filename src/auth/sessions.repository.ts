import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, IsNull, Not, Repository } from 'typeorm';
import { AuthSession, SessionRevocationReason } from './entities/auth-session.entity';
import { RefreshToken } from './entities/refresh-token.entity';

export type NewSession = Pick<AuthSession, 'userId' | 'expiresAt' | 'ip' | 'userAgent'>;

/** Login sessions and their refresh tokens (auth_sessions, refresh_tokens). */
@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(AuthSession) private readonly sessions: Repository<AuthSession>) {}

  findById(id: string): Promise<AuthSession | null> {
    return this.sessions.findOneBy({ id });
  }

  get(manager: EntityManager, id: string): Promise<AuthSession> {
    return manager.findOneByOrFail(AuthSession, { id });
  }

  insert(manager: EntityManager, session: NewSession): Promise<AuthSession> {
    return manager.save(
      manager.create(AuthSession, { ...session, revokedAt: null, revokedReason: null }),
    );
  }

  /** Revokes those of the sessions that are still live. */
  async revoke(
    manager: EntityManager,
    sessionIds: string[],
    reason: SessionRevocationReason,
  ): Promise<void> {
    if (sessionIds.length === 0) return;
    await manager.update(
      AuthSession,
      { id: In(sessionIds), revokedAt: IsNull() },
      { revokedAt: new Date(), revokedReason: reason },
    );
  }

  /** Live sessions of a user, optionally all but one (the caller's own). */
  async liveIdsOf(manager: EntityManager, userId: string, except?: string): Promise<string[]> {
    const sessions = await manager.find(AuthSession, {
      select: { id: true },
      where: { userId, revokedAt: IsNull(), ...(except ? { id: Not(except) } : {}) },
    });
    return sessions.map((session) => session.id);
  }

  async insertRefreshToken(
    manager: EntityManager,
    token: Pick<RefreshToken, 'sessionId' | 'tokenHash' | 'expiresAt'>,
  ): Promise<void> {
    await manager.insert(RefreshToken, token);
  }

  /** The refresh token with this hash, locked so that one presentation wins. */
  lockRefreshToken(manager: EntityManager, tokenHash: string): Promise<RefreshToken | null> {
    return manager
      .createQueryBuilder(RefreshToken, 'token')
      .setLock('pessimistic_write')
      .where('token.tokenHash = :tokenHash', { tokenHash })
      .getOne();
  }

  async markRefreshTokenUsed(manager: EntityManager, id: string): Promise<void> {
    await manager.update(RefreshToken, { id }, { usedAt: new Date() });
  }
}
