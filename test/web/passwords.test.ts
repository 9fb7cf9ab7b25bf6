/**
 * Passwords in the console, in a real browser against a real server started as on a first
 * `npm start` (no admin configured: a generated password in `initial-admin-password`): the first
 * admin must choose a new password right after signing in, a user changes their own (their other
 * session is signed out), an admin sets another user's (that user is signed out and must change
 * it at the next sign-in), and an admin links a user to an identity. Screenshots at 1440×900 and
 * 390×844 land in test-results/screenshots/passwords-*.png.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotPath, startServer, type Server } from '../support/web.js';

const ADMIN_PASSWORD = 'the admin chose this one';
const ADMIN_PASSWORD_2 = 'and then changed it again';
const VAL_PASSWORD = 'a viewer password to start';
const VAL_RESET = 'set by the admin for val';
const VAL_OWN = 'val picked this one herself';
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 390, height: 844 };

let server: Server;
let browser: Browser;
const contexts: BrowserContext[] = [];
let generated = '';

async function newPage(): Promise<Page> {
  const context = await browser.newContext({
    viewport: WIDE,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  for (const [size, viewport] of [
    ['wide', WIDE],
    ['narrow', NARROW],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(250);
    await page.screenshot({ path: screenshotPath(`passwords-${name}-${size}`), fullPage: true });
  }
  await page.setViewportSize(WIDE);
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A request the console could send, from inside the page (the session's cookie and CSRF token). */
async function apiCall(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
      const res = await fetch(`/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await res.json() };
    },
    { method, path, body },
  );
}

async function openUsers(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Settings' }).first().click();
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await page.getByRole('table', { name: 'Users' }).waitFor();
}

describe('passwords in the console', () => {
  let admin: Page;
  let elsewhere: Page;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(undefined), launchBrowser()]);
    generated = (await readFile(join(server.dataDir, 'initial-admin-password'), 'utf8')).trim();
    admin = await newPage();
    elsewhere = await newPage();
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    // No password typed anywhere in this test reached the server's output.
    const output = server.output();
    for (const secret of [generated, ADMIN_PASSWORD, ADMIN_PASSWORD_2, VAL_RESET, VAL_OWN])
      expect(output).not.toContain(secret);
    await server.stop();
  });

  it('makes the first admin change the generated password right after signing in', async () => {
    expect(generated.length).toBeGreaterThanOrEqual(20);
    await signIn(admin, 'admin', generated);
    await admin.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    // Until then the API answers nothing else.
    const blocked = await apiCall(admin, 'GET', '/sources');
    expect(blocked.status).toBe(403);
    expect(blocked.body).toMatchObject({ error: { code: 'password_change_required' } });
    await shot(admin, 'first-sign-in');

    await admin.getByLabel('Current password').fill(generated);
    await admin.getByLabel('New password', { exact: true }).fill('admin');
    await admin.getByLabel('New password again').fill('admin');
    await admin.getByRole('button', { name: 'Save and continue' }).click();
    await admin
      .getByText('The new password must be at least 12 characters and must not be the user name.')
      .waitFor();
    await admin.getByLabel('New password', { exact: true }).fill(generated);
    await admin.getByLabel('New password again').fill(generated);
    await admin.getByRole('button', { name: 'Save and continue' }).click();
    await admin.getByText('The new password must not be the password it replaces.').waitFor();
    await admin.getByLabel('Current password').fill('not the generated one');
    await admin.getByLabel('New password', { exact: true }).fill(ADMIN_PASSWORD);
    await admin.getByLabel('New password again').fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: 'Save and continue' }).click();
    await admin.getByText('The current password is wrong.').waitFor();
    await shot(admin, 'first-sign-in-errors');

    await admin.getByLabel('Current password').fill(generated);
    await admin.getByRole('button', { name: 'Save and continue' }).click();
    await admin.getByRole('heading', { name: 'Welcome to duo-insights' }).waitFor();
    expect((await apiCall(admin, 'GET', '/sources')).status).toBe(200);
  }, 90_000);

  it('changes your own password and signs out your other session', async () => {
    await signIn(elsewhere, 'admin', ADMIN_PASSWORD);
    await elsewhere.getByRole('heading', { name: 'Welcome to duo-insights' }).waitFor();

    await admin.getByRole('link', { name: 'Settings' }).first().click();
    await admin.getByRole('link', { name: 'Your password' }).click();
    await admin.getByRole('heading', { name: 'Change your password' }).waitFor();
    await admin.getByLabel('Current password').fill(ADMIN_PASSWORD);
    await admin.getByLabel('New password', { exact: true }).fill(ADMIN_PASSWORD_2);
    await admin.getByLabel('New password again').fill(`${ADMIN_PASSWORD_2}!`);
    await admin.getByRole('button', { name: 'Change password' }).click();
    await admin.getByText('This does not match the new password.').waitFor();
    await admin.getByLabel('New password again').fill(ADMIN_PASSWORD_2);
    await admin.getByRole('button', { name: 'Change password' }).click();
    await admin.getByText('Password changed. Your other session was signed out.').waitFor();
    await shot(admin, 'own-password');

    // This session goes on; the other one is back at sign-in.
    await admin.reload();
    await admin.getByRole('heading', { name: 'Change your password' }).waitFor();
    await elsewhere.reload();
    await elsewhere.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(elsewhere, 'admin', ADMIN_PASSWORD);
    await elsewhere.getByRole('alert').getByText('do not match').waitFor();
  }, 90_000);

  it('lets an admin set a new password for another user, who must change it at the next sign-in', async () => {
    await openUsers(admin);
    await admin.getByLabel('User name').fill('val');
    await admin.getByLabel('Password', { exact: true }).fill(VAL_PASSWORD);
    await admin.getByRole('button', { name: 'Add user' }).click();
    const users = admin.getByRole('table', { name: 'Users' });
    await users.getByRole('cell', { name: 'val', exact: true }).waitFor();

    await signIn(elsewhere, 'val', VAL_PASSWORD);
    await elsewhere.getByRole('link', { name: 'Sources' }).first().waitFor();

    await admin.getByRole('button', { name: 'Manage val' }).click();
    const field = admin.getByLabel('New password for val');
    await field.fill('val');
    await admin.getByRole('button', { name: 'Set password' }).click();
    await admin.getByText(/The password must be at least 12 characters/).waitFor();
    await field.fill(VAL_RESET);
    await admin.getByRole('button', { name: 'Set password' }).click();
    await admin.getByText(/New password set for val/).waitFor();
    await users.locator('tbody tr', { hasText: 'val' }).getByText('Must change password').waitFor();
    await shot(admin, 'reset');

    // Val's session ended; the password the admin set opens only the change screen.
    await elsewhere.reload();
    await elsewhere.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(elsewhere, 'val', VAL_RESET);
    await elsewhere.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await elsewhere.getByLabel('Current password').fill(VAL_RESET);
    await elsewhere.getByLabel('New password', { exact: true }).fill(VAL_OWN);
    await elsewhere.getByLabel('New password again').fill(VAL_OWN);
    await elsewhere.getByRole('button', { name: 'Save and continue' }).click();
    await elsewhere.getByRole('link', { name: 'Sources' }).first().waitFor();

    await admin.reload();
    await admin.getByRole('table', { name: 'Users' }).waitFor();
    await expect
      .poll(() => users.locator('tbody tr', { hasText: 'val' }).innerText())
      .not.toContain('Must change password');
  }, 90_000);

  it('links a user to an identity, which the Users list then shows', async () => {
    const identity = await apiCall(admin, 'POST', '/identities', {
      displayName: 'Sam Manager',
      email: 'sam.manager@example.com',
    });
    expect(identity.status).toBe(201);
    const identityId = (identity.body as { id: string }).id;
    await openUsers(admin);
    await admin.getByLabel('User name').fill('sam');
    await admin.getByLabel('Password', { exact: true }).fill('sam manages sources');
    await admin.getByLabel('Role', { exact: true }).selectOption('source_manager');
    await admin.getByRole('button', { name: 'Add user' }).click();
    const users = admin.getByRole('table', { name: 'Users' });
    const row = users.locator('tbody tr', { hasText: 'sam' });
    await row.getByText('Not linked').waitFor();

    await admin.getByRole('button', { name: 'Manage sam' }).click();
    await admin
      .getByRole('region', { name: 'Identity of sam' })
      .getByText('Not linked to an identity.', { exact: false })
      .waitFor();
    const picker = admin.getByRole('combobox', { name: 'Identity of sam' });
    await picker.fill('Sa');
    await admin.getByRole('option', { name: /Sam Manager/ }).waitFor();
    await picker.press('Enter');
    await admin.getByRole('button', { name: 'Save link' }).click();
    await admin.getByText('sam is linked to Sam Manager.').waitFor();
    await row.getByText('Sam Manager').waitFor();
    await admin
      .getByRole('region', { name: 'Identity of sam' })
      .getByText('Linked to Sam Manager.', { exact: false })
      .waitFor();
    await shot(admin, 'link-identity');

    const listed = await apiCall(admin, 'GET', '/users');
    const sam = (listed.body as { users: { username: string; identityId: string | null }[] }).users
      .filter((u) => u.username === 'sam')
      .map((u) => u.identityId);
    expect(sam).toEqual([identityId]);
    expect(JSON.stringify(listed.body)).not.toMatch(/scrypt\$|"password"/);
  }, 90_000);
});
