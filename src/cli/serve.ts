/**
 * `duo-insights serve` (what `npm start` runs): migrations, the first admin from
 * `DUO_INSIGHTS_ADMIN_PASSWORD`, the scheduler, the HTTP API and web console on `PORT`, and with
 * `--demo` the built-in simulator with both sources. SIGINT/SIGTERM stop runs at a page
 * boundary, then close the server and the database.
 *
 * @example PORT=8080 duo-insights serve --demo
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { openApp, serveApp, type Serving } from '../app.js';
import { loadConfig, type ConfigOverrides } from '../config.js';
import { ensureFirstAdmin } from '../sync/users.js';
import { VERSION } from '../version.js';
import { CommandError, reportError } from './output.js';

/** Where the generated password of the first admin is written (mode 0600). */
export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('--port must be a port number (0-65535)');
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the web console and the API, and run the scheduler (npm start)')
    .option('--port <port>', 'port to listen on (default PORT or 8080; 0 = any free port)', port)
    .option('--host <host>', 'address to listen on (default HOST or 127.0.0.1)')
    .option('--demo', 'also start the built-in Duo simulator and both sources against it')
    .action(async (opts: { port?: number; host?: string; demo?: boolean }) => {
      try {
        await serve({
          ...(opts.port === undefined ? {} : { port: opts.port }),
          ...(opts.host === undefined ? {} : { host: opts.host }),
          ...(opts.demo === true ? { demo: true } : {}),
        });
      } catch (error) {
        reportError(error);
      }
    });
}

/** Why the server could not listen, with the flag or variable to change. */
function listenFailure(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') {
    return new CommandError(
      `port ${port} on ${host} is already in use: stop the program using it, or choose another port with --port or PORT (0 = any free port)`,
    );
  }
  if (code === 'EACCES') {
    return new CommandError(
      `port ${port} needs privileges on this system: choose a port above 1023 with --port or PORT`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new CommandError(
      `${host} is not an address of this machine: fix --host or HOST (127.0.0.1, or 0.0.0.0 for every interface)`,
    );
  }
  return error;
}

async function serve(overrides: ConfigOverrides): Promise<void> {
  const config = loadConfig(process.env, overrides);
  const app = await openApp(config);
  const { log } = app;
  if (config.adminPassword !== undefined) {
    const admin = await ensureFirstAdmin(app.db, config.adminPassword);
    if (admin)
      log.info(
        { username: admin.username },
        'created the first admin from DUO_INSIGHTS_ADMIN_PASSWORD',
      );
  } else {
    // `npm ci && npm start` must be enough: the first admin gets a generated password, written
    // to a file only the owner can read (never to the log or the terminal). Of several servers
    // starting at once on one empty database, the one that creates the admin writes the file.
    const path = join(config.dataDir, INITIAL_PASSWORD_FILE);
    const password = randomBytes(18).toString('base64url');
    const admin = await ensureFirstAdmin(app.db, password, {
      mustChangePassword: true,
      keepPassword: async () => {
        await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
        await writeFile(path, `${password}\n`, { mode: 0o600 });
      },
    });
    if (admin)
      process.stdout.write(
        `first start: created the user "admin"; its password is in ${path}\n` +
          '(sign in with it: you are asked to choose a new password; then delete the file)\n',
      );
  }
  let serving: Serving;
  try {
    serving = await serveApp(app, {
      port: config.port,
      host: config.host,
      webRoot: fileURLToPath(new URL('../web/', import.meta.url)),
      trustProxy: config.trustProxy,
      schedulerTickMs: config.schedulerTickMs,
    });
  } catch (error) {
    await app.close();
    throw listenFailure(error, config.host, config.port);
  }
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(
    `duo-insights ${VERSION} listening on http://${shownHost}:${serving.port}\n`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn('second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: running syncs stop at their next page boundary');
    void (async () => {
      try {
        await serving.close();
      } finally {
        await app.close();
        log.info('stopped');
      }
    })();
  };
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });

  if (config.demo) {
    try {
      const demo = await serving.startDemo();
      process.stdout.write(
        `demo: a simulated Duo tenant at ${demo.apiHost ?? '?'} with sources ${demo.sources.map((s) => `"${s.name}"`).join(' and ')}\n`,
      );
    } catch (error) {
      log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'the demo did not start',
      );
    }
  }
}
