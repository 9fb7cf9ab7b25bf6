/**
 * What the console shows of what the API sends, in a real browser (Debian's Chromium) against
 * the real server running its built-in demo tenant: governance-group members (listed, added,
 * removed), the identities' Accounts column, the users' last sign-in, and administrator actions
 * in words with the administrator's name, on the identity page and in the report.
 * Screenshots land in test-results/screenshots/data-*.png, wide (1440×900) and narrow (390×844).
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  screenshotPath,
  startServer,
  type Server,
  openPage,
  csvFields,
} from '../support/web.js';
import type {
  AdminActionList,
  ActivityEventList,
  DormantAccountsReport,
  GovernanceGroupDetail,
  IdentityDetail,
  IdentityList,
  SourceList,
  UserList,
} from '../../src/api/contract/index.js';

const ADMIN_PASSWORD = 'correct horse battery staple';
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 390, height: 844 };

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;

async function api<T>(path: string): Promise<T> {
  const res = await page.request.get(`${server.url}/api/v1${path}`);
  expect(res.status(), path).toBe(200);
  return (await res.json()) as T;
}

/**
 * A wide and a narrow screenshot of what the page shows now: the whole page, or the window
 * scrolled to `target`.
 */
async function shots(name: string, target?: Locator): Promise<void> {
  for (const [size, viewport] of [
    ['wide', WIDE],
    ['narrow', NARROW],
  ] as const) {
    await page.setViewportSize(viewport);
    if (target) {
      await page.evaluate('window.scrollTo(0, 0)');
      const box = await target.boundingBox();
      await page.evaluate(`window.scrollTo(0, ${String(Math.max((box?.y ?? 0) - 16, 0))})`);
    }
    await page.waitForTimeout(250);
    await page.screenshot({
      path: screenshotPath(`data-${name}-${size}`),
      fullPage: target === undefined,
      style: '.toasts { display: none; }',
    });
  }
  await page.setViewportSize(WIDE);
}

/** The text of each cell of `column` (by its header) in the table captioned `caption`. */
async function columnTexts(caption: string, column: string): Promise<string[]> {
  const table = page.getByRole('table', { name: caption });
  // Headers are upper-cased by CSS: their text, not what they show, names them.
  const headers = (await table.locator('thead th').allTextContents()).map((h) => h.trim());
  const index = headers.findIndex((h) => h.toLowerCase().startsWith(column.toLowerCase()));
  expect(index, `${caption} has a ${column} column: ${headers.join(', ')}`).toBeGreaterThanOrEqual(
    0,
  );
  return (await table.locator(`tbody tr td:nth-child(${String(index + 1)})`).allInnerTexts()).map(
    (c) => c.trim(),
  );
}

describe('the console shows what the API sends', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(ADMIN_PASSWORD), launchBrowser()]);
    ({ context, page } = await openPage(browser, {
      viewport: WIDE,
      acceptDownloads: true,
    }));
    await page.goto(server.url);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Start the demo' }).click();
    // The demo tenant's users aggregated into identities, its administrator log synced.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const identities = await api<IdentityList>('/identities?limit=100');
      const actions = await api<AdminActionList>('/reports/admin-actions?limit=1');
      if (identities.identities.some((i) => i.accountCount > 0) && actions.actions.length > 0)
        break;
      if (Date.now() > deadline) throw new Error('the demo tenant did not sync in 90 s');
      await page.waitForTimeout(1000);
    }
  }, 150_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  it('lists a governance group’s members, adds and removes them', async () => {
    const people = (await api<IdentityList>('/identities?limit=100')).identities;
    const [first, second] = [people[0], people[1]];
    if (!first || !second) throw new Error('the demo has fewer than two identities');

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Governance groups' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Access reviewers');
    await page.getByRole('button', { name: 'Create group' }).click();
    const members = page.getByRole('table', { name: 'Members' });
    for (const person of [first, second]) {
      const picker = page.getByRole('combobox', { name: 'Add a member' });
      await picker.fill(person.displayName);
      await page
        .getByRole('option', { name: new RegExp(person.displayName) })
        .first()
        .waitFor();
      await picker.press('Enter');
      await page.getByRole('button', { name: 'Add member' }).click();
      await members.getByRole('link', { name: person.displayName }).waitFor();
    }
    expect(await members.locator('tbody tr').count()).toBe(2);

    // Opened afresh, the group lists the members the API holds.
    await page.reload();
    await page.getByRole('button', { name: 'Access reviewers' }).click();
    await members.getByRole('link', { name: second.displayName }).waitFor();
    const groups = await api<{ governanceGroups: { id: string; name: string }[] }>(
      '/governance-groups',
    );
    const group = groups.governanceGroups.find((g) => g.name === 'Access reviewers');
    const held = await api<GovernanceGroupDetail>(`/governance-groups/${group?.id ?? ''}`);
    expect(held.members.map((m) => m.displayName).sort()).toEqual(
      [first.displayName, second.displayName].sort(),
    );
    expect((await columnTexts('Members', 'Name')).sort()).toEqual(
      [first.displayName, second.displayName].sort(),
    );
    await shots('governance-group-members', page.getByRole('heading', { name: 'Settings' }));

    // On a phone too, each member's Remove button is in view, not past the table's edge.
    await page.setViewportSize(NARROW);
    const remove = members
      .locator('tbody tr', { has: page.getByRole('link', { name: first.displayName }) })
      .getByRole('button', { name: 'Remove' });
    const box = await remove.boundingBox();
    expect((box?.x ?? NARROW.width) + (box?.width ?? 0)).toBeLessThanOrEqual(NARROW.width);
    await page.setViewportSize(WIDE);
    await remove.click();
    await expect.poll(() => members.locator('tbody tr').count()).toBe(1);
    expect(await members.innerText()).toContain(second.displayName);
    const after = await api<GovernanceGroupDetail>(`/governance-groups/${group?.id ?? ''}`);
    expect(after.members.map((m) => m.displayName)).toEqual([second.displayName]);

    // The members panel closes with Escape, as with its toggle button, and focus goes back to it.
    const toggle = page.getByRole('button', { name: 'Access reviewers' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Escape');
    await members.waitFor({ state: 'detached' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    expect(
      await toggle.evaluate(
        (el: unknown) =>
          el ===
          (globalThis as unknown as { document: { activeElement: unknown } }).document
            .activeElement,
      ),
    ).toBe(true);
    // A table drawn again keeps its cells: the button pressed is the same element afterwards
    // (a cell mounted anew loses a click between its mousedown and mouseup, and the focus).
    const pressed = await toggle.elementHandle();
    await toggle.click();
    await members.waitFor();
    expect(
      await pressed.evaluate((el: unknown) => (el as { isConnected: boolean }).isConnected),
    ).toBe(true);
    await toggle.click();
    await members.waitFor({ state: 'detached' });
  }, 60_000);

  it('shows each identity’s account count and the users’ last sign-in time', async () => {
    await page.getByRole('link', { name: 'Identities' }).first().click();
    const identities = page.getByRole('table', { name: 'Identities' });
    await identities.locator('tbody tr').first().waitFor();
    const sent = (await api<IdentityList>('/identities?limit=100')).identities;
    const emails = await columnTexts('Identities', 'E-mail');
    const counts = await columnTexts('Identities', 'Accounts');
    expect(counts.length).toBeGreaterThan(1);
    emails.forEach((email, i) => {
      const identity = sent.find((s) => s.email === email);
      expect(identity, email).toBeDefined();
      expect(counts[i], email).toBe(String(identity?.accountCount));
    });
    expect(counts.some((c) => Number(c) >= 1)).toBe(true);
    // On a phone the count stays: the e-mail and user name give way.
    await page.setViewportSize(NARROW);
    const count = identities.locator('tbody tr').first().locator('td').last();
    expect(await count.isVisible()).toBe(true);
    const box = await count.boundingBox();
    expect((box?.x ?? NARROW.width) + (box?.width ?? 0)).toBeLessThanOrEqual(NARROW.width);
    await page.setViewportSize(WIDE);
    await shots('identities-accounts', page.getByRole('heading', { name: 'Identities' }));

    await page.getByRole('link', { name: 'Settings' }).click();
    const users = page.getByRole('table', { name: 'Users' });
    await users.waitFor();
    const admin = (await api<UserList>('/users')).users.find((u) => u.username === 'admin');
    expect(admin?.lastSignInAt).toBeTypeOf('number');
    const lastSignIn = (await columnTexts('Users', 'Last sign-in'))[
      (await columnTexts('Users', 'User name')).indexOf('admin')
    ];
    expect(lastSignIn).toMatch(/^(just now|\d+ (s|min) ago)$/);
    const time = users.locator('tbody tr', { hasText: 'admin' }).locator('time');
    expect(await time.getAttribute('datetime')).toBe(
      new Date(admin?.lastSignInAt ?? 0).toISOString(),
    );
    await shots('users-last-sign-in');
  }, 60_000);

  it('reads an administrator action as words with the administrator’s name, in the report and on the identity page', async () => {
    const { actions } = await api<AdminActionList>('/reports/admin-actions?limit=100');
    const named = actions.find((a) => a.admin && a.action === 'user_update' && a.object);
    if (!named) throw new Error('the demo synced no named user_update');

    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('link', { name: 'Administrator actions' }).click();
    const report = page.getByRole('table', { name: 'Administrator actions' });
    await report.locator('tbody tr').first().waitFor();
    const admins = await columnTexts('Administrator actions', 'Administrator');
    expect(admins.length).toBeGreaterThan(0);
    expect(admins.every((a) => a.length > 0)).toBe(true);
    expect(admins).toContain(named.admin);
    const row = report.locator('tbody tr', { hasText: `Updated user ${named.object ?? ''}` });
    expect(await row.first().innerText()).toContain(named.admin);
    const text = await report.innerText();
    expect(text).not.toMatch(/[{}]|":|user_update/);
    await shots('admin-actions-report', page.getByRole('heading', { name: 'Reports' }));

    // The administrator's identity: what they did as a Duo administrator, in the same words.
    const candidates = (
      await api<IdentityList>(`/identities?q=${encodeURIComponent(named.admin ?? '')}`)
    ).identities;
    let adminIdentity: IdentityDetail | undefined;
    for (const c of candidates) {
      const detail = await api<IdentityDetail>(`/identities/${c.id}`);
      if (detail.accounts.some((a) => a.kind === 'administrator')) adminIdentity = detail;
    }
    if (!adminIdentity) throw new Error(`no identity holds ${named.admin ?? ''}'s admin account`);
    const did = await api<ActivityEventList>(
      `/identities/${adminIdentity.id}/activity?as=administrator&limit=100`,
    );
    const update = did.events.find((e) => e.result === 'user_update' && e.application);
    if (!update) throw new Error('the administrator updated no user');

    await page.getByRole('link', { name: 'Identities' }).first().click();
    await page
      .getByRole('searchbox', { name: 'Search identities' })
      .fill(adminIdentity.email ?? adminIdentity.displayName);
    await page.getByRole('link', { name: adminIdentity.displayName }).first().click();
    await page.getByRole('heading', { name: adminIdentity.displayName }).waitFor();
    const card = page.getByRole('table', { name: 'Administrator actions' });
    await card.locator('tbody tr').first().waitFor();
    const mine = await columnTexts('Administrator actions', 'Administrator');
    expect(new Set(mine)).toEqual(new Set([named.admin]));
    const updated = card.locator('tbody tr', {
      hasText: `Updated user ${update.application ?? ''}`,
    });
    expect(await updated.count()).toBeGreaterThan(0);
    expect(await card.innerText()).not.toMatch(/[{}]|":|user_update/);
    // The timeline's Administrator actions: the same words, the administrator's name first.
    await page.getByLabel('Type', { exact: true }).selectOption('administrator');
    const timeline = page.getByTestId('timeline');
    const item = timeline.locator('li', {
      hasText: `${named.admin ?? ''} updated user ${update.application ?? ''}`,
    });
    await item.first().waitFor();
    expect(await timeline.innerText()).not.toMatch(/[{}]|":|user_update/);
    await shots('admin-actions-timeline', page.getByRole('heading', { name: 'Activity timeline' }));
    await shots('admin-actions-identity', page.getByRole('heading', { name: 'As administrator' }));
  }, 90_000);
  it('reads the dormant accounts’ groups and the sources’ health as the API sends them', async () => {
    const report = await api<DormantAccountsReport>('/reports/dormant-accounts?days=90');
    const grouped = report.accounts.filter((a) => a.groups.length > 0);
    expect(grouped.length).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('link', { name: 'Dormant accounts' }).click();
    await page
      .getByRole('table', { name: 'Dormant accounts' })
      .locator('tbody tr')
      .first()
      .waitFor();
    const usernames = await columnTexts('Dormant accounts', 'User name');
    const entitlements = await columnTexts('Dormant accounts', 'Entitlements');
    usernames.forEach((username, i) => {
      const account = report.accounts.find((a) => a.username === username);
      expect(entitlements[i], username).toBe(account?.groups.join('; '));
    });
    expect(entitlements.some((e) => /\w/.test(e))).toBe(true);
    await shots('dormant-entitlements', page.getByRole('heading', { name: 'Reports' }));

    // The sources list's CSV writes each source's health in words, as the Health column shows it.
    const { sources } = await api<SourceList>('/sources');
    await page.getByRole('link', { name: 'Sources' }).first().click();
    const list = page.getByRole('table', { name: 'Sources' });
    await list.locator('tbody tr').first().waitFor();
    const shown = await columnTexts('Sources', 'Health');
    expect(shown.length).toBe(sources.length);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const lines = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
    const header = csvFields(lines[0] ?? '');
    const column = header.indexOf('health');
    expect(column).toBeGreaterThanOrEqual(0);
    const written = lines.slice(1).map((line) => csvFields(line)[column] ?? '');
    expect(written.every((h) => h.length > 0)).toBe(true);
    for (const h of written) expect(shown.join(' ')).toContain(h.split(/ · |, /)[0] ?? h);
  }, 60_000);
});
