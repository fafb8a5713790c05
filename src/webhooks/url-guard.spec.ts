import { checkTarget, isPublicAddress, urlShapeProblem } from './url-guard';

describe('webhook URL guard', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fd00:ec2::254',
    'fc00::1',
    'fe80::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'accepts the public address %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it('accepts plain http only outside production', () => {
    const url = 'http://hooks.example.com/in';

    expect(urlShapeProblem(url, { production: false, allowPrivate: false })).toBeNull();
    expect(urlShapeProblem(url, { production: true, allowPrivate: false })).toBe(
      'must be an https:// URL',
    );
    expect(
      urlShapeProblem('ftp://hooks.example.com', { production: false, allowPrivate: false }),
    ).toBe('must be an http:// or https:// URL');
    expect(
      urlShapeProblem('https://user:pw@hooks.example.com', {
        production: true,
        allowPrivate: false,
      }),
    ).toBe('must not carry credentials');
  });

  it('refuses a name that resolves to loopback, unless private addresses are allowed', async () => {
    await expect(
      checkTarget('http://localhost:9/hook', { production: false, allowPrivate: false }),
    ).rejects.toThrow(/loopback/);
    await expect(
      checkTarget('http://127.0.0.1:9/hook', { production: false, allowPrivate: true }),
    ).resolves.toMatchObject({ address: '127.0.0.1', family: 4 });
  });

  it('refuses an IPv6 literal in brackets', async () => {
    await expect(
      checkTarget('http://[::1]:9/hook', { production: false, allowPrivate: false }),
    ).rejects.toThrow(/loopback/);
  });
});
