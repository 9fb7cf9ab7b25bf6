/**
 * The web console in a real browser (Debian's Chromium) against a real server and the Duo
 * simulator, both started as CLI processes: the journey from connector to access review as a new user walks it.
 * Screenshots of the main pages land in test-results/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  screenshotPath,
  startServer,
  startSim,
  type Server,
  type Sim,
  openPage,
} from '../support/web.js';

const IKEY = 'DIWEBCONSOLE00000001';
const SKEY = 'web-console-secret-key-0123456789abcdefgh';
const WRONG_SKEY = 'this-is-not-the-secret-key-0123456789xyz';
const ADMIN_PASSWORD = 'correct horse battery staple';

let sim: Sim;
let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let duoSourceUrl = '';

async function shot(name: string, fullPage = true): Promise<void> {
  await page.waitForTimeout(250);
  // Toasts would hide part of the page; they are asserted where they matter.
  await page.screenshot({
    path: screenshotPath(name),
    fullPage,
    style: '.toasts { display: none; }',
  });
}

describe('the web console', () => {
  beforeAll(async () => {
    [sim, server, browser] = await Promise.all([
      startSim({ ikey: IKEY, skey: SKEY }),
      startServer(ADMIN_PASSWORD),
      launchBrowser(),
    ]);
    ({ context, page } = await openPage(browser, {
      viewport: { width: 1366, height: 860 },
      acceptDownloads: true,
    }));
  }, 120_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await Promise.all([server.stop(), sim.stop()]);
  });

  it('asks to sign in, refuses a wrong password, then opens the first-run screen', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await shot('01-sign-in');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('do not match').waitFor();

    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Welcome to duo-insights' }).waitFor();
    expect(await page.getByRole('button', { name: 'Start the demo' }).isEnabled()).toBe(true);
    await shot('02-first-run');
  });

  it('creates a Duo source through the wizard: a failing, then a passing Test Connection', async () => {
    await page
      .getByRole('link', { name: /Create source/ })
      .first()
      .click();
    await page.getByRole('radio', { name: /^Duo/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByLabel('Name', { exact: true }).fill('Duo production');
    await page.getByLabel('Description').fill('The production Duo tenant');
    // No identity exists yet: the owner picker offers to create one from what was typed.
    const owner = page.getByRole('combobox', { name: 'Source Owner' });
    await owner.fill('A');
    await page.getByText('Matches appear after two letters').waitFor();
    await owner.fill('Alice Owner');
    await page.getByRole('button', { name: 'Create identity “Alice Owner”' }).click();
    await page.getByLabel('E-mail of Alice Owner (optional)').fill('alice.owner@example.com');
    await page.getByRole('button', { name: 'Create identity', exact: true }).click();
    await page.getByText('alice.owner@example.com').waitFor();
    await shot('03-wizard-details');
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Configuration' }).waitFor();
    await page.getByLabel('Integration Key').fill(IKEY);
    await page.getByLabel('Secret Key').fill(WRONG_SKEY);
    await page.getByLabel('API Host').fill(sim.url);
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Review and Test' }).waitFor();
    expect(await page.getByText('Entered (write-only)').isVisible()).toBe(true);
    expect(await page.content()).not.toContain(WRONG_SKEY);
    await page.getByRole('button', { name: 'Test Connection' }).click();
    const failed = page.locator('[data-verdict="failed"]');
    await failed.waitFor();
    const verdict = await failed.innerText();
    expect(verdict).toMatch(/Failed/);
    expect(verdict).toMatch(/How to fix it/);
    await shot('04-test-connection-failed');

    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByLabel('Secret Key').fill(SKEY);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.locator('[data-verdict="passed"]').waitFor();
    await shot('05-test-connection-passed');

    await page.getByRole('button', { name: 'Aggregate now' }).click();
    await page.waitForURL(/\/sources\/(?!new$)[^/?#]+$/);
    duoSourceUrl = page.url();
    const runs = page.locator('section', { has: page.getByRole('heading', { name: 'Runs' }) });
    const aggregation = runs.locator('tbody tr', { hasText: 'Aggregation' }).first();
    await aggregation.getByText('Succeeded').waitFor({ timeout: 60_000 });
    expect(await aggregation.innerText()).toMatch(/\d+ accounts/);
    await page.getByRole('button', { name: 'Aggregate', exact: true }).waitFor();
  }, 120_000);

  it('shows the aggregated accounts and groups with filters', async () => {
    await page.getByRole('link', { name: 'Accounts' }).click();
    const table = page.getByRole('table', { name: 'Accounts' });
    await table.waitFor();
    const all = await table.locator('tbody tr').count();
    expect(all).toBeGreaterThan(10);
    await page.getByLabel('Status').selectOption('active');
    await expect.poll(async () => table.locator('tbody tr').count()).toBeLessThanOrEqual(all);
    await shot('06-source-accounts');
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('link', { name: 'Entitlements' }).click();
    const groups = page.getByRole('table', { name: 'Entitlements' });
    await groups.waitFor();
    const group = (await groups.locator('tbody tr td:first-child').first().innerText()).trim();
    await groups.getByRole('button', { name: group }).click();
    const members = page.getByRole('table', { name: `Members of ${group}` });
    await members.waitFor();
    expect(await members.locator('tbody tr').count()).toBeGreaterThan(0);
    await shot('07-source-entitlements');
  }, 60_000);

  it('creates the Activity Insights source, picking the owner by typing two letters', async () => {
    await page.getByRole('link', { name: 'Sources' }).first().click();
    await page.getByRole('table', { name: 'Sources' }).waitFor();
    await page.getByRole('link', { name: 'Create source' }).click();
    await page.getByRole('radio', { name: /Activity Insights/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Duo activity');
    const owner = page.getByRole('combobox', { name: 'Source Owner' });
    await owner.fill('Al');
    await page.getByRole('option', { name: /Alice Owner/ }).waitFor();
    await owner.press('Enter');
    await page.getByText('alice.owner@example.com').waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Integration Key').fill(IKEY);
    await page.getByLabel('Secret Key').fill(SKEY);
    await page.getByLabel('API Host').fill(sim.url);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.locator('[data-verdict="passed"]').waitFor();
    await page.getByRole('link', { name: /Open source/ }).click();

    const streams = page.getByRole('table', { name: 'Stream health' });
    await streams.getByText('Healthy').first().waitFor({ timeout: 60_000 });
    const runs = page.locator('section', { has: page.getByRole('heading', { name: 'Runs' }) });
    await runs
      .locator('tbody tr', { hasText: 'Sync' })
      .first()
      .getByText('Succeeded')
      .waitFor({ timeout: 90_000 });
    await shot('08-activity-source');

    await page.getByRole('link', { name: 'Sources' }).first().click();
    const list = page.getByRole('table', { name: 'Sources' });
    await list.getByText('Duo activity').waitFor();
    expect(await list.locator('tbody tr').count()).toBe(2);
    await shot('09-sources');
  }, 180_000);

  it('opens an identity: insight cards, the daily chart and a timeline that scrolls for more', async () => {
    // The busiest person, found through the same API the console uses.
    const listed = (await (
      await page.request.get(`${server.url}/api/v1/identities?limit=100`)
    ).json()) as {
      identities: { id: string; displayName: string }[];
    };
    let busiest = { id: '', name: '', d90: 0 };
    for (const identity of listed.identities) {
      const insights = (await (
        await page.request.get(`${server.url}/api/v1/identities/${identity.id}/insights`)
      ).json()) as { counts: { d90: number } };
      if (insights.counts.d90 > busiest.d90)
        busiest = { id: identity.id, name: identity.displayName, d90: insights.counts.d90 };
    }
    expect(busiest.d90).toBeGreaterThan(50);

    await page.getByRole('link', { name: 'Identities' }).click();
    await page.getByRole('searchbox', { name: 'Search identities' }).fill(busiest.name.slice(0, 4));
    await page.getByRole('link', { name: busiest.name }).first().click();
    await page.getByRole('heading', { name: busiest.name }).waitFor();

    const cards = page.getByTestId('insight-cards');
    await cards.waitFor();
    expect(await cards.innerText()).toMatch(/days active/i);
    const chart = page.getByTestId('activity-chart');
    await chart.locator('canvas').waitFor();
    const box = await chart.boundingBox();
    expect(box?.height ?? 0).toBeGreaterThan(150);
    // The figures under the chart are the API's: authentications by result, telephony apart.
    const figures = (await (
      await page.request.get(`${server.url}/api/v1/identities/${busiest.id}/insights`)
    ).json()) as {
      authentications: { total: number; success: number; denied: number; fraud: number };
      eventsByType: Record<string, number>;
      factors: { label: string }[];
    };
    const n = (v: number) => v.toLocaleString('en-GB');
    const { total, success, denied, fraud } = figures.authentications;
    const summary = await page.getByTestId('activity-chart-summary').innerText();
    expect(summary).toContain(
      `${n(total)} authentications: ${n(success)} successful, ${n(denied)} denied or error, ${n(fraud)} reported as fraud`,
    );
    const telephony = figures.eventsByType['telephony'] ?? 0;
    if (telephony > 0) expect(summary).toContain(`${n(telephony)} telephony events`);
    // Each factor once, under one name: no "Sms" beside "SMS passcode".
    const factorCard = page.locator('section', {
      has: page.getByRole('heading', { name: 'Factors' }),
    });
    const names = await factorCard.locator('.usage-name').allInnerTexts();
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names.map((x) => x.trim())).size).toBe(names.length);
    expect(names.map((x) => x.trim())).not.toContain('Sms');
    expect(names.map((x) => x.trim())).not.toContain('Phone');

    const timeline = page.getByTestId('timeline');
    await timeline.waitFor();
    const first = await timeline.locator('li').count();
    expect(first).toBe(Math.min(50, busiest.d90));
    await shot('10-identity', false);
    if (busiest.d90 > 50) {
      await page
        .getByText(/Load older activity|Loading older activity|beginning of the synced history/)
        .scrollIntoViewIfNeeded();
      await expect
        .poll(() => timeline.locator('li').count(), { timeout: 15_000 })
        .toBeGreaterThan(first);
    }
    await page.getByLabel('Result', { exact: true }).selectOption('success');
    await page.waitForTimeout(300);
    const results = await timeline.locator('.badge').allInnerTexts();
    expect(results.length).toBeGreaterThan(0);
    expect(new Set(results)).toEqual(new Set(['Success']));

    await page.setViewportSize({ width: 420, height: 900 });
    await page.getByLabel('Result', { exact: true }).selectOption('');
    await page.evaluate('window.scrollTo(0, 0)');
    await shot('11-identity-narrow', false);
    await page.setViewportSize({ width: 1366, height: 860 });
  }, 120_000);

  it('runs an access review of a Duo group and downloads its CSV', async () => {
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('link', { name: 'Access review' }).click();
    const group = page.getByLabel('Group (entitlement)');
    await expect.poll(async () => group.locator('option').count()).toBeGreaterThan(1);
    const options = await group.locator('option').allInnerTexts();
    await group.selectOption({ label: options[1] ?? '' });
    await page.getByRole('button', { name: 'Run review' }).click();
    const table = page.getByRole('table', { name: 'Access review' });
    await table.waitFor();
    const rows = await table.locator('tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    const suggestions = await table.locator('tbody tr td:nth-child(6)').allInnerTexts();
    for (const s of suggestions) expect(['Keep', 'Revoke']).toContain(s.trim());
    await shot('12-access-review');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toContain('suggestion');
    expect(lines.length - 1).toBe(rows);
    expect(download.suggestedFilename()).toMatch(/^access-review-.*\.csv$/);
  }, 60_000);

  it('shows dormant accounts, administrator actions, sync health and the settings pages', async () => {
    await page.getByRole('link', { name: 'Dormant accounts' }).click();
    await page.getByRole('heading', { name: 'Dormant accounts' }).waitFor();
    await page.getByText(/Finding dormant accounts/).waitFor({ state: 'detached' });
    await shot('13-dormant');
    await page.getByRole('link', { name: 'Sync health' }).click();
    await page.getByRole('table', { name: 'Sync health' }).waitFor();
    await shot('14-sync-health');
    // The security events: what Duo Trust Monitor surfaced, as the API sends them.
    await page.getByRole('link', { name: 'Security events' }).click();
    const security = page.getByRole('table', { name: 'Security events' });
    await security.waitFor();
    const sent = await page.evaluate(async () => {
      const res = await fetch('/api/v1/reports/security-events?limit=20');
      return (await res.json()) as { events: { state: string; type: string }[] };
    });
    expect(sent.events.length).toBeGreaterThan(0);
    const shown = await security.innerText();
    expect(shown).toContain(sent.events[0]?.type);
    expect(shown).toContain(sent.events[0]?.state);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('table', { name: 'Users' }).waitFor();
    await page.getByRole('link', { name: 'Audit trail' }).click();
    const audit = page.getByRole('table', { name: 'Audit trail' });
    await audit.waitFor();
    expect(await audit.innerText()).toContain('source.create');
    await shot('15-audit');
    await page.getByRole('link', { name: 'Sources' }).first().click();
    await page.getByRole('link', { name: 'Duo production' }).click();
    await page.getByRole('heading', { name: /Duo production/ }).waitFor();
    expect(page.url()).toBe(duoSourceUrl);
    await shot('16-duo-source');
  }, 60_000);
  it('shows what the API sends: a running aggregation’s progress, group members, account counts and the last sign-in', async () => {
    // The groups request of the next aggregation waits 15 s: the run is then running, with every
    // account seen, and its progress bar drawn full.
    const fault = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'slow', path: '/admin/v1/groups*', count: 1, delayMs: 15_000 }),
    });
    expect(fault.status).toBe(200);
    await page.goto(duoSourceUrl);
    await page.getByRole('button', { name: 'Aggregate', exact: true }).click();
    const bar = page.getByRole('progressbar', { name: 'aggregation progress' });
    await bar.waitFor({ timeout: 30_000 });
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    await shot('17-aggregation-progress', false);
    const runs = page.locator('section', { has: page.getByRole('heading', { name: 'Runs' }) });
    await runs
      .locator('tbody tr', { hasText: 'Aggregation' })
      .first()
      .getByText('Succeeded')
      .waitFor({ timeout: 60_000 });

    await page.getByRole('link', { name: 'Identities' }).first().click();
    const identities = page.getByRole('table', { name: 'Identities' });
    await identities.locator('tbody tr').first().waitFor();
    const counts = (await identities.locator('tbody tr td:last-child').allInnerTexts()).map((c) =>
      c.trim(),
    );
    expect(counts.length).toBeGreaterThan(1);
    expect(counts.every((c) => /^\d+$/.test(c))).toBe(true);
    expect(counts.some((c) => Number(c) >= 1)).toBe(true);
    await shot('18-identities-accounts');

    await page.getByRole('link', { name: 'Settings' }).click();
    const users = page.getByRole('table', { name: 'Users' });
    await users.waitFor();
    const admin = users.locator('tbody tr', { hasText: 'admin' }).first();
    expect(await admin.innerText()).not.toMatch(/never/i);
    await shot('19-users-last-sign-in');

    await page.getByRole('link', { name: 'Governance groups' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Access reviewers');
    await page.getByRole('button', { name: 'Create group' }).click();
    const picker = page.getByRole('combobox', { name: 'Add a member' });
    await picker.fill('Al');
    await page.getByRole('option', { name: /Alice Owner/ }).waitFor();
    await picker.press('Enter');
    await page.getByRole('button', { name: 'Add member' }).click();
    const members = page.getByRole('table', { name: 'Members' });
    await members.getByText('Alice Owner').waitFor();
    await shot('20-governance-group-members');
  }, 120_000);
});
