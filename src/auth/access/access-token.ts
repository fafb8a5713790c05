import { Injectable } from '@nestjs/common';
import { createSigner, createVerifier } from 'fast-jwt';
import { AppConfig } from '../../config/app-config';
import { randomToken } from '../crypto/token-hash';

/** Claims of the access JWTs that AccessTokens signs. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  typ: 'access';
}

// Verified tokens remembered, each until its own expiry at the latest: a hit skips the HMAC and
// the JSON decoding, which were a tenth of a read's CPU. Revocation does not depend on it: the
// session is checked on every request.
const VERIFIED_TOKENS_CACHED = 10_000;

function isAccessTokenClaims(claims: unknown): claims is AccessTokenClaims {
  const candidate = claims as Partial<AccessTokenClaims> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.typ === 'access' &&
    typeof candidate.sub === 'string' &&
    typeof candidate.sid === 'string'
  );
}

/** Signs and verifies access tokens: HS256 with JWT_SECRET, valid for JWT_ACCESS_TTL. */
@Injectable()
export class AccessTokens {
  private readonly signer: (claims: AccessTokenClaims & { jti: string }) => string;
  private readonly verifier: (token: string) => unknown;

  constructor(config: AppConfig) {
    const key = config.auth.jwtSecret;
    this.signer = createSigner({
      key,
      algorithm: 'HS256',
      expiresIn: config.auth.accessTtlSeconds * 1000,
    });
    this.verifier = createVerifier({
      key,
      algorithms: ['HS256'],
      cache: VERIFIED_TOKENS_CACHED,
    });
  }

  sign(claims: AccessTokenClaims): string {
    return this.signer({ ...claims, jti: randomToken(12) });
  }

  /** The claims of a valid access token (signature, expiry and type checked), else null. */
  verify(token: string): AccessTokenClaims | null {
    try {
      const claims = this.verifier(token);
      return isAccessTokenClaims(claims) ? claims : null;
    } catch {
      // Malformed, forged or expired: not a credential, answered like a missing one.
      return null;
    }
  }
}
