/**
 * The console's addresses in a real browser (Debian's Chromium) against a real server and two Duo
 * simulators: real paths that load and reload deep (assets from an absolute base, the API's 404
 * still JSON), old `#/…` bookmarks redirected, the query string kept, each source page showing
 * only the source in its path however it was reached (link, typed address, Back/Forward), and the
 * access review opened from an Entitlements link showing that source, that group and its rows.
 * Screenshots at desktop (1440×900) and phone (390×844) size.
 */
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

const ADMIN_PASSWORD = 'router admin password 42';
const WEST = { ikey: 'DIROUTERWEST00000001', skey: 'router-west-secret-key-0123456789abcdef' };
const EAST = { ikey: 'DIROUTEREAST00000002', skey: 'router-east-secret-key-0123456789abcdef' };
const WRONG_SKEY = 'router-not-the-secret-key-0123456789abcd';

let west: Sim;
let east: Sim;
let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** "Router – West" (passed its test, aggregated) and "Router – East" (failed its test). */
let westId = '';
let eastId = '';
let call: <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** A signed-in API session of the test itself (cookie and CSRF token), for the set-up. */
async function signIn(): Promise<typeof call> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`signing in: ${String(res.status)}`);
  const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${await answer.text()}`);
    return (await answer.json()) as T;
  };
}

async function createDuoSource(
  name: string,
  owner: string,
  config: { apiHost: string; integrationKey: string; secretKey: string },
): Promise<string> {
  const { id } = await call<{ id: string }>('POST', '/sources', {
    type: 'duo',
    name,
    ownerIdentityId: owner,
  });
  await call('PUT', `/sources/${id}/configuration`, config);
  await call('POST', `/sources/${id}/test-connection`);
  return id;
}

/** The page at both sizes: a desktop window (1440×900), then a phone (390×844). */
async function shoot(name: string): Promise<void> {
  await page.waitForTimeout(250);
  await page.screenshot({
    path: screenshotPath(`router-${name}-desktop`),
    style: '.toasts { display: none; }',
  });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(250);
  await page.screenshot({
    path: screenshotPath(`router-${name}-phone`),
    fullPage: true,
    style: '.toasts { display: none; }',
  });
  await page.setViewportSize({ width: 1440, height: 900 });
}

function path(): string {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}${url.hash}`;
}

/** What the Connection card of a source's overview shows. */
async function connectionOf(): Promise<{
  name: string;
  host: string;
  key: string;
  verdict: string;
}> {
  const card = page.locator('section', { has: page.getByRole('heading', { name: 'Connection' }) });
  const verdict = card.locator('[data-verdict]');
  await verdict.waitFor();
  const fact = async (term: string) =>
    (
      await card
        .locator('dl.facts')
        .first()
        .locator('div', { has: page.locator('dt', { hasText: term }) })
        .locator('dd')
        .innerText()
    ).trim();
  return {
    name: (await page.getByRole('heading', { level: 1 }).innerText()).trim(),
    host: await fact('API Host'),
    key: await fact('Integration Key'),
    verdict: (await verdict.getAttribute('data-verdict')) ?? '',
  };
}

async function expectSource(which: 'west' | 'east'): Promise<void> {
  const id = which === 'west' ? westId : eastId;
  await page.getByRole('heading', { level: 1, name: which === 'west' ? /West/ : /East/ }).waitFor();
  expect(path()).toMatch(new RegExp(`^/sources/${id}(/overview)?$`));
  const shown = await connectionOf();
  expect(shown.name).toContain(which === 'west' ? 'Router – West' : 'Router – East');
  expect(shown.host).toBe(which === 'west' ? west.url : east.url);
  expect(shown.key).toBe(which === 'west' ? WEST.ikey : EAST.ikey);
  expect(shown.verdict).toBe(which === 'west' ? 'passed' : 'failed');
}

/** Follows a link to `to` from inside the console, as a link in any page would be followed. */
async function followLink(to: string): Promise<void> {
  await page.evaluate(`{
    const link = document.createElement('a');
    link.href = ${JSON.stringify(to)};
    link.textContent = 'shared link';
    document.querySelector('main').append(link);
    link.click();
    link.remove();
  }`);
}

describe('the console’s addresses', () => {
  beforeAll(async () => {
    [west, east, server, browser] = await Promise.all([
      startSim({ ...WEST, users: 12, days: 2, authPerDay: 40 }),
      startSim({ ...EAST, users: 4, days: 1, authPerDay: 10 }),
      startServer(ADMIN_PASSWORD),
      launchBrowser(),
    ]);
    call = await signIn();
    const owner = await call<{ id: string }>('POST', '/identities', {
      displayName: 'Rita Router',
    });
    // East first: it comes before West whether sources are listed by creation or by name, so
    // a review page that falls back on the first Duo source shows the wrong one.
    eastId = await createDuoSource('Router – East', owner.id, {
      apiHost: east.url,
      integrationKey: EAST.ikey,
      secretKey: WRONG_SKEY,
    });
    westId = await createDuoSource('Router – West', owner.id, {
      apiHost: west.url,
      integrationKey: WEST.ikey,
      secretKey: WEST.skey,
    });
    const { runId } = await call<{ runId: string }>('POST', `/sources/${westId}/aggregate`);
    for (let status = 'queued'; status !== 'succeeded';) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = (await call<{ status: string }>('GET', `/runs/${runId}`)).status;
      if (status === 'failed') throw new Error('the aggregation of Router – West failed');
    }

    ({ context, page } = await openPage(browser, {
      viewport: { width: 1440, height: 900 },
    }));
  }, 120_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await Promise.all([server.stop(), west.stop(), east.stop()]);
  });

  it('serves the console at every page path with absolute assets, and the API’s 404 as JSON', async () => {
    const deep = await fetch(`${server.url}/sources/${westId}/entitlements?x=1`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toMatch(/text\/html/);
    const html = await deep.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/assets\//);
      const res = await fetch(`${server.url}${asset ?? ''}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).not.toMatch(/text\/html/);
    }
    const stale = await fetch(`${server.url}/assets/index-00000000.js`);
    expect(stale.status).toBe(404);
    const missing = await fetch(`${server.url}/api/v1/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('opens a deep link after signing in and keeps it on reload, query string included', async () => {
    await page.goto(`${server.url}/sources/${westId}/entitlements`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const groups = page.getByRole('table', { name: 'Entitlements' });
    await groups.locator('tbody tr').first().waitFor();
    expect(path()).toBe(`/sources/${westId}/entitlements`);
    await page.reload();
    await groups.locator('tbody tr').first().waitFor();
    expect(path()).toBe(`/sources/${westId}/entitlements`);
    expect(
      await page.getByRole('link', { name: 'Entitlements' }).getAttribute('aria-current'),
    ).toBe('page');

    // A tab reached by its link is a path too, and Back returns to the one before.
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('table', { name: 'Accounts' }).waitFor();
    expect(path()).toBe(`/sources/${westId}/accounts`);
    await page.goBack();
    await groups.waitFor();
    expect(path()).toBe(`/sources/${westId}/entitlements`);

    await page.goto(`${server.url}/settings/audit`);
    await page.getByRole('table', { name: 'Audit trail' }).waitFor();
    await page.reload();
    await page.getByRole('table', { name: 'Audit trail' }).waitFor();
    expect(path()).toBe('/settings/audit');

    // The identity search is in the address: typed, it survives a reload.
    await page.getByRole('link', { name: 'Identities' }).first().click();
    await page.getByRole('searchbox', { name: 'Search identities' }).fill('Rita');
    await expect.poll(path).toBe('/identities?q=Rita');
    await page.reload();
    expect(await page.getByRole('searchbox', { name: 'Search identities' }).inputValue()).toBe(
      'Rita',
    );
    await page.getByRole('link', { name: 'Rita Router' }).waitFor();
    await shoot('identities-search');

    await page.goto(`${server.url}/no/such/page`);
    await page.getByText('There is no such page').waitFor();
    expect(await page.getByText('The address /no/such/page does not lead anywhere').count()).toBe(
      1,
    );
  }, 60_000);

  it('redirects an old #/ bookmark to its path, the query string included', async () => {
    await page.goto(`${server.url}/#/sources/${eastId}/configuration`);
    await expect.poll(path).toBe(`/sources/${eastId}/configuration`);
    expect(await page.getByLabel('Integration Key').inputValue()).toBe(EAST.ikey);
    await page.goto(`${server.url}/#/reports/dormant?days=30`);
    await expect.poll(path).toBe('/reports/dormant?days=30');
    await page.getByText('no Duo activity for 30 days').waitFor();
    const days = page.getByLabel('No activity for (days)');
    expect(await days.inputValue()).toBe('30');

    // The filter is in the address: a value refused names the problem, a valid one survives reload.
    await days.fill('0');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('Enter a whole number of days from 1 to 180.').waitFor();
    await shoot('dormant-days-refused');
    expect(path()).toBe('/reports/dormant?days=30');
    await days.fill('45');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(path).toBe('/reports/dormant?days=45');
    await page.reload();
    await page.getByText('no Duo activity for 45 days').waitFor();
    expect(await days.inputValue()).toBe('45');
    await page.goBack();
    await page.getByText('no Duo activity for 30 days').waitFor();
    expect(await days.inputValue()).toBe('30');
  }, 30_000);

  it('shows only the source in the path, reached by link, typed address or Back/Forward', async () => {
    await page.goto(`${server.url}/sources/${westId}`);
    await expectSource('west');

    // A link from West to East, followed in place.
    await followLink(`/sources/${eastId}`);
    await expectSource('east');
    await shoot('source-east-from-west');

    // Back and Forward between the two.
    await page.goBack();
    await expectSource('west');
    await page.goForward();
    await expectSource('east');
    await page.goBack();
    await expectSource('west');

    // An old address typed into the bar of West's page (same document), and a typed path.
    await page.evaluate(`window.location.hash = '#/sources/${eastId}'`);
    await expectSource('east');
    await page.goto(`${server.url}/sources/${westId}`);
    await expectSource('west');

    // From West's configuration to East's: the fields are East's.
    await page.getByRole('link', { name: 'Configuration' }).click();
    expect(await page.getByLabel('Integration Key').inputValue()).toBe(WEST.ikey);
    await followLink(`/sources/${eastId}/configuration`);
    await page.getByRole('heading', { level: 1, name: /East/ }).waitFor();
    expect(await page.getByLabel('Integration Key').inputValue()).toBe(EAST.ikey);
    expect(await page.getByLabel('API Host').inputValue()).toBe(east.url);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('failed');
    await shoot('configuration-east-from-west');

    // From West's settings to East's, by Back/Forward: saving East changes East only.
    await page.goto(`${server.url}/sources/${westId}/settings`);
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Router – West');
    await followLink(`/sources/${eastId}/settings`);
    await page.getByRole('heading', { level: 1, name: /East/ }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: /West/ }).waitFor();
    await page.goForward();
    await page.getByRole('heading', { level: 1, name: /East/ }).waitFor();
    const name = page.getByLabel('Name', { exact: true });
    expect(await name.inputValue()).toBe('Router – East');
    await page.getByLabel('Description').fill('The eastern tenant');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('The eastern tenant').first().waitFor();
    const [eastNow, westNow] = await Promise.all([
      call<{ name: string; description: string | null }>('GET', `/sources/${eastId}`),
      call<{ name: string; description: string | null }>('GET', `/sources/${westId}`),
    ]);
    expect(eastNow).toMatchObject({ name: 'Router – East', description: 'The eastern tenant' });
    expect(westNow).toMatchObject({ name: 'Router – West', description: null });
  }, 90_000);

  it('opens the access review of the source and group an Entitlements link names', async () => {
    await page.goto(`${server.url}/sources/${westId}/entitlements`);
    const groups = page.getByRole('table', { name: 'Entitlements' });
    const row = groups.locator('tbody tr').first();
    await row.waitFor();
    const group = (await row.locator('td').first().innerText()).trim();
    // On a phone the link is below the fold; the review opens at its top.
    await page.setViewportSize({ width: 390, height: 844 });
    const link = row.getByRole('link', { name: 'Access review' });
    await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
    expect(await page.evaluate('window.scrollY')).toBeGreaterThan(0);
    await link.click();
    await page.getByRole('heading', { name: `Access review: ${group}` }).waitFor();
    expect(await page.evaluate('window.scrollY')).toBe(0);
    await page.setViewportSize({ width: 1440, height: 900 });

    await page.getByRole('heading', { name: `Access review: ${group}` }).waitFor();
    const url = new URL(page.url());
    expect(url.pathname).toBe('/reports/access-review');
    expect(url.searchParams.get('sourceId')).toBe(westId);
    const entitlementId = url.searchParams.get('entitlementId') ?? '';
    expect(entitlementId).not.toBe('');
    const source = page.getByLabel('Duo source');
    await expect.poll(() => source.inputValue()).toBe(westId);
    const chosen = page.getByLabel('Group (entitlement)');
    await expect.poll(() => chosen.inputValue()).toBe(entitlementId);
    expect((await chosen.locator('option:checked').innerText()).trim()).toBe(group);

    const review = await call<{ members: unknown[]; source: { id: string } }>(
      'GET',
      `/reports/access-review?entitlementId=${entitlementId}`,
    );
    expect(review.source.id).toBe(westId);
    expect(review.members.length).toBeGreaterThan(0);
    const table = page.getByRole('table', { name: 'Access review' });
    await table.locator('tbody tr').first().waitFor();
    expect(await table.locator('tbody tr').count()).toBe(review.members.length);
    await shoot('access-review-from-entitlements');

    // The same address, reloaded, shows the same review.
    await page.reload();
    await table.locator('tbody tr').first().waitFor();
    await expect.poll(() => source.inputValue()).toBe(westId);
    await expect.poll(() => chosen.inputValue()).toBe(entitlementId);
    expect(await table.locator('tbody tr').count()).toBe(review.members.length);
  }, 60_000);
});
