import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

export class DataDirectoryLockedError extends Error {
  override name = 'DataDirectoryLockedError';
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite keeps no lock of its own and two processes on one directory lose committed rows,
 * so the directory is claimed with a pid file; a lock left by a dead process is taken over.
 */
export class DataDirectoryLock {
  private constructor(private readonly path: string) {}

  static acquire(directory: string): DataDirectoryLock {
    mkdirSync(directory, { recursive: true });
    const path = join(directory, 'bastion.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirectoryLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(path, 'utf8'));
        // Only a positive pid names a process: an empty file reads as 0, and kill(0 or -1, 0)
        // would probe the process group or every process and always answer "alive". The holder
        // may be this very process: two data sources on one directory lose writes just the same.
        if (Number.isInteger(holder) && holder > 0 && processIsAlive(holder)) {
          throw new DataDirectoryLockedError(
            `The embedded database in ${directory} is in use by process ${holder}. ` +
              'Stop it, or set DATA_DIR or DATABASE_URL to run another instance.',
          );
        }
        rmSync(path, { force: true });
      }
    }
    throw new DataDirectoryLockedError(`Could not lock ${directory}`);
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

export interface EmbeddedPostgres {
  pglite: PGlite;
  close(): Promise<void>;
}

/** Opens PGlite on disk (locked) or, given a seed, in memory from a dumped data directory. */
export async function openEmbeddedPostgres(
  dataDir: string,
  seed?: Blob,
): Promise<EmbeddedPostgres> {
  if (seed) {
    const pglite = await PGlite.create('memory://', { loadDataDir: seed });
    return { pglite, close: () => pglite.close() };
  }
  const directory = join(dataDir, 'pglite');
  const lock = DataDirectoryLock.acquire(dataDir);
  try {
    const pglite = await PGlite.create(directory);
    return {
      pglite,
      close: async () => {
        await pglite.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
