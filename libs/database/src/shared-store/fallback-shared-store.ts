import { Logger } from '@nestjs/common';
import { MemorySharedStore } from './memory-shared-store';
import { SharedStore, SharedStoreUnavailableError } from './shared-store';

const WARN_EVERY_MS = 10_000;

/**
 * For limits that must keep holding when Redis fails (failed logins, one-time code replay): the
 * shared store while it answers, else this instance's own memory. Limits then hold per instance
 * instead of across instances, which is weaker but never open.
 */
export class FallbackSharedStore extends SharedStore {
  private readonly local = new MemorySharedStore();
  private readonly logger: Logger;
  private lastWarning = 0;

  constructor(
    private readonly shared: SharedStore,
    purpose: string,
  ) {
    super();
    this.logger = new Logger(purpose);
  }

  get distributed(): boolean {
    return this.shared.distributed;
  }

  get(key: string) {
    return this.either((store) => store.get(key));
  }

  getMany(keys: string[]) {
    return this.either((store) => store.getMany(keys));
  }

  set(key: string, value: string, ttlSeconds: number) {
    return this.either((store) => store.set(key, value, ttlSeconds));
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number) {
    return this.either((store) => store.setIfAbsent(key, value, ttlSeconds));
  }

  delete(keys: string[]) {
    return this.either((store) => store.delete(keys));
  }

  increment(key: string, windowSeconds: number) {
    return this.either((store) => store.increment(key, windowSeconds));
  }

  decrement(key: string) {
    return this.either((store) => store.decrement(key));
  }

  ping() {
    return this.shared.ping();
  }

  async close(): Promise<void> {
    await this.local.close();
  }

  private async either<T>(operation: (store: SharedStore) => Promise<T>): Promise<T> {
    try {
      return await operation(this.shared);
    } catch (error) {
      if (!(error instanceof SharedStoreUnavailableError)) throw error;
      if (Date.now() - this.lastWarning > WARN_EVERY_MS) {
        this.lastWarning = Date.now();
        this.logger.warn(
          `Shared store unavailable, holding limits in this instance: ${error.message}`,
        );
      }
      return operation(this.local);
    }
  }
}
