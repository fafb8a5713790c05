import Redis from 'ioredis';
import { SharedStore, SharedStoreUnavailableError } from './shared-store';

const DECREMENT_IF_PRESENT =
  "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0";

/**
 * Fails fast instead of queueing when Redis is unreachable (see createRedisClient), so each
 * caller decides between failing open and failing closed.
 */
export class RedisSharedStore extends SharedStore {
  readonly distributed = true;

  constructor(private readonly redis: Redis) {
    super();
  }

  get(key: string): Promise<string | null> {
    return this.guard(() => this.redis.get(key));
  }

  getMany(keys: string[]): Promise<(string | null)[]> {
    return this.guard(() => this.redis.mget(keys));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.guard(() => this.redis.set(key, value, 'EX', ttlSeconds));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return (await this.guard(() => this.redis.set(key, value, 'EX', ttlSeconds, 'NX'))) === 'OK';
  }

  async decrement(key: string): Promise<void> {
    await this.guard(() => this.redis.eval(DECREMENT_IF_PRESENT, 1, key));
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.guard(() => this.redis.del(...keys));
  }

  async increment(
    key: string,
    windowSeconds: number,
  ): Promise<{ count: number; ttlSeconds: number }> {
    const results = await this.guard(() =>
      this.redis.multi().incr(key).expire(key, windowSeconds, 'NX').ttl(key).exec(),
    );
    const [count, , ttl] = (results ?? []).map(([error, value]) => {
      if (error) throw new SharedStoreUnavailableError(error.message);
      return Number(value);
    });
    return { count, ttlSeconds: Math.max(1, ttl) };
  }

  async ping(): Promise<void> {
    await this.guard(() => this.redis.ping());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new SharedStoreUnavailableError((error as Error).message);
    }
  }
}

export function createRedisClient(url: string, keyPrefix: string): Redis {
  return new Redis(url, {
    keyPrefix,
    // Commands issued in the same tick (concurrent requests, or one request's parallel lookups)
    // leave in one write: on a busy instance that is most of the access checks.
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}
