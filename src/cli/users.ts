/**
 * `duo-insights user create|list|reset-password` and `token create|list`: the first admin, more
 * users, a new password for a user who forgot theirs (the way back in when the only admin did),
 * and API tokens for automation (optionally expiring) — through the same functions the HTTP API
 * calls.
 *
 * @example duo-insights user create --username admin --admin --password-file -
 * @example duo-insights user reset-password --username admin
 * @example duo-insights token create --name "SIEM export" --expires-in-days 90
 */
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { NotFoundError } from '../domain/errors.js';
import { DAY_MS, nowMs } from '../domain/time.js';
import { ROLES, type Role } from '../domain/users.js';
import { listApiTokens } from '../store/api-tokens.js';
import { cliActor, recordAction } from '../core/actor.js';
import { findUserCredentials, listUsers } from '../store/users.js';
import {
  createUserFromInput,
  issueApiToken,
  MAX_TOKEN_DAYS,
  resetPassword,
} from '../sync/users.js';
import { positiveInt, withApp } from './common.js';
import { emit, fields, formatTime, readFlagFile, table, type OutputOptions } from './output.js';

async function readPassword(path: string): Promise<string> {
  return (await readFlagFile('--password-file', path, 'the password')).replace(/\r?\n$/, '');
}

export function userCommand(): Command {
  const cmd = new Command('user').description('people who sign in to duo-insights');
  cmd
    .command('create')
    .description(
      'create a user (the first admin: --admin); without a password, one is generated and printed once',
    )
    .requiredOption('--username <name>')
    .option('--admin', 'give the user the admin role')
    .addOption(new Option('--role <role>', 'admin, source_manager or viewer').choices(ROLES))
    .option('--password-file <path>', 'read the password from this file, or - for standard input')
    .option('--identity <id>', 'the identity this user is (source managers)')
    .option('--json', 'print JSON even on a terminal')
    .action(
      async (
        opts: {
          username: string;
          admin?: boolean;
          role?: Role;
          passwordFile?: string;
          identity?: string;
        } & OutputOptions,
      ) => {
        await withApp(async (app) => {
          const generated = opts.passwordFile === undefined;
          const password = generated
            ? randomBytes(18).toString('base64url')
            : await readPassword(opts.passwordFile ?? '-');
          const role: Role = opts.admin === true ? 'admin' : (opts.role ?? 'viewer');
          const user = await createUserFromInput(app.db, {
            username: opts.username,
            password,
            role,
            ...(opts.identity === undefined ? {} : { identityId: opts.identity }),
          });
          await recordAction(app.db, cliActor(), 'user.create', {
            type: 'user',
            id: user.id,
            name: user.username,
            details: { role: user.role },
          });
          emit(
            { user, ...(generated ? { password } : {}) },
            (v) =>
              `${fields({ id: v.user.id, username: v.user.username, role: v.user.role })}${
                generated
                  ? `\n\npassword: ${password}\n(shown once: sign in and change it, or keep it safe)`
                  : ''
              }`,
            opts,
          );
        });
      },
    );
  cmd
    .command('reset-password')
    .description(
      "set a new password for a user (without --password-file, one is generated and printed once); ends the user's sessions, and the user must change it at their next sign-in",
    )
    .requiredOption('--username <name>')
    .option('--password-file <path>', 'read the password from this file, or - for standard input')
    .option('--json', 'print JSON even on a terminal')
    .action(async (opts: { username: string; passwordFile?: string } & OutputOptions) => {
      await withApp(async (app) => {
        const found = await findUserCredentials(app.db, opts.username);
        if (!found) throw new NotFoundError('user', opts.username);
        const generated = opts.passwordFile === undefined;
        const password = generated
          ? randomBytes(18).toString('base64url')
          : await readPassword(opts.passwordFile ?? '-');
        const user = await resetPassword(app.db, found.user.id, { newPassword: password });
        await recordAction(app.db, cliActor(), 'user.password_reset', {
          type: 'user',
          id: user.id,
          name: user.username,
        });
        emit(
          { user, ...(generated ? { password } : {}) },
          (v) =>
            `${fields({ id: v.user.id, username: v.user.username, role: v.user.role })}${
              generated ? `\n\npassword: ${password}` : ''
            }\n(${generated ? 'shown once; ' : ''}${v.user.username} must change it at the next sign-in; their sessions were ended)`,
          opts,
        );
      });
    });
  cmd
    .command('list')
    .description('list users')
    .option('--json', 'print JSON even on a terminal')
    .action(async (opts: OutputOptions) => {
      await withApp(async (app) => {
        const users = await listUsers(app.db);
        emit(
          users,
          (l) =>
            table(
              l.map((u) => ({ ...u, created: formatTime(u.createdAt) })),
              ['username', 'role', 'disabled', 'identityId', 'created', 'id'],
            ),
          opts,
        );
      });
    });
  return cmd;
}

export function tokenCommand(): Command {
  const cmd = new Command('token').description(
    'API tokens for automation (Authorization: Bearer …)',
  );
  cmd
    .command('create')
    .description('create an API token acting as a user; the token is printed once')
    .requiredOption('--name <name>', 'what the token is for, e.g. "SIEM export"')
    .option('--user <username>', 'the user the token acts as', 'admin')
    .option(
      '--expires-in-days <n>',
      `days until the token stops working (1–${MAX_TOKEN_DAYS}; default: never)`,
      positiveInt('--expires-in-days', 1, MAX_TOKEN_DAYS),
    )
    .option('--json', 'print JSON even on a terminal')
    .action(
      async (opts: { name: string; user: string; expiresInDays?: number } & OutputOptions) => {
        await withApp(async (app) => {
          const found = await findUserCredentials(app.db, opts.user);
          if (!found) throw new NotFoundError('user', opts.user);
          const now = nowMs(app.sync.clock);
          const expiresAt =
            opts.expiresInDays === undefined ? null : now + opts.expiresInDays * DAY_MS;
          const { token, apiToken } = await issueApiToken(
            app.db,
            { name: opts.name, expiresAt },
            found.user.id,
            now,
          );
          await recordAction(app.db, cliActor(), 'token.create', {
            type: 'token',
            id: apiToken.id,
            name: apiToken.name,
            details: { user: found.user.username, expiresAt: apiToken.expiresAt },
          });
          emit(
            { token, apiToken },
            (v) =>
              `${v.token}\n(shown once: send it as "Authorization: Bearer <token>"; ${
                v.apiToken.expiresAt === null
                  ? 'it never expires'
                  : `it expires at ${formatTime(v.apiToken.expiresAt)}`
              })`,
            opts,
          );
        });
      },
    );
  cmd
    .command('list')
    .description('list API tokens: whose, when created, last used and when they expire')
    .option('--json', 'print JSON even on a terminal')
    .action(async (opts: OutputOptions) => {
      await withApp(async (app) => {
        const tokens = await listApiTokens(app.db);
        const names = new Map((await listUsers(app.db)).map((u) => [u.id, u.username]));
        const now = nowMs(app.sync.clock);
        emit(
          tokens,
          (l) =>
            table(
              l.map((t) => ({
                ...t,
                user: names.get(t.userId) ?? t.userId,
                created: formatTime(t.createdAt),
                lastUsed: t.lastUsedAt === null ? 'never' : formatTime(t.lastUsedAt),
                expires:
                  t.expiresAt === null
                    ? 'never'
                    : `${formatTime(t.expiresAt)}${t.expiresAt <= now ? ' (expired)' : ''}`,
              })),
              ['name', 'prefix', 'user', 'created', 'lastUsed', 'expires', 'id'],
            ),
          opts,
        );
      });
    });
  return cmd;
}
