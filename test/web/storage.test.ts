/**
 * An Activity Insights source's Storage tab, in a real browser against a real server: the streams
 * and what they hold, a retention the server refuses (its field error shown under the field), a
 * valid change saved, "Apply retention now" confirmed and what it deleted; a viewer sees it all
 * read-only. Screenshots at desktop (1440×900) and phone (390×844) size.
 *
 * Duo keeps 180 days of logs and the shortest retention is 180 days, so a sync never brings an
 * event old enough to delete: the old events are stored with the product's own ingest, into the
 * server's database, as a source that has been syncing for over a year would hold them.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ms } from '../../src/domain/time.js';
import type { StreamName } from '../../src/domain/streams.js';
import { ingestActivityPage } from '../../src/store/activity/ingest.js';
import { openDatabase } from '../../src/store/dialect.js';
import { launchBrowser, screenshotPath, startServer, type Server } from '../support/web.js';

const ADMIN_PASSWORD = 'storage admin password 42';
const VIEWER_PASSWORD = 'storage viewer password 42';
const now = Date.now();
/** Ages in days of the events stored per stream. */
const AGES: Readonly<Partial<Record<StreamName, readonly number[]>>> = {
  authentication: [420, 300, 250, 120, 30, 2, 1],
  administrator: [390, 15],
  telephony: [5],
};

let server: Server;
let browser: Browser;
let page: Page;
let sourceId = '';
let post: (path: string, body: unknown) => Promise<{ id: string }>;

/** A signed-in API session of the test itself (cookie and CSRF token), for the set-up. */
async function signIn(username: string, password: string) {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`signing in ${username}: ${String(res.status)}`);
  const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return async (path: string, body: unknown): Promise<{ id: string }> => {
    const answer = await fetch(`${server.url}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify(body),
    });
    if (answer.status !== 201) throw new Error(`POST ${path}: ${await answer.text()}`);
    return (await answer.json()) as { id: string };
  };
}

async function storeOldEvents(
  ages: Readonly<Partial<Record<StreamName, readonly number[]>>>,
  batch: string,
): Promise<void> {
  const db = openDatabase(`sqlite:${join(server.dataDir, 'duo-insights.db')}`);
  try {
    for (const [stream, days] of Object.entries(ages) as [StreamName, number[]][]) {
      await ingestActivityPage(db, {
        sourceId,
        stream,
        events: days.map((age) => ({
          naturalKey: `${batch}-${stream}-${String(age)}`,
          tsMs: ms(now - age * DAY_MS),
          userKey: 'DUSTORE0000000000001',
          result: 'success',
          payload: JSON.stringify({
            txid: `${batch}-${stream}-${String(age)}`,
            note: 'x'.repeat(400),
          }),
        })),
        cursor: 1,
      });
    }
  } finally {
    await db.destroy();
  }
}

async function signInConsole(target: Page, username: string, password: string): Promise<void> {
  await target.goto(server.url);
  await target.getByLabel('User name').fill(username);
  await target.getByLabel('Password').fill(password);
  await target.getByRole('button', { name: 'Sign in' }).click();
  await target.getByRole('link', { name: 'Sources' }).first().waitFor();
}

async function openStorage(target: Page): Promise<void> {
  await target.goto(`${server.url}/#/sources/${sourceId}/storage`);
  await target.getByRole('table', { name: 'Storage per stream' }).waitFor();
}

/** The section at both sizes: a desktop window (1440×900), and the page as a phone scrolls it. */
async function shoot(target: Page, name: string): Promise<void> {
  await target.setViewportSize({ width: 1440, height: 900 });
  // A string: the test's own types know no DOM.
  await target.evaluate('window.scrollTo(0, 0)');
  await target.screenshot({
    path: screenshotPath(`${name}-desktop`),
    style: '.toasts { display: none; }',
  });
  await target.setViewportSize({ width: 390, height: 844 });
  await target.screenshot({
    path: screenshotPath(`${name}-phone`),
    fullPage: true,
    style: '.toasts { display: none; }',
  });
  await target.setViewportSize({ width: 1440, height: 900 });
}

/** Closes the toasts, as a user would: the last failure's sits over the form's button. */
async function dismissToasts(): Promise<void> {
  const buttons = page.getByRole('button', { name: 'Dismiss' });
  while ((await buttons.count()) > 0) await buttons.first().click();
}

function streamRow(name: string) {
  return page.getByRole('table', { name: 'Storage per stream' }).locator('tbody tr', {
    hasText: name,
  });
}

describe('the Storage tab of an Activity Insights source', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(ADMIN_PASSWORD), launchBrowser()]);
    post = await signIn('admin', ADMIN_PASSWORD);
    await post('/users', { username: 'vera', password: VIEWER_PASSWORD, role: 'viewer' });
    const owner = await post('/identities', {
      displayName: 'Log Keeper',
      email: 'log.keeper@example.org',
    });
    sourceId = (
      await post('/sources', {
        type: 'duo-activity',
        name: 'Duo logs',
        ownerIdentityId: owner.id,
      })
    ).id;
    await storeOldEvents(AGES, 'first');
    page = await browser.newPage({
      viewport: { width: 1440, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    page.setDefaultTimeout(20_000);
    await signInConsole(page, 'admin', ADMIN_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  it('shows each stream with its events, oldest and newest, its size, and the retention', async () => {
    await page.goto(`${server.url}/#/sources/${sourceId}/overview`);
    await page.getByRole('link', { name: 'Storage' }).click();
    const table = page.getByRole('table', { name: 'Storage per stream' });
    await table.waitFor();
    const headers = (await table.locator('thead th').allTextContents()).map((h) => h.trim());
    expect(headers).toEqual(['Stream', 'Events', 'Oldest', 'Newest', 'Size (MB)']);
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    const auth = streamRow('Authentication');
    expect(await auth.locator('td:nth-child(2)').innerText()).toBe('7');
    const oldest = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
    expect(await auth.locator('td:nth-child(3)').innerText()).toBe(
      oldest.format(now - 420 * DAY_MS),
    );
    expect(await auth.locator('td:nth-child(4)').innerText()).toMatch(/^(24|25) h ago$/);
    expect(await auth.locator('td:nth-child(5)').innerText()).toMatch(/^(< 0\.1|\d+(\.\d)?)$/);
    expect(await streamRow('Administrator').locator('td:nth-child(2)').innerText()).toBe('2');
    expect(await streamRow('Telephony').locator('td:nth-child(2)').innerText()).toBe('1');
    const section = page.locator('main');
    expect(await section.innerText()).toContain('Keeps 400 days of events, 1,095 days of rollups');
    expect(await section.innerText()).toMatch(/Last pass\s+None yet/);
    await shoot(page, 'storage-before');
  }, 60_000);

  it('shows the server’s field error under the field it names', async () => {
    await page.getByLabel('Keep events (days)').fill('90');
    await page.getByRole('button', { name: 'Save retention' }).click();
    const events = page.locator('.field', { has: page.getByLabel('Keep events (days)') });
    await events.locator('.field-error').waitFor();
    expect(await events.locator('.field-error').innerText()).toBe(
      'must be a whole number of days from 180 (Duo keeps 180 days of logs) to 3650',
    );
    expect(await page.getByLabel('Keep events (days)').getAttribute('aria-invalid')).toBe('true');

    // Rollups kept shorter than events: the error lands on the rollups field.
    await dismissToasts();
    await page.getByLabel('Keep events (days)').fill('365');
    await page.getByLabel('Keep rollups (days)').fill('200');
    await page.getByRole('button', { name: 'Save retention' }).click();
    const rollups = page.locator('.field', { has: page.getByLabel('Keep rollups (days)') });
    await rollups.locator('.field-error').waitFor();
    expect(await rollups.locator('.field-error').innerText()).toContain(
      'must be at least retentionDays (365)',
    );
    expect(await events.locator('.field-error').count()).toBe(0);
    await shoot(page, 'storage-field-error');
  }, 60_000);

  it('saves a valid retention and shows it', async () => {
    await dismissToasts();
    await page.getByLabel('Keep events (days)').fill('200');
    await page.getByLabel('Keep rollups (days)').fill('730');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await page.getByText('Keeps 200 days of events, 730 days of rollups').waitFor();
    expect(await page.locator('.field-error').count()).toBe(0);
    const stored = await page.evaluate(async (id) => {
      const res = await fetch(`/api/v1/sources/${id}/storage`);
      return (await res.json()) as { retentionDays: number; rollupRetentionDays: number };
    }, sourceId);
    expect(stored).toMatchObject({ retentionDays: 200, rollupRetentionDays: 730 });
    await page.reload();
    await page.getByRole('table', { name: 'Storage per stream' }).waitFor();
    expect(await page.getByLabel('Keep events (days)').inputValue()).toBe('200');
  }, 60_000);

  it('applies retention now after a confirmation, and says what was deleted', async () => {
    await page.getByRole('button', { name: 'Apply retention now' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm applying retention' });
    expect(await confirm.innerText()).toContain('older than 200 days');
    // Cancel deletes nothing.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await streamRow('Authentication').locator('td:nth-child(2)').innerText()).toBe('7');

    await page.getByRole('button', { name: 'Apply retention now' }).click();
    await shoot(page, 'storage-confirm');
    await confirm.getByRole('button', { name: 'Delete old events' }).click();
    const result = page.getByTestId('retention-result');
    await result.waitFor();
    const text = await result.innerText();
    // 420, 300 and 250 days of authentication, 390 of administrator: older than 200 days.
    expect(text).toMatch(/Retention applied: 4 events and \d+ rollup rows? deleted/);
    expect(text).toContain('Authentication: 3 events deleted');
    expect(text).toContain('Administrator: 1 event deleted');
    expect(text).toContain('Telephony: 0 events deleted');
    await expect
      .poll(() => streamRow('Authentication').locator('td:nth-child(2)').innerText())
      .toBe('4');
    expect(await page.locator('main').innerText()).toMatch(
      /Last pass\s+just now · 4 events deleted/,
    );
    expect(await page.locator('main').innerText()).toMatch(/Held back\s+Nothing/);
    await shoot(page, 'storage-applied');
  }, 60_000);

  it('shows a viewer the storage read-only', async () => {
    const viewer = await browser.newPage({
      viewport: { width: 1440, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    try {
      viewer.setDefaultTimeout(20_000);
      await signInConsole(viewer, 'vera', VIEWER_PASSWORD);
      await openStorage(viewer);
      expect(await viewer.getByLabel('Keep events (days)').isDisabled()).toBe(true);
      expect(await viewer.getByLabel('Keep rollups (days)').isDisabled()).toBe(true);
      expect(await viewer.getByRole('button', { name: 'Save retention' }).count()).toBe(0);
      expect(await viewer.getByRole('button', { name: 'Apply retention now' }).count()).toBe(0);
      expect(await viewer.locator('main').innerText()).toMatch(/4 events deleted/);
    } finally {
      await viewer.close();
    }
  }, 60_000);

  it('names the forwarding destination that held events back', async () => {
    // Nothing listens on port 9 of loopback: the destination delivers nothing.
    await post('/destinations', {
      name: 'Unreachable SIEM',
      type: 'syslog',
      transport: 'tcp',
      host: '127.0.0.1',
      port: 9,
    });
    await storeOldEvents({ authentication: [260, 230] }, 'late');
    await page.reload();
    await page.getByRole('table', { name: 'Storage per stream' }).waitFor();
    expect(await streamRow('Authentication').locator('td:nth-child(2)').innerText()).toBe('6');
    await page.getByRole('button', { name: 'Apply retention now' }).click();
    await page
      .getByRole('group', { name: 'Confirm applying retention' })
      .getByRole('button', { name: 'Delete old events' })
      .click();
    const result = page.getByTestId('retention-result');
    await result.waitFor();
    expect(await result.innerText()).toMatch(
      /Authentication: 0 events deleted — events from .+ on kept for destination Unreachable SIEM, which has not delivered them/,
    );
    await expect
      .poll(async () => page.locator('main').innerText())
      .toMatch(/Held back\s+Authentication by destination Unreachable SIEM/);
    expect(await streamRow('Authentication').locator('td:nth-child(2)').innerText()).toBe('6');
    await shoot(page, 'storage-held');
  }, 60_000);
});
