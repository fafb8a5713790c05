import { Injectable } from '@nestjs/common';
import { authenticator } from 'otplib';
import { FallbackSharedStore, SharedStore } from '@bastion/database';
import { SecretBox } from '../crypto/secret-box';

// One step either side absorbs clock drift between the server and the authenticator app.
authenticator.options = { window: 1, step: 30, digits: 6 };
const USED_CODE_TTL_SECONDS = 120;

/** TOTP (RFC 6238) checks against sealed secrets; each code is accepted once. */
@Injectable()
export class OtpVerifier {
  private readonly store: SharedStore;

  constructor(
    private readonly box: SecretBox,
    store: SharedStore,
  ) {
    this.store = new FallbackSharedStore(store, OtpVerifier.name);
  }

  generateSecret(): string {
    return authenticator.generateSecret(20);
  }

  keyUri(account: string, secret: string): string {
    return authenticator.keyuri(account, 'Bastion', secret);
  }

  /** True when `code` is valid now for the sealed secret and was not used before. */
  async verifyOnce(userId: string, sealedSecret: string | null, code: string): Promise<boolean> {
    if (!sealedSecret || !authenticator.check(code, this.box.open(sealedSecret))) return false;
    // Claiming the code atomically: of two concurrent uses of one code, exactly one wins.
    return this.store.setIfAbsent(`otp-used:${userId}:${code}`, '1', USED_CODE_TTL_SECONDS);
  }
}
