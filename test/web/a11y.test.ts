/**
 * Keyboard and screen-reader access, in a real browser against `serve` with the built-in demo:
 * axe-core checks every screen (no violation of impact serious or critical, one h1 each), and a
 * keyboard user signs in, takes the skip link, reaches the navigation, opens a source and its tabs,
 * sorts a table (the review screens too: campaigns, a new campaign, a campaign's items), walks the create-source wizard a step and back (the owner list opened and closed),
 * opens and closes a panel and a confirmation with Enter and Escape, with focus always visible
 * (a :focus-visible outline) and never left on the page's body. The keyboard test uses the demo
 * the first test starts.
 */
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  screenshotPath,
  startServer,
  type Server,
  openPage,
} from '../support/web.js';

const ADMIN_PASSWORD = 'accessible admin password 7';
const AXE = createRequire(import.meta.url).resolve('axe-core');

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;

interface Focused {
  readonly tag: string;
  readonly text: string;
  readonly visible: boolean;
  readonly current: string | null;
  /** An input's type, a combobox's role. */
  readonly kind: string | null;
}

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[] }[];
}

/** axe-core's serious and critical violations on the page as shown, one line each. */
async function axeProblems(screen: string): Promise<string[]> {
  await page.waitForTimeout(200);
  if (!(await page.evaluate("'axe' in window"))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate<Violation[]>(
    'window.axe.run(document).then((result) => result.violations)',
  );
  // Every screen has one heading of its own, where focus lands when it opens.
  const headings = await page.locator('h1').count();
  const own = headings === 1 ? [] : [`${screen}: ${String(headings)} h1 headings, not one`];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${screen}: ${v.id} (${String(v.impact)}) at ${v.nodes
          .slice(0, 5)
          .map((n) => n.target.map(String).join(' '))
          .join(', ')}: ${v.help}`,
    )
    .concat(own);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({
    path: screenshotPath(`a11y-${name}`),
    style: '.toasts { display: none; }',
  });
}

async function signIn(): Promise<void> {
  await page.goto(server.url);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The element that has focus, described for a failing assertion, and whether it shows it. */
async function focused(): Promise<Focused> {
  return page.evaluate<Focused>(`(() => {
    const element = document.activeElement ?? document.body;
    const style = getComputedStyle(element);
    return {
      tag: element.tagName.toLowerCase(),
      text: (element.getAttribute('aria-label') ?? element.textContent ?? '').trim().slice(0, 60),
      visible:
        element.matches(':focus-visible') &&
        style.outlineStyle !== 'none' &&
        parseFloat(style.outlineWidth) >= 2,
      current: element.getAttribute('aria-current'),
      kind: element.getAttribute('role') ?? element.getAttribute('type'),
    };
  })()`);
}

/** Presses Tab (or `key`) until the focused element matches, at most `limit` times. */
async function tabTo(
  target: RegExp | ((now: Focused) => boolean),
  limit = 60,
  key = 'Tab',
): Promise<void> {
  const matches = (now: Focused) =>
    target instanceof RegExp ? target.test(now.text) : target(now);
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press(key);
    const now = await focused();
    expect(now.tag, 'focus is never on the body').not.toBe('body');
    expect(now.visible, `focus on ${now.tag} “${now.text}” is visible`).toBe(true);
    if (matches(now)) return;
  }
  throw new Error(
    `${key} never reached ${String(target)}; focus is on ${JSON.stringify(await focused())}`,
  );
}

describe('the web console for keyboard and screen-reader users', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(ADMIN_PASSWORD), launchBrowser()]);
    ({ context, page } = await openPage(browser, {
      viewport: { width: 1440, height: 900 },
      // axe-core is injected as an inline script, which the console's CSP rightly refuses.
      bypassCSP: true,
    }));
  }, 120_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  it('finds no serious accessibility problem on any screen', async () => {
    const problems: string[] = [];
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    problems.push(...(await axeProblems('sign-in')));
    await shot('sign-in');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('do not match').waitFor();
    problems.push(...(await axeProblems('sign-in refused')));

    await signIn();
    await page.getByRole('heading', { name: 'Welcome to duo-insights' }).waitFor();
    problems.push(...(await axeProblems('first run')));
    await page.getByRole('button', { name: 'Start the demo' }).click();
    const sources = page.getByRole('table', { name: 'Sources' });
    await expect.poll(() => sources.getByText('Connected').count(), { timeout: 60_000 }).toBe(2);
    await sources.getByText(/\d+ accounts/).waitFor({ timeout: 60_000 });
    problems.push(...(await axeProblems('sources')));
    await shot('sources');

    const sourceLinks = sources.locator('tbody tr td:first-child a');
    const names = await sourceLinks.allInnerTexts();
    for (const name of names) {
      await page.getByRole('link', { name: 'Sources', exact: true }).first().click();
      await sources.getByRole('link', { name, exact: true }).click();
      const tabs = page.getByRole('navigation', { name: 'Sections' }).getByRole('link');
      await tabs.first().waitFor();
      for (const tab of await tabs.allInnerTexts()) {
        await page
          .getByRole('navigation', { name: 'Sections' })
          .getByRole('link', { name: tab })
          .click();
        await page.waitForLoadState('networkidle');
        problems.push(...(await axeProblems(`source ${name}, ${tab}`)));
      }
      await shot(`source-${names.indexOf(name)}`);
    }

    // A run page, from the last source's runs.
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Overview' })
      .click();
    const runs = page.locator('section', { has: page.getByRole('heading', { name: 'Runs' }) });
    await runs.locator('tbody a').first().click();
    await page.waitForURL(/\/runs\//);
    await page.waitForLoadState('networkidle');
    problems.push(...(await axeProblems('run')));
    await shot('run');

    await page.getByRole('link', { name: 'Identities', exact: true }).click();
    const people = page.locator('a.identity-link');
    await people.first().waitFor();
    problems.push(...(await axeProblems('identities')));
    await shot('identities');
    await people.first().click();
    await page.waitForURL(/\/identities\/[^/]+$/);
    await page.waitForLoadState('networkidle');
    problems.push(...(await axeProblems('identity')));
    await shot('identity');
    await page.locator('a[href^="/accounts/"]').first().click();
    await page.waitForURL(/\/accounts\/\d+$/);
    await page.locator('dl.facts').waitFor();
    await page.waitForLoadState('networkidle');
    problems.push(...(await axeProblems('account')));
    await shot('account');

    await page.getByRole('link', { name: 'Reports', exact: true }).click();
    const reports = page.getByRole('navigation', { name: 'Sections' });
    await reports.getByRole('link').first().waitFor();
    for (const report of await reports.getByRole('link').allInnerTexts()) {
      await reports.getByRole('link', { name: report }).click();
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(300);
      problems.push(...(await axeProblems(`report ${report}`)));
    }
    await shot('report');

    // Reviews: the list, the new-campaign form and a campaign started through the API.
    const campaignId = await page.evaluate<string>(`(async () => {
      const me = await (await fetch('/api/v1/auth/me')).json();
      const get = async (path) => (await fetch('/api/v1' + path)).json();
      const duo = (await get('/sources')).sources.find((s) => s.type === 'duo');
      const group = (await get('/sources/' + duo.id + '/entitlements')).entitlements.find(
        (e) => e.kind === 'group',
      );
      const reviewer = (await get('/identities?limit=1')).identities[0];
      const res = await fetch('/api/v1/reviews', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({
          name: 'Accessibility review',
          scope: { kind: 'entitlements', entitlementIds: [group.id] },
          reviewers: { kind: 'identities', identityIds: [reviewer.id] },
          dueMs: Date.now() + 7 * 86400000,
        }),
      });
      return (await res.json()).id;
    })()`);
    await page.getByRole('link', { name: /^Reviews/ }).click();
    await page.getByRole('table', { name: 'Campaigns' }).waitFor();
    problems.push(...(await axeProblems('reviews')));
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { name: 'New campaign' }).waitFor();
    await page.waitForLoadState('networkidle');
    problems.push(...(await axeProblems('new campaign')));
    await page.getByRole('radio', { name: 'Named people' }).check();
    problems.push(...(await axeProblems('new campaign, named reviewers')));
    await page.goto(`${server.url}/reviews/${campaignId}`);
    await page.getByRole('table', { name: 'Review items' }).waitFor();
    problems.push(...(await axeProblems('campaign')));
    await shot('campaign');

    await page.getByRole('link', { name: 'Destinations', exact: true }).click();
    await page.waitForLoadState('networkidle');
    problems.push(...(await axeProblems('destinations')));

    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const settings = page.getByRole('navigation', { name: 'Sections' });
    await settings.getByRole('link').first().waitFor();
    for (const tab of await settings.getByRole('link').allInnerTexts()) {
      await settings.getByRole('link', { name: tab }).click();
      await page.waitForLoadState('networkidle');
      problems.push(...(await axeProblems(`settings ${tab}`)));
    }
    await settings.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Manage admin' }).click();
    await page.getByRole('heading', { name: 'Manage admin' }).waitFor();
    problems.push(...(await axeProblems('settings Users, managing a user')));
    await shot('settings');

    // The create-source wizard, step by step.
    await page.getByRole('link', { name: 'Sources', exact: true }).first().click();
    await page
      .getByRole('link', { name: /Create source/ })
      .first()
      .click();
    await page.getByRole('radio', { name: /^Duo/ }).first().waitFor();
    problems.push(...(await axeProblems('wizard connector')));
    await page.getByRole('radio', { name: /^Duo/ }).first().check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Another Duo');
    problems.push(...(await axeProblems('wizard details')));
    await page.getByRole('combobox', { name: 'Source Owner' }).fill('an');
    await page.getByRole('listbox').getByRole('option').first().waitFor();
    problems.push(...(await axeProblems('wizard owner matches')));
    await page.getByRole('listbox').getByRole('option').first().click();
    await page.getByRole('button', { name: 'Change' }).waitFor();
    problems.push(...(await axeProblems('wizard owner picked')));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Configuration' }).waitFor();
    problems.push(...(await axeProblems('wizard configuration')));
    await shot('wizard-configuration');
    await page.getByLabel('Integration Key').fill('DIXXXXXXXXXXXXXXXXXX');
    await page.getByLabel('Secret Key').fill('not-a-real-secret-key-0123456789abcdefgh');
    await page.getByLabel('API Host').fill('api-00000000.duosecurity.com');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Review and Test' }).waitFor();
    problems.push(...(await axeProblems('wizard review')));
    await page.getByRole('button', { name: 'Cancel' }).click();

    // The change-password screen: a user whose password an administrator set signs in.
    const made = await page.evaluate(`(async () => {
      const me = await (await fetch('/api/v1/auth/me')).json();
      const call = (method, path, body) =>
        fetch('/api/v1' + path, {
          method,
          headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
          body: JSON.stringify(body),
        }).then((res) => res.json().then((json) => ({ status: res.status, json })));
      const user = await call('POST', '/users', {
        username: 'kim',
        password: 'kim first password 1',
        role: 'viewer',
      });
      const reset = await call('POST', '/users/' + user.json.id + '/password', {
        newPassword: 'kim password set by the admin',
      });
      return [user.status, reset.status];
    })()`);
    expect(made).toEqual([201, 200]);
    const other = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      bypassCSP: true,
    });
    const main = page;
    page = await other.newPage();
    await page.goto(server.url);
    await page.getByLabel('User name').fill('kim');
    await page.getByLabel('Password').fill('kim password set by the admin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(await focused()).toMatchObject({ tag: 'h1', text: 'Choose a new password' });
    problems.push(...(await axeProblems('change password')));
    await shot('change-password');
    await other.close();
    page = main;

    // A phone's window: the same checks where the layout differs.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Sources', exact: true }).first().click();
    await sources.waitFor();
    problems.push(...(await axeProblems('sources, narrow')));
    await shot('sources-narrow');
    await sources.getByRole('link', { name: 'Demo – Duo', exact: true }).click();
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Accounts' })
      .click();
    await page.getByRole('table', { name: 'Accounts' }).waitFor();
    problems.push(...(await axeProblems('source accounts, narrow')));
    await shot('source-accounts-narrow');
    await page.getByRole('link', { name: 'Identities', exact: true }).click();
    await people.first().click();
    await page.waitForURL(/\/identities\/[^/]+$/);
    await page.waitForLoadState('networkidle');
    problems.push(...(await axeProblems('identity, narrow')));
    await shot('identity-narrow');

    expect(problems).toEqual([]);
  }, 300_000);

  it('is worked with the keyboard alone, focus always visible and never left on the body', async () => {
    await context.close();
    ({ context, page } = await openPage(browser, {
      viewport: { width: 1440, height: 900 },
    }));

    // Sign-in puts focus in the user name; Enter submits.
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await focused()).toMatchObject({ tag: 'input', visible: true });
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    // The new page's heading has focus, not the body.
    await expect.poll(focused).toMatchObject({ tag: 'h1', text: 'Sources', visible: true });

    // The skip link is the first stop and leads to the page's heading.
    await page.reload();
    await page.getByRole('heading', { name: 'Sources' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ tag: 'a', text: 'Skip to content', visible: true });
    await shot('skip-link');
    await page.keyboard.press('Enter');
    expect(await focused()).toMatchObject({ tag: 'h1', text: 'Sources', visible: true });

    // The main navigation: back from the heading, then forward to Identities.
    await tabTo(/^Sources$/, 10, 'Shift+Tab');
    expect((await focused()).current).toBe('page');
    await tabTo(/^Identities$/);
    await shot('nav-focus');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Identities' }).waitFor();
    // The search box takes focus on this page; focus stays visible.
    await expect.poll(focused).toMatchObject({ tag: 'input', visible: true });
    await tabTo(/^Sources$/, 10, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ tag: 'h1', text: 'Sources', visible: true });

    // A source, then its tabs (links: Tab and Enter); focus stays on the tab followed.
    await tabTo(/^Demo – Duo$/);
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ tag: 'h1', visible: true });
    expect((await focused()).text).toMatch(/^Demo – Duo/);
    await tabTo(/^Accounts$/);
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Accounts' }).waitFor();
    expect(await focused()).toMatchObject({ text: 'Accounts', current: 'page', visible: true });
    await tabTo(/^Entitlements$/, 5);
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Entitlements' }).waitFor();
    expect(await focused()).toMatchObject({ text: 'Entitlements', current: 'page', visible: true });
    await shot('source-tab-focus');

    // A table sorts on its header with Enter, and says so (aria-sort).
    const entitlements = page.getByRole('table', { name: 'Entitlements' });
    const header = entitlements.getByRole('columnheader', { name: 'Entitlement' });
    expect(await header.getAttribute('aria-sort')).toBe('none');
    await tabTo(/^Entitlement$/, 10);
    await page.keyboard.press('Enter');
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('ascending');
    await page.keyboard.press('Enter');
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('descending');
    expect(await focused()).toMatchObject({ tag: 'button', text: 'Entitlement', visible: true });
    await shot('table-sort-focus');

    // A report's tabs remount the page: focus comes back to the tab followed.
    await page.goto(`${server.url}/reports`);
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
    await tabTo(/^Dormant accounts$/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/reports\/dormant$/);
    await expect
      .poll(focused)
      .toMatchObject({ text: 'Dormant accounts', current: 'page', visible: true });

    // The create-source wizard: a step forward and back, focus on each step's heading or choice.
    await page.goto(`${server.url}/sources`);
    await page.getByRole('heading', { name: 'Sources' }).waitFor();
    await tabTo(/Create source/);
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ tag: 'h1', text: 'Create source', visible: true });
    await tabTo((now) => now.kind === 'radio', 10);
    await page.keyboard.press('Space');
    await tabTo(/^Continue$/);
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ tag: 'h2', text: 'Duo source', visible: true });
    await shot('wizard-step-focus');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('wizard-step-focus-narrow');
    await page.setViewportSize({ width: 1440, height: 900 });

    // The owner picker's list opens with the arrow key and closes with Escape.
    await tabTo((now) => now.kind === 'combobox', 10);
    const owner = page.getByRole('combobox', { name: 'Source Owner' });
    await page.keyboard.type('an');
    await page
      .getByRole('listbox', { name: 'Source Owner matches' })
      .getByRole('option')
      .first()
      .waitFor();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => owner.getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('Escape');
    await expect.poll(() => owner.getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => owner.getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('Enter');
    // The chosen person replaces the input: focus goes to its Change button, and back.
    await expect.poll(focused).toMatchObject({ tag: 'button', text: 'Change', visible: true });
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ kind: 'combobox', visible: true });
    await page.keyboard.type('an');
    await page
      .getByRole('listbox', { name: 'Source Owner matches' })
      .getByRole('option')
      .first()
      .waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ tag: 'button', text: 'Change', visible: true });

    await tabTo(/^Back$/);
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ tag: 'input', kind: 'radio', visible: true });

    // A panel opened with Enter takes focus and closes with Escape, back to what opened it.
    await page.goto(`${server.url}/settings/users`);
    await page.getByRole('table', { name: 'Users' }).waitFor();
    await tabTo(/^Manage admin$/);
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatchObject({ tag: 'h2', text: 'Manage admin', visible: true });
    await shot('panel-focus');
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'Manage admin' }).waitFor({ state: 'detached' });
    await expect
      .poll(focused)
      .toMatchObject({ tag: 'button', text: 'Manage admin', visible: true });

    // A confirmation opened with Enter takes focus on Cancel; Escape closes it, back to its button.
    await page.goto(`${server.url}/sources`);
    await page.getByRole('link', { name: 'Demo – Activity Insights', exact: true }).click();
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Storage' })
      .click();
    const applyNow = page.getByRole('button', { name: 'Apply retention now' });
    await applyNow.focus();
    await page.keyboard.press('Enter');
    const confirmation = page.getByRole('group', { name: 'Confirm applying retention' });
    await confirmation.waitFor();
    await expect.poll(focused).toMatchObject({ tag: 'button', text: 'Cancel', visible: true });
    await shot('confirm-focus');
    await page.keyboard.press('Escape');
    await confirmation.waitFor({ state: 'detached' });
    await expect
      .poll(focused)
      .toMatchObject({ tag: 'button', text: 'Apply retention now', visible: true });
  }, 120_000);
});
