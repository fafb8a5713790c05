import { createSigner } from 'fast-jwt';
import { AppConfig } from '../../config/app-config';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, AccessTokens } from './access-token';

const SECRET = 'k'.repeat(32);
const TTL_SECONDS = 60;

describe('AccessTokens', () => {
  const tokens = () =>
    new AccessTokens({ auth: { jwtSecret: SECRET, accessTtlSeconds: TTL_SECONDS } } as AppConfig);
  const claims = { sub: 'user-1', sid: 'session-1', typ: 'access' as const };
  /** Signed with the right key, issuer and audience unless the options say otherwise. */
  const forge = (options: { iss?: string; aud?: string | string[] }, key = SECRET) =>
    createSigner({ key, algorithm: 'HS256', expiresIn: 60_000, ...options })(claims);
  const ours = { iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE };

  afterEach(() => jest.useRealTimers());

  it('verifies what it signed, with a unique id and the configured lifetime', () => {
    const accessTokens = tokens();
    const first = accessTokens.sign(claims);

    expect(accessTokens.verify(first)).toMatchObject({ ...claims });
    const payload = JSON.parse(Buffer.from(first.split('.')[1], 'base64url').toString()) as {
      iat: number;
      exp: number;
      jti: string;
      iss: string;
      aud: string;
    };
    expect(payload.exp - payload.iat).toBe(TTL_SECONDS);
    expect(payload).toMatchObject({ iss: 'bastion', aud: 'bastion-api' });
    expect(accessTokens.sign(claims)).not.toBe(first);
  });

  it('stops accepting a token at its expiry, also after it was verified and remembered', () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const accessTokens = tokens();
    const token = accessTokens.sign(claims);
    expect(accessTokens.verify(token)).not.toBeNull();

    jest.setSystemTime(new Date('2026-01-01T00:00:59.999Z'));
    expect(accessTokens.verify(token)).not.toBeNull();
    jest.setSystemTime(new Date('2026-01-01T00:01:00.000Z'));
    expect(accessTokens.verify(token)).not.toBeNull();
    jest.setSystemTime(new Date('2026-01-01T00:01:00.001Z'));
    expect(accessTokens.verify(token)).toBeNull();
    expect(accessTokens.verify(token)).toBeNull();
  });

  it('answers the same for a token verified again at once, and another token on its own', () => {
    const accessTokens = tokens();
    const token = accessTokens.sign(claims);
    const other = accessTokens.sign({ ...claims, sub: 'someone-else' });
    expect(accessTokens.verify(token)).toMatchObject(claims);
    expect(accessTokens.verify(token)).toMatchObject(claims);
    expect(accessTokens.verify(other)).toMatchObject({ ...claims, sub: 'someone-else' });
    expect(accessTokens.verify(`${token}x`)).toBeNull();
  });

  it('accepts a token of another signer with the key, issuer and audience', () => {
    expect(tokens().verify(forge(ours))).toMatchObject(claims);
    expect(
      tokens().verify(forge({ ...ours, aud: ['elsewhere', ACCESS_TOKEN_AUDIENCE] })),
    ).toMatchObject(claims);
  });

  it.each([
    ['another key', forge(ours, 'x'.repeat(32))],
    [
      'another type',
      createSigner({ key: SECRET, algorithm: 'HS256', ...ours })({ ...claims, typ: 'refresh' }),
    ],
    [
      'no session',
      createSigner({ key: SECRET, algorithm: 'HS256', ...ours })({ sub: 'user-1', typ: 'access' }),
    ],
    ['HS512', createSigner({ key: SECRET, algorithm: 'HS512', ...ours })(claims)],
    ['no issuer', forge({ aud: ACCESS_TOKEN_AUDIENCE })],
    ['another issuer', forge({ ...ours, iss: 'someone-else' })],
    ['no audience', forge({ iss: ACCESS_TOKEN_ISSUER })],
    ['another audience', forge({ ...ours, aud: 'bastion-webhooks' })],
    ['neither issuer nor audience', forge({})],
    ['garbage', 'not.a.jwt'],
  ])('refuses a token with %s', (_case, token) => {
    expect(tokens().verify(token)).toBeNull();
  });
});
