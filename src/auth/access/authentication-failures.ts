import { Injectable } from '@nestjs/common';
import { FallbackSharedStore, SharedStore } from '@bastion/database';
import { AppConfig } from '../../config/app-config';
import { AuthErrorCode, AuthException } from '../auth.exception';

/**
 * Failed authentications per client IP. The rate limiter runs after authentication and so never
 * sees them; without this, guessing tokens or API keys would be unlimited.
 */
@Injectable()
export class AuthenticationFailures {
  private readonly store: SharedStore;

  constructor(
    store: SharedStore,
    private readonly config: AppConfig,
  ) {
    this.store = new FallbackSharedStore(store, AuthenticationFailures.name);
  }

  /** 429 while this IP has used up its failures for the window. */
  async assertAllowed(ip: string): Promise<void> {
    const failures = Number((await this.store.get(this.key(ip))) ?? 0);
    if (failures >= this.config.rateLimit.max) {
      throw new AuthException(AuthErrorCode.TooManyFailedAuthentications, {
        'retry-after': String(this.config.rateLimit.ttlSeconds),
      });
    }
  }

  async record(ip: string): Promise<void> {
    await this.store.increment(this.key(ip), this.config.rateLimit.ttlSeconds);
  }

  private key(ip: string): string {
    return `auth-failures:ip:${ip}`;
  }
}
