/**
 * Small key-value operations that every instance must see alike: revocations, the permission
 * cache, login failure counters. Redis when configured, an in-process map otherwise.
 */
export abstract class SharedStore {
  /** True when several instances share this store (Redis). */
  abstract readonly distributed: boolean;

  abstract get(key: string): Promise<string | null>;
  abstract getMany(keys: string[]): Promise<(string | null)[]>;
  abstract set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Sets only when the key is absent; true when this call set it. */
  abstract setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  abstract delete(keys: string[]): Promise<void>;
  /** Fixed-window counter: increments and returns the count and the seconds left in the window. */
  abstract increment(
    key: string,
    windowSeconds: number,
  ): Promise<{ count: number; ttlSeconds: number }>;
  /** Takes one back from a counter made by `increment`; a missing counter stays missing. */
  abstract decrement(key: string): Promise<void>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;
}

export class SharedStoreUnavailableError extends Error {
  override name = 'SharedStoreUnavailableError';
}
