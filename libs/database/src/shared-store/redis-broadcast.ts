import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { BroadcastHandler, InstanceBroadcast } from './instance-broadcast';
import { SharedStoreUnavailableError } from './shared-store';

const BEAT_INTERVAL_MS = 500;
/** Heard nothing for this long: the subscription may be dead, so memory is not trusted. */
const SILENCE_LIMIT_MS = 2_000;
/** By then an instance that has not acknowledged has been silent long enough to distrust itself. */
const ACK_DEADLINE_MS = SILENCE_LIMIT_MS + BEAT_INTERVAL_MS;
const NUMBER_KEY = 'broadcast:number';

// Numbering and publishing in one script keeps the numbers in the order subscribers receive them.
const PUBLISH_NUMBERED = `local number = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], number .. ' ' .. ARGV[2])
return number`;
// A beat carries the latest number: a subscriber that has not seen it missed something.
const PUBLISH_BEAT = `local number = redis.call('GET', KEYS[1]) or '0'
return redis.call('PUBLISH', ARGV[1], number .. ' ' .. ARGV[2])`;

type NumberedCommand = (key: string, channel: string, payload: string) => Promise<number>;

interface Message {
  id: string;
  topic: string;
  keys: string[];
}

interface PendingPublish {
  acknowledge: (instance: string) => void;
  abandon: () => void;
}

/**
 * Broadcast over Redis pub/sub, with what plain pub/sub lacks for cache invalidation: messages
 * are numbered, so a gap (or Redis restarting, which resets the number) is noticed and memory is
 * dropped; every instance beats twice a second on the channel, so a subscription that died
 * silently shows as silence and memory stops being trusted; and a publisher waits until every
 * instance it has heard beating has acknowledged (or, failing that, has been silent long enough
 * to distrust its own memory), so a change is in force everywhere when its request answers.
 */
export class RedisBroadcast extends InstanceBroadcast {
  private readonly logger = new Logger('InstanceBroadcast');
  private readonly instanceId = randomUUID();
  private readonly channel: string;
  private readonly ackChannel: string;
  private readonly handlers = new Map<string, BroadcastHandler[]>();
  private readonly resetHandlers: (() => void)[] = [];
  private readonly pending = new Map<string, PendingPublish>();
  private readonly lastBeats = new Map<string, number>();
  private readonly publishNumbered: NumberedCommand;
  private readonly publishBeat: NumberedCommand;
  private readonly beats: NodeJS.Timeout;
  private lastNumber: number | null = null;
  private heardAt = -Infinity;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {
    super();
    const prefix = redis.options.keyPrefix ?? '';
    this.channel = `${prefix}broadcast`;
    this.ackChannel = `${prefix}broadcast:acks`;
    redis.defineCommand('broadcastNumbered', { numberOfKeys: 1, lua: PUBLISH_NUMBERED });
    redis.defineCommand('broadcastBeat', { numberOfKeys: 1, lua: PUBLISH_BEAT });
    const commands = redis as unknown as Record<string, NumberedCommand>;
    this.publishNumbered = commands.broadcastNumbered.bind(redis);
    this.publishBeat = commands.broadcastBeat.bind(redis);
    subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    subscriber.on('close', () => this.lose('subscription closed'));
    // The main connection logs Redis errors; here they only mean the subscription is down.
    subscriber.on('error', () => undefined);
    this.beats = setInterval(() => this.beat(), BEAT_INTERVAL_MS);
    this.beats.unref();
  }

  static async connect(redis: Redis): Promise<RedisBroadcast> {
    const subscriber = redis.duplicate({ enableOfflineQueue: true });
    const broadcast = new RedisBroadcast(redis, subscriber);
    await subscriber.subscribe(broadcast.channel, broadcast.ackChannel);
    broadcast.beat();
    return broadcast;
  }

  get inSync(): boolean {
    return this.lastNumber !== null && performance.now() - this.heardAt < SILENCE_LIMIT_MS;
  }

  async publish(topic: string, keys: string[]): Promise<void> {
    const message: Message = { id: randomUUID(), topic, keys };
    const acknowledged = this.awaitAcknowledgements(message.id);
    try {
      await this.publishNumbered(NUMBER_KEY, this.channel, JSON.stringify(message));
    } catch (error) {
      this.pending.get(message.id)?.abandon();
      throw new SharedStoreUnavailableError((error as Error).message);
    }
    await acknowledged;
  }

  on(topic: string, handler: BroadcastHandler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  onReset(handler: () => void): void {
    this.resetHandlers.push(handler);
  }

  close(): Promise<void> {
    clearInterval(this.beats);
    // Shutting down is not losing the subscription: nothing to drop or warn about.
    this.subscriber.removeAllListeners('close');
    this.subscriber.disconnect();
    return Promise.resolve();
  }

  /**
   * Waits for every instance heard beating lately. Without a live subscription of its own this
   * instance cannot know who listens or hear their acknowledgements, so it waits the deadline out.
   */
  private awaitAcknowledgements(id: string): Promise<void> {
    const now = performance.now();
    const complete = this.inSync;
    const awaited = new Set<string>();
    for (const [instance, at] of this.lastBeats) {
      if (now - at < SILENCE_LIMIT_MS) awaited.add(instance);
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn(
          complete
            ? `Broadcast not acknowledged by ${awaited.size} instance(s) within ${ACK_DEADLINE_MS} ms; they no longer trust their memory`
            : `Broadcast sent while this instance's subscription is down; waited ${ACK_DEADLINE_MS} ms`,
        );
        done();
      }, ACK_DEADLINE_MS);
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve();
      };
      if (complete && awaited.size === 0) return done();
      this.pending.set(id, {
        acknowledge: (instance) => {
          awaited.delete(instance);
          if (complete && awaited.size === 0) done();
        },
        abandon: done,
      });
    });
  }

  private receive(channel: string, raw: string): void {
    if (channel === this.ackChannel) return this.acknowledged(raw);
    const space = raw.indexOf(' ');
    const number = Number(raw.slice(0, space));
    const body = raw.slice(space + 1);
    this.heardAt = performance.now();
    if (body.startsWith('beat ')) {
      this.lastBeats.set(body.slice(5), this.heardAt);
      if (this.lastNumber !== null && number !== this.lastNumber) this.reset('missed messages');
      this.lastNumber = number;
      return;
    }
    if (this.lastNumber !== null && number !== this.lastNumber + 1) this.reset('missed messages');
    this.lastNumber = number;
    const message = JSON.parse(body) as Message;
    for (const handler of this.handlers.get(message.topic) ?? []) handler(message.keys);
    this.redis.publish(this.ackChannel, `${message.id} ${this.instanceId}`).catch(() => undefined);
  }

  private acknowledged(raw: string): void {
    const [id, instance] = raw.split(' ');
    this.pending.get(id)?.acknowledge(instance);
  }

  private beat(): void {
    const now = performance.now();
    for (const [instance, at] of this.lastBeats) {
      if (now - at > SILENCE_LIMIT_MS) this.lastBeats.delete(instance);
    }
    this.publishBeat(NUMBER_KEY, this.channel, `beat ${this.instanceId}`).catch(() => undefined);
  }

  private lose(reason: string): void {
    if (this.lastNumber === null) return;
    this.lastNumber = null;
    this.reset(reason);
  }

  private reset(reason: string): void {
    this.logger.warn(`Dropping what this instance remembers of access: ${reason}`);
    for (const handler of this.resetHandlers) handler();
  }
}
