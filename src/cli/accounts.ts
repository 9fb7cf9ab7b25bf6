/**
 * `duo-insights accounts disable|enable|unlock <account-id>`: changes a Duo user in Duo through
 * the account's source (the same use case as `POST /api/v1/accounts/:id/actions`), then says what
 * changed.
 *
 * @example duo-insights accounts disable 42
 */
import { Command } from 'commander';
import { accountAction, type AccountAction } from '../core/account-actions.js';
import { cliActor } from '../core/actor.js';
import { getAccount } from '../store/accounts.js';
import { getSource } from '../store/sources.js';
import { jsonOption, positiveInt, withApp } from './common.js';
import { emit, type OutputOptions } from './output.js';

const DONE: Readonly<Record<AccountAction, string>> = {
  disable: 'Disabled',
  enable: 'Enabled',
  unlock: 'Unlocked',
};

const WHAT: Readonly<Record<AccountAction, string>> = {
  disable: 'disable a Duo user in Duo (status disabled)',
  enable: 'enable a disabled Duo user (or one in bypass) in Duo (status active)',
  unlock: 'unlock a locked-out Duo user in Duo (status active)',
};

export function accountsCommand(): Command {
  const cmd = new Command('accounts').description(
    'change Duo users in Duo (needs "Grant write resource" on the source’s Admin API application)',
  );
  for (const action of ['disable', 'enable', 'unlock'] as const) {
    cmd
      .command(action)
      .description(WHAT[action])
      .argument(
        '<account-id>',
        'the account’s id (as the API and the console show it)',
        positiveInt('<account-id>', 1, Number.MAX_SAFE_INTEGER),
      )
      .addOption(jsonOption())
      .action(async (accountId: number, opts: OutputOptions) => {
        await withApp(async (app) => {
          const before = await getAccount(app.db, accountId);
          const changed = await accountAction(app, cliActor(), { accountId, action });
          const source = await getSource(app.db, changed.sourceId);
          emit(
            changed,
            (a) =>
              `${DONE[action]} ${a.username} (account ${String(a.id)}) in Duo through source "${source.name}": status ${before.status} → ${a.status}.`,
            opts,
          );
        });
      });
  }
  return cmd;
}
