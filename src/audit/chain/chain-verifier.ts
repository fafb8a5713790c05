import { EntityManager } from 'typeorm';
import { chainedEventOf } from '../audit-event-row';
import { ChainStore, TimeRange } from './chain.store';
import { Checkpoint, CheckpointSigner } from './checkpoint-signer';
import { eventHash, GENESIS_HASH } from './event-hash';

const BATCH_SIZE = 1000;

export interface ChainVerification {
  valid: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  brokenAtSeq?: number;
}

/**
 * Recomputes the chain over the sealed events of a time window, in `seq` order and in batches
 * (constant memory), and checks every signed checkpoint in it against the configured key.
 */
export class ChainVerifier {
  private readonly store = new ChainStore();

  constructor(private readonly signer: CheckpointSigner) {}

  async verify(manager: EntityManager, range: TimeRange): Promise<ChainVerification> {
    const bounds = await this.store.sealedBounds(manager, range);
    if (!bounds) return { valid: true, checked: 0, firstSeq: null, lastSeq: null };
    // Without a lower bound the chain must start at 1: missing first events are a deletion.
    const firstSeq = range.from ? bounds.first : 1;
    const lastSeq = bounds.last;
    let checked = 0;
    const broken = (seq: number): ChainVerification => ({
      valid: false,
      checked,
      firstSeq,
      lastSeq,
      brokenAtSeq: seq,
    });

    let prevHash = firstSeq === 1 ? GENESIS_HASH : await this.store.hashAt(manager, firstSeq - 1);
    if (prevHash === null) return broken(firstSeq - 1);
    let expected = firstSeq;
    while (expected <= lastSeq) {
      const rows = await this.store.sealedBetween(manager, expected, lastSeq, BATCH_SIZE);
      const batchEnd = rows.length > 0 ? Number(rows[rows.length - 1].seq) : expected;
      const checkpoints = new Map(
        (await this.store.checkpointsBetween(manager, expected, batchEnd)).map(
          (checkpoint): [number, Checkpoint] => [checkpoint.seq, checkpoint],
        ),
      );
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expected) return broken(expected);
        if (row.prev_hash !== prevHash) return broken(seq);
        if (eventHash(chainedEventOf(row, seq, prevHash)) !== row.hash) return broken(seq);
        const checkpoint = checkpoints.get(seq);
        if (checkpoint && !(this.signer.isAuthentic(checkpoint) && checkpoint.hash === row.hash)) {
          return broken(seq);
        }
        prevHash = row.hash;
        checked += 1;
        expected += 1;
      }
    }
    // A signed checkpoint past the last event means events were cut off the end of the chain.
    if (!range.to && (await this.store.firstCheckpointAfter(manager, lastSeq)) !== null) {
      return broken(lastSeq + 1);
    }
    return { valid: true, checked, firstSeq, lastSeq };
  }
}
