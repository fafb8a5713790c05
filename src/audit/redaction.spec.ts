import { REDACTED, redact } from './redaction';

describe('redact', () => {
  it.each([
    'password',
    'newPassword',
    'token',
    'refreshToken',
    'access_token',
    'secret',
    'clientSecret',
    'otp',
    'otpCode',
    'key',
    'apiKey',
    'X-API-Key',
    'authorization',
    'Authorization',
    'cookie',
    'Set-Cookie',
    'PASSWORD',
  ])('hides %s', (key) => {
    expect(redact({ [key]: 'hunter2-hunter2' })).toEqual({ [key]: REDACTED });
  });

  it('hides secret values of any type, including objects and arrays', () => {
    expect(
      redact({
        token: { value: 'abc', expiresAt: 1 },
        cookie: ['a=1', 'b=2'],
        secret: 42,
        password: null,
      }),
    ).toEqual({ token: REDACTED, cookie: REDACTED, secret: REDACTED, password: REDACTED });
  });

  it('keeps non-secret values unchanged', () => {
    const input = {
      email: 'ada@example.com',
      roles: ['admin', 'auditor'],
      active: true,
      count: 3,
      note: null,
      reason: undefined,
      nested: { name: 'Ada', tags: [] },
    };

    expect(redact(input)).toEqual(input);
  });

  it('redacts at any depth, through objects and arrays', () => {
    expect(
      redact({
        user: { email: 'ada@example.com', credentials: { password: 'p', hint: 'cat' } },
        headers: [{ 'X-API-Key': 'bst_x' }, { accept: 'application/json' }],
        batches: [[{ refreshToken: 'r', id: 1 }]],
      }),
    ).toEqual({
      user: { email: 'ada@example.com', credentials: { password: REDACTED, hint: 'cat' } },
      headers: [{ 'X-API-Key': REDACTED }, { accept: 'application/json' }],
      batches: [[{ refreshToken: REDACTED, id: 1 }]],
    });
  });

  it('turns Dates into ISO strings, nested or not', () => {
    const at = new Date('2030-01-02T03:04:05.678Z');

    expect(redact(at)).toBe('2030-01-02T03:04:05.678Z');
    expect(redact({ changedAt: at, history: [at] })).toEqual({
      changedAt: '2030-01-02T03:04:05.678Z',
      history: ['2030-01-02T03:04:05.678Z'],
    });
  });

  it('passes primitives through', () => {
    expect(redact('text')).toBe('text');
    expect(redact(7)).toBe(7);
    expect(redact(null)).toBeNull();
    expect(redact(undefined)).toBeUndefined();
  });

  it('does not modify its input', () => {
    const input = { password: 'p', nested: { token: 't' } };

    redact(input);

    expect(input).toEqual({ password: 'p', nested: { token: 't' } });
  });

  it('gives the same answer on repeated calls', () => {
    const input = { refreshToken: 'r' };

    expect(redact(input)).toEqual(redact(input));
    expect(redact(input)).toEqual({ refreshToken: REDACTED });
  });
});
