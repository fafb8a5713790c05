import { SharedStore } from './shared-store';

interface Entry {
  value: string;
  expiresAt: number;
}

/** Single-instance stand-in for Redis: same semantics, one process. */
export class MemorySharedStore extends SharedStore {
  readonly distributed = false;
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    super();
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.live(key)?.value ?? null);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.live(key)) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }

  async decrement(key: string): Promise<void> {
    const entry = this.live(key);
    if (entry) entry.value = String(Number(entry.value) - 1);
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async increment(
    key: string,
    windowSeconds: number,
  ): Promise<{ count: number; ttlSeconds: number }> {
    const entry = this.live(key) ?? { value: '0', expiresAt: this.now() + windowSeconds * 1000 };
    entry.value = String(Number(entry.value) + 1);
    this.entries.set(key, entry);
    return {
      count: Number(entry.value),
      ttlSeconds: Math.max(1, Math.ceil((entry.expiresAt - this.now()) / 1000)),
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    for (const key of this.entries.keys()) this.live(key);
  }
}
