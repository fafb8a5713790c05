import { Injectable } from '@nestjs/common';
import { SharedStore } from '@bastion/database';
import { sha256Hex } from '../crypto/token-hash';

/** What the callback needs to finish a sign-in that `start` began, possibly on another instance. */
export interface PendingSignIn {
  provider: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

/** Who a one-time code stands for, until the app exchanges it for a session. */
export interface SignedInIdentity {
  provider: string;
  userId: string;
}

export type Taken<T> = { kind: 'taken'; value: T } | { kind: 'unknown' } | { kind: 'replayed' };

/** Long enough to sign in at the provider, short enough that a stolen `state` soon means nothing. */
const SIGN_IN_TTL_SECONDS = 600;
const CODE_TTL_SECONDS = 60;

/**
 * Sign-in state and one-time codes in the shared store (Redis across instances), each usable
 * once. Keys hold a hash of the secret, so nothing that can finish a sign-in sits in the store's
 * key space. A "spent" marker set only if absent makes taking atomic across instances and lets a
 * second use be told apart from an unknown value, for the audit log.
 */
@Injectable()
export class SsoFlowStore {
  constructor(private readonly store: SharedStore) {}

  savePendingSignIn(state: string, pending: PendingSignIn): Promise<void> {
    return this.store.set(this.key('state', state), JSON.stringify(pending), SIGN_IN_TTL_SECONDS);
  }

  takePendingSignIn(state: string): Promise<Taken<PendingSignIn>> {
    return this.take('state', state, SIGN_IN_TTL_SECONDS);
  }

  saveCode(code: string, identity: SignedInIdentity): Promise<void> {
    return this.store.set(this.key('code', code), JSON.stringify(identity), CODE_TTL_SECONDS);
  }

  takeCode(code: string): Promise<Taken<SignedInIdentity>> {
    return this.take('code', code, CODE_TTL_SECONDS);
  }

  private async take<T>(kind: string, secret: string, ttlSeconds: number): Promise<Taken<T>> {
    const key = this.key(kind, secret);
    const spent = this.key(`${kind}-spent`, secret);
    const value = await this.store.get(key);
    if (value === null) {
      return (await this.store.get(spent)) === null ? { kind: 'unknown' } : { kind: 'replayed' };
    }
    if (!(await this.store.setIfAbsent(spent, '1', ttlSeconds))) return { kind: 'replayed' };
    await this.store.delete([key]);
    return { kind: 'taken', value: JSON.parse(value) as T };
  }

  private key(kind: string, secret: string): string {
    return `sso:${kind}:${sha256Hex(secret)}`;
  }
}
