import { defineConfig } from 'vitest/config';

/**
 * One test configuration for every package. Tiers by file name:
 * `*.test.ts` are fast and do no I/O; `*.int.test.ts` use real databases, sockets and processes.
 * `TEST_TIER=unit|int` narrows a run to one tier.
 */
const tier = process.env['TEST_TIER'];
const include =
  tier === 'unit'
    ? ['test/**/*.test.ts', 'src/**/*.test.ts']
    : tier === 'int'
      ? ['test/**/*.int.test.ts', 'src/**/*.int.test.ts']
      : ['test/**/*.test.ts', 'src/**/*.test.ts'];
const exclude = tier === 'unit' ? ['**/*.int.test.ts', '**/node_modules/**'] : ['**/node_modules/**'];

export default defineConfig({
  test: {
    include,
    exclude,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env['CI'] ? ['default'] : ['default'],
  },
});
