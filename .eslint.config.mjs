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
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      'no-console': 'off',
    },
  },
);
