import { generateKeyPairSync } from 'node:crypto';
import { CheckpointSigner } from './checkpoint-signer';

function newKeyPem(): string {
  return generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

describe('CheckpointSigner', () => {
  const signer = new CheckpointSigner(newKeyPem());
  const at = new Date('2030-01-02T03:04:05.678Z');
  const hash = 'a'.repeat(64);

  it('signs checkpoints it then accepts', () => {
    const checkpoint = signer.sign(42, hash, at);

    expect(checkpoint).toEqual({
      seq: 42,
      hash,
      signedAt: '2030-01-02T03:04:05.678Z',
      keyId: signer.keyId,
      signature: expect.any(String) as string,
    });
    expect(signer.isAuthentic(checkpoint)).toBe(true);
  });

  it('names its key by a stable fingerprint of the public key', () => {
    const pem = newKeyPem();

    expect(new CheckpointSigner(pem).keyId).toBe(new CheckpointSigner(pem).keyId);
    expect(signer.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(new CheckpointSigner(pem).keyId).not.toBe(signer.keyId);
  });

  it.each([
    ['seq', { seq: 43 }],
    ['hash', { hash: 'b'.repeat(64) }],
    ['signedAt', { signedAt: '2030-01-02T03:04:05.679Z' }],
  ])('refuses a checkpoint whose %s was changed', (_field, change) => {
    expect(signer.isAuthentic({ ...signer.sign(42, hash, at), ...change })).toBe(false);
  });

  it('refuses a checkpoint signed with another key, even one claiming our key id', () => {
    const forged = new CheckpointSigner(newKeyPem()).sign(42, hash, at);

    expect(signer.isAuthentic(forged)).toBe(false);
    expect(signer.isAuthentic({ ...forged, keyId: signer.keyId })).toBe(false);
  });
});
