/**
 * Browser-test harness: the real CLI (`node dist/cli/main.js`) run as child processes — the Duo
 * simulator and the server with a temporary data directory — and Debian's Chromium driven by
 * playwright-core. Needs `npm run build` first (as `npm test` does).
 *
 * @example const sim = await startSim({ ikey, skey }); const server = await startServer();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli/main.js');
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots');

export interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `node dist/cli/main.js …args` and resolves once `ready` matches its stdout. */
async function startCli(
  args: readonly string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: Child; match: RegExpExecArray }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  // The console is tested on SQLite in a temporary directory, whatever the shell points at,
  // unless the test names a database itself.
  delete childEnv['DATABASE_URL'];
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, [CLI, ...args], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`"${args.join(' ')}" did not start in 30 s:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = ready.exec(stdout);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`"${args.join(' ')}" exited with ${String(code)}:\n${stdout}\n${stderr}`));
    });
  });
  return {
    match,
    child: {
      process: child,
      output: () => `${stdout}\n${stderr}`,
      stop: async () => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      },
    },
  };
}

export interface Sim extends Child {
  /** What to enter as API Host: `http://127.0.0.1:<port>` (plain HTTP is allowed on loopback). */
  readonly url: string;
}

export async function startSim(options: {
  ikey: string;
  skey: string;
  users?: number;
  days?: number;
  authPerDay?: number;
}): Promise<Sim> {
  const { child, match } = await startCli(
    [
      'sim',
      '--port',
      '0',
      '--ikey',
      options.ikey,
      '--skey',
      options.skey,
      '--rate-limit',
      'off',
      '--users',
      String(options.users ?? 40),
      '--days',
      String(options.days ?? 14),
      '--auth-per-day',
      String(options.authPerDay ?? 800),
      '--seed',
      'web-console',
    ],
    {},
    /^(\{.*\})\s*$/m,
  );
  const info = JSON.parse(match[1] ?? '{}') as { url: string };
  return { ...child, url: info.url };
}

export interface Server extends Child {
  readonly url: string;
  readonly dataDir: string;
}

/** `adminPassword` undefined: a first start with no admin configured; `env` adds variables. */
export async function startServer(
  adminPassword: string | undefined,
  env: Record<string, string> = {},
): Promise<Server> {
  const dataDir = await mkdtemp(join(tmpdir(), 'duo-insights-web-'));
  const { child, match } = await startCli(
    ['serve'],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DUO_INSIGHTS_DATA_DIR: dataDir,
      ...(adminPassword === undefined ? {} : { DUO_INSIGHTS_ADMIN_PASSWORD: adminPassword }),
      DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS: 'true',
      DUO_INSIGHTS_DUO_RATE_LIMIT: 'off',
      LOG_LEVEL: 'warn',
      ...env,
    },
    /listening on (http:\/\/\S+)/,
  );
  return {
    ...child,
    url: match[1] ?? '',
    dataDir,
    stop: async () => {
      await child.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Chromium, headless. Without it the browser tests fail with one line saying how to
 * install it, not Playwright's page about downloading browsers.
 */
export async function launchBrowser(executablePath: string = CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath))
    throw new Error(
      `the browser tests need Chromium at ${executablePath}; install it with: apt-get install chromium`,
    );
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export function screenshotPath(name: string): string {
  return join(SCREENSHOTS, `${name}.png`);
}

/**
 * A new browser context and its page as the console's tests use them: British English, UTC
 * (dates on screen are stable), a 20 s default timeout; `options` add to or override those.
 */
export async function openPage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return { context, page };
}

/** The fields of one CSV line (quoted fields may hold commas and doubled quotes). */
export function csvFields(line: string): string[] {
  return [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) =>
    m[1] === undefined ? (m[2] ?? '') : m[1].replace(/""/g, '"'),
  );
}
