/**
 * Access-review campaigns in the console, in a real browser (Debian's Chromium) against the real
 * server running its built-in demo tenant: an admin starts a campaign for a Duo group through the
 * form, revokes every suggested revoke at once, keeps one of them with a comment (refused without
 * one), keeps the rest with the bulk keep, signs off, runs a dry run, remediates in Duo, waits for
 * the result, and then sees the revoked memberships gone from the group (the source is aggregated
 * again on its own); the evidence lists every decision. A viewer who reviews the campaign signs in
 * and sees it waiting for them on the landing page and as a count on the navigation.
 * Screenshots: test-results/screenshots/reviews-*.png, light and dark, 1440×900 and 390×844.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  csvFields,
  launchBrowser,
  openPage,
  screenshotPath,
  startServer,
  type Server,
} from '../support/web.js';
import type {
  AccessReviewReport,
  Campaign,
  EntitlementList,
  EntitlementMembers,
  Evidence,
  IdentityList,
  SourceList,
} from '../../src/api/contract/index.js';

const ADMIN_PASSWORD = 'reviews admin password 42';
const VIEWER_PASSWORD = 'reviews viewer password 42';
const WIDE = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** What the test learns on the way and later steps use. */
const chosen = {
  sourceId: '',
  group: { id: 0, name: '' },
  reviewer: { id: '', displayName: '' },
  revoke: [] as string[],
  keep: [] as string[],
  keptAgainst: '',
  campaignId: '',
};

async function api<T>(path: string, init?: { method: string; body: unknown }): Promise<T> {
  const url = `${server.url}/api/v1${path}`;
  const res = init
    ? await page.request.fetch(url, {
        method: init.method,
        data: init.body,
        headers: { 'x-csrf-token': await csrf() },
      })
    : await page.request.get(url);
  expect(res.ok(), `${init?.method ?? 'GET'} ${path}: ${await res.text()}`).toBe(true);
  return (await res.json()) as T;
}

async function csrf(): Promise<string> {
  const me = await page.request.get(`${server.url}/api/v1/auth/me`);
  return ((await me.json()) as { csrfToken: string }).csrfToken;
}

/** The page in both themes, wide and on a phone: screenshots reviews-<name>-<theme>-<size>. */
async function shots(name: string, target?: Locator): Promise<void> {
  for (const [size, viewport] of [
    ['wide', WIDE],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(viewport);
    for (const theme of ['Light', 'Dark'] as const) {
      await page.getByRole('radio', { name: theme, exact: true }).check();
      await page.evaluate('window.scrollTo(0, 0)');
      if (target) {
        const box = await target.boundingBox();
        await page.evaluate(`window.scrollTo(0, ${String(Math.max((box?.y ?? 0) - 16, 0))})`);
      }
      await page.waitForTimeout(200);
      await page.screenshot({
        path: screenshotPath(`reviews-${name}-${theme.toLowerCase()}-${size}`),
        style: '.toasts { display: none; }',
      });
    }
  }
  await page.getByRole('radio', { name: 'System', exact: true }).check();
  await page.setViewportSize(WIDE);
}

async function signIn(on: Page, username: string, password: string): Promise<void> {
  await on.goto(server.url);
  await on.getByLabel('User name', { exact: true }).fill(username);
  await on.getByLabel('Password', { exact: true }).fill(password);
  await on.getByRole('button', { name: 'Sign in' }).click();
}

/** `text` as a regular expression matching it literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The table's count line: "3 items". */
function countLine(count: number): RegExp {
  return new RegExp(`^${String(count)} items?$`);
}

/** The items table's count line saying `count`. */
function itemCount(count: number): Locator {
  return page.locator('.table-block', { has: items() }).locator('[data-table-count]', {
    hasText: countLine(count),
  });
}

function items(): Locator {
  return page.getByRole('table', { name: 'Review items' });
}

/** The campaign as the API has it now. */
function campaign(): Promise<Campaign> {
  return api<Campaign>(`/reviews/${chosen.campaignId}`);
}

describe('access-review campaigns in the console', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(ADMIN_PASSWORD), launchBrowser()]);
    ({ context, page } = await openPage(browser, { viewport: WIDE, acceptDownloads: true }));
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Start the demo' }).click();

    // The demo's Duo source aggregated, and its activity synced: a group whose review suggests
    // at least two revocations and one keep.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { sources } = await api<SourceList>('/sources');
      const duo = sources.find((s) => s.type === 'duo');
      const synced = sources.every(
        (s) => s.lastRun?.status === 'succeeded' || s.lastRun?.status === 'partial',
      );
      if (duo && synced) {
        const { entitlements } = await api<EntitlementList>(`/sources/${duo.id}/entitlements`);
        let best: { report: AccessReviewReport; revoke: number } | undefined;
        for (const e of entitlements.filter((x) => x.kind === 'group')) {
          const report = await api<AccessReviewReport>(
            `/reports/access-review?entitlementId=${String(e.id)}`,
          );
          const revoke = report.members.filter((m) => m.suggestion === 'revoke').length;
          const keep = report.members.length - revoke;
          if (
            revoke >= 2 &&
            keep >= 1 &&
            (!best || report.members.length > best.report.members.length)
          )
            best = { report, revoke };
        }
        if (best) {
          chosen.sourceId = duo.id;
          chosen.group = { id: best.report.entitlement.id, name: best.report.entitlement.name };
          chosen.revoke = best.report.members
            .filter((m) => m.suggestion === 'revoke')
            .map((m) => m.username);
          chosen.keep = best.report.members
            .filter((m) => m.suggestion === 'keep')
            .map((m) => m.username);
          // A reviewer who is not a member of the group (no one reviews their own access).
          const members = new Set(best.report.members.flatMap((m) => m.identityId ?? []));
          const { identities } = await api<IdentityList>('/identities?limit=100');
          const reviewer = identities.find((i) => !members.has(i.id) && i.displayName.length >= 2);
          if (reviewer) {
            chosen.reviewer = { id: reviewer.id, displayName: reviewer.displayName };
            break;
          }
        }
      }
      if (Date.now() > deadline)
        throw new Error('the demo has no Duo group with revoke and keep suggestions after 120 s');
      await page.waitForTimeout(1000);
    }
  }, 180_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await server.stop();
  });

  it('starts a campaign for a Duo group through the form, with the API’s problems by field', async () => {
    await page.goto(`${server.url}/reviews`);
    await page.getByRole('heading', { name: 'Reviews', level: 1 }).waitFor();
    await page.getByText('No campaign yet').waitFor();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { name: 'New campaign', level: 1 }).waitFor();

    // Nothing filled in: each field says what it needs.
    await page.getByRole('button', { name: 'Start campaign' }).click();
    await page.getByText('Give the campaign a name.').waitFor();
    await page.getByText('Choose at least one group or administrator role.').waitFor();

    // The access review of the group starts a campaign with the group chosen.
    await page.goto(
      `${server.url}/reports/access-review?sourceId=${chosen.sourceId}&entitlementId=${String(chosen.group.id)}`,
    );
    await page.getByRole('link', { name: 'Start a campaign' }).click();
    await page.getByRole('heading', { name: 'New campaign', level: 1 }).waitFor();
    await page.getByRole('list', { name: 'Chosen' }).getByText(chosen.group.name).waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(
      `Review of ${chosen.group.name}`,
    );
    await page.getByLabel('Name', { exact: true }).fill(`Review of ${chosen.group.name}`);
    await page.getByLabel('Duo source', { exact: true }).selectOption(chosen.sourceId);
    await page
      .getByLabel('Groups and administrator roles', { exact: true })
      .fill(chosen.group.name);
    await page
      .getByRole('list', { name: 'Entitlements of the source' })
      .getByRole('checkbox', { name: new RegExp(`^${literal(chosen.group.name)}\\b`) })
      .check();
    expect(await page.getByRole('list', { name: 'Chosen' }).getByRole('listitem').count()).toBe(1);
    await page.getByRole('radio', { name: 'Named people' }).check();
    const picker = page.getByRole('combobox', { name: 'Add a reviewer' });
    await picker.fill(chosen.reviewer.displayName.slice(0, 4));
    await page
      .getByRole('listbox')
      .getByRole('option', { name: new RegExp(literal(chosen.reviewer.displayName)) })
      .first()
      .click();
    await page
      .getByRole('list', { name: 'Reviewers chosen' })
      .getByText(chosen.reviewer.displayName)
      .waitFor();

    // A due date in the past: the API refuses it, and the form says so beside the date.
    await page.getByLabel('Due', { exact: true }).fill('2020-01-01');
    await page.getByRole('button', { name: 'Start campaign' }).click();
    await page
      .locator('.field-invalid', { has: page.getByLabel('Due', { exact: true }) })
      .waitFor();
    await shots('new');

    const due = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Due', { exact: true }).fill(due);
    await page.getByRole('button', { name: 'Start campaign' }).click();
    await page.waitForURL((url) => /^\/reviews\/(?!new$)[^/]+$/.test(url.pathname));
    chosen.campaignId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await page.getByRole('heading', { name: `Review of ${chosen.group.name}`, level: 1 }).waitFor();
    const total = chosen.revoke.length + chosen.keep.length;
    await itemCount(total).waitFor();
    const c = await campaign();
    expect(c.state).toBe('open');
    expect(c.progress).toMatchObject({ decided: 0, total });
    expect(c.byReviewer.map((r) => r.identityId)).toEqual([chosen.reviewer.id]);
    await shots('campaign-open');

    // The list shows it, with its progress and due date.
    await page.getByRole('link', { name: 'Reviews', exact: false }).first().click();
    const row = page.getByRole('table', { name: 'Campaigns' }).getByRole('row', {
      name: new RegExp(`Review of ${literal(chosen.group.name)}`),
    });
    await row.getByText(`0 of ${String(total)}`).waitFor();
    await row.getByText('Open', { exact: true }).waitFor();
    await shots('list');
  }, 120_000);

  it('shows a viewer who reviews the campaign what waits for them', async () => {
    await api('/users', {
      method: 'POST',
      body: {
        username: 'riley',
        password: VIEWER_PASSWORD,
        role: 'viewer',
        identityId: chosen.reviewer.id,
      },
    });
    const other = await browser.newContext({ viewport: WIDE, locale: 'en-GB', timezoneId: 'UTC' });
    const viewer = await other.newPage();
    viewer.setDefaultTimeout(20_000);
    try {
      await signIn(viewer, 'riley', VIEWER_PASSWORD);
      const card = viewer.locator('.card', {
        has: viewer.getByRole('heading', { name: 'Waiting for your review' }),
      });
      await card.waitFor();
      const total = chosen.revoke.length + chosen.keep.length;
      await card.getByRole('link', { name: `Review of ${chosen.group.name}` }).waitFor();
      await card.getByText(`${String(total)} items to decide`).waitFor();
      const nav = viewer.getByRole('navigation', { name: 'Main' });
      await expect
        .poll(() => nav.getByRole('link', { name: /Reviews/ }).innerText())
        .toMatch(/Reviews\s*1/);
      await viewer.screenshot({ path: screenshotPath(`reviews-waiting-light-wide`) });
      await viewer.setViewportSize(PHONE);
      await viewer.screenshot({ path: screenshotPath(`reviews-waiting-light-phone`) });
      await viewer.getByRole('radio', { name: 'Dark', exact: true }).check();
      await viewer.screenshot({ path: screenshotPath(`reviews-waiting-dark-phone`) });
      await viewer.setViewportSize(WIDE);
      await viewer.screenshot({ path: screenshotPath(`reviews-waiting-dark-wide`) });
      // The card leads to the campaign, where only the viewer's own items are theirs to decide.
      await card.getByRole('link', { name: `Review of ${chosen.group.name}` }).click();
      await viewer
        .getByRole('heading', { name: `Review of ${chosen.group.name}`, level: 1 })
        .waitFor();
      await viewer.getByText(`Yours: 0 of ${String(total)} decided`).waitFor();
    } finally {
      await other.close();
    }
  }, 60_000);

  it('revokes every suggested revoke, keeps one with a comment and the rest in bulk', async () => {
    await page.goto(`${server.url}/reviews/${chosen.campaignId}`);
    await items().locator('tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Revoke every suggested revoke' }).click();
    await expect.poll(async () => (await campaign()).progress.revoke).toBe(chosen.revoke.length);

    // Keeping an access suggested for revocation needs a comment: refused without, kept with.
    chosen.keptAgainst = chosen.revoke[0] ?? '';
    await page.getByLabel('Search', { exact: true }).fill(chosen.keptAgainst);
    const row = items().getByRole('row', {
      name: new RegExp(`\\b${literal(chosen.keptAgainst)}\\b`),
    });
    await expect.poll(() => items().locator('tbody tr').count()).toBe(1);
    await row.getByRole('button', { name: `Keep ${chosen.keptAgainst}` }).click();
    await page
      .getByTestId('decision-problem')
      .getByText(/comment/)
      .waitFor();
    await shots('comment-needed', page.getByTestId('decision-problem'));
    await page.getByLabel('Comment', { exact: true }).fill('Needed for the on-call rota');
    await row.getByRole('button', { name: `Keep ${chosen.keptAgainst}` }).click();
    await row.getByText('“Needed for the on-call rota”').waitFor();
    await page.getByLabel('Comment', { exact: true }).fill('');
    await page.getByLabel('Search', { exact: true }).fill('');

    // Everyone still undecided: selected across every page, kept at once.
    await page.getByLabel('Decision', { exact: true }).selectOption('undecided');
    await itemCount(chosen.keep.length).waitFor();
    await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
    const matching = page.getByRole('button', { name: /^Select all \d+ matching$/ });
    if (await matching.count()) await matching.click();
    await page
      .getByText(
        `${String(chosen.keep.length)} item${chosen.keep.length === 1 ? '' : 's'} selected`,
      )
      .waitFor();
    await shots('selection', page.locator('.review-decide'));
    await page
      .getByRole('button', { name: new RegExp(`^Keep ${String(chosen.keep.length)}$`) })
      .click();
    await page.getByText('No item matches these filters.').waitFor();
    await page.getByLabel('Decision', { exact: true }).selectOption('');

    const c = await campaign();
    expect(c.progress).toMatchObject({
      decided: c.progress.total,
      keep: chosen.keep.length + 1,
      revoke: chosen.revoke.length - 1,
    });
    await page.getByRole('button', { name: 'Sign off' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign off' }).isEnabled()).toBe(true);
  }, 120_000);

  it('signs off, runs a dry run, remediates in Duo and the revoked memberships are gone', async () => {
    const revoked = chosen.revoke.filter((u) => u !== chosen.keptAgainst);
    await page.getByRole('button', { name: 'Sign off' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm the sign-off' });
    await confirm.getByRole('button', { name: 'Sign off' }).click();
    await page.getByRole('heading', { name: 'Remediation' }).waitFor();
    expect((await campaign()).state).toBe('signed_off');
    expect((await campaign()).remediation.mode).toBe('duo');

    await page.getByRole('button', { name: 'Dry run' }).click();
    const plan = page.getByRole('table', { name: 'Planned changes' });
    await plan.waitFor();
    expect(await plan.locator('tbody tr').count()).toBe(revoked.length);
    for (const username of revoked)
      await plan.getByRole('cell', { name: username, exact: true }).waitFor();
    expect((await campaign()).state).toBe('signed_off');
    await shots('dry-run', page.getByTestId('dry-run'));

    await page.getByRole('button', { name: 'Remediate in Duo' }).click();
    await page
      .getByRole('group', { name: 'Confirm the remediation' })
      .getByRole('button', { name: 'Remediate in Duo' })
      .click();
    const progress = page.getByTestId('remediation-progress');
    await progress.getByText(/^Remediated/).waitFor({ timeout: 120_000 });
    await progress.getByText(`${String(revoked.length)} removed`).waitFor({ timeout: 60_000 });
    const done = await campaign();
    expect(done.state).toBe('remediated');
    expect(done.remediation).toMatchObject({
      steps: revoked.length,
      accepted: revoked.length,
      removed: revoked.length,
      stillPresent: 0,
      failed: 0,
    });
    // Each revoked item shows its step, Duo's answer and the verification.
    await page.getByLabel('Decision', { exact: true }).selectOption('revoke');
    await expect.poll(() => items().locator('tbody tr').count()).toBe(revoked.length);
    expect(await items().getByText('Verified removed').count()).toBe(revoked.length);
    await shots('remediated', progress);

    // The group, as the source's entitlements show it after the aggregation: the revoked
    // memberships are gone, the kept ones stay.
    const members = await api<EntitlementMembers>(
      `/sources/${chosen.sourceId}/entitlements/${String(chosen.group.id)}/members`,
    );
    const usernames = members.accounts.map((a) => a.username);
    for (const username of revoked) expect(usernames).not.toContain(username);
    expect(usernames).toContain(chosen.keptAgainst);
    await page.goto(`${server.url}/sources/${chosen.sourceId}/entitlements`);
    await page
      .getByRole('table', { name: 'Entitlements' })
      .getByRole('button', { name: chosen.group.name, exact: true })
      .click();
    const table = page.getByRole('table', { name: `Members of ${chosen.group.name}` });
    await table.getByRole('cell', { name: chosen.keptAgainst }).first().waitFor();
    for (const username of revoked)
      expect(await table.getByRole('cell', { name: username, exact: true }).count()).toBe(0);
    for (const username of chosen.keep)
      await table.getByRole('cell', { name: username, exact: true }).first().waitFor();
  }, 240_000);

  it('downloads the evidence, which lists every decision', async () => {
    await page.goto(`${server.url}/reviews/${chosen.campaignId}`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download evidence (CSV)' }).click(),
    ]);
    const csv = (await readFile(await download.path(), 'utf8')).split(/\r?\n/).filter(Boolean);
    const header = csvFields(csv[0] ?? '');
    for (const column of [
      'username',
      'decision',
      'comment',
      'decided_by',
      'decisions',
      'verification',
    ])
      expect(header).toContain(column);
    const total = chosen.revoke.length + chosen.keep.length;
    expect(csv.slice(1)).toHaveLength(total);
    const at = (name: string) => header.indexOf(name);
    const rows = csv.slice(1).map(csvFields);
    expect(rows.every((r) => r[at('decision')] === 'keep' || r[at('decision')] === 'revoke')).toBe(
      true,
    );
    const kept = rows.find((r) => r[at('username')] === chosen.keptAgainst);
    // Revoked by the quick decision, then kept with a comment: two decisions.
    expect(kept?.[at('decisions')]).toBe('2');

    const evidence = await api<Evidence>(`/reviews/${chosen.campaignId}/evidence?format=json`);
    expect(evidence.items).toHaveLength(total);
    expect(evidence.items.every((i) => i.history.length >= 1 && i.decision !== null)).toBe(true);
    const item = evidence.items.find((i) => i.username === chosen.keptAgainst);
    expect(item?.history.map((h) => h.decision)).toEqual(['revoke', 'keep']);
    expect(item?.comment).toBe('Needed for the on-call rota');
  }, 60_000);

  it('keeps every account of a source at once, across pages, with one comment', async () => {
    const created = await api<Campaign>('/reviews', {
      method: 'POST',
      body: {
        name: 'Every demo account',
        scope: { kind: 'accounts', sourceIds: [chosen.sourceId] },
        reviewers: { kind: 'identities', identityIds: [chosen.reviewer.id] },
        dueMs: Date.now() + 7 * 86_400_000,
      },
    });
    const total = created.progress.total;
    await page.goto(`${server.url}/reviews/${created.id}`);
    await itemCount(total).waitFor();
    const shown = await items().locator('tbody tr').count();
    // More items than one page holds: the selection must reach past the page.
    expect(shown).toBeLessThan(total);
    await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
    await page
      .getByRole('button', { name: `Select all ${total.toLocaleString('en-GB')} matching` })
      .click();
    await page.getByText(`${total.toLocaleString('en-GB')} items selected`).waitFor();
    // Some of them are suggested for revocation: keeping them all needs the comment.
    await page
      .getByLabel('Comment', { exact: true })
      .fill('Yearly recertification: all still employed');
    await page
      .getByRole('button', { name: new RegExp(`^Keep ${literal(total.toLocaleString('en-GB'))}$`) })
      .click();
    await expect
      .poll(async () => (await api<Campaign>(`/reviews/${created.id}`)).progress, {
        timeout: 30_000,
      })
      .toMatchObject({ decided: total, keep: total, revoke: 0 });
    const evidence = await api<Evidence>(`/reviews/${created.id}/evidence?format=json`);
    expect(evidence.items).toHaveLength(total);
    expect(
      evidence.items.every((i) => i.comment === 'Yearly recertification: all still employed'),
    ).toBe(true);
  }, 120_000);
});
