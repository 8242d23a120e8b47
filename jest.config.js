/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Both cores: jest's default (cores - 1) runs one file at a time on a 2-core machine.
  maxWorkers: 2,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  // Type-checking happens once in `npm test` (tsc --noEmit); jest only transpiles, which keeps it fast.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // The README's examples import the package by name (test/readme.test.ts).
  moduleNameMapper: { '^cdk8s-litellm$': '<rootDir>/lib/index.ts' },
  // Property tests run from a fixed seed (PROPERTY_SEED to change it).
  setupFilesAfterEnv: ['<rootDir>/test/support/property-seed.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // A temporary directory of the run's own, removed at its end (test/support/temp-dir.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // jest's transform cache lives in node_modules, not in the temporary directory.
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
};
