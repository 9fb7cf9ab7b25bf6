/**
 * API tokens in the console, in a real browser against a real server: an admin creates a token
 * that expires in 30 days and one that never does, sees when each expires and when it was last
 * used, and sees a token past its expiry marked Expired (and refused by the API).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotPath, startServer, type Server } from '../support/web.js';

const ADMIN_PASSWORD = 'tokens admin password 42';
const DAY_MS = 24 * 60 * 60 * 1000;

interface TokenAnswer {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly expiresAt: number | null;
}

let server: Server;
let browser: Browser;
let page: Page;
/** The 30-day token created in the console. */
let monthly = '';

/** What the console shows for a date (en-GB, UTC, as the page is set up). */
const shownDate = (at: number) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(at);

async function createInConsole(name: string, expires: string): Promise<string> {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Expires').selectOption({ label: expires });
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByRole('status').filter({ hasText: 'shown only once' });
  await shown.waitFor();
  const token = (await shown.locator('code').innerText()).trim();
  expect(token).toMatch(/^dit_/);
  expect(await shown.innerText()).toMatch(
    expires === 'Never' ? /never expires/ : /It expires on \d/,
  );
  await page.screenshot({
    path: screenshotPath(`17-api-token-created-${expires.replace(/\s+/g, '-')}`),
    style: '.toasts { display: none; }',
  });
  await shown.getByRole('button', { name: 'Done' }).click();
  return token;
}

function rowOf(name: string) {
  return page.getByRole('table', { name: 'API tokens' }).locator('tbody tr', { hasText: name });
}

async function cellOf(name: string, column: number): Promise<string> {
  return (await rowOf(name).locator(`td:nth-child(${column})`).innerText()).trim();
}

describe('API tokens in the console', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(ADMIN_PASSWORD), launchBrowser()]);
    page = await browser.newPage({
      viewport: { width: 1366, height: 860 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  it('creates tokens with an expiry, shows when they expire and when they were last used, and marks an expired one', async () => {
    await page.goto(server.url);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Welcome to duo-insights' }).waitFor();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('button', { name: 'Create token' }).waitFor();
    monthly = await createInConsole('SIEM export', '30 days');
    await rowOf('SIEM export').waitFor();
    const table = page.getByRole('table', { name: 'API tokens' });
    const headers = (await table.locator('thead th').allTextContents()).map((h) => h.trim());
    expect(headers).toEqual(['Name', 'Created', 'Last used', 'Expires', 'Actions']);
    const forever = await createInConsole('Forever script', 'Never');
    await createInConsole('Old script', '90 days');

    // Use the 30-day token from a script, as automation would.
    const used = await fetch(`${server.url}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${monthly}` },
    });
    expect(used.status).toBe(200);
    const tokens = ((await used.json()) as { tokens: TokenAnswer[] }).tokens;
    const siem = tokens.find((t) => t.name === 'SIEM export');
    expect(siem?.expiresAt).toBeGreaterThan((siem?.createdAt ?? 0) + 30 * DAY_MS - 60_000);
    expect(siem?.expiresAt).toBeLessThan((siem?.createdAt ?? 0) + 30 * DAY_MS + 60_000);
    expect(tokens.find((t) => t.name === 'Forever script')?.expiresAt).toBeNull();

    // A token past its expiry: moved back in the server's own database.
    const old = tokens.find((t) => t.name === 'Old script');
    const db = new Database(join(server.dataDir, 'duo-insights.db'));
    try {
      db.prepare('UPDATE api_tokens SET expires_at = ? WHERE id = ?').run(
        Date.now() - DAY_MS,
        old?.id,
      );
    } finally {
      db.close();
    }

    await page.reload();
    await rowOf('SIEM export').waitFor();
    expect(await cellOf('SIEM export', 3)).toBe('just now');
    expect(await cellOf('SIEM export', 4)).toContain(shownDate(siem?.expiresAt ?? 0));
    expect(await cellOf('SIEM export', 4)).toMatch(/in (30 days|720 h)/);
    expect(await cellOf('Forever script', 3)).toBe('never');
    expect(await cellOf('Forever script', 4)).toBe('Never');
    expect(await cellOf('Old script', 4)).toMatch(/^Expired \d/);
    expect(forever).not.toBe(monthly);

    await page.screenshot({ path: screenshotPath('17-api-tokens'), fullPage: true });
  }, 60_000);

  it('is refused by the API once expired, with a message saying so', async () => {
    const db = new Database(join(server.dataDir, 'duo-insights.db'));
    try {
      db.prepare("UPDATE api_tokens SET expires_at = ? WHERE name = 'SIEM export'").run(
        Date.now() - 1000,
      );
    } finally {
      db.close();
    }
    const refused = await fetch(`${server.url}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${monthly}` },
    });
    expect(refused.status).toBe(401);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('unauthenticated');
    expect(error.message).toMatch(/"SIEM export" expired at /);
    await page.reload();
    await rowOf('SIEM export').waitFor();
    expect(await cellOf('SIEM export', 4)).toMatch(/^Expired \d/);
  });
});
