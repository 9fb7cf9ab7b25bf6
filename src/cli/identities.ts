/**
 * `duo-insights identities create|list`: the people who own sources and hold accounts.
 *
 * @example duo-insights identities create --name "Alice Doe" --email alice@example.com
 */
import { Command } from 'commander';
import { createIdentity, searchIdentities } from '../store/identities.js';
import { jsonOption, positiveInt, withApp } from './common.js';
import { emit, fields, formatTime, table, type OutputOptions } from './output.js';

export function identitiesCommand(): Command {
  const cmd = new Command('identities').description(
    'people: owners of sources, holders of accounts',
  );
  cmd
    .command('create')
    .description('create an identity')
    .requiredOption('--name <display name>', 'the person’s name')
    .option('--email <email>')
    .option('--username <username>')
    .addOption(jsonOption())
    .action(async (opts: { name: string; email?: string; username?: string } & OutputOptions) => {
      await withApp(async (app) => {
        const identity = await createIdentity(app.db, {
          displayName: opts.name,
          email: opts.email ?? null,
          username: opts.username ?? null,
        });
        emit(
          identity,
          (i) =>
            fields({
              ...i,
              createdAt: formatTime(i.createdAt),
              updatedAt: formatTime(i.updatedAt),
            }),
          opts,
        );
      });
    });
  cmd
    .command('list')
    .description('list or search identities')
    .option('--q <text>', 'search by name, email or username (two letters or more)')
    .option('--limit <n>', 'at most this many', positiveInt('--limit', 1, 10_000), 100)
    .addOption(jsonOption())
    .action(async (opts: { q?: string; limit: number } & OutputOptions) => {
      await withApp(async (app) => {
        const list = await searchIdentities(app.db, {
          ...(opts.q === undefined ? {} : { q: opts.q }),
          limit: opts.limit,
        });
        emit(list, (l) => table(l, ['id', 'displayName', 'email', 'username']), opts);
      });
    });
  return cmd;
}
