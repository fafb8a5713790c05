import { createSecretKey } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { Strategy as JwtStrategy } from 'passport-jwt';
import { rememberVerifiedTokens } from './remembered-jwt-verifier';

type Verifier = (
  token: string,
  key: unknown,
  options: object,
  done: (error: Error | null, payload?: unknown) => void,
) => void;

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const key = createSecretKey(Buffer.from(SECRET));
const options = { algorithms: ['HS256'], issuer: 'bastion', audience: 'bastion-api' };

function verifier(): Verifier {
  rememberVerifiedTokens();
  return (JwtStrategy as unknown as { JwtVerifier: Verifier }).JwtVerifier;
}

function verify(token: string, withKey: unknown = key, withOptions: object = options) {
  return new Promise<{ error: Error | null; payload?: unknown }>((resolve) =>
    verifier()(token, withKey, withOptions, (error, payload) => resolve({ error, payload })),
  );
}

function token(expiresInMs: number, secret = SECRET): string {
  return createSigner({ key: secret, iss: 'bastion', aud: 'bastion-api', expiresIn: expiresInMs })({
    sub: 'u',
  });
}

describe('the remembered passport-jwt verifier', () => {
  afterEach(() => jest.useRealTimers());

  it('verifies a token as jsonwebtoken does, and again from memory', async () => {
    const good = token(60_000);
    expect((await verify(good)).payload).toMatchObject({ sub: 'u', iss: 'bastion' });
    expect((await verify(good)).payload).toMatchObject({ sub: 'u' });
  });

  it('refuses a remembered token at its expiry', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const short = token(5_000);
    expect((await verify(short)).error).toBeNull();
    jest.setSystemTime(Date.now() + 6_000);
    expect((await verify(short)).error).toBeInstanceOf(Error);
  });

  it('does not answer for another key or other options from memory', async () => {
    const good = token(60_000);
    expect((await verify(good)).error).toBeNull();
    const otherKey = createSecretKey(Buffer.from(`${SECRET}-other`));
    expect((await verify(good, otherKey)).error).toBeInstanceOf(Error);
    expect((await verify(good, key, { ...options, audience: 'elsewhere' })).error).toBeInstanceOf(
      Error,
    );
  });

  it('remembers no failure', async () => {
    const forged = token(60_000, `${SECRET}-other`);
    expect((await verify(forged)).error).toBeInstanceOf(Error);
    expect((await verify(forged)).error).toBeInstanceOf(Error);
  });

  it('wraps the verifier once however many strategies are built', () => {
    const first = verifier();
    expect(verifier()).toBe(first);
  });
});
