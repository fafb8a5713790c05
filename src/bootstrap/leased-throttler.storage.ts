import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type { Redis } from 'ioredis';

const COMMAND = 'throttlerLease';
/** An instance leases a twentieth of a caller's limit at a time. */
const LEASE_SHARE = 20;
const SWEEP_INTERVAL_MS = 10_000;

// Grants up to ARGV[3] hits of what is left of the window, or starts a block when nothing is.
// Replies: granted, hits granted in the window so far, the window's ms left, the block's ms left.
const LEASE = `local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return {0, tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), blockLeft}
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local granted = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) - used)
if granted > 0 then
  used = redis.call('INCRBY', KEYS[1], granted)
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  return {granted, used, redis.call('PTTL', KEYS[1]), 0}
end
local blockMs = tonumber(ARGV[4])
if blockMs <= 0 then blockMs = math.max(redis.call('PTTL', KEYS[1]), 1) end
redis.call('SET', KEYS[2], '1', 'PX', blockMs)
return {0, used, redis.call('PTTL', KEYS[1]), blockMs}`;

type LeaseCommand = (
  hitsKey: string,
  blockKey: string,
  windowMs: number,
  limit: number,
  wanted: number,
  blockMs: number,
) => Promise<[number, number, number, number]>;

/** This instance's share of one caller's window. */
interface Allowance {
  /** Hits leased from Redis and not yet spent here. */
  tokens: number;
  /** Hits Redis had granted to all instances at the last lease. */
  granted: number;
  windowEndsAt: number;
  blockedUntil: number;
  leasing?: Promise<void>;
}

/**
 * Rate-limit storage that counts in memory and settles with Redis in leases: an instance takes a
 * slice of a caller's window from Redis (atomically, so the slices never add up to more than the
 * limit), spends it locally, and leases the next slice in the background when half is spent.
 * A request therefore waits for Redis only when its caller has nothing leased here, about once
 * per window for a busy caller. Callers are never let over the limit, across any number of
 * instances; the cost is the other way: hits leased by one instance and not spent there are lost
 * to the caller for the window, so a caller spread over N instances can be refused up to
 * 1.5/20 of the limit per other instance early. Limits under 40 lease one hit at a time, exactly.
 */
export class LeasedThrottlerStorage implements ThrottlerStorage {
  private readonly lease: LeaseCommand;
  private readonly allowances = new Map<string, Allowance>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(redis: Redis) {
    redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: LEASE });
    const command = (redis as unknown as Record<string, LeaseCommand>)[COMMAND];
    this.lease = command.bind(redis);
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const slot = `{${key}:${throttlerName}}`;
    const slice = Math.max(Math.floor(limit / LEASE_SHARE), 1);
    for (;;) {
      const now = Date.now();
      const allowance = this.current(slot, now);
      if (allowance.blockedUntil > now) return blocked(allowance, now);
      if (allowance.tokens > 0) {
        allowance.tokens -= 1;
        if (slice > 1 && allowance.tokens <= slice / 2) {
          this.renew(slot, allowance, ttl, limit, slice, blockDuration).catch(() => undefined);
        }
        return spent(allowance, now);
      }
      await this.renew(slot, allowance, ttl, limit, slice, blockDuration);
    }
  }

  private current(slot: string, now: number): Allowance {
    const existing = this.allowances.get(slot);
    const live =
      existing &&
      (existing.leasing !== undefined ||
        existing.windowEndsAt > now ||
        existing.blockedUntil > now);
    if (live) return existing;
    const fresh: Allowance = { tokens: 0, granted: 0, windowEndsAt: now, blockedUntil: 0 };
    this.allowances.set(slot, fresh);
    return fresh;
  }

  /** One lease at a time per caller; concurrent requests wait for the same one. */
  private renew(
    slot: string,
    allowance: Allowance,
    windowMs: number,
    limit: number,
    wanted: number,
    blockMs: number,
  ): Promise<void> {
    allowance.leasing ??= this.lease(
      `${slot}:hits`,
      `${slot}:blocked`,
      windowMs,
      limit,
      wanted,
      blockMs,
    )
      .then(([granted, total, windowLeft, blockLeft]) => {
        const now = Date.now();
        allowance.tokens += granted;
        allowance.granted = total;
        if (windowLeft > 0) allowance.windowEndsAt = now + windowLeft;
        if (blockLeft > 0) allowance.blockedUntil = now + blockLeft;
      })
      .finally(() => {
        allowance.leasing = undefined;
      });
    return allowance.leasing;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [slot, allowance] of this.allowances) {
      if (allowance.windowEndsAt <= now && allowance.blockedUntil <= now && !allowance.leasing) {
        this.allowances.delete(slot);
      }
    }
  }
}

function spent(allowance: Allowance, now: number): ThrottlerStorageRecord {
  return {
    totalHits: allowance.granted - allowance.tokens,
    timeToExpire: Math.ceil((allowance.windowEndsAt - now) / 1000),
    isBlocked: false,
    timeToBlockExpire: 0,
  };
}

function blocked(allowance: Allowance, now: number): ThrottlerStorageRecord {
  return {
    totalHits: allowance.granted + 1,
    timeToExpire: Math.ceil((allowance.windowEndsAt - now) / 1000),
    isBlocked: true,
    timeToBlockExpire: Math.ceil((allowance.blockedUntil - now) / 1000),
  };
}
