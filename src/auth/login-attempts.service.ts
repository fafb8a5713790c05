import { Injectable } from '@nestjs/common';
import { FallbackSharedStore, SharedStore } from '@bastion/database';
import { AppConfig } from '../config/app-config';
import { AuthErrorCode, AuthException } from './auth.exception';
import { sha256Hex } from './crypto/token-hash';

/**
 * Failed-login limits per IP and per email, shared across instances (per instance while Redis is
 * down). Each attempt reserves a slot before the password is checked, so concurrent guesses cannot
 * overshoot the limit; a successful login gives its slots back.
 */
@Injectable()
export class LoginAttempts {
  private readonly store: SharedStore;

  constructor(
    store: SharedStore,
    private readonly config: AppConfig,
  ) {
    this.store = new FallbackSharedStore(store, LoginAttempts.name);
  }

  /** Counts this attempt; 429 when the IP or the email has used up its window. */
  async reserve(ip: string, email: string): Promise<void> {
    const window = this.config.auth.loginWindowSeconds;
    const counts = await Promise.all(
      this.keys(ip, email).map((key) => this.store.increment(key, window)),
    );
    const exhausted = counts.filter(
      ({ count }) => count > this.config.auth.loginFailuresBeforeLockout,
    );
    if (exhausted.length > 0) {
      const retryAfter = Math.max(...exhausted.map(({ ttlSeconds }) => ttlSeconds));
      throw new AuthException(AuthErrorCode.LoginLocked, { 'retry-after': String(retryAfter) });
    }
  }

  /** The attempt was not a failure (right password): its slots are given back. */
  async release(ip: string, email: string): Promise<void> {
    await Promise.all(this.keys(ip, email).map((key) => this.store.decrement(key)));
  }

  private keys(ip: string, email: string): string[] {
    return [`login-failures:ip:${ip}`, `login-failures:email:${sha256Hex(email)}`];
  }
}
