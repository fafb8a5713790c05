import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..', '..');

describe('the generated client types', () => {
  it('match the committed OpenAPI document (run `npm run client:generate` after changing it)', async () => {
    // The same generator as `npm run client:generate`, printing instead of writing.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'libs/client/scripts/generate.mjs'), '--stdout'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const committed = await readFile(join(__dirname, 'generated', 'openapi.d.ts'), 'utf8');
    expect(stdout === committed).toBe(true);
  });
});
