import { Injectable, Logger } from '@nestjs/common';
import { authenticator } from 'otplib';
import { SharedStore, SharedStoreUnavailableError } from '@bastion/database';
import { SecretBox } from '../crypto/secret-box';

// One step either side absorbs clock drift between the server and the authenticator app.
authenticator.options = { window: 1, step: 30, digits: 6 };
const USED_CODE_TTL_SECONDS = 120;

/** TOTP (RFC 6238) checks against sealed secrets; each code is accepted once. */
@Injectable()
export class OtpVerifier {
  private readonly logger = new Logger(OtpVerifier.name);

  constructor(
    private readonly box: SecretBox,
    private readonly store: SharedStore,
  ) {}

  generateSecret(): string {
    return authenticator.generateSecret(20);
  }

  keyUri(account: string, secret: string): string {
    return authenticator.keyuri(account, 'Bastion', secret);
  }

  /** True when `code` is valid now for the sealed secret and was not used before. */
  async verifyOnce(userId: string, sealedSecret: string | null, code: string): Promise<boolean> {
    if (!sealedSecret || !authenticator.check(code, this.box.open(sealedSecret))) return false;
    const key = `otp-used:${userId}:${code}`;
    try {
      if (await this.store.get(key)) return false;
      await this.store.set(key, '1', USED_CODE_TTL_SECONDS);
    } catch (error) {
      if (!(error instanceof SharedStoreUnavailableError)) throw error;
      this.logger.warn('Shared store unavailable: one-time password replay check skipped');
    }
    return true;
  }
}
