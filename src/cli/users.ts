/**
 * `duo-insights user create|list` and `token create`: the first admin, more users, and API
 * tokens for automation — through the same functions the HTTP API calls.
 *
 * @example duo-insights user create --username admin --admin --password-file -
 */
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { NotFoundError } from '../domain/errors.js';
import { ROLES, type Role } from '../domain/users.js';
import { recordAudit } from '../store/audit.js';
import { findUserCredentials, listUsers } from '../store/users.js';
import { createUserFromInput, issueApiToken } from '../sync/users.js';
import { withApp } from './commands.js';
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
          await recordAudit(app.db, {
            actor: 'cli',
            action: 'user.create',
            targetType: 'user',
            targetId: user.id,
            targetName: user.username,
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
    .option('--json', 'print JSON even on a terminal')
    .action(async (opts: { name: string; user: string } & OutputOptions) => {
      await withApp(async (app) => {
        const found = await findUserCredentials(app.db, opts.user);
        if (!found) throw new NotFoundError('user', opts.user);
        const { token, apiToken } = await issueApiToken(app.db, { name: opts.name }, found.user.id);
        await recordAudit(app.db, {
          actor: 'cli',
          action: 'token.create',
          targetType: 'token',
          targetId: apiToken.id,
          targetName: apiToken.name,
          details: { user: found.user.username },
        });
        emit(
          { token, apiToken },
          (v) => `${v.token}\n(shown once: send it as "Authorization: Bearer <token>")`,
          opts,
        );
      });
    });
  return cmd;
}
