/**
 * End-to-end suite (`npm run test:e2e`): real redis-server and LiteLLM
 * processes started from the synthesized manifests. Installs what it needs in
 * globalSetup (scripts/e2e-install.sh, idempotent).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  globalSetup: '<rootDir>/test/e2e/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Start-up of two proxies, a minute-boundary wait and a drained stream: generous per test.
  testTimeout: 180000,
};
