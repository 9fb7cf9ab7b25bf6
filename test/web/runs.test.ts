/**
 * Runs you can follow, in a real browser against the real server and a slowed Duo simulator: a
 * first sync whose log pages each take 1.5 s shows "First sync N %" on the sources list, keeps
 * Test Connection disabled with the reason, and its run page moves its progress bar, shows the
 * time left, then the streams it read and stops asking; a sync refused every log shows the
 * error and its fix. Screenshots land in test-results/screenshots/runs-*.png.
 */
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  screenshotPath,
  startServer,
  startSim,
  type Server,
  type Sim,
} from '../support/web.js';

const IKEY = 'DIWEBRUNS00000000001';
const SKEY = 'web-runs-secret-key-0123456789abcdefghij';
const ADMIN_PASSWORD = 'correct horse battery staple';
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 390, height: 844 };

let sim: Sim;
let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let csrf = '';
let sourceId = '';
let firstRunId = '';

async function shot(name: string, fullPage = true): Promise<void> {
  await page.waitForTimeout(250);
  await page.screenshot({
    path: screenshotPath(`runs-${name}`),
    fullPage,
    style: '.toasts { display: none; }',
  });
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await page.request.fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { data: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status() >= 300) throw new Error(`${method} ${path}: ${response.status()} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

async function simControl(path: string, body?: unknown, method = 'POST'): Promise<void> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  expect(response.status, await response.text()).toBeLessThan(300);
}

interface RunAnswer {
  id: string;
  kind: string;
  status: string;
  stats: { firstSync: boolean };
}

describe('runs you can follow', () => {
  beforeAll(async () => {
    [sim, server, browser] = await Promise.all([
      // Fourteen days of 2,000 authentications: some 28 pages of authentication logs.
      startSim({ ikey: IKEY, skey: SKEY, days: 14, authPerDay: 2000 }),
      startServer(ADMIN_PASSWORD),
      launchBrowser(),
    ]);
    context = await browser.newContext({ viewport: WIDE, locale: 'en-GB', timezoneId: 'UTC' });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await Promise.all([server.stop(), sim.stop()]);
  });

  it('signs in and starts the first sync of an Activity Insights source against a slow Duo', async () => {
    await page.goto(server.url);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Welcome to duo-insights' }).waitFor();
    csrf = (await api<{ csrfToken: string }>('GET', '/auth/me')).csrfToken;

    const owner = await api<{ id: string }>('POST', '/identities', { displayName: 'Rita Runs' });
    const source = await api<{ id: string }>('POST', '/sources', {
      type: 'duo-activity',
      name: 'Duo activity (slow)',
      ownerIdentityId: owner.id,
    });
    sourceId = source.id;
    await api('PUT', `/sources/${sourceId}/configuration`, {
      apiHost: sim.url,
      integrationKey: IKEY,
      secretKey: SKEY,
    });
    // Every log page now takes 1.5 s: the first sync lasts long enough to watch.
    await simControl('/_sim/faults', {
      kind: 'slow',
      path: '/admin/*/logs/*',
      count: 400,
      delayMs: 1500,
    });
    expect((await api<{ ok: boolean }>('POST', `/sources/${sourceId}/test-connection`)).ok).toBe(
      true,
    );
    // A passed test starts the first sync; ask for it too, in case the scheduler has not yet.
    await expect
      .poll(
        async () => {
          const { lastRun } = await api<{ lastRun: RunAnswer | null }>(
            'GET',
            `/sources/${sourceId}`,
          );
          if (lastRun?.kind === 'sync' && lastRun.status === 'running') {
            firstRunId = lastRun.id;
            return lastRun.stats.firstSync;
          }
          await api('POST', `/sources/${sourceId}/sync`).catch(() => undefined);
          return false;
        },
        { timeout: 20_000, interval: 300 },
      )
      .toBe(true);
  }, 60_000);

  it('says "First sync N %" on the sources list while the first sync runs', async () => {
    // Through the links, whatever form the console's addresses take.
    await page.reload();
    await page.getByRole('link', { name: 'Sources' }).first().click();
    const row = page.getByRole('table', { name: 'Sources' }).locator('tbody tr').first();
    const badge = row.getByText(/^First sync \d+ %$/);
    await badge.waitFor();
    expect(await row.innerText()).not.toMatch(/healthy|synced/);
    await shot('01-sources-first-sync');
    await page.setViewportSize(NARROW);
    // The Health column stays on a narrow window while it says how far the first sync got.
    await badge.scrollIntoViewIfNeeded();
    expect(await badge.isVisible()).toBe(true);
    await shot('02-sources-first-sync-narrow');
    await page.setViewportSize(WIDE);
  }, 30_000);

  it('disables Test Connection during the run, saying why and when, and links to the run', async () => {
    await page
      .getByRole('table', { name: 'Sources' })
      .getByRole('link', { name: 'Duo activity (slow)' })
      .click();
    const test = page.getByRole('button', { name: 'Test Connection' });
    await test.waitFor();
    await expect.poll(() => test.isDisabled()).toBe(true);
    const why = page.locator('#test-unavailable');
    expect(await why.innerText()).toMatch(
      /Test Connection is unavailable while the sync runs.*It can run once the sync ends/s,
    );
    expect(await test.getAttribute('aria-describedby')).toBe('test-unavailable');
    const follow = page.getByRole('status').filter({ hasText: 'A sync is running' });
    await follow.waitFor();
    expect(await follow.innerText()).toContain('the first sync');
    await shot('03-source-during-run', false);
    await follow.getByRole('link', { name: /Follow the run/ }).click();
    await page.waitForURL(new RegExp(`/sources/${sourceId}/runs/${firstRunId}$`));
  }, 30_000);

  it('moves the run page’s progress bar, estimates the time left, then shows the streams it read and stops asking', async () => {
    await page.getByRole('heading', { name: /^Sync of / }).waitFor();
    const eta = page.locator('[data-eta]');
    await eta.waitFor();
    const bar = page.getByRole('progressbar', { name: 'sync progress' });
    const seen = new Set<number>();
    let etaText = '';
    await expect
      .poll(
        async () => {
          if (await bar.isVisible()) seen.add(Number(await bar.getAttribute('aria-valuenow')));
          etaText = (await eta.innerText().catch(() => etaText)) || etaText;
          return seen.size >= 2 && /^(about \d|a few seconds)/.test(etaText);
        },
        { timeout: 90_000, interval: 400 },
      )
      .toBe(true);
    const values = [...seen];
    expect(Math.max(...values)).toBeGreaterThan(Math.min(...values));
    const facts = await page.locator('.facts').first().innerText();
    expect(facts).toMatch(/Pages\s+\d+/);
    expect(facts).toMatch(/Events\s+[\d,]+/);
    expect(facts).toMatch(/Windows\s+\d+ of \d+/);
    expect(await page.getByText('estimated from the pace so far').isVisible()).toBe(true);
    await shot('04-run-progress');
    await page.setViewportSize(NARROW);
    await shot('05-run-progress-narrow');
    await page.setViewportSize(WIDE);

    await page.getByText('Succeeded').first().waitFor({ timeout: 120_000 });
    const streams = page.getByRole('table', { name: 'Streams read' });
    await streams.locator('tbody tr').first().waitFor();
    const names = await streams.locator('tbody tr td:first-child').allInnerTexts();
    expect(names.map((n) => n.trim())).toContain('Authentication');
    const link = streams.getByRole('link', { name: 'Authentication' });
    expect(await link.getAttribute('href')).toContain(`/sources/${sourceId}/storage`);
    expect(await page.locator('[data-share]').innerText()).toBe('100 %');
    expect(await page.locator('[data-eta]').count()).toBe(0);
    await shot('06-run-succeeded');

    // Ended: the page asks nothing more.
    const asked: string[] = [];
    const onRequest = (request: Request): void => {
      if (request.url().includes('/api/v1/runs/')) asked.push(request.url());
    };
    page.on('request', onRequest);
    await page.waitForTimeout(4000);
    page.off('request', onRequest);
    expect(asked).toEqual([]);
  }, 180_000);

  it('shows a failed run’s error with its fix, linked from the source’s runs', async () => {
    await simControl('/_sim/faults', undefined, 'DELETE');
    // The integration key loses "Grant read log": every log stream is refused.
    await simControl('/_sim/credentials', { ikey: IKEY, permissions: ['read_resource'] });
    await page.getByRole('link', { name: '← Duo activity (slow)' }).click();
    await page.getByRole('button', { name: 'Sync now' }).click();
    const runs = page.locator('section', { has: page.getByRole('heading', { name: 'Runs' }) });
    const failed = runs.locator('tbody tr', { hasText: 'Failed' }).first();
    await failed.waitFor({ timeout: 60_000 });
    await failed.getByRole('link', { name: 'Sync' }).click();
    const error = page.locator('[data-run-error]');
    await error.waitFor();
    const text = await error.innerText();
    // The streams not in the plan are not counted as failed; the one fix is said once.
    expect(text).toMatch(/4 of 4 streams failed: /);
    expect(text).not.toContain('trust_monitor');
    expect(text).toContain('How to fix it');
    const fix = await error.locator('dt:text-is("How to fix it") + dd').innerText();
    expect(fix.match(/Grant read log/g)).toHaveLength(1);
    expect(await page.getByRole('heading', { name: /Warnings \(\d+\)/ }).isVisible()).toBe(true);
    await shot('07-run-failed');
    await page.setViewportSize(NARROW);
    await shot('08-run-failed-narrow');
    await page.setViewportSize(WIDE);
  }, 90_000);
});
