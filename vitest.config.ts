import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The PostgreSQL server of the run: TEST_DATABASE_URL, the local one, or an embedded one.
    globalSetup: ['test/support/postgres.ts'],
  },
});
