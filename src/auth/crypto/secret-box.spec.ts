import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../config/app-config';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bastion-secret-box-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  function boxWithKey(key: Buffer): SecretBox {
    return new SecretBox(
      loadAppConfig({ DATA_DIR: dataDir, DATA_ENCRYPTION_KEY: key.toString('base64') }),
    );
  }

  const key = randomBytes(32);

  /** Flips one bit of the base64url part at `index` (1 nonce, 2 tag, 3 ciphertext). */
  function tamper(sealed: string, index: number): string {
    const parts = sealed.split('.');
    const bytes = Buffer.from(parts[index], 'base64url');
    bytes[0] ^= 0x01;
    parts[index] = bytes.toString('base64url');
    return parts.join('.');
  }

  it('opens what it sealed', () => {
    const box = boxWithKey(key);

    for (const plaintext of ['JBSWY3DPEHPK3PXP', '', 'ünïcödé ✓ 🔐']) {
      expect(box.open(box.seal(plaintext))).toBe(plaintext);
    }
  });

  it('does not reveal the plaintext and names its format version', () => {
    const sealed = boxWithKey(key).seal('JBSWY3DPEHPK3PXP');

    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(sealed.split('.')).toHaveLength(4);
    expect(sealed.startsWith('v1.')).toBe(true);
  });

  it('seals the same plaintext differently each time', () => {
    const box = boxWithKey(key);
    const first = box.seal('same');
    const second = box.seal('same');

    expect(first).not.toBe(second);
    expect(first.split('.')[1]).not.toBe(second.split('.')[1]);
    expect(box.open(first)).toBe('same');
    expect(box.open(second)).toBe('same');
  });

  it('opens with another instance built from the same key', () => {
    expect(boxWithKey(Buffer.from(key)).open(boxWithKey(key).seal('portable'))).toBe('portable');
  });

  it.each([
    ['nonce', 1],
    ['tag', 2],
    ['ciphertext', 3],
  ])('refuses a tampered %s', (_part, index) => {
    const box = boxWithKey(key);
    const sealed = box.seal('do not change me');

    expect(() => box.open(tamper(sealed, index))).toThrow();
  });

  it('refuses a truncated tag', () => {
    const box = boxWithKey(key);
    const parts = box.seal('secret').split('.');
    parts[2] = Buffer.from(parts[2], 'base64url').subarray(0, 4).toString('base64url');

    expect(() => box.open(parts.join('.'))).toThrow();
  });

  it('refuses to open with another key', () => {
    const sealed = boxWithKey(key).seal('secret');

    expect(() => boxWithKey(randomBytes(32)).open(sealed)).toThrow();
  });

  it.each(['', 'plain text', 'v2.a.b.c', 'v1.a.b'])('refuses the unknown format %j', (value) => {
    expect(() => boxWithKey(key).open(value)).toThrow('Unknown sealed secret format');
  });
});
