import { Logger } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Counter } from 'prom-client';

const WARN_EVERY_MS = 10_000;

/**
 * Rate limiting must not take the API down with Redis: when the shared storage fails, each
 * instance limits on its own memory instead (logged, and counted in
 * `bastion_rate_limit_local_fallback_total`) until Redis answers again.
 */
export class FallbackThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly local = new ThrottlerStorageService();
  private lastWarning = 0;

  constructor(
    private readonly shared: ThrottlerStorage,
    private readonly fallbackTotal: Counter,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.fallbackTotal.inc();
      if (Date.now() - this.lastWarning > WARN_EVERY_MS) {
        this.lastWarning = Date.now();
        this.logger.warn(
          `Rate limit storage unavailable, limiting per instance: ${(error as Error).message}`,
        );
      }
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }
}
