import { Injectable } from '@nestjs/common';
import { FallbackSharedStore, InstanceBroadcast, SharedStore } from '@bastion/database';
import { AppConfig } from '../../config/app-config';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { ExpiringMap } from './expiring-map';

const BLOCKED_ADDRESSES = 'auth-failures:blocked';
const MAX_BLOCKED_ADDRESSES = 100_000;

/**
 * Failed authentications per client IP. The rate limiter runs after authentication and so never
 * sees them; without this, guessing tokens or API keys would be unlimited.
 *
 * Failures are counted in the shared store, where they are rare enough to afford a round trip.
 * The verdict every request needs comes from memory: the instance whose count reaches the limit
 * tells every instance that the address is blocked, and waits until they have heard it before it
 * answers. While the broadcast is out of sync, the verdict is read from the store as before.
 */
@Injectable()
export class AuthenticationFailures {
  private readonly store: SharedStore;
  private readonly blocked = new ExpiringMap<true>(MAX_BLOCKED_ADDRESSES);

  constructor(
    store: SharedStore,
    private readonly broadcast: InstanceBroadcast,
    private readonly config: AppConfig,
  ) {
    this.store = new FallbackSharedStore(store, AuthenticationFailures.name);
    broadcast.on(BLOCKED_ADDRESSES, (blocks) => blocks.forEach((block) => this.remember(block)));
  }

  /** 429 while this IP has used up its failures for the window. */
  async assertAllowed(ip: string): Promise<void> {
    const blocked = this.broadcast.inSync
      ? this.blocked.get(ip) !== undefined
      : Number((await this.store.get(this.key(ip))) ?? 0) >= this.config.rateLimit.max;
    if (blocked) {
      throw new AuthException(AuthErrorCode.TooManyFailedAuthentications, {
        'retry-after': String(this.config.rateLimit.ttlSeconds),
      });
    }
  }

  async record(ip: string): Promise<void> {
    const { count, ttlSeconds } = await this.store.increment(
      this.key(ip),
      this.config.rateLimit.ttlSeconds,
    );
    if (count < this.config.rateLimit.max) return;
    const block = `${ttlSeconds} ${ip}`;
    this.remember(block);
    // Unreachable Redis leaves every instance out of sync, and so reading the store's count.
    await this.broadcast.publish(BLOCKED_ADDRESSES, [block]).catch(() => undefined);
  }

  private remember(block: string): void {
    const space = block.indexOf(' ');
    this.blocked.set(block.slice(space + 1), true, Number(block.slice(0, space)) * 1000);
  }

  private key(ip: string): string {
    return `auth-failures:ip:${ip}`;
  }
}
