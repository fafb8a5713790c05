import { DynamicModule, Global, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { MemorySharedStore } from './memory-shared-store';
import { InstanceBroadcast, LocalBroadcast } from './instance-broadcast';
import { RedisBroadcast } from './redis-broadcast';
import { createRedisClient, RedisSharedStore } from './redis-shared-store';
import { SharedStore } from './shared-store';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

export interface SharedStoreOptions {
  redisUrl?: string;
  keyPrefix: string;
}

async function connectRedis(url: string, keyPrefix: string): Promise<Redis> {
  const redis = createRedisClient(url, keyPrefix);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.disconnect();
      reject(new Error('Redis did not become ready within 10 s (REDIS_URL)'));
    }, 10_000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}

@Global()
@Module({})
export class SharedStoreModule implements OnApplicationShutdown {
  constructor(
    private readonly store: SharedStore,
    private readonly broadcast: InstanceBroadcast,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.broadcast.close();
    await this.store.close();
  }

  static forRoot(options: SharedStoreOptions): DynamicModule {
    return {
      module: SharedStoreModule,
      providers: [
        {
          provide: REDIS_CLIENT,
          useFactory: async (): Promise<Redis | null> => {
            if (!options.redisUrl) {
              new Logger('SharedStore').warn(
                'REDIS_URL is not set: single-instance mode (rate limits, revocations and caches live in this process)',
              );
              return null;
            }
            const redis = await connectRedis(options.redisUrl, options.keyPrefix);
            redis.on('error', (error: Error) =>
              new Logger('Redis').warn(`Redis error: ${error.message}`),
            );
            return redis;
          },
        },
        {
          provide: SharedStore,
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis | null): SharedStore =>
            redis ? new RedisSharedStore(redis) : new MemorySharedStore(),
        },
        {
          provide: InstanceBroadcast,
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis | null): Promise<InstanceBroadcast> | InstanceBroadcast =>
            redis ? RedisBroadcast.connect(redis) : new LocalBroadcast(),
        },
      ],
      exports: [SharedStore, InstanceBroadcast, REDIS_CLIENT],
    };
  }
}
