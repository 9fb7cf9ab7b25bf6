/**
 * The browser tests on a machine without Chromium: one line saying how to install it.
 */
import { describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/web.js';

describe('the browser tests without Chromium', () => {
  it('fail with one line saying how to install it', async () => {
    const error = await launchBrowser('/nonexistent/chromium').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toBe(
      'the browser tests need Chromium at /nonexistent/chromium; install it with: apt-get install chromium',
    );
    expect(message).not.toContain('\n');
  });
});
