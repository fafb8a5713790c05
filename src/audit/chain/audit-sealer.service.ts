import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SerialPasses } from '@bastion/common';
import { chainedEventOf } from '../audit-event-row';
import { AuditChainRepository, Seal } from './audit-chain.repository';
import { CheckpointAnchors } from './checkpoint-anchors';
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

interface Batch {
  sealed: number;
  checkpoint: Checkpoint | null;
}

interface Pass {
  settleMs: number;
  /** Wait for another instance's pass instead of leaving the work to it. */
  wait: boolean;
}

/**
 * Seals committed events into the hash chain: assigns `seq`, `prev_hash` and `hash` in one
 * transaction per batch, under a PostgreSQL advisory lock so that one instance seals at a time,
 * and signs a checkpoint of the chain head every so many events or seconds. Each checkpoint, once
 * committed, also leaves the database: a log line and a line in the anchor file. Business
 * transactions never wait for it: they insert unsealed rows and commit.
 */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditSealer.name);
  private readonly passes = new SerialPasses(
    INTERVAL_MS,
    () => this.sealAll({ settleMs: SETTLE_MS, wait: false }),
    (error) => this.logger.warn({ err: error }, 'Audit sealing pass failed'),
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly chain: AuditChainRepository,
    private readonly signer: CheckpointSigner,
    private readonly anchors: CheckpointAnchors,
  ) {}

  onApplicationBootstrap(): void {
    this.passes.start();
  }

  /** Before the data source closes (on `onApplicationShutdown`): finish the running pass. */
  beforeApplicationShutdown(): Promise<void> {
    return this.passes.stop();
  }

  /** Seals every committed event now, waiting for another instance's pass; returns how many. */
  seal(): Promise<number> {
    return this.passes.run(() => this.sealAll({ settleMs: 0, wait: true }));
  }

  /** Signs a checkpoint of the chain head now, unless the head already has one. */
  checkpoint(): Promise<Checkpoint | null> {
    return this.passes.run(async () => {
      const checkpoint = await this.dataSource.transaction(async (manager) => {
        await this.chain.lockSealer(manager);
        return this.checkpointHead(manager, true);
      });
      if (checkpoint) await this.anchor(checkpoint);
      return checkpoint;
    });
  }

  private async sealAll(pass: Pass): Promise<number> {
    let sealed = 0;
    for (;;) {
      const batch = await this.dataSource.transaction((manager) => this.sealBatch(manager, pass));
      if (batch === null) return sealed;
      if (batch.checkpoint) await this.anchor(batch.checkpoint);
      sealed += batch.sealed;
      if (batch.sealed < BATCH_SIZE || (this.passes.stopping && !pass.wait)) return sealed;
    }
  }

  /** After the commit only: an anchor of a rolled-back checkpoint would contradict the chain. */
  private async anchor(checkpoint: Checkpoint): Promise<void> {
    this.logger.log({ auditCheckpoint: checkpoint }, 'Audit checkpoint signed');
    try {
      await this.anchors.append(checkpoint);
    } catch (error) {
      this.logger.error({ err: error, seq: checkpoint.seq }, 'Audit checkpoint not anchored');
    }
  }

  /** One batch in one transaction; null when another instance holds the sealer lock. */
  private async sealBatch(manager: EntityManager, pass: Pass): Promise<Batch | null> {
    if (pass.wait) await this.chain.lockSealer(manager);
    else if (!(await this.chain.tryLockSealer(manager))) return null;
    const rows = await this.chain.unsealed(manager, pass.settleMs, BATCH_SIZE);
    if (rows.length > 0) {
      const head = await this.chain.head(manager);
      let seq = head?.seq ?? 0;
      let prevHash = head?.hash ?? GENESIS_HASH;
      const seals: Seal[] = rows.map((row) => {
        seq += 1;
        const hash = eventHash(chainedEventOf(row, seq, prevHash));
        const seal = { id: row.id, seq, prevHash, hash };
        prevHash = hash;
        return seal;
      });
      await this.chain.assignSeals(manager, seals);
    }
    return { sealed: rows.length, checkpoint: await this.checkpointHead(manager, false) };
  }

  private async checkpointHead(manager: EntityManager, force: boolean): Promise<Checkpoint | null> {
    const head = await this.chain.head(manager);
    if (!head) return null;
    const last = await this.chain.latestCheckpoint(manager);
    if (last && last.seq >= head.seq) return null;
    const due =
      force ||
      !last ||
      head.seq - last.seq >= CHECKPOINT_EVERY_EVENTS ||
      Date.now() - last.signedAt.getTime() >= CHECKPOINT_EVERY_MS;
    if (!due) return null;
    const checkpoint = this.signer.sign(head.seq, head.hash, new Date());
    await this.chain.insertCheckpoint(manager, checkpoint);
    return checkpoint;
  }
}
