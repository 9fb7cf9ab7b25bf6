/**
 * Tables in a real browser against the demo (the built-in simulator, 200 Duo users): a server-
 * sorted account list (both ways, by click and by keyboard, in the API's order), its count and
 * a filter narrowing both, the CSV of every matching account (more than one page), and a date
 * range that narrows the activity timeline and the administrator-actions report, kept in the
 * URL across a reload. Screenshots at 1440×900 and 390×844 in test-results/screenshots/tables-*.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  screenshotPath,
  startServer,
  type Server,
  openPage,
} from '../support/web.js';

const ADMIN_PASSWORD = 'correct horse battery staple';

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let duoSourceId = '';

interface Source {
  id: string;
  type: string;
  lastRun: { kind: string; status: string } | null;
}

async function getJson<T>(path: string): Promise<T> {
  const answer = await page.request.get(`${server.url}/api/v1${path}`);
  expect(answer.status()).toBe(200);
  return (await answer.json()) as T;
}

async function shot(name: string, fullPage = true): Promise<void> {
  await page.waitForTimeout(250);
  await page.screenshot({
    path: screenshotPath(`tables-${name}`),
    fullPage,
    style: '.toasts { display: none; }',
  });
}

/** The same page at a phone's size, scrolled to `selector`, then back. */
async function phoneShot(name: string, selector: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator(selector).first().scrollIntoViewIfNeeded();
  await shot(`${name}-phone`, false);
  await page.setViewportSize({ width: 1440, height: 900 });
}

const numberOf = (text: string) => Number(/([\d,]+)/.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);

/** `YYYY-MM-DD` of epoch ms, UTC (the browser runs in UTC). */
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('tables', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startServer(ADMIN_PASSWORD, { DUO_INSIGHTS_DEMO: 'true' }),
      launchBrowser(),
    ]);
    ({ context, page } = await openPage(browser, {
      viewport: { width: 1440, height: 900 },
      acceptDownloads: true,
    }));
    await page.goto(server.url);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The demo's two sources: wait until the accounts are aggregated and the logs synced.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const answer = await page.request.get(`${server.url}/api/v1/sources`);
      const { sources = [] } = (await answer.json().catch(() => ({}))) as { sources?: Source[] };
      const ready = sources.filter((s) => s.lastRun?.status === 'succeeded');
      duoSourceId = ready.find((s) => s.type === 'duo')?.id ?? '';
      if (ready.length === 2 && duoSourceId) break;
      if (Date.now() > deadline)
        throw new Error('the demo sources did not finish their first runs');
      await page.waitForTimeout(500);
    }
  }, 150_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  async function openAccounts(): Promise<void> {
    await page.getByRole('link', { name: 'Sources' }).first().click();
    const sources = page.getByRole('table', { name: 'Sources' });
    await sources.locator(`a[href*="${duoSourceId}"]`).first().click();
    await page.getByRole('link', { name: 'Accounts', exact: true }).click();
    await page.getByRole('table', { name: 'Accounts' }).waitFor();
  }

  const accountsTable = () => page.getByRole('table', { name: 'Accounts' });
  const shownUsernames = () => accountsTable().locator('tbody tr td:first-child').allInnerTexts();
  const countLine = () => page.locator('[data-table-count]').first().innerText();

  it('counts every account of the paged list, as the server does', async () => {
    await openAccounts();
    const { total, accounts } = await getJson<{ total: number; accounts: unknown[] }>(
      `/sources/${duoSourceId}/accounts?limit=100`,
    );
    expect(total).toBeGreaterThan(100);
    expect(accounts).toHaveLength(100);
    await expect.poll(countLine).toMatch(/accounts/);
    expect(numberOf(await countLine())).toBe(total);
    expect(await countLine()).toContain(`${total.toLocaleString('en-GB')} accounts`);
    expect(await accountsTable().locator('tbody tr').count()).toBe(100);
  });

  it('sorts by user name both ways, in the order the API sorts every account', async () => {
    const header = accountsTable().getByRole('columnheader', { name: /User name/ });
    expect(await header.getAttribute('aria-sort')).toBe('none');
    await header.getByRole('button').click();
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('ascending');
    const up = await getJson<{ accounts: { username: string }[] }>(
      `/sources/${duoSourceId}/accounts?limit=100&sort=username&order=asc`,
    );
    await expect.poll(shownUsernames).toEqual(up.accounts.map((a) => a.username));
    await shot('accounts-sorted-up');

    await header.getByRole('button').click();
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('descending');
    const down = await getJson<{ accounts: { username: string }[] }>(
      `/sources/${duoSourceId}/accounts?limit=100&sort=username&order=desc`,
    );
    await expect.poll(shownUsernames).toEqual(down.accounts.map((a) => a.username));
    // The two ends of the whole list, not of the loaded page: the first descending is the last ascending.
    const all = await getJson<{ accounts: { username: string }[] }>(
      `/sources/${duoSourceId}/accounts?limit=1000&sort=username&order=asc`,
    );
    expect((await shownUsernames())[0]).toBe(all.accounts[all.accounts.length - 1]?.username);

    // By keyboard: Tab to another header's button and press Enter.
    const status = accountsTable().getByRole('columnheader', { name: /Status/ });
    await status.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => status.getAttribute('aria-sort')).toBe('ascending');
    expect(await header.getAttribute('aria-sort')).toBe('none');
    const byStatus = await getJson<{ accounts: { username: string }[] }>(
      `/sources/${duoSourceId}/accounts?limit=100&sort=status&order=asc`,
    );
    await expect.poll(shownUsernames).toEqual(byStatus.accounts.map((a) => a.username));
    await shot('accounts-sorted-keyboard');
    await phoneShot('accounts', '[data-table-count]');
  });

  it('narrows the rows and the count with a filter', async () => {
    const { total: all } = await getJson<{ total: number }>(`/sources/${duoSourceId}/accounts`);
    await page.getByLabel('Kind').selectOption('administrator');
    const { total, accounts } = await getJson<{
      total: number;
      accounts: { username: string }[];
    }>(`/sources/${duoSourceId}/accounts?kind=administrator&sort=status&order=asc`);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(all);
    await expect.poll(async () => numberOf(await countLine())).toBe(total);
    await expect.poll(shownUsernames).toEqual(accounts.map((a) => a.username));
    await shot('accounts-filtered');
    await page.getByLabel('Kind').selectOption('');
    await expect.poll(async () => numberOf(await countLine())).toBe(all);
  });

  it('downloads the server’s CSV of every matching account, more than one page', async () => {
    const { total } = await getJson<{ total: number }>(`/sources/${duoSourceId}/accounts`);
    expect(total).toBeGreaterThan(100);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.split('\r\n').slice(1, -1);
    expect(lines).toHaveLength(total);
    expect(new Set(lines).size).toBe(total);
    expect(download.suggestedFilename()).toMatch(/-accounts\.csv$/);
    // In the table's order (sorted by status): the server's sorted list, every page of it.
    const sorted = await getJson<{ accounts: { username: string }[] }>(
      `/sources/${duoSourceId}/accounts?limit=1000&sort=status&order=asc`,
    );
    expect(lines.map((l) => l.split(',')[0])).toEqual(sorted.accounts.map((a) => a.username));
  });

  it('narrows a whole list with its filter box, the count saying how many of how many', async () => {
    await page.getByRole('link', { name: 'Entitlements', exact: true }).click();
    const table = page.getByRole('table', { name: 'Entitlements' });
    await table.waitFor();
    const { entitlements } = await getJson<{ entitlements: { name: string }[] }>(
      `/sources/${duoSourceId}/entitlements`,
    );
    const names = entitlements.map((e) => e.name);
    const shown = () => table.locator('tbody tr td:first-child').allInnerTexts();
    expect((await shown()).length).toBe(names.length);
    expect(await countLine()).toBe(`${String(names.length)} entitlements`);
    // Sorted here (the whole list is loaded): both ways, missing values last.
    const header = table.getByRole('columnheader', { name: /Entitlement/ });
    await header.getByRole('button').click();
    const byName = [...names].sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' }),
    );
    await expect.poll(shown).toEqual(byName);
    await header.getByRole('button').click();
    await expect.poll(shown).toEqual([...byName].reverse());
    expect(await header.getAttribute('aria-sort')).toBe('descending');

    // A whole name no other name holds: the filter looks in every column, so a part of a word could match elsewhere.
    const word =
      names.find(
        (n) => names.filter((m) => m.toLowerCase().includes(n.toLowerCase())).length === 1,
      ) ?? '';
    const matching = names.filter((n) => n.toLowerCase().includes(word.toLowerCase()));
    expect(matching.length).toBeLessThan(names.length);
    await page.getByRole('searchbox', { name: 'Filter entitlements' }).fill(word);
    await expect.poll(async () => (await shown()).length).toBe(matching.length);
    expect(await countLine()).toBe(
      `${String(matching.length)} of ${String(names.length)} entitlements`,
    );
    await shot('entitlements-filtered');
  });

  it('narrows the activity timeline to a date range that survives a reload', async () => {
    const { identities } = await getJson<{
      identities: { id: string; displayName: string; accountCount: number }[];
    }>('/identities?limit=100');
    // Someone active on more than one day: a one-day range then holds some but not all.
    let chosen = { id: '', name: '', day: '', inDay: 0 };
    for (const identity of identities) {
      const { events } = await getJson<{ events: { tsMs: number }[] }>(
        `/identities/${identity.id}/activity?limit=40`,
      );
      const days = new Set(events.map((e) => dayOf(e.tsMs)));
      if (events.length >= 10 && days.size >= 2) {
        const day = dayOf(events[events.length - 1]?.tsMs ?? 0);
        chosen = { id: identity.id, name: identity.displayName, day, inDay: 0 };
        break;
      }
    }
    expect(chosen.id).not.toBe('');
    const from = Date.parse(`${chosen.day}T00:00:00Z`);
    const inDay = await getJson<{ events: { tsMs: number }[] }>(
      `/identities/${chosen.id}/activity?from=${String(from)}&to=${String(from + 86_400_000)}&limit=50`,
    );
    chosen.inDay = inDay.events.length;
    expect(chosen.inDay).toBeGreaterThan(0);
    expect(chosen.inDay).toBeLessThan(50);

    await page.getByRole('link', { name: 'Identities' }).click();
    await page.getByRole('searchbox', { name: 'Search identities' }).fill(chosen.name.slice(0, 6));
    await page.getByRole('link', { name: chosen.name }).first().click();
    await page.getByRole('heading', { name: chosen.name }).waitFor();
    const timeline = page.getByTestId('timeline');
    await timeline.waitFor();
    const times = () =>
      timeline
        .locator('time')
        .evaluateAll((els: { getAttribute(name: string): string | null }[]) =>
          els.map((e) => e.getAttribute('datetime') ?? ''),
        );
    const before = (await times()).length;
    expect(before).toBeGreaterThan(chosen.inDay);

    const filters = page.getByRole('group', { name: 'Timeline filters' });
    const entries = async () => Number(await page.evaluate('history.length'));
    const entriesBefore = await entries();
    await filters.getByLabel('Time range').selectOption('custom');
    await filters.getByLabel('From', { exact: true }).fill(chosen.day);
    await filters.getByLabel('To', { exact: true }).fill(chosen.day);
    await expect.poll(async () => (await times()).length).toBe(chosen.inDay);
    // Choosing "custom" is one history entry; the days typed into it replace it.
    expect(await entries()).toBe(entriesBefore + 1);
    expect((await times()).every((t) => t.startsWith(chosen.day))).toBe(true);
    expect(page.url()).toContain(`from=${chosen.day}`);
    expect(page.url()).toContain(`to=${chosen.day}`);
    await shot('timeline-range');
    await phoneShot('timeline-range', '.date-range input');

    await page.reload();
    await page.getByTestId('timeline').waitFor();
    await expect.poll(async () => (await times()).length).toBe(chosen.inDay);
    expect(await filters.getByLabel('Time range').inputValue()).toBe('custom');
    expect(await filters.getByLabel('From', { exact: true }).inputValue()).toBe(chosen.day);

    // A preset: the last 7 days, kept as such in the URL.
    await filters.getByLabel('Time range').selectOption('7d');
    await expect.poll(() => page.url()).toContain('range=7d');
    await page.reload();
    await page.getByTestId('timeline').waitFor();
    expect(await filters.getByLabel('Time range').inputValue()).toBe('7d');
  });

  it('narrows the administrator-actions report to a date range that survives a reload', async () => {
    const { actions } = await getJson<{ actions: { tsMs: number }[] }>(
      '/reports/admin-actions?limit=1000',
    );
    const days = [...new Set(actions.map((a) => dayOf(a.tsMs)))];
    expect(days.length).toBeGreaterThan(1);
    const day = days[Math.floor(days.length / 2)] ?? '';
    const from = Date.parse(`${day}T00:00:00Z`);
    const { actions: inDay } = await getJson<{ actions: unknown[] }>(
      `/reports/admin-actions?from=${String(from)}&to=${String(from + 86_400_000)}&limit=1000`,
    );
    expect(inDay.length).toBeGreaterThan(0);
    expect(inDay.length).toBeLessThan(Math.min(actions.length, 100));

    await page.getByRole('link', { name: 'Reports' }).first().click();
    await page.getByRole('link', { name: 'Administrator actions' }).click();
    const table = page.getByRole('table', { name: 'Administrator actions' });
    await table.waitFor();
    const rows = () => table.locator('tbody tr').count();
    expect(await rows()).toBeGreaterThan(inDay.length);

    await page.getByLabel('Time range').selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill(day);
    await page.getByLabel('To', { exact: true }).fill(day);
    await expect.poll(rows).toBe(inDay.length);
    await expect
      .poll(countLine)
      .toBe(`${inDay.length.toLocaleString('en-GB')} action${inDay.length === 1 ? '' : 's'}`);
    await shot('admin-actions-range');
    await phoneShot('admin-actions-range', '.filters');

    await page.reload();
    await page.getByRole('table', { name: 'Administrator actions' }).waitFor();
    await expect.poll(rows).toBe(inDay.length);
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe(day);

    // Its CSV holds the same range.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.split('\r\n').slice(1, -1)).toHaveLength(inDay.length);
  });
});
