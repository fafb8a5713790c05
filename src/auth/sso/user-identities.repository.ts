import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { UserIdentity } from './entities/user-identity.entity';

/** The user_identities table: which user a provider's (provider, `sub`) signs in as. */
@Injectable()
export class UserIdentitiesRepository {
  /** The identity, locked for this transaction, so two first sign-ins create one user. */
  lock(manager: EntityManager, provider: string, subject: string): Promise<UserIdentity | null> {
    return manager.findOne(UserIdentity, {
      where: { provider, subject },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Whether the user already has an identity at this provider. */
  isLinked(manager: EntityManager, provider: string, userId: string): Promise<boolean> {
    return manager.existsBy(UserIdentity, { provider, userId });
  }

  async insert(
    manager: EntityManager,
    identity: Pick<UserIdentity, 'provider' | 'subject' | 'userId'>,
  ): Promise<void> {
    await manager.insert(UserIdentity, { ...identity, lastLoginAt: new Date() });
  }

  async touch(manager: EntityManager, provider: string, subject: string): Promise<void> {
    await manager.update(UserIdentity, { provider, subject }, { lastLoginAt: new Date() });
  }
}
