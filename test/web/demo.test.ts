/**
 * The first-run screen's other door: a newcomer with no Duo at hand starts the built-in demo and
 * sees both sources connected, then a person's activity, without typing a key. Keyboard only
 * where a keyboard user would be.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotPath, startServer, type Server } from '../support/web.js';

const ADMIN_PASSWORD = 'demo admin password 42';

let server: Server;
let browser: Browser;
let page: Page;

describe('the web console demo', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(ADMIN_PASSWORD), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  it('signs in with the keyboard and starts the demo from the first-run screen', async () => {
    await page.goto(server.url);
    await page.getByLabel('User name').fill('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Welcome to duo-insights' }).waitFor();

    await page.getByRole('button', { name: 'Start the demo' }).focus();
    await page.keyboard.press('Enter');
    const sources = page.getByRole('table', { name: 'Sources' });
    await sources.waitFor({ timeout: 60_000 });
    await expect.poll(() => sources.locator('tbody tr').count(), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => sources.getByText('Connected').count(), { timeout: 30_000 }).toBe(2);
    // The demo's Duo source aggregates on its own: accounts appear without another click.
    await sources.getByText(/\d+ accounts/).waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: screenshotPath('demo-sources'),
      style: '.toasts { display: none; }',
    });
  }, 120_000);

  it('signs out and is asked to sign in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
});
