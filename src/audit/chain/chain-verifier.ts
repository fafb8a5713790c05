import { EntityManager } from 'typeorm';
import { chainedEventOf } from '../audit-event-row';
import { AuditChainRepository, TimeRange } from './audit-chain.repository';
import { Checkpoint, CheckpointSigner } from './checkpoint-signer';
import { eventHash, GENESIS_HASH } from './event-hash';

const BATCH_SIZE = 1000;

export interface ChainVerification {
  valid: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  brokenAtSeq?: number;
  /** The highest anchor (a checkpoint kept outside the database) that the chain matched. */
  anchoredThrough?: number;
}

/**
 * Recomputes the chain over the sealed events of a time window, in `seq` order and in batches
 * (constant memory), and checks every signed checkpoint in it against the configured key. Anchors
 * are checkpoints kept outside the database: each in the window must be authentic and match the
 * event at its `seq`, so that a chain re-sealed or cut short by the database's owner (who can
 * also sign new checkpoints with the server's key) no longer verifies.
 */
export class ChainVerifier {
  constructor(
    private readonly signer: CheckpointSigner,
    private readonly chain: AuditChainRepository,
  ) {}

  async verify(
    manager: EntityManager,
    range: TimeRange,
    anchors: Checkpoint[] = [],
  ): Promise<ChainVerification> {
    const bounds = await this.chain.sealedBounds(manager, range);
    const unbounded = !range.from && !range.to;
    if (!bounds) {
      // An anchor of an empty chain: every event was deleted.
      return unbounded && anchors.length > 0
        ? { valid: false, checked: 0, firstSeq: null, lastSeq: null, brokenAtSeq: 1 }
        : { valid: true, checked: 0, firstSeq: null, lastSeq: null };
    }
    // Without a lower bound the chain must start at 1: missing first events are a deletion.
    const firstSeq = range.from ? bounds.first : 1;
    const lastSeq = bounds.last;
    const anchorsAt = new Map<number, Checkpoint[]>();
    for (const anchor of anchors) {
      anchorsAt.set(anchor.seq, [...(anchorsAt.get(anchor.seq) ?? []), anchor]);
    }
    let checked = 0;
    let anchoredThrough: number | undefined;
    const broken = (seq: number): ChainVerification => ({
      valid: false,
      checked,
      firstSeq,
      lastSeq,
      brokenAtSeq: seq,
      ...(anchoredThrough === undefined ? {} : { anchoredThrough }),
    });
    const holds = (checkpoint: Checkpoint, hash: string) =>
      this.signer.isAuthentic(checkpoint) && checkpoint.hash === hash;

    let prevHash = firstSeq === 1 ? GENESIS_HASH : await this.chain.hashAt(manager, firstSeq - 1);
    if (prevHash === null) return broken(firstSeq - 1);
    let expected = firstSeq;
    while (expected <= lastSeq) {
      const rows = await this.chain.sealedBetween(manager, expected, lastSeq, BATCH_SIZE);
      const batchEnd = rows.length > 0 ? Number(rows[rows.length - 1].seq) : expected;
      const checkpoints = new Map(
        (await this.chain.checkpointsBetween(manager, expected, batchEnd)).map(
          (checkpoint): [number, Checkpoint] => [checkpoint.seq, checkpoint],
        ),
      );
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expected) return broken(expected);
        if (row.prev_hash !== prevHash) return broken(seq);
        const hash = eventHash(chainedEventOf(row, seq, prevHash));
        if (hash !== row.hash) return broken(seq);
        const checkpoint = checkpoints.get(seq);
        if (checkpoint && !holds(checkpoint, hash)) return broken(seq);
        const anchored = anchorsAt.get(seq) ?? [];
        if (!anchored.every((anchor) => holds(anchor, hash))) return broken(seq);
        if (anchored.length > 0) anchoredThrough = seq;
        prevHash = hash;
        checked += 1;
        expected += 1;
      }
    }
    // A checkpoint or anchor past the last event means events were cut off the end of the chain.
    if (
      !range.to &&
      ((await this.chain.firstCheckpointAfter(manager, lastSeq)) !== null ||
        anchors.some((anchor) => anchor.seq > lastSeq))
    ) {
      return broken(lastSeq + 1);
    }
    return {
      valid: true,
      checked,
      firstSeq,
      lastSeq,
      ...(anchoredThrough === undefined ? {} : { anchoredThrough }),
    };
  }
}
