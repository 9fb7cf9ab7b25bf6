/**
 * The create-source wizard in a real browser against a real server and the Duo simulator: Back
 * and Cancel on every step leave no source behind, owner matches rank prefix matches first, a
 * field's problem shows under it (not also as a toast) and clears once the field changes, the
 * review shows the verdict measured, owner and group there and changeable later, and a second
 * Test Connection says it is waiting for Duo's rate limit. The server paces Duo requests as it
 * does in production (DUO_INSIGHTS_DUO_RATE_LIMIT=duo). Screenshots: wizard-*.png.
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
} from '../support/web.js';

const IKEY = 'DIWIZARD000000000001';
const SKEY = 'wizard-secret-key-0123456789abcdefghijkl';
const WRONG_SKEY = 'not-the-wizard-secret-0123456789abcdefgh';
const ADMIN_PASSWORD = 'correct horse battery staple';
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 390, height: 844 };

let sim: Sim;
let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const ids: Record<string, string> = {};

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(200);
  await page.screenshot({ path: screenshotPath(`wizard-${name}`), fullPage: true });
}

/** A JSON call to the API as the signed-in user (with the session's CSRF token). */
async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
      const res = await fetch(`/api/v1${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': me.csrfToken,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${String(res.status)} ${text}`);
      return (text ? JSON.parse(text) : null) as T;
    },
    { method, path, body },
  );
}

async function sourceNames(): Promise<string[]> {
  const list = await api<{ sources: { name: string }[] }>('GET', '/sources');
  return list.sources.map((s) => s.name);
}

/** The sources list, or the first-run screen in its place while there is no source. */
function sourcesPage() {
  return page
    .getByRole('heading', { name: 'Sources', exact: true })
    .or(page.getByRole('heading', { name: 'Welcome to duo-insights' }));
}

async function openWizard(): Promise<void> {
  await page.getByRole('link', { name: 'Sources' }).first().click();
  await sourcesPage().waitFor();
  await page
    .getByRole('link', { name: /Create source/ })
    .first()
    .click();
  await page.getByRole('heading', { name: 'Create source' }).waitFor();
}

/** Cancel leads back to the sources. */
async function cancel(): Promise<void> {
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('heading', { name: 'Create source' }).waitFor({ state: 'detached' });
  await sourcesPage().waitFor();
}

function step(): Promise<string> {
  return page.locator('[aria-current="step"] .step-label').innerText();
}

async function pickOwner(typed: string, name: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Source Owner' }).fill(typed);
  await page.getByRole('option', { name: new RegExp(name) }).click();
}

/** Connector → Details → Configuration → Review, with what is given. */
async function walkToReview(options: {
  connector: RegExp;
  name: string;
  owner?: [string, string];
  group?: string;
  secret?: string;
}): Promise<void> {
  await openWizard();
  await page.getByRole('radio', { name: options.connector }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Name', { exact: true }).fill(options.name);
  const [typed, owner] = options.owner ?? ['an', 'Ana Silva'];
  await pickOwner(typed, owner);
  if (options.group)
    await page.getByLabel('Governance group').selectOption({ label: options.group });
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Configuration' }).waitFor();
  await page.getByLabel('Integration Key').fill(IKEY);
  await page.getByLabel('Secret Key').fill(options.secret ?? SKEY);
  await page.getByLabel('API Host').fill(sim.url);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Review and Test' }).waitFor();
}

async function expectNoToast(): Promise<void> {
  await page.waitForTimeout(300);
  expect(await page.locator('.toast').count()).toBe(0);
}

describe('the create-source wizard', () => {
  beforeAll(async () => {
    [sim, server, browser] = await Promise.all([
      startSim({ ikey: IKEY, skey: SKEY, users: 10, days: 2, authPerDay: 50 }),
      startServer(ADMIN_PASSWORD, { DUO_INSIGHTS_DUO_RATE_LIMIT: 'duo' }),
      launchBrowser(),
    ]);
    context = await browser.newContext({ viewport: WIDE, locale: 'en-GB', timezoneId: 'UTC' });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(server.url);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Welcome to duo-insights' }).waitFor();
    for (const [key, displayName] of [
      ['joanna', 'Joanna Wu'],
      ['brian', 'Brian Ng'],
      ['adrian', 'Adrian Cole'],
      ['ana', 'Ana Silva'],
    ] as const)
      ids[key] = (await api<{ id: string }>('POST', '/identities', { displayName })).id;
    for (const [key, name] of [
      ['admins', 'Tenant admins'],
      ['auditors', 'Auditors'],
    ] as const)
      ids[key] = (await api<{ id: string }>('POST', '/governance-groups', { name })).id;
  }, 120_000);

  afterAll(async () => {
    await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await Promise.all([server.stop(), sim.stop()]);
  });

  it('lists owners whose name starts with the letters first: “an” puts Ana before Joanna', async () => {
    await openWizard();
    await page.getByRole('radio', { name: /^Duo/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('combobox', { name: 'Source Owner' }).fill('an');
    const options = page.getByRole('listbox', { name: 'Source Owner matches' }).getByRole('option');
    await expect.poll(() => options.count()).toBe(4);
    // Each option: the initials, then the name.
    const names: string[] = [];
    for (let i = 0; i < 4; i++)
      names.push((await options.nth(i).locator('span').nth(1).innerText()).trim());
    // By name alone Adrian would come first: a name that starts with the letters goes before.
    expect(names).toEqual(['Ana Silva', 'Adrian Cole', 'Brian Ng', 'Joanna Wu']);
    await shot('owner-ranking');
    await cancel();
  }, 60_000);

  it('has Back and Cancel on every step, keeps what was typed, and leaves no source behind', async () => {
    // Cancel on the first step.
    await openWizard();
    expect(await step()).toBe('Connector');
    await cancel();

    await openWizard();
    await page.getByRole('radio', { name: /^Duo/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await step()).toBe('Details');
    await page.getByLabel('Name', { exact: true }).fill('Abandoned Duo');
    await pickOwner('an', 'Ana Silva');
    // Back keeps the choice, Continue the details.
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await step()).toBe('Connector');
    expect(await page.getByRole('radio', { name: /^Duo/ }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Abandoned Duo');
    await page.getByText('Ana Silva').first().waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await step()).toBe('Configuration');
    await page.getByLabel('Integration Key').fill(IKEY);
    await page.getByLabel('Secret Key').fill(WRONG_SKEY);
    await page.getByLabel('API Host').fill(sim.url);
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await step()).toBe('Details');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.getByLabel('Integration Key').inputValue()).toBe(IKEY);
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await step()).toBe('Review and Test');
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await step()).toBe('Configuration');
    await page.getByRole('button', { name: 'Continue' }).click();
    // Nothing reached the server yet.
    expect(await sourceNames()).toEqual([]);

    // Test Connection creates the draft; Cancel deletes it.
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.locator('[data-verdict="failed"]').waitFor();
    expect(await sourceNames()).toEqual(['Abandoned Duo']);
    await shot('review-before-cancel');
    await cancel();
    await expect.poll(sourceNames).toEqual([]);

    // Leaving the wizard another way, after a failed test, deletes the draft too.
    await walkToReview({ connector: /^Duo/, name: 'Left Duo', secret: WRONG_SKEY });
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.locator('[data-verdict="failed"]').waitFor();
    expect(await sourceNames()).toEqual(['Left Duo']);
    await page.getByRole('link', { name: 'Identities' }).first().click();
    await expect.poll(sourceNames).toEqual([]);

    // So does closing the tab: the deletion goes out as the page closes.
    await walkToReview({ connector: /^Duo/, name: 'Closed Duo', secret: WRONG_SKEY });
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.locator('[data-verdict="failed"]').waitFor();
    expect(await sourceNames()).toEqual(['Closed Duo']);
    await page.close({ runBeforeUnload: true });
    page = await context.newPage();
    await page.goto(server.url);
    await sourcesPage().waitFor();
    await expect.poll(sourceNames).toEqual([]);
  }, 120_000);

  it('shows a field’s problem under it, not as a toast, and clears it once the field changes', async () => {
    await api('POST', '/sources', { type: 'duo', name: 'Taken name', ownerIdentityId: ids['ana'] });
    await openWizard();
    await page.getByRole('radio', { name: /^Duo/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('Give the source a name.').waitFor();
    await page.getByText('Choose the Source Owner.').waitFor();
    await expectNoToast();
    await shot('details-errors');
    await page.setViewportSize(NARROW);
    await shot('details-errors-narrow');
    await page.setViewportSize(WIDE);
    await name.fill('T');
    expect(await page.getByText('Give the source a name.').count()).toBe(0);
    expect(await page.getByText('Choose the Source Owner.').count()).toBe(1);
    await pickOwner('an', 'Ana Silva');
    expect(await page.getByText('Choose the Source Owner.').count()).toBe(0);

    // The server's problems go back to the field's step: a taken name, then a bad API host.
    await name.fill('Taken name');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Integration Key').fill(IKEY);
    await page.getByLabel('Secret Key').fill(SKEY);
    await page.getByLabel('API Host').fill('duo.example.com');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Test Connection' }).click();
    expect(await page.getByRole('heading', { name: 'Taken name source' }).count()).toBe(0);
    await page.locator('.field-error', { hasText: /Taken name|already/ }).waitFor();
    expect(await step()).toBe('Details');
    await expectNoToast();
    await name.fill('Fresh name');
    expect(await page.locator('.field-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Test Connection' }).click();
    const hostError = page.locator('.field-error', { hasText: /Duo API hostname/ });
    await hostError.waitFor();
    expect(await step()).toBe('Configuration');
    await expectNoToast();
    await shot('configuration-error');
    await page.getByLabel('API Host').fill(sim.url);
    expect(await hostError.count()).toBe(0);
    await cancel();
    await expect.poll(sourceNames).toEqual(['Taken name']);
  }, 120_000);

  it('reviews what was measured: a failed verdict says Failed and that the secret key is wrong', async () => {
    await walkToReview({
      connector: /^Duo/,
      name: 'Duo tenant',
      owner: ['an', 'Ana Silva'],
      group: 'Tenant admins',
      secret: WRONG_SKEY,
    });
    const status = page.getByTestId('review-status');
    expect(await status.innerText()).toBe('Not tested');
    const facts = await page.locator('.review dl').first().innerText();
    expect(facts).toMatch(/Source Owner\s+Ana Silva/);
    expect(facts).toMatch(/Governance group\s+Tenant admins/);
    await page.getByRole('button', { name: 'Test Connection' }).click();
    const failed = page.locator('[data-verdict="failed"]');
    await failed.waitFor();
    expect(await status.innerText()).toBe('Failed');
    expect(await page.getByText('Not tested').count()).toBe(0);
    const verdict = await failed.innerText();
    expect(verdict).toMatch(/Failed\s+The secret key is wrong/);
    expect(verdict).toMatch(/the clock is not the cause/);
    expect(await page.content()).not.toContain(WRONG_SKEY);
    // At most one toast, and never over the verdict.
    expect(await page.locator('.toast').count()).toBeLessThanOrEqual(1);
    await shot('review-failed');
    await page.setViewportSize(NARROW);
    await shot('review-failed-narrow');
    await page.setViewportSize(WIDE);
  }, 60_000);

  it('shows owner and group on the review, and changes both later in the source’s settings', async () => {
    // Fix the secret: Back to the configuration, test again.
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByLabel('Secret Key').fill(SKEY);
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.getByTestId('review-status').innerText()).toBe('Not tested');
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.locator('[data-verdict="passed"]').waitFor();
    expect(await page.getByTestId('review-status').innerText()).toBe('Passed');
    await shot('review-passed');
    await page.getByRole('link', { name: 'Open source' }).click();
    await page.getByRole('heading', { name: /Duo tenant/ }).waitFor();
    const [source] = (
      await api<{ sources: { id: string; name: string }[] }>('GET', '/sources')
    ).sources.filter((s) => s.name === 'Duo tenant');
    expect(source).toBeDefined();

    await page.getByRole('link', { name: 'Schedule and settings' }).click();
    await page.getByText('Ana Silva').first().waitFor();
    await page.getByRole('button', { name: 'Change' }).click();
    await pickOwner('jo', 'Joanna Wu');
    await page.getByLabel('Governance group').selectOption({ label: 'Auditors' });
    await shot('settings-owner-group');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect
      .poll(async () => {
        const saved = await api<{ ownerIdentityId: string; governanceGroupId: string | null }>(
          'GET',
          `/sources/${source?.id ?? ''}`,
        );
        return [saved.ownerIdentityId, saved.governanceGroupId];
      })
      .toEqual([ids['joanna'], ids['auditors']]);
    await page.reload();
    await page.getByText('Joanna Wu').first().waitFor();
    expect(await page.getByLabel('Governance group').inputValue()).toBe(ids['auditors']);
  }, 60_000);

  it('says, while a second Test Connection waits, that it waits for Duo’s rate limit and how long', async () => {
    // The first test reads the log endpoint (2 requests a minute): the second waits its turn.
    await walkToReview({ connector: /Activity Insights/, name: 'Duo logs', secret: WRONG_SKEY });
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.locator('[data-verdict="failed"]').waitFor();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByLabel('Secret Key').fill(SKEY);
    await page.getByRole('button', { name: 'Continue' }).click();
    const started = Date.now();
    await page.getByRole('button', { name: 'Test Connection' }).click();
    const wait = page.getByTestId('rate-limit-wait');
    await wait.waitFor({ timeout: 5_000 });
    const said = await wait.innerText();
    expect(said).toMatch(/Waiting for Duo’s rate limit: about (\d+) s/);
    const seconds = Number(/about (\d+) s/.exec(said)?.[1]);
    expect(seconds).toBeGreaterThan(15);
    expect(seconds).toBeLessThanOrEqual(30);
    await shot('rate-limit-wait');
    await page.setViewportSize(NARROW);
    await shot('rate-limit-wait-narrow');
    await page.setViewportSize(WIDE);
    await page.locator('[data-verdict="passed"]').waitFor({ timeout: 45_000 });
    expect(Date.now() - started).toBeGreaterThan((seconds - 3) * 1000);
    expect(await wait.count()).toBe(0);
    expect(await page.getByTestId('review-status').innerText()).toBe('Passed');
  }, 120_000);
});
