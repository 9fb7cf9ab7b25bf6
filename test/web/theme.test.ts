/**
 * Dark mode and the phone layout, in a real browser against `serve --demo`: the theme follows
 * the system until the shell's toggle (System / Light / Dark) chooses one, which survives a
 * reload and applies before the console's script runs; then a walk of every screen in light
 * and dark at 1440×900 and 390×844, saving test-results/screenshots/theme-<screen>-<theme>-
 * <wide|phone>.png and checking each: the theme applied, text contrast (axe-core's
 * color-contrast rule), and on a phone nothing wider than the screen, the current tab in view
 * and no title overlapping what is beside it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotPath, startServer, type Server } from '../support/web.js';

const ADMIN_PASSWORD = 'theme admin password 42';
const WIDE = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

type Theme = 'light' | 'dark';

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let axeSource = '';

interface Screen {
  readonly name: string;
  readonly path: string;
}

async function settled(): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await expect.poll(() => page.locator('.state-loading').count(), { timeout: 20_000 }).toBe(0);
  await page.waitForTimeout(200);
}

// The scripts below run in the page (the test's own types have no DOM).
const BODY_BACKGROUND = 'getComputedStyle(document.body).backgroundColor';
const THEME_ATTRIBUTE = "document.documentElement.dataset.theme ?? 'system'";
const STORED_CHOICE = "localStorage.getItem('duo-insights-theme')";

/** What is wrong with the layout at the current width, in words (empty: nothing). */
const LAYOUT_PROBLEMS = `(() => {
  const problems = [];
  const width = window.innerWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > width) {
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width + 1)
      .filter((e) => {
        // Inside a box that scrolls sideways, an element may be wider than the screen.
        for (let p = e.parentElement; p; p = p.parentElement) {
          const overflow = getComputedStyle(p).overflowX;
          if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return false;
        }
        return true;
      })
      .slice(0, 3)
      .map((e) => e.tagName.toLowerCase() + '.' + e.className);
    problems.push('page is ' + scrollWidth + 'px wide on a ' + width + 'px screen: ' + wide.join(', '));
  }
  for (const tabs of document.querySelectorAll('.tabs')) {
    const current = tabs.querySelector('[aria-current="page"]');
    if (!current) continue;
    const box = tabs.getBoundingClientRect();
    const tab = current.getBoundingClientRect();
    if (tab.left < box.left - 1 || tab.right > box.right + 1)
      problems.push('the current tab "' + current.innerText + '" is out of view');
  }
  const overlap = (a, b) =>
    b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const header = document.querySelector('.page-header');
  const title = header && header.querySelector('h1');
  if (title) {
    const t = title.getBoundingClientRect();
    if (t.right > width + 1) problems.push('the title runs off the screen');
    for (const other of header.querySelectorAll('.page-actions, .subtitle'))
      if (overlap(t, other.getBoundingClientRect()))
        problems.push('the title overlaps ' + other.className);
  }
  // A card's title and the tools beside it (Export CSV).
  for (const card of document.querySelectorAll('.card')) {
    const heading = card.querySelector('.card-header h2');
    if (!heading) continue;
    for (const tool of card.querySelectorAll('.card-actions, .table-bar > *'))
      if (overlap(heading.getBoundingClientRect(), tool.getBoundingClientRect()))
        problems.push('the card title "' + heading.innerText + '" overlaps ' + tool.className);
  }
  if (width <= 900)
    for (const item of document.querySelectorAll(
      '.sidebar .brand, .sidebar .nav-link, .sidebar .theme-toggle, .sidebar-user',
    ))
      if (item.getBoundingClientRect().right > width + 1)
        problems.push(item.className + ' runs off the top bar');
  return problems;
})()`;

/** Text whose contrast with its background is under 4.5:1 (axe-core's color-contrast rule). */
const CONTRAST_FAILURES = `(async () => {
  const result = await window.axe.run(document, {
    runOnly: { type: 'rule', values: ['color-contrast'] },
  });
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => n.target.join(' ') + ': ' + (n.failureSummary ?? '').split('\\n').pop()),
  );
})()`;

/** The colours of the activity chart's legend markers, which uPlot sets from each series. */
const CHART_MARKERS = `[...document.querySelectorAll('.chart .u-marker')]
  .map((m) => getComputedStyle(m).borderColor + ' ' + getComputedStyle(m).backgroundColor)
  .join('; ')`;

function bodyBackground(): Promise<string> {
  return page.evaluate<string>(BODY_BACKGROUND);
}

async function choose(theme: 'System' | 'Light' | 'Dark'): Promise<void> {
  await page.getByRole('radio', { name: theme, exact: true }).check();
}

function layoutProblems(): Promise<string[]> {
  return page.evaluate<string[]>(LAYOUT_PROBLEMS);
}

async function contrastFailures(): Promise<string[]> {
  await page.evaluate(axeSource);
  return page.evaluate<string[]>(CONTRAST_FAILURES);
}

async function shoot(screen: string, theme: Theme, size: 'wide' | 'phone'): Promise<void> {
  await page.screenshot({
    path: screenshotPath(`theme-${screen}-${theme}-${size}`),
    fullPage: true,
    style: '.toasts { display: none; }',
  });
}

describe('the console in light and dark, wide and on a phone', () => {
  beforeAll(async () => {
    const require = createRequire(import.meta.url);
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
    [server, browser] = await Promise.all([
      startServer(ADMIN_PASSWORD, { DUO_INSIGHTS_DEMO: 'true' }),
      launchBrowser(),
    ]);
    context = await browser.newContext({ viewport: WIDE, timezoneId: 'UTC', locale: 'en-GB' });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  it('follows the system on the sign-in page, light and dark', async () => {
    for (const size of ['wide', 'phone'] as const) {
      await page.setViewportSize(size === 'wide' ? WIDE : PHONE);
      const backgrounds: string[] = [];
      for (const theme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: theme });
        await page.goto(server.url);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        backgrounds.push(await bodyBackground());
        expect(await contrastFailures()).toEqual([]);
        if (size === 'phone') expect(await layoutProblems()).toEqual([]);
        await shoot('sign-in', theme, size);
      }
      expect(backgrounds[0]).not.toBe(backgrounds[1]);
    }
    await page.setViewportSize(WIDE);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('table', { name: 'Sources' }).waitFor();
  }, 120_000);

  it('toggles System, Light and Dark; the choice survives a reload and applies before the script', async () => {
    const theme = () => page.evaluate<string>(THEME_ATTRIBUTE);
    expect(await page.getByRole('radio', { name: 'System', exact: true }).isChecked()).toBe(true);
    const light = await bodyBackground();
    await page.emulateMedia({ colorScheme: 'dark' });
    // System follows the device as it changes.
    await expect.poll(bodyBackground).not.toBe(light);
    const dark = await bodyBackground();

    await choose('Light');
    expect(await theme()).toBe('light');
    expect(await bodyBackground()).toBe(light);
    await page.reload();
    await page.getByRole('table', { name: 'Sources' }).waitFor();
    expect(await page.getByRole('radio', { name: 'Light', exact: true }).isChecked()).toBe(true);
    expect(await bodyBackground()).toBe(light);

    await page.emulateMedia({ colorScheme: 'light' });
    await choose('Dark');
    expect(await bodyBackground()).toBe(dark);
    expect(await page.evaluate<string | null>(STORED_CHOICE)).toBe('dark');
    await page.reload();
    await page.getByRole('table', { name: 'Sources' }).waitFor();
    expect(await page.getByRole('radio', { name: 'Dark', exact: true }).isChecked()).toBe(true);
    expect(await bodyBackground()).toBe(dark);

    // The choice applies with the console's own script blocked: no light flash before it runs.
    await page.route('**/assets/index-*.js', (route) => route.abort());
    await page.reload();
    expect(await theme()).toBe('dark');
    expect(await bodyBackground()).toBe(dark);
    await page.unroute('**/assets/index-*.js');

    await page.reload();
    await page.getByRole('table', { name: 'Sources' }).waitFor();
    await choose('System');
    expect(await theme()).toBe('system');
    expect(await page.evaluate<string | null>(STORED_CHOICE)).toBeNull();
    expect(await bodyBackground()).toBe(light);
  }, 60_000);

  it('walks every screen in light and dark, wide and on a phone', async () => {
    const sources = page.getByRole('table', { name: 'Sources' });
    await expect.poll(() => sources.getByText('Connected').count(), { timeout: 60_000 }).toBe(2);
    await sources.getByText(/\d+ accounts/).waitFor({ timeout: 60_000 });
    const api = async <T>(path: string): Promise<T> => {
      const response = await page.request.get(`${server.url}/api/v1${path}`);
      expect(response.ok()).toBe(true);
      return (await response.json()) as T;
    };
    const { sources: list } = await api<{ sources: { id: string; type: string }[] }>('/sources');
    const duo = list.find((s) => s.type === 'duo');
    const activity = list.find((s) => s.type === 'duo-activity');
    if (!duo || !activity) throw new Error('the demo has no Duo and activity sources');
    const { runs } = await api<{ runs: { id: string }[] }>(`/sources/${duo.id}/runs`);
    // The identity page with activity: someone the activity source has seen.
    await expect
      .poll(async () => (await api<{ identities: unknown[] }>('/identities')).identities.length, {
        timeout: 60_000,
      })
      .toBeGreaterThan(0);
    const { identities } = await api<{ identities: { id: string }[] }>('/identities');
    const run = runs[0];
    const person = identities[0];
    if (!run || !person) throw new Error('the demo has no run or no identity');
    // A review campaign of one of the demo's groups, reviewed by that person.
    const { entitlements } = await api<{ entitlements: { id: number; kind: string }[] }>(
      `/sources/${duo.id}/entitlements`,
    );
    const group = entitlements.find((e) => e.kind === 'group');
    if (!group) throw new Error('the demo has no Duo group');
    const me = await api<{ csrfToken: string }>('/auth/me');
    const started = await page.request.post(`${server.url}/api/v1/reviews`, {
      headers: { 'x-csrf-token': me.csrfToken },
      data: {
        name: 'Theme review',
        scope: { kind: 'entitlements', entitlementIds: [group.id] },
        reviewers: { kind: 'identities', identityIds: [person.id] },
        dueMs: Date.now() + 7 * 86_400_000,
      },
    });
    expect(started.ok(), await started.text()).toBe(true);
    const campaign = (await started.json()) as { id: string };

    const screens: Screen[] = [
      { name: 'sources', path: '/sources' },
      ...['overview', 'accounts', 'entitlements', 'configuration', 'settings'].map((tab) => ({
        name: `duo-${tab}`,
        path: `/sources/${duo.id}/${tab}`,
      })),
      ...['overview', 'storage', 'configuration', 'settings'].map((tab) => ({
        name: `activity-${tab}`,
        path: `/sources/${activity.id}/${tab}`,
      })),
      { name: 'run', path: `/sources/${duo.id}/runs/${run.id}` },
      { name: 'identities', path: '/identities' },
      { name: 'identity', path: `/identities/${person.id}` },
      ...['access-review', 'dormant', 'admin-actions', 'security-events', 'sync-health'].map(
        (report) => ({ name: `report-${report}`, path: `/reports/${report}` }),
      ),
      { name: 'destinations', path: '/destinations' },
      ...['users', 'tokens', 'governance-groups', 'audit', 'password'].map((tab) => ({
        name: `settings-${tab}`,
        path: `/settings/${tab}`,
      })),
      { name: 'wizard', path: '/sources/new' },
      { name: 'reviews', path: '/reviews' },
      { name: 'review-new', path: '/reviews/new' },
      { name: 'review', path: `/reviews/${campaign.id}` },
    ];

    const problems: string[] = [];
    for (const size of ['wide', 'phone'] as const) {
      await page.setViewportSize(size === 'wide' ? WIDE : PHONE);
      for (const screen of screens) {
        await page.goto(`${server.url}${screen.path}`);
        await settled();
        const backgrounds: string[] = [];
        const markers: string[] = [];
        for (const theme of ['light', 'dark'] as const) {
          await choose(theme === 'light' ? 'Light' : 'Dark');
          await page.waitForTimeout(150);
          backgrounds.push(await bodyBackground());
          if (screen.name === 'identity') markers.push(await page.evaluate<string>(CHART_MARKERS));
          if (size === 'phone')
            for (const problem of await layoutProblems())
              problems.push(`${screen.name} ${theme} ${size}: ${problem}`);
          if (size === 'wide')
            for (const failure of await contrastFailures())
              problems.push(`${screen.name} ${theme}: contrast ${failure}`);
          await shoot(screen.name, theme, size);
        }
        // The activity chart is drawn again in the theme's colours (its legend shows them).
        if (markers.length > 0 && (markers[0] === '' || markers[0] === markers[1]))
          problems.push(`${screen.name} ${size}: the chart keeps its colours in both themes`);
        if (backgrounds[0] === backgrounds[1])
          problems.push(`${screen.name} ${size}: the body looks the same in both themes`);
        // Dark, chosen with the toggle, is still chosen and showing after a reload.
        await page.reload();
        await settled();
        if (!(await page.getByRole('radio', { name: 'Dark', exact: true }).isChecked()))
          problems.push(`${screen.name} ${size}: the toggle forgot Dark on reload`);
        if ((await bodyBackground()) !== backgrounds[1])
          problems.push(`${screen.name} ${size}: the page is not dark after a reload`);
      }
    }
    await choose('System');
    expect(problems).toEqual([]);
  }, 600_000);
});
