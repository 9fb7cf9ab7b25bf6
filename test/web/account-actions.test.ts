/**
 * Account actions in the console, in real Chromium against the demo: the Duo source's Test
 * Connection says the credential can change Duo, and an active Duo user is disabled from its
 * account page — confirmed first, a toast with Duo's answer, the status shown Disabled at once.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotPath, startServer, type Server } from '../support/web.js';

const ADMIN_PASSWORD = 'account actions admin 42';

let server: Server;
let browser: Browser;
let page: Page;

describe('account actions in the console', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startServer(ADMIN_PASSWORD, { DUO_INSIGHTS_DEMO: 'true' }),
      launchBrowser(),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  it('disables a demo account from its page, after confirming, and shows it Disabled', async () => {
    await page.goto(server.url);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    const sources = page.getByRole('table', { name: 'Sources' });
    await sources.waitFor({ timeout: 60_000 });
    await sources.getByText(/\d+ accounts/).waitFor({ timeout: 60_000 });
    await sources.getByRole('link', { name: 'Demo – Duo' }).click();
    // The demo's credential has every permission: its test says it can change Duo.
    await page.locator('[data-write-granted="true"]').waitFor();

    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByLabel('Kind').selectOption('user');
    await page.getByLabel('Status').selectOption('active');
    const table = page.getByRole('table', { name: 'Accounts' });
    await expect
      .poll(async () => (await table.locator('tbody tr').allInnerTexts()).join('\n'))
      .not.toMatch(/Administrator|Disabled|Locked out|Bypass/);
    const link = table.locator('tbody tr').first().getByRole('link').first();
    const username = (await link.innerText()).trim();
    await link.click();
    await page.getByRole('heading', { name: username, level: 1 }).waitFor();
    const facts = page.locator('dl.facts');
    await facts.getByText('Active', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Enable' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Unlock' }).count()).toBe(0);

    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText(`${username} is disabled in Duo (status disabled).`).waitFor();
    expect(asked).toContain(`Disable ${username} in Duo?`);
    await facts.getByText('Disabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    expect(await page.getByRole('button', { name: 'Disable' }).count()).toBe(0);
    await page.screenshot({ path: screenshotPath('account-disabled') });

    // The status is Duo's: a reload reads it back from the server.
    await page.reload();
    await page.locator('dl.facts').getByText('Disabled', { exact: true }).waitFor();
  }, 180_000);

  it('asks first, and changes nothing when the confirmation is dismissed', async () => {
    page.once('dialog', (dialog) => {
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.waitForTimeout(500);
    await page.reload();
    await page.locator('dl.facts').getByText('Disabled', { exact: true }).waitFor();
  }, 60_000);
});
