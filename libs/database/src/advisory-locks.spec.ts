import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdvisoryLock } from './advisory-locks';

const ROOT = join(__dirname, '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('AdvisoryLock', () => {
  it('gives each lock its own key', () => {
    const keys = Object.values(AdvisoryLock);

    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(Number.isSafeInteger(key)).toBe(true);
  });

  it('is where every advisory lock in the sources takes its key', () => {
    // Each call, with the parameters bound to it: `pg_…advisory…($1)', [AdvisoryLock.Name]`.
    const call = /pg_\w*advisory\w*\(\$1\)[^[]*\[([^\]]*)\]/g;
    const keys = ['src', 'libs', 'migrations']
      .flatMap((dir) => sourceFiles(join(ROOT, dir)))
      .flatMap((file) => {
        const text = readFileSync(file, 'utf8');
        const calls = text.split(/pg_\w*advisory\w*\(/).length - 1;
        const found = [...text.matchAll(call)].map((match) => ({ file, key: match[1].trim() }));
        // A call whose key is not the bound parameter $1 does not match `call`: it counts as a bad key.
        return [
          ...found,
          ...Array.from({ length: calls - found.length }, () => ({ file, key: '?' })),
        ];
      });

    expect(keys.length).toBeGreaterThanOrEqual(Object.keys(AdvisoryLock).length);
    for (const { file, key } of keys) {
      expect({ file, key }).toEqual({ file, key: expect.stringMatching(/^AdvisoryLock\.\w+$/) });
    }
  });
});
