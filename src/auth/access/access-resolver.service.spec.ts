import { API_KEY_PREFIX, parseApiKey } from './access-resolver.service';

describe('parseApiKey', () => {
  const prefix = 'Ab3dEf6hIj9k';
  const secret = 'Zx-_0123456789abcdefghijklmnopqrstuvwxyzABC';

  it('splits a well-formed key into prefix and secret', () => {
    expect(secret).toHaveLength(43);
    expect(parseApiKey(`bst_${prefix}_${secret}`)).toEqual({ prefix, secret });
    expect(API_KEY_PREFIX).toBe('bst');
  });

  it('accepts a secret that itself contains underscores and dashes', () => {
    const underscored = `_${'a'.repeat(20)}-${'b'.repeat(20)}_`;

    expect(parseApiKey(`bst_${prefix}_${underscored}`)).toEqual({ prefix, secret: underscored });
  });

  it.each([
    ['a prefix one character short', `bst_${prefix.slice(1)}_${secret}`],
    ['a prefix one character long', `bst_${prefix}X_${secret}`],
    ['a prefix outside [A-Za-z0-9]', `bst_Ab3dEf6hIj9-_${secret}`],
    ['a secret one character short', `bst_${prefix}_${secret.slice(1)}`],
    ['a secret one character long', `bst_${prefix}_${secret}A`],
    ['a secret outside base64url', `bst_${prefix}_${secret.slice(1)}+`],
    ['a secret with padding', `bst_${prefix}_${secret.slice(1)}=`],
    ["no 'bst_'", `${prefix}_${secret}`],
    ['another product prefix', `abc_${prefix}_${secret}`],
    ['upper-case BST', `BST_${prefix}_${secret}`],
    ['surrounding whitespace', ` bst_${prefix}_${secret} `],
    ['a trailing newline', `bst_${prefix}_${secret}\n`],
    ['the empty string', ''],
  ])('rejects %s', (_case, value) => {
    expect(parseApiKey(value)).toBeNull();
  });
});
