/**
 * The console's Export CSV buttons download the server's CSV of every matching row, not the
 * rows the browser has loaded, in a real browser (Debian's Chromium) against the real server
 * running its built-in demo tenant: an identity's administrator actions (more than the page the
 * card loads), the users and the governance groups.
 * Screenshots land in test-results/screenshots/csv-*.png, wide (1440×900) and narrow (390×844).
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestActivityPage } from '../../src/store/activity/ingest.js';
import { openDatabase } from '../../src/store/dialect.js';
import { createSource } from '../../src/store/sources.js';
import { normalise } from '../../src/sync/normalise.js';
import {
  launchBrowser,
  screenshotPath,
  startServer,
  type Server,
  openPage,
  csvFields,
} from '../support/web.js';
import type {
  ActivityEventList,
  AdminActionList,
  GovernanceGroupList,
  IdentityDetail,
  IdentityList,
  UserList,
} from '../../src/api/contract/index.js';

const ADMIN_PASSWORD = 'correct horse battery staple';
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 390, height: 844 };
/** How many administrator actions the identity page's card loads. */
const CARD_PAGE = 100;

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;

async function api<T>(path: string): Promise<T> {
  const res = await page.request.get(`${server.url}/api/v1${path}`);
  expect(res.status(), path).toBe(200);
  return (await res.json()) as T;
}

/** A wide and a narrow screenshot with the window scrolled to `target`. */
async function shots(name: string, target: Locator): Promise<void> {
  for (const [size, viewport] of [
    ['wide', WIDE],
    ['narrow', NARROW],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.evaluate('window.scrollTo(0, 0)');
    const box = await target.boundingBox();
    await page.evaluate(`window.scrollTo(0, ${String(Math.max((box?.y ?? 0) - 16, 0))})`);
    await page.waitForTimeout(250);
    await page.screenshot({
      path: screenshotPath(`csv-${name}-${size}`),
      style: '.toasts { display: none; }',
    });
  }
  await page.setViewportSize(WIDE);
}

/**
 * Stores `count` more administrator-log records by `admin` in the server's database, as a sync
 * of a second activity source would (the demo's administrators do too little for a second page).
 */
async function storeAdminActions(admin: string, count: number): Promise<void> {
  const db = openDatabase(`sqlite:${server.dataDir}/duo-insights.db`);
  try {
    const owner = await db.selectFrom('identities').select('id').limit(1).executeTakeFirstOrThrow();
    const source = await createSource(db, {
      type: 'duo-activity',
      name: 'Earlier administrator log',
      ownerIdentityId: owner.id,
    });
    const start = Math.floor(Date.now() / 1000) - 30 * 86_400;
    const records = Array.from({ length: count }, (_, i) => ({
      action: i % 4 === 0 ? 'user_delete' : 'user_update',
      description: JSON.stringify({ notes: `review, "batch" ${String(i)}` }),
      isotimestamp: new Date((start + i * 60) * 1000).toISOString(),
      object: `former.user${String(i)}`,
      timestamp: start + i * 60,
      username: admin,
    }));
    await ingestActivityPage(db, {
      sourceId: source.id,
      stream: 'administrator',
      events: records.map((r) => normalise('administrator', r)),
      cursor: 0,
    });
  } finally {
    await db.destroy();
  }
}

/** The file the Export CSV link of `scope` downloads: its name and its lines. */
async function exportCsv(scope: Locator): Promise<{ name: string; lines: string[] }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    scope.getByRole('link', { name: 'Export CSV' }).click(),
  ]);
  const text = await readFile(await download.path(), 'utf8');
  return { name: download.suggestedFilename(), lines: text.split('\r\n').slice(0, -1) };
}

describe('Export CSV downloads every matching row from the server', () => {
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

  it('downloads every administrator action of an identity, more than the card loads', async () => {
    // An identity that acted as a Duo administrator, with more actions than the card loads.
    const { actions } = await api<AdminActionList>('/reports/admin-actions?limit=1000');
    const admins = [...new Set(actions.flatMap((a) => (a.admin ? [a.admin] : [])))];
    let named: { identity: IdentityDetail; admin: string } | undefined;
    for (const name of admins) {
      const found = await api<IdentityList>(`/identities?q=${encodeURIComponent(name)}`);
      for (const candidate of found.identities) {
        const detail = await api<IdentityDetail>(`/identities/${candidate.id}`);
        if (detail.accounts.some((a) => a.kind === 'administrator'))
          named = { identity: detail, admin: name };
      }
    }
    if (!named) throw new Error('no identity holds an administrator account');
    await storeAdminActions(named.admin, CARD_PAGE + 150);
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const list: ActivityEventList = await api<ActivityEventList>(
        `/identities/${named.identity.id}/activity?as=administrator&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      ids.push(...list.events.map((e) => e.id));
      cursor = list.next ?? null;
    } while (cursor);
    expect(ids.length).toBeGreaterThan(CARD_PAGE + 150);

    await page.goto(`${server.url}/identities/${named.identity.id}`);
    await page.getByRole('heading', { name: named.identity.displayName }).waitFor();
    const card = page.locator('.card', {
      has: page.getByRole('heading', { name: 'As administrator' }),
    });
    const table = card.getByRole('table', { name: 'Administrator actions' });
    await table.locator('tbody tr').first().waitFor();
    expect(await table.locator('tbody tr').count()).toBe(CARD_PAGE);
    // The count says these are the first of more, not all there are.
    expect(await card.innerText()).toContain(
      `${String(CARD_PAGE)} administrator actions loaded, more to load`,
    );
    const csv = await exportCsv(card);
    expect(csv.name).toBe('administrator-actions.csv');
    expect(csv.lines[0]).toBe('time,admin,action,object,description');
    const rows = csv.lines.slice(1);
    expect(rows).toHaveLength(ids.length);
    const times = rows.map((r) => r.slice(0, 24));
    expect([...times].sort().reverse()).toEqual(times);
    expect(rows.every((r) => (csvFields(r)[2] ?? '').length > 0)).toBe(true);
    await shots('admin-actions', card);

    // Older actions load on request, page by page, until every one is shown.
    const older = card.getByRole('button', { name: 'Load older administrator actions' });
    while ((await table.locator('tbody tr').count()) < ids.length) {
      const shown = await table.locator('tbody tr').count();
      await older.click();
      await expect.poll(() => table.locator('tbody tr').count()).toBeGreaterThan(shown);
    }
    expect(await table.locator('tbody tr').count()).toBe(ids.length);
    await older.waitFor({ state: 'detached' });
    expect(await card.innerText()).toContain(
      `${ids.length.toLocaleString('en-GB')} administrator actions`,
    );
  }, 120_000);

  it('downloads every user', async () => {
    const { users } = await api<UserList>('/users');
    await page.goto(`${server.url}/settings/users`);
    const table = page.getByRole('table', { name: 'Users' });
    await table.locator('tbody tr').first().waitFor();
    const csv = await exportCsv(page.locator('.table-block', { has: table }));
    expect(csv.name).toBe('users.csv');
    expect(csv.lines[0]).toBe(
      'username,role,identity,disabled,must_change_password,last_sign_in,created,id',
    );
    expect(csv.lines.slice(1).map((l) => csvFields(l)[0])).toEqual(users.map((u) => u.username));
    expect(csv.lines.join('\n')).not.toContain(ADMIN_PASSWORD);
    await shots('users', table);
  }, 60_000);

  it('downloads every governance group', async () => {
    for (const name of ['Access reviewers', 'Helpdesk, "tier 1"', 'Owners'])
      expect(
        (
          await page.request.post(`${server.url}/api/v1/governance-groups`, {
            data: { name },
            headers: { 'x-csrf-token': await csrf() },
          })
        ).status(),
      ).toBe(201);
    const { governanceGroups } = await api<GovernanceGroupList>('/governance-groups');
    await page.goto(`${server.url}/settings/governance-groups`);
    const table = page.getByRole('table', { name: 'Governance groups' });
    await table.locator('tbody tr').first().waitFor();
    const csv = await exportCsv(page.locator('.table-block', { has: table }));
    expect(csv.name).toBe('governance-groups.csv');
    expect(csv.lines[0]).toBe('name,description,created,id');
    expect(csv.lines.slice(1).map((l) => csvFields(l)[0])).toEqual(
      governanceGroups.map((g) => g.name),
    );
    expect(governanceGroups.length).toBeGreaterThanOrEqual(3);
    await shots('governance-groups', table);
  }, 60_000);
});

/** The session's CSRF token, as the console sends it on every change. */
async function csrf(): Promise<string> {
  const me = await api<{ csrfToken: string }>('/auth/me');
  return me.csrfToken;
}
