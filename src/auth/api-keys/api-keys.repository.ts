import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { Keyset, Page, PageQueryDto, paginate } from '@bastion/common';
import { ApiKey } from '../entities/api-key.entity';

const NEWEST_FIRST = new Keyset('key.created_at', 'key.id', 'DESC');

export type NewApiKey = Pick<
  ApiKey,
  'name' | 'prefix' | 'secretHash' | 'permissions' | 'createdBy' | 'expiresAt'
>;

/** API keys (api_keys). */
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  insert(manager: EntityManager, key: NewApiKey): Promise<ApiKey> {
    return manager.save(manager.create(ApiKey, { ...key, revokedAt: null, lastUsedAt: null }));
  }

  /** The keys a user created, newest first, revoked ones included. */
  pageCreatedBy(userId: string, query: PageQueryDto): Promise<Page<ApiKey>> {
    const builder = this.keys
      .createQueryBuilder('key')
      .where('key.created_by = :userId', { userId });
    return paginate(builder, query, NEWEST_FIRST);
  }

  /** A key by its public prefix, with the hash of its secret. */
  findWithSecretHash(prefix: string): Promise<ApiKey | null> {
    return this.keys
      .createQueryBuilder('key')
      .addSelect('key.secretHash')
      .where('key.prefix = :prefix', { prefix })
      .getOne();
  }

  /** One of the keys a user created, locked for this transaction; null when there is none. */
  lockCreatedBy(manager: EntityManager, userId: string, id: string): Promise<ApiKey | null> {
    return manager
      .createQueryBuilder(ApiKey, 'key')
      .setLock('pessimistic_write')
      .where('key.id = :id AND key.created_by = :userId', { id, userId })
      .getOne();
  }

  async markRevoked(manager: EntityManager, id: string, revokedAt: Date): Promise<void> {
    await manager.update(ApiKey, { id }, { revokedAt });
  }

  /** Revokes every live key the user created; returns their prefixes. */
  async revokeAllCreatedBy(manager: EntityManager, userId: string): Promise<string[]> {
    const revoked = await manager
      .createQueryBuilder()
      .update(ApiKey)
      .set({ revokedAt: () => 'now()' })
      .where('created_by = :userId AND revoked_at IS NULL', { userId })
      .returning(['prefix'])
      .execute();
    return (revoked.raw as { prefix: string }[]).map((row) => row.prefix);
  }
}
