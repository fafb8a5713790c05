// What every project shares; each project below states only its name and which files it runs.
const shared = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    'node_modules/@electric-sql/.+\\.cjs$': '<rootDir>/test/support/pglite-jest-transformer.js',
    'node_modules/(openid-client|oauth4webapi|jose)/.+\\.js$':
      '<rootDir>/test/support/esm-jest-transformer.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!(@electric-sql|openid-client|oauth4webapi|jose)/)'],
  moduleNameMapper: {
    '^@bastion/common$': '<rootDir>/libs/common/src',
    '^@bastion/database$': '<rootDir>/libs/database/src',
    '^@bastion/rbac$': '<rootDir>/libs/rbac/src',
    '^@bastion/client$': '<rootDir>/libs/client/src',
  },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...shared,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.faults-spec.ts'],
    },
    {
      ...shared,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  testTimeout: 60000,
};
