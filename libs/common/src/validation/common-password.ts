import { dictionary } from '@zxcvbn-ts/language-common';
import { ValidateBy, ValidationOptions } from 'class-validator';

export const COMMON_PASSWORD_MESSAGE =
  'is one of the most commonly used passwords; choose one that is not';

// About 49,000 entries: built once, at the first password checked, so that processes which never
// check one (the CLIs read the same configuration class) do not pay for it.
let commonPasswords: ReadonlySet<string> | null = null;

/**
 * Whether the password, in lower case, is on zxcvbn-ts's maintained list of common passwords
 * (`@zxcvbn-ts/language-common`, itself lower case).
 */
export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(dictionary['passwords-common']);
  return commonPasswords.has(password.toLowerCase());
}

/** Refuses a password that is one of the most common ones; other types are left to other rules. */
export function NotCommonPassword(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'notCommonPassword',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !isCommonPassword(value),
        defaultMessage: () => COMMON_PASSWORD_MESSAGE,
      },
    },
    options,
  );
}
