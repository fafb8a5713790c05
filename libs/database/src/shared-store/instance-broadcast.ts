export type BroadcastHandler = (keys: string[]) => void;

/**
 * Tells every instance that something it may hold in memory changed (a session revoked, a user's
 * roles edited), so that instances can answer from their own memory instead of asking a shared
 * store on every request. Over Redis pub/sub when Redis is configured; in-process otherwise.
 */
export abstract class InstanceBroadcast {
  /**
   * True while this instance is known to have heard every broadcast: memory may be trusted.
   * False while the channel is down or not yet confirmed, and then callers must read the source.
   */
  abstract readonly inSync: boolean;

  /**
   * Resolves once every listening instance has applied the message (each acknowledges it);
   * rejects with `SharedStoreUnavailableError` when that could not be confirmed in time.
   */
  abstract publish(topic: string, keys: string[]): Promise<void>;

  /** Runs `handler` for every message on `topic`, from any instance, this one included. */
  abstract on(topic: string, handler: BroadcastHandler): void;

  /** Runs `handler` whenever messages may have been missed: what memory holds must be dropped. */
  abstract onReset(handler: () => void): void;

  abstract close(): Promise<void>;
}

/** One instance: every message reaches its only listener before `publish` returns. */
export class LocalBroadcast extends InstanceBroadcast {
  readonly inSync = true;
  private readonly handlers = new Map<string, BroadcastHandler[]>();

  publish(topic: string, keys: string[]): Promise<void> {
    for (const handler of this.handlers.get(topic) ?? []) handler(keys);
    return Promise.resolve();
  }

  on(topic: string, handler: BroadcastHandler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  onReset(): void {
    // Nothing is ever missed in-process.
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
