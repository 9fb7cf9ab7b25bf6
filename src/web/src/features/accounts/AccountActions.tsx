/**
 * Disable / Enable / Unlock buttons for one Duo user: only the actions that apply to its status
 * (the server says which), each confirmed first, then a toast with Duo's answer and the status
 * refreshed. Disabled, with the reason, when the source's credential lacks "Grant write resource".
 *
 * @example <AccountActions account={detail} onChanged={account.refresh} />
 */
import { useId, useState } from 'react';
import { useToast } from '../../ui/toasts';
import { canManage, useSession } from '../auth/session';
import { accountAction, type AccountAction, type AccountDetail } from './api';
import './account-actions.css';

const LABELS: Readonly<Record<AccountAction, string>> = {
  disable: 'Disable',
  enable: 'Enable',
  unlock: 'Unlock',
};

const DONE: Readonly<Record<AccountAction, string>> = {
  disable: 'disabled',
  enable: 'enabled',
  unlock: 'unlocked',
};

/** What the confirmation says each action does in Duo. */
function confirmation(action: AccountAction, username: string): string {
  switch (action) {
    case 'disable':
      return `Disable ${username} in Duo? They can no longer authenticate with Duo until enabled again.`;
    case 'enable':
      return `Enable ${username} in Duo? Their status becomes active and they can authenticate again.`;
    case 'unlock':
      return `Unlock ${username} in Duo? Their status becomes active and they can authenticate again.`;
  }
}

export function AccountActions({
  account,
  onChanged,
}: {
  account: AccountDetail;
  onChanged: () => void;
}) {
  const { api, user } = useSession();
  const toast = useToast();
  const [busy, setBusy] = useState<AccountAction | null>(null);
  const reasonId = useId();
  if (!canManage(user) || account.actions.length === 0) return null;
  const readOnly = account.writeGranted === false;

  async function run(action: AccountAction) {
    if (!window.confirm(confirmation(action, account.username))) return;
    setBusy(action);
    try {
      const changed = await accountAction(api, account.id, action);
      toast.success(`${changed.username} is ${DONE[action]} in Duo (status ${changed.status}).`);
      onChanged();
    } catch (error) {
      toast.failure(error, `${account.username} was not ${DONE[action]}`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="account-actions" role="group" aria-label={`Actions on ${account.username}`}>
      {account.actions.map((action) => (
        <button
          key={action}
          type="button"
          className={`button button-small${action === 'disable' ? ' button-danger' : ''}`}
          disabled={readOnly || busy !== null}
          onClick={() => void run(action)}
          {...(readOnly ? { 'aria-describedby': reasonId } : {})}
        >
          {busy === action ? `${LABELS[action]}…` : LABELS[action]}
        </button>
      ))}
      {readOnly && (
        <p className="account-actions-reason muted small" id={reasonId}>
          The source’s Admin API application lacks “Grant write resource”: grant it in Duo, then run
          Test Connection again.
        </p>
      )}
    </div>
  );
}
