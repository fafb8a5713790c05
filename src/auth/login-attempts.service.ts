import { Injectable, Logger } from '@nestjs/common';
import { SharedStore, SharedStoreUnavailableError } from '@bastion/database';
import { AppConfig } from '../config/app-config';
import { AuthErrorCode, AuthException } from './auth.exception';
import { sha256Hex } from './crypto/token-hash';

/**
 * Failed-login counters per IP and per email, shared across instances. When the shared store
 * is down they fail open (logged): login stays available and the per-route throttle remains.
 */
@Injectable()
export class LoginAttempts {
  private readonly logger = new Logger(LoginAttempts.name);

  constructor(
    private readonly store: SharedStore,
    private readonly config: AppConfig,
  ) {}

  async assertAllowed(ip: string, email: string): Promise<void> {
    const counts = await this.read(() => this.store.getMany(this.keys(ip, email)));
    if (
      counts?.some((count) => Number(count ?? 0) >= this.config.auth.loginFailuresBeforeLockout)
    ) {
      throw new AuthException(AuthErrorCode.LoginLocked, {
        'retry-after': String(this.config.auth.loginWindowSeconds),
      });
    }
  }

  async recordFailure(ip: string, email: string): Promise<void> {
    const window = this.config.auth.loginWindowSeconds;
    await this.read(() =>
      Promise.all(this.keys(ip, email).map((key) => this.store.increment(key, window))),
    );
  }

  async recordSuccess(email: string): Promise<void> {
    await this.read(() => this.store.delete([this.emailKey(email)]));
  }

  private keys(ip: string, email: string): string[] {
    return [`login-failures:ip:${ip}`, this.emailKey(email)];
  }

  private emailKey(email: string): string {
    return `login-failures:email:${sha256Hex(email.trim().toLowerCase())}`;
  }

  private async read<T>(operation: () => Promise<T>): Promise<T | undefined> {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof SharedStoreUnavailableError)) throw error;
      this.logger.warn(`Login attempt counters unavailable, failing open: ${error.message}`);
      return undefined;
    }
  }
}
