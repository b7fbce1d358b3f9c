/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/setup-env.js'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // Stacks synthesize and local servers start in several suites; keep one worker per core.
  maxWorkers: 2,
  testTimeout: 60000,
};
