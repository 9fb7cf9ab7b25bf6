/**
 * The suite itself: a test that fails counts as failed the first time (no retry hides a flaky
 * test), and every run has a PostgreSQL server (see support/postgres.ts).
 */
import { describe, expect, it } from 'vitest';
import config from '../vitest.config.js';

describe('the test suite', () => {
  it('runs each test once: a failure is never retried into a pass', () => {
    expect(config.test?.retry ?? 0).toBe(0);
  });

  it('starts from the PostgreSQL server chosen for the run', () => {
    expect(config.test?.globalSetup).toEqual(['test/support/postgres.ts']);
  });
});
