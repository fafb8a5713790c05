import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { requestContext, RequestContext } from '@bastion/common';
import { FallbackSharedStore, SharedStore } from '@bastion/database';
import { AuditRecord, AuditWriter } from './audit-writer.service';

const BUCKET_MS = 60_000;
/**
 * A bucket is written this long after its minute ends, so that a request another instance counted
 * at the turn of the minute (its clock a little behind) still makes it into the count.
 */
const CLOSE_AFTER_MS = 2_000;
const CLOSE_EVERY_MS = 1_000;
// Outlives the bucket by far: every instance has closed it long before its count and claim expire.
const SHARED_TTL_SECONDS = 600;

interface Bucket {
  id: string;
  start: number;
  /** This instance's share of the count, which stands in when the shared count was lost. */
  counted: number;
  /** The first of its requests on this instance: what the event shows besides the count. */
  first: { record: AuditRecord; context: RequestContext };
}

/**
 * Requests that carry no valid credential cost an attacker nothing, and audit rows can never be
 * deleted, so they are recorded at most once per client IP, reason and minute, with the number of
 * requests in `metadata.count`. The log is append-only, so the count must be known when the event
 * is written: requests are counted in the shared store (every instance adds to one count), and
 * when the minute is over, the instances that saw the bucket race to claim it there; the one that
 * wins writes the event. Without Redis the store is this process's memory, which is then right
 * too (one instance); while Redis is down each instance counts and writes its own buckets. An
 * instance that stops writes its buckets at once with the count so far, so that none is lost;
 * what other instances count after that for the same address, reason and minute is left out of
 * the event (still limited, and the bucket is still written once).
 */
@Injectable()
export class AnonymousDenialTally implements OnApplicationBootstrap {
  private readonly logger = new Logger(AnonymousDenialTally.name);
  private readonly store: SharedStore;
  private readonly buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | null = null;
  private flushed = false;
  /** Closing passes run one after another, so that a flush waits for the pass in progress. */
  private closing: Promise<void> = Promise.resolve();

  constructor(
    store: SharedStore,
    private readonly writer: AuditWriter,
  ) {
    this.store = new FallbackSharedStore(store, AnonymousDenialTally.name);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.closeDue(Date.now()), CLOSE_EVERY_MS);
    this.timer.unref();
  }

  /** Counts one refused request; `reason` and the client IP choose its bucket with the minute. */
  async count(reason: string, record: AuditRecord, context: RequestContext): Promise<void> {
    const now = Date.now();
    const start = now - (now % BUCKET_MS);
    const id = `${start}:${reason}:${context.ip}`;
    let bucket = this.buckets.get(id);
    if (!bucket) {
      const first = {
        record,
        context: { requestId: context.requestId, ip: context.ip, userAgent: context.userAgent },
      };
      bucket = { id, start, counted: 0, first };
      this.buckets.set(id, bucket);
    }
    bucket.counted += 1;
    await this.store.increment(countKey(id), SHARED_TTL_SECONDS);
    // A request that outlived the shutdown flush is written at once rather than never.
    if (this.flushed) await this.closeDue(Number.POSITIVE_INFINITY);
  }

  /**
   * Writes the buckets whose minute had ended (and their grace passed) at `now`. Scheduled every
   * second with the time; tests pass a later time instead of waiting for the minute to end.
   */
  closeDue(now: number): Promise<void> {
    const due = [...this.buckets.values()].filter(
      (bucket) => bucket.start + BUCKET_MS + CLOSE_AFTER_MS <= now,
    );
    for (const bucket of due) this.buckets.delete(bucket.id);
    const pass = this.closing.then(() => Promise.all(due.map((bucket) => this.close(bucket))));
    this.closing = pass.then(() => undefined);
    return this.closing;
  }

  /** On shutdown, once no request is left running: every bucket is written now, none lost. */
  flush(): Promise<void> {
    this.flushed = true;
    if (this.timer) clearInterval(this.timer);
    return this.closeDue(Number.POSITIVE_INFINITY);
  }

  private async close(bucket: Bucket): Promise<void> {
    try {
      const claimed = await this.store.setIfAbsent(claimKey(bucket.id), '1', SHARED_TTL_SECONDS);
      if (!claimed) return;
      const shared = Number((await this.store.get(countKey(bucket.id))) ?? 0);
      const { record, context } = bucket.first;
      const event: AuditRecord = {
        ...record,
        metadata: {
          ...record.metadata,
          count: Math.max(shared, bucket.counted),
          from: new Date(bucket.start).toISOString(),
          to: new Date(bucket.start + BUCKET_MS).toISOString(),
        },
      };
      await requestContext.run({ ...context }, () => this.writer.recordAlone(event));
    } catch (error) {
      // As for any denial: the log line keeps the lost event visible.
      this.logger.error(
        { err: error, requestId: bucket.first.context.requestId },
        'Audit event not recorded',
      );
    }
  }
}

function countKey(bucketId: string): string {
  return `audit-denials:count:${bucketId}`;
}

function claimKey(bucketId: string): string {
  return `audit-denials:claim:${bucketId}`;
}
