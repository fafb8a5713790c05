// Kept as a dotfile because the repository root is reserved for the files the layout names;
// `npm run lint` passes it explicitly.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Feature folders of src/: each is used by the others only through its barrel (`index.ts`), which
// lists what its module exports.
const FEATURES = [
  'audit',
  'auth',
  'bootstrap',
  'health',
  'orders',
  'payments',
  'users',
  'webhooks',
];

function moduleBoundaries(feature) {
  const others = FEATURES.filter((other) => other !== feature).join('|');
  return {
    files: [`src/${feature}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${others})/(?!index$).+`,
              message: 'Import another feature folder through its index (e.g. `../users`).',
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'test/support/*.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-console': 'error',
    },
  },
  ...FEATURES.map(moduleBoundaries),
  {
    // Example apps integrate as an internal app would: over HTTP, through the client's public
    // entry, never the server's code. Their sources run on Node's type stripping, which keeps
    // every import it sees: a type must be imported as one.
    files: ['examples/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(src|libs|test|migrations|console)(/|$)',
              message: 'An example uses Bastion over HTTP, through `@bastion/client` only.',
            },
            {
              regex: '^@bastion/(?!client$)',
              message: 'Import the client through its public entry, `@bastion/client`.',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      'no-console': 'off',
    },
  },
);
