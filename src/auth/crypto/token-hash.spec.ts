import { createHash } from 'node:crypto';
import { hashesMatch, randomToken, sha256Hex } from './token-hash';

describe('sha256Hex', () => {
  it('matches the SHA-256 test vectors', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes UTF-8 text', () => {
    expect(sha256Hex('ü')).toBe(
      createHash('sha256').update(Buffer.from('ü', 'utf8')).digest('hex'),
    );
  });
});

describe('randomToken', () => {
  it('encodes 32 random bytes as base64url by default', () => {
    const token = randomToken();

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('honours the requested size', () => {
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16);
  });

  it('does not repeat', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => randomToken()));

    expect(tokens.size).toBe(100);
  });
});

describe('hashesMatch', () => {
  const hash = sha256Hex('token');

  it('accepts equal strings', () => {
    expect(hashesMatch(hash, sha256Hex('token'))).toBe(true);
  });

  it('rejects different strings of the same length', () => {
    expect(hashesMatch(hash, sha256Hex('other'))).toBe(false);
  });

  it('rejects different lengths without throwing', () => {
    expect(hashesMatch(hash, hash.slice(0, -1))).toBe(false);
    expect(hashesMatch(hash, '')).toBe(false);
  });
});
