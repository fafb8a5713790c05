import { Strategy as JwtStrategy } from 'passport-jwt';

type VerifyDone = (error: Error | null, payload?: unknown) => void;
type JwtVerifier = (token: string, key: unknown, options: object, done: VerifyDone) => void;

interface Verified {
  key: unknown;
  options: object;
  expiresAtMs: number;
  payload: unknown;
}

const REMEMBERED_TOKENS = 10_000;

function expiryMs(payload: unknown): number | null {
  const exp = (payload as { exp?: unknown } | null)?.exp;
  return typeof exp === 'number' ? exp * 1000 : null;
}

/**
 * passport-jwt verifies every bearer token through its replaceable `JwtStrategy.JwtVerifier`
 * (jsonwebtoken: two decodes, the HMAC and the claim checks, on every request). A token that
 * verified with one key and one strategy's options stays valid under them until its `exp`, so
 * its payload is remembered until then (successes only, at most `REMEMBERED_TOKENS`): a client
 * that sends the same token on every request pays for one verification. Revocation is untouched:
 * the strategy still resolves the session at every request.
 */
export function rememberVerifiedTokens(): void {
  const strategy = JwtStrategy as unknown as { JwtVerifier: JwtVerifier & { remembers?: true } };
  if (strategy.JwtVerifier.remembers) return;
  const verify = strategy.JwtVerifier;
  const verified = new Map<string, Verified>();
  const remembering: JwtVerifier & { remembers?: true } = (token, key, options, done) => {
    const hit = verified.get(token);
    if (hit && hit.key === key && hit.options === options && Date.now() < hit.expiresAtMs) {
      done(null, hit.payload);
      return;
    }
    verify(token, key, options, (error, payload) => {
      const expiresAtMs = error ? null : expiryMs(payload);
      if (expiresAtMs !== null) {
        if (verified.size >= REMEMBERED_TOKENS) verified.delete(verified.keys().next().value!);
        verified.set(token, { key, options, expiresAtMs, payload });
      }
      done(error, payload);
    });
  };
  remembering.remembers = true;
  strategy.JwtVerifier = remembering;
}
