/**
 * Account actions: disable, enable or unlock a Duo user from duo-insights. Those who manage the
 * account's source may; only user accounts of a Duo source, and only when the action applies to
 * the account's status. The change is made in Duo with the source's credential (it needs "Grant
 * write resource"), the stored account takes Duo's answer at once, and the audit trail records
 * `account.disable|enable|unlock` with the status before and after.
 *
 * @example const account = await accountAction(deps, actor, { accountId: 7, action: 'disable' });
 */
import { ACCOUNT_ACTIONS, type Account, type AccountAction } from '../domain/accounts.js';
import { ForbiddenError } from '../domain/errors.js';
import type { Source } from '../domain/sources.js';
import { DuoError, type DuoClient, type SettableUserStatus } from '../duo/index.js';
import type { DuoUser } from '../duo/wire.js';
import { getAccount, updateAccountStatus } from '../store/accounts.js';
import type { Db } from '../store/dialect.js';
import { getSource, getSourceCredentials, recordWriteGranted } from '../store/sources.js';
import type { SyncContext } from '../sync/context.js';
import { InputError } from '../sync/sources.js';
import { recordAction, type Actor } from './actor.js';
import { assertMayManageSource } from './sources.js';

export { ACCOUNT_ACTIONS, type AccountAction };

/** What the account actions need from the composition root. */
export interface AccountActionDeps {
  readonly db: Db;
  readonly sync: SyncContext;
}

export interface AccountActionInput {
  readonly accountId: number;
  readonly action: AccountAction;
}

/** The status each action gives the user in Duo. */
const TARGET_STATUS: Readonly<Record<AccountAction, SettableUserStatus>> = {
  disable: 'disabled',
  enable: 'active',
  unlock: 'active',
};

/** The stored statuses each action applies to (Duo's own words). */
const APPLIES_TO: Readonly<Record<AccountAction, readonly string[]>> = {
  disable: ['active', 'bypass', 'locked out'],
  enable: ['disabled', 'bypass'],
  unlock: ['locked out'],
};

/**
 * Which actions apply to an account as stored: none for an administrator or a deleted account;
 * for a Duo user, by its status (disable unless disabled; enable when disabled or in bypass;
 * unlock when locked out).
 *
 * @example applicableAccountActions({ kind: 'user', status: 'locked out', deletedAt: null }) // ['disable', 'unlock']
 */
export function applicableAccountActions(
  account: Pick<Account, 'kind' | 'status' | 'deletedAt'>,
): AccountAction[] {
  if (account.kind !== 'user' || account.deletedAt !== null) return [];
  return ACCOUNT_ACTIONS.filter((action) => APPLIES_TO[action].includes(account.status));
}

function refuse(field: string, message: string): InputError {
  return new InputError(message, [{ field, message }]);
}

const WRITE_FIX = (source: Source) =>
  `In the Duo Admin Panel, open the Admin API application of source "${source.name}", tick "Grant write resource", save, then run Test Connection again.`;

/** Checks that the action may be asked for this account and source; throws the reason. */
function assertApplies(account: Account, source: Source, action: AccountAction): void {
  if (source.type !== 'duo') {
    throw refuse(
      'accountId',
      `account ${String(account.id)} belongs to "${source.name}", an Activity Insights source: accounts are changed through a Duo source`,
    );
  }
  if (account.kind !== 'user') {
    throw refuse(
      'accountId',
      `account "${account.username}" is a Duo administrator: disable, enable and unlock apply to Duo users only (change administrators in the Duo Admin Panel)`,
    );
  }
  if (account.deletedAt !== null) {
    throw refuse(
      'accountId',
      `account "${account.username}" was deleted in Duo: there is nothing to ${action}`,
    );
  }
  if (!APPLIES_TO[action].includes(account.status)) {
    const why =
      action === 'unlock'
        ? 'only a locked-out account can be unlocked'
        : action === 'enable'
          ? 'only a disabled account (or one in bypass) can be enabled'
          : account.status === 'disabled'
            ? 'it is disabled already'
            : `an account that is ${account.status} cannot be disabled from here`;
    throw refuse(
      'action',
      `cannot ${action} "${account.username}": its status in Duo is ${account.status}, and ${why}`,
    );
  }
  if (source.writeGranted === false) {
    throw new ForbiddenError(
      `source "${source.name}" cannot change users in Duo: its last Test Connection found that the Admin API application lacks "Grant write resource". ${WRITE_FIX(source)}`,
    );
  }
}

/**
 * Sets the user's status in Duo. A change whose answer was lost is verified by reading the user
 * back: done when Duo shows the status asked for, else the `uncertain_outcome` error stands.
 */
async function changeInDuo(
  duo: DuoClient,
  duoUserId: string,
  status: SettableUserStatus,
): Promise<DuoUser> {
  try {
    return await duo.setUserStatus(duoUserId, status);
  } catch (error) {
    if (!(error instanceof DuoError) || error.kind !== 'uncertain_outcome') throw error;
    const user = await duo.user(duoUserId).catch(() => undefined);
    if (user?.status === status) return user;
    throw error;
  }
}

/**
 * Disables, enables or unlocks a Duo user (an account of a Duo source) in Duo, then stores the
 * status Duo answered and records the action in the audit trail. Throws ForbiddenError when the
 * actor may not manage the source or the credential lacks "Grant write resource" (said by the
 * last Test Connection, or by Duo now), InputError naming `accountId` or `action` when the
 * action does not apply, NotFoundError for an unknown account, a DuoError when Duo fails.
 */
export async function accountAction(
  deps: AccountActionDeps,
  actor: Actor,
  input: AccountActionInput,
): Promise<Account> {
  const account = await getAccount(deps.db, input.accountId);
  const source = await getSource(deps.db, account.sourceId);
  await assertMayManageSource(deps.db, actor, source);
  assertApplies(account, source, input.action);
  const credentials = await getSourceCredentials(deps.db, source.id, deps.sync.secretKey);
  const duo = deps.sync.duo.clientFor(credentials, source.settings);
  let user: DuoUser;
  try {
    user = await changeInDuo(duo, account.duoUserId, TARGET_STATUS[input.action]);
  } catch (error) {
    if (error instanceof DuoError && error.kind === 'permission_missing') {
      await recordWriteGranted(deps.db, source.id, false);
      throw new ForbiddenError(
        `Duo refused to ${input.action} "${account.username}": the Admin API application of source "${source.name}" lacks "Grant write resource". ${WRITE_FIX(source)}`,
      );
    }
    throw error;
  } finally {
    await duo.close();
  }
  const updated = await updateAccountStatus(deps.db, account.id, {
    status: user.status,
    lockoutReason: user.lockout_reason ?? null,
  });
  await recordAction(deps.db, actor, `account.${input.action}`, {
    type: 'account',
    id: String(account.id),
    name: account.username,
    details: {
      sourceId: source.id,
      sourceName: source.name,
      duoUserId: account.duoUserId,
      before: account.status,
      after: updated.status,
      duo: { status: user.status, lockoutReason: user.lockout_reason ?? null },
    },
  });
  return updated;
}
