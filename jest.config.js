/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  // Two cores: one worker runs tests while the other serves child processes (CLI, crash tests).
  maxWorkers: 2,
  testTimeout: 60000,
  // One shared EventStoreDB container for the ESDB contract suite (skipped without a container runtime).
  globalSetup: '<rootDir>/test/store/globalSetup.ts',
  globalTeardown: '<rootDir>/test/store/globalTeardown.ts',
};
