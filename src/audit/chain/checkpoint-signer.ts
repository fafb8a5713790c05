import {
  createHash,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { canonicalJson } from './event-hash';

/** A signed statement that the chain's event `seq` has hash `hash`. */
export interface Checkpoint {
  seq: number;
  hash: string;
  /** ISO 8601 UTC, millisecond precision. */
  signedAt: string;
  /** SHA-256 hex of the signing key's public key (SPKI DER). */
  keyId: string;
  /** Ed25519 signature, base64. */
  signature: string;
}

type CheckpointStatement = Omit<Checkpoint, 'signature'>;

function statementBytes(statement: CheckpointStatement): Buffer {
  const { seq, hash, signedAt, keyId } = statement;
  return Buffer.from(canonicalJson({ seq, hash, signedAt, keyId }));
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * Signs checkpoints with the configured Ed25519 key and checks them against its public key only:
 * a checkpoint signed by any other key is not evidence, whatever key id it claims.
 */
export class CheckpointSigner {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(signingKeyPem: string) {
    this.privateKey = createPrivateKey(signingKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  sign(seq: number, hash: string, signedAt: Date): Checkpoint {
    const statement = { seq, hash, signedAt: signedAt.toISOString(), keyId: this.keyId };
    const signature = sign(null, statementBytes(statement), this.privateKey).toString('base64');
    return { ...statement, signature };
  }

  isAuthentic(checkpoint: Checkpoint): boolean {
    if (checkpoint.keyId !== this.keyId) return false;
    return verify(
      null,
      statementBytes(checkpoint),
      this.publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  }
}
