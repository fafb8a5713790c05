import { dictionary } from '@zxcvbn-ts/language-common';
import { validateSync } from 'class-validator';
import { COMMON_PASSWORD_MESSAGE, isCommonPassword, NotCommonPassword } from './common-password';

class Form {
  @NotCommonPassword()
  password: unknown;

  constructor(password: unknown) {
    this.password = password;
  }
}

describe('isCommonPassword', () => {
  it.each(['qwerty123456', '123qweasdzxc', 'password1234', '1q2w3e4r5t6y'])(
    'finds %s, 12 characters or more, on the list',
    (password) => {
      expect(isCommonPassword(password)).toBe(true);
    },
  );

  it('compares in lower case', () => {
    expect(isCommonPassword('QWERTY123456')).toBe(true);
    expect(isCommonPassword('123QweAsdZxc')).toBe(true);
  });

  it('lets other passwords through, the tests’ own included', () => {
    for (const password of [
      'correct horse battery staple',
      'a-long-test-password',
      'admin-password-for-tests',
      'admin-password-for-fault-tests',
      'qwerty123456!',
    ]) {
      expect({ password, common: isCommonPassword(password) }).toEqual({ password, common: false });
    }
  });

  it('uses the maintained list whole', () => {
    const list = dictionary['passwords-common'];

    expect(list.length).toBeGreaterThan(40_000);
    expect(list.every((password) => isCommonPassword(password))).toBe(true);
  });
});

describe('@NotCommonPassword', () => {
  it('refuses a common password with a message that says why', () => {
    const [error] = validateSync(new Form('Qwerty123456'));

    expect(error.property).toBe('password');
    expect(error.constraints).toEqual({ notCommonPassword: COMMON_PASSWORD_MESSAGE });
  });

  it.each([
    ['an uncommon password', 'correct horse battery staple'],
    ['a number', 123456],
  ])('leaves %s alone (types are for other rules)', (_case, password) => {
    expect(validateSync(new Form(password))).toEqual([]);
  });
});
