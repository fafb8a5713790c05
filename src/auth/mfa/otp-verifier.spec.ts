import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticator, totp } from 'otplib';
import { MemorySharedStore } from '@bastion/database';
import { loadAppConfig } from '../../config/app-config';
import { SecretBox } from '../crypto/secret-box';
import { OtpVerifier } from './otp-verifier';

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", here as the base32 an app scans.
const RFC_SECRET_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
// Middle of a 30-second step, so "now" never crosses a step boundary during a test.
const NOW = Date.UTC(2030, 0, 1, 0, 0, 15);
// A fixed secret keeps every code below deterministic (no chance collisions between steps).
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe('OtpVerifier', () => {
  let dataDir: string;
  let box: SecretBox;
  let store: MemorySharedStore;
  let verifier: OtpVerifier;
  let secret: string;
  let sealed: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bastion-otp-'));
    box = new SecretBox(
      loadAppConfig({
        DATA_DIR: dataDir,
        DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      }),
    );
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    store = new MemorySharedStore();
    verifier = new OtpVerifier(box, store);
    secret = SECRET;
    sealed = box.seal(secret);
  });

  afterEach(async () => {
    await store.close();
    jest.useRealTimers();
  });

  function codeAt(offsetMs: number, forSecret = secret): string {
    return authenticator.clone({ epoch: Date.now() + offsetMs }).generate(forSecret);
  }

  it('accepts the current code once, then refuses its replay', async () => {
    const code = codeAt(0);

    await expect(verifier.verifyOnce('user-1', sealed, code)).resolves.toBe(true);
    await expect(verifier.verifyOnce('user-1', sealed, code)).resolves.toBe(false);
  });

  it('keeps refusing a replay for as long as the code could still be valid', async () => {
    const code = codeAt(0);
    await expect(verifier.verifyOnce('user-1', sealed, code)).resolves.toBe(true);

    jest.setSystemTime(NOW + 40_000);

    // Still inside the ±1 step window, so only the replay record stops it.
    expect(authenticator.check(code, secret)).toBe(true);
    await expect(verifier.verifyOnce('user-1', sealed, code)).resolves.toBe(false);
  });

  it('records replays per user', async () => {
    const code = codeAt(0);

    await expect(verifier.verifyOnce('user-1', sealed, code)).resolves.toBe(true);
    await expect(verifier.verifyOnce('user-2', sealed, code)).resolves.toBe(true);
  });

  it('refuses a wrong code and does not burn the right one', async () => {
    const right = codeAt(0);
    const acceptable = new Set([codeAt(-30_000), right, codeAt(30_000)]);
    let wrong = Number(right);
    do wrong = (wrong + 1) % 1_000_000;
    while (acceptable.has(String(wrong).padStart(6, '0')));

    await expect(
      verifier.verifyOnce('user-1', sealed, String(wrong).padStart(6, '0')),
    ).resolves.toBe(false);
    await expect(verifier.verifyOnce('user-1', sealed, right)).resolves.toBe(true);
  });

  it('refuses malformed codes', async () => {
    for (const code of ['', '12345', '1234567', 'abcdef']) {
      await expect(verifier.verifyOnce('user-1', sealed, code)).resolves.toBe(false);
    }
  });

  it("refuses another secret's code", async () => {
    const other = RFC_SECRET_BASE32;

    await expect(verifier.verifyOnce('user-1', sealed, codeAt(0, other))).resolves.toBe(false);
  });

  it('tolerates one step of clock drift either way', async () => {
    await expect(verifier.verifyOnce('user-1', sealed, codeAt(-30_000))).resolves.toBe(true);
    await expect(verifier.verifyOnce('user-1', sealed, codeAt(30_000))).resolves.toBe(true);
  });

  it('refuses a code from two or more steps ago or ahead', async () => {
    await expect(verifier.verifyOnce('user-1', sealed, codeAt(-60_000))).resolves.toBe(false);
    await expect(verifier.verifyOnce('user-1', sealed, codeAt(-90_000))).resolves.toBe(false);
    await expect(verifier.verifyOnce('user-1', sealed, codeAt(60_000))).resolves.toBe(false);
  });

  it('refuses every code when the user has no secret', async () => {
    await expect(verifier.verifyOnce('user-1', null, codeAt(0))).resolves.toBe(false);
  });

  it('generates 20-byte base32 secrets and an otpauth URI', () => {
    const generated = verifier.generateSecret();
    expect(generated).toMatch(/^[A-Z2-7]{32}$/);
    expect(verifier.generateSecret()).not.toBe(generated);

    const uri = verifier.keyUri('ada@example.com', secret);
    expect(uri).toMatch(/^otpauth:\/\/totp\/Bastion:ada%40example\.com\?/);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toContain('issuer=Bastion');
  });

  describe('RFC 6238 compatibility', () => {
    it('produces the SHA-1 test vector at T = 59 s', () => {
      expect(authenticator.clone({ epoch: 59_000 }).generate(RFC_SECRET_BASE32)).toBe('287082');
      expect(totp.clone({ epoch: 59_000, digits: 8 }).generate('12345678901234567890')).toBe(
        '94287082',
      );
    });

    it('verifies the test vector through the sealed secret', async () => {
      jest.setSystemTime(59_000);

      await expect(
        verifier.verifyOnce('user-1', box.seal(RFC_SECRET_BASE32), '287082'),
      ).resolves.toBe(true);
    });

    it('produces the SHA-1 test vector at T = 1111111109 s', () => {
      expect(authenticator.clone({ epoch: 1_111_111_109_000 }).generate(RFC_SECRET_BASE32)).toBe(
        '081804',
      );
    });
  });
});
