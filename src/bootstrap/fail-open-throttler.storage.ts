import { Logger } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Counter } from 'prom-client';

/**
 * Rate limiting must not take the API down with Redis: when the storage fails, the request is
 * let through, logged, and counted in `bastion_rate_limit_fail_open_total`.
 */
export class FailOpenThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');

  constructor(
    private readonly inner: ThrottlerStorage,
    private readonly failOpenTotal: Counter,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.failOpenTotal.inc();
      this.logger.warn(
        `Rate limit storage unavailable, request allowed: ${(error as Error).message}`,
      );
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
