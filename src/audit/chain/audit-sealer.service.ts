import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { chainedEventOf } from '../audit-event-row';
import { ChainStore, Seal } from './chain.store';
import { Checkpoint, CheckpointSigner } from './checkpoint-signer';
import { eventHash, GENESIS_HASH } from './event-hash';

const INTERVAL_MS = 300;
/**
 * Scheduled passes leave events younger than this alone, so that transactions still running
 * (which wrote earlier `occurred_at`s) usually commit first and `seq` follows time order.
 */
const SETTLE_MS = 1000;
const BATCH_SIZE = 1000;
const CHECKPOINT_EVERY_EVENTS = 1000;
const CHECKPOINT_EVERY_MS = 60_000;

interface Pass {
  settleMs: number;
  /** Wait for another instance's pass instead of leaving the work to it. */
  wait: boolean;
}

/**
 * Seals committed events into the hash chain: assigns `seq`, `prev_hash` and `hash` in one
 * transaction per batch, under a PostgreSQL advisory lock so that one instance seals at a time,
 * and signs a checkpoint of the chain head every so many events or seconds. Business
 * transactions never wait for it: they insert unsealed rows and commit.
 */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditSealer.name);
  private readonly store = new ChainStore();
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Passes of this process run one after another. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly signer: CheckpointSigner,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  /** Before the data source closes (on `onApplicationShutdown`): finish the running pass. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.queue;
  }

  /** Seals every committed event now, waiting for another instance's pass; returns how many. */
  seal(): Promise<number> {
    return this.enqueue(() => this.sealAll({ settleMs: 0, wait: true }));
  }

  /** Signs a checkpoint of the chain head now, unless the head already has one. */
  checkpoint(): Promise<Checkpoint | null> {
    return this.enqueue(() =>
      this.dataSource.transaction(async (manager) => {
        await this.store.lockSealer(manager);
        return this.checkpointHead(manager, true);
      }),
    );
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.enqueue(() => this.sealAll({ settleMs: SETTLE_MS, wait: false }))
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Audit sealing pass failed'))
        .finally(() => this.schedule());
    }, INTERVAL_MS);
    this.timer.unref();
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sealAll(pass: Pass): Promise<number> {
    let sealed = 0;
    for (;;) {
      const count = await this.dataSource.transaction((manager) => this.sealBatch(manager, pass));
      if (count === null) return sealed;
      sealed += count;
      if (count < BATCH_SIZE || (this.stopping && !pass.wait)) return sealed;
    }
  }

  /** One batch in one transaction; null when another instance holds the sealer lock. */
  private async sealBatch(manager: EntityManager, pass: Pass): Promise<number | null> {
    if (pass.wait) await this.store.lockSealer(manager);
    else if (!(await this.store.tryLockSealer(manager))) return null;
    const rows = await this.store.unsealed(manager, pass.settleMs, BATCH_SIZE);
    if (rows.length > 0) {
      const head = await this.store.head(manager);
      let seq = head?.seq ?? 0;
      let prevHash = head?.hash ?? GENESIS_HASH;
      const seals: Seal[] = rows.map((row) => {
        seq += 1;
        const hash = eventHash(chainedEventOf(row, seq, prevHash));
        const seal = { id: row.id, seq, prevHash, hash };
        prevHash = hash;
        return seal;
      });
      await this.store.assignSeals(manager, seals);
    }
    await this.checkpointHead(manager, false);
    return rows.length;
  }

  private async checkpointHead(manager: EntityManager, force: boolean): Promise<Checkpoint | null> {
    const head = await this.store.head(manager);
    if (!head) return null;
    const last = await this.store.latestCheckpoint(manager);
    if (last && last.seq >= head.seq) return null;
    const due =
      force ||
      !last ||
      head.seq - last.seq >= CHECKPOINT_EVERY_EVENTS ||
      Date.now() - last.signedAt.getTime() >= CHECKPOINT_EVERY_MS;
    if (!due) return null;
    const checkpoint = this.signer.sign(head.seq, head.hash, new Date());
    await this.store.insertCheckpoint(manager, checkpoint);
    return checkpoint;
  }
}
