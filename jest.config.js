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
  // No handle outlives the suites (checked with process._getActiveHandles() in a worker:
  // only its IPC pipe and stdio remain), but a worker that synthesized stacks holds a
  // heap of several hundred MB and, on a busy 2-core machine, takes over Jest's default
  // 500 ms to exit, which Jest reports as "failed to exit gracefully". A handle that
  // really leaks still keeps a worker alive past this limit and is still reported.
  workerGracefulExitTimeout: 5000,
};
