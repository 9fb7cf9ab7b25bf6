import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A failed test runs once more before it counts as failed, and vitest reports it as flaky.
    // Known: on PostgreSQL a re-read authentication event was once counted as "updated" (about
    // one full run in six, cause not yet found; see the project's notes).
    retry: 1,
  },
});
