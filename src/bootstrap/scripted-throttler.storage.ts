import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type { Redis } from 'ioredis';

const COMMAND = 'throttlerHit';

type HitCommand = (
  hitKey: string,
  blockKey: string,
  throttlerName: string,
  ttlMs: number,
  limit: number,
  blockMs: number,
) => Promise<[number, number, number, number]>;

/**
 * The library's Redis rate-limit storage, its Lua script called by SHA (EVALSHA, ioredis sends the
 * source again only when Redis answers NOSCRIPT). The library sends the whole script, about 1 KB
 * that Redis hashes again, on every request. Same keys, same script, same record.
 */
export class ScriptedThrottlerStorage extends ThrottlerStorageRedisService {
  private readonly hit: HitCommand;

  constructor(redis: Redis) {
    super(redis);
    redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: this.scriptSrc });
    const command = (redis as unknown as Record<string, HitCommand>)[COMMAND];
    this.hit = command.bind(redis);
  }

  override async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const slot = `{${key}:${throttlerName}}`;
    const [totalHits, expiresInMs, blocked, blockExpiresInMs] = await this.hit(
      `${slot}:hits`,
      `${slot}:blocked`,
      throttlerName,
      ttl,
      limit,
      blockDuration,
    );
    return {
      totalHits,
      timeToExpire: Math.ceil(expiresInMs / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(blockExpiresInMs / 1000),
    };
  }
}
