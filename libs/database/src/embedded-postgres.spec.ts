import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirectoryLock, DataDirectoryLockedError } from './embedded-postgres';

const NONEXISTENT_PID = 999999;

describe('DataDirectoryLock', () => {
  let dir: string;
  let lockFile: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bastion-lock-'));
    lockFile = join(dir, 'bastion.lock');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function processExists(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  it('creates a lock file holding this process id, readable by the owner only', () => {
    const lock = DataDirectoryLock.acquire(dir);

    expect(readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    expect(statSync(lockFile).mode & 0o777).toBe(0o600);
    lock.release();
  });

  it('creates a missing data directory', () => {
    const nested = join(dir, 'a', 'b');

    const lock = DataDirectoryLock.acquire(nested);

    expect(existsSync(join(nested, 'bastion.lock'))).toBe(true);
    lock.release();
  });

  it('refuses while another live process holds the lock, and leaves its lock alone', () => {
    const holder = process.ppid;
    expect(processExists(holder)).toBe(true);
    writeFileSync(lockFile, String(holder));

    expect(() => DataDirectoryLock.acquire(dir)).toThrow(DataDirectoryLockedError);
    expect(() => DataDirectoryLock.acquire(dir)).toThrow(`in use by process ${holder}`);
    expect(readFileSync(lockFile, 'utf8')).toBe(String(holder));
  });

  it('takes over a lock left by a process that no longer exists', () => {
    expect(processExists(NONEXISTENT_PID)).toBe(false);
    writeFileSync(lockFile, String(NONEXISTENT_PID));

    const lock = DataDirectoryLock.acquire(dir);

    expect(readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    lock.release();
  });

  it.each([
    ['empty', ''],
    ['not a number', 'garbage'],
    ['pid 0', '0'],
    ['a negative pid', '-1'],
  ])('takes over a lock file that is %s', (_case, content) => {
    writeFileSync(lockFile, content);

    const lock = DataDirectoryLock.acquire(dir);

    expect(readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    lock.release();
  });

  it('releases so the directory can be locked again', () => {
    const first = DataDirectoryLock.acquire(dir);

    first.release();

    expect(existsSync(lockFile)).toBe(false);
    const second = DataDirectoryLock.acquire(dir);
    expect(existsSync(lockFile)).toBe(true);
    second.release();
  });

  it('tolerates a second release', () => {
    const lock = DataDirectoryLock.acquire(dir);
    lock.release();

    expect(() => lock.release()).not.toThrow();
  });
});
