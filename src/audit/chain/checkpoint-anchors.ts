import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Checkpoint } from './checkpoint-signer';

const ANCHOR_FILE = 'checkpoints.ndjson';
const ANCHOR_FILE_PATTERN = /\.ndjson$/;

export class AnchorFileError extends Error {
  override name = 'AnchorFileError';
}

function isCheckpoint(value: unknown): value is Checkpoint {
  const candidate = value as Partial<Checkpoint> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    Number.isSafeInteger(candidate.seq) &&
    (candidate.seq as number) > 0 &&
    typeof candidate.hash === 'string' &&
    typeof candidate.signedAt === 'string' &&
    typeof candidate.keyId === 'string' &&
    typeof candidate.signature === 'string'
  );
}

/**
 * Signed checkpoints kept outside the database, one JSON line each: what the chain's head was,
 * so that a log truncated or re-chained by whoever owns the database no longer matches them.
 */
export class CheckpointAnchors {
  constructor(private readonly dir: string) {}

  /** One line, one write: appends from several processes do not interleave. */
  async append(checkpoint: Checkpoint): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const { seq, hash, signedAt, keyId, signature } = checkpoint;
    await appendFile(
      join(this.dir, ANCHOR_FILE),
      `${JSON.stringify({ seq, hash, signedAt, keyId, signature })}\n`,
      { mode: 0o600 },
    );
  }

  /** Every anchor in the folder's `.ndjson` files; none when the folder does not exist yet. */
  async readAll(): Promise<Checkpoint[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const files = names.filter((name) => ANCHOR_FILE_PATTERN.test(name)).sort();
    return (await Promise.all(files.map((name) => readAnchorFile(join(this.dir, name))))).flat();
  }
}

/** Anchors of one file; a line that is not a checkpoint is an error, never skipped. */
export async function readAnchorFile(path: string): Promise<Checkpoint[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const anchors: Checkpoint[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (!isCheckpoint(parsed)) {
      throw new AnchorFileError(`${path}:${index + 1} is not a signed checkpoint`);
    }
    anchors.push(parsed);
  });
  return anchors;
}
