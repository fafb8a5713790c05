import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

const VERSION = 'v1';
const TAG_LENGTH = 16;

/** AES-256-GCM with a random nonce; the output names its format version for key rotation. */
@Injectable()
export class SecretBox {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = config.auth.dataEncryptionKey;
  }

  seal(plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      ...[nonce, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url')),
    ].join('.');
  }

  open(box: string): string {
    const parts = box.split('.');
    const [version, nonce, tag, sealed] = parts;
    // Exactly four parts: the ciphertext of an empty plaintext is itself empty.
    if (version !== VERSION || parts.length !== 4) {
      throw new Error('Unknown sealed secret format');
    }
    // A fixed tag length: GCM would otherwise accept a tag truncated to as little as 4 bytes.
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'), {
      authTagLength: TAG_LENGTH,
    });
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(sealed, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
