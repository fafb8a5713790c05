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

// Who issued a token and whom it is for: a token that another service signed with a shared key, or
// that this key signed for another audience, is not an access token of this API.
export const ACCESS_TOKEN_ISSUER = 'bastion';
export const ACCESS_TOKEN_AUDIENCE = 'bastion-api';

// Verified tokens remembered, each until its own expiry at the latest: a hit skips the HMAC and
// the JSON decoding, which were a tenth of a read's CPU. Revocation does not depend on it: the
// session is checked on every request.
const VERIFIED_TOKENS_CACHED = 10_000;

/** A verified payload: the claims AccessTokens signs, with the expiry its signer adds. */
type VerifiedClaims = AccessTokenClaims & { exp?: number };

/** Whether a verified payload is an access token's: `typ`, and the user and session it names. */
export function isAccessTokenClaims(payload: unknown): payload is VerifiedClaims {
  const candidate = payload as Partial<VerifiedClaims> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.typ === 'access' &&
    typeof candidate.sub === 'string' &&
    typeof candidate.sid === 'string'
  );
}

/**
 * Signs and verifies access tokens: HS256 with JWT_SECRET, valid for JWT_ACCESS_TTL, issued by
 * `ACCESS_TOKEN_ISSUER` for `ACCESS_TOKEN_AUDIENCE`.
 */
@Injectable()
export class AccessTokens {
  private readonly signer: (claims: AccessTokenClaims & { jti: string }) => string;
  private readonly verifier: (token: string) => unknown;
  // The rate limiter and authentication verify each request's token one right after the other;
  // the second is answered from here (fast-jwt's own cache hashes the token with SHA-512 first).
  private lastVerified: { token: string; claims: AccessTokenClaims; expiresAt: number } | null =
    null;

  constructor(config: AppConfig) {
    const key = config.auth.jwtSecret;
    this.signer = createSigner({
      key,
      algorithm: 'HS256',
      expiresIn: config.auth.accessTtlSeconds * 1000,
      iss: ACCESS_TOKEN_ISSUER,
      aud: ACCESS_TOKEN_AUDIENCE,
    });
    this.verifier = createVerifier({
      key,
      algorithms: ['HS256'],
      allowedIss: ACCESS_TOKEN_ISSUER,
      allowedAud: ACCESS_TOKEN_AUDIENCE,
      // fast-jwt checks only the claims present: without this, leaving them out would pass.
      requiredClaims: ['iss', 'aud'],
      cache: VERIFIED_TOKENS_CACHED,
    });
  }

  sign(claims: AccessTokenClaims): string {
    return this.signer({ ...claims, jti: randomToken(12) });
  }

  /** The claims of a valid access token (signature, expiry, issuer, audience, type), else null. */
  verify(token: string): AccessTokenClaims | null {
    const last = this.lastVerified;
    // fast-jwt's rule: valid up to and including the expiry's millisecond.
    if (last !== null && last.token === token && Date.now() <= last.expiresAt) return last.claims;
    try {
      const claims = this.verifier(token);
      if (!isAccessTokenClaims(claims)) return null;
      // A token without an expiry is verified every time; only ours carry one, and all of them do.
      if (typeof claims.exp === 'number') {
        this.lastVerified = { token, claims, expiresAt: claims.exp * 1000 };
      }
      return claims;
    } catch {
      // Malformed, forged or expired: not a credential, answered like a missing one.
      return null;
    }
  }
}
