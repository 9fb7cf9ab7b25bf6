/**
 * Changes the signed-in user's own password: the current one, the new one twice. The server's
 * refusals (a wrong current password, a rule of the policy broken) appear under their fields;
 * the other sessions of the user end, this one stays.
 *
 * @example <ChangePasswordForm api={api} onChanged={(user) => …} />
 */
import { useState, type SyntheticEvent } from 'react';
import { ApiError, describeError, isRecord, type Api } from '../../api/client';
import { TextField } from '../../ui/components';
import { changePassword, PASSWORD_HINT, type User } from './api';
import './change-password.css';

export function ChangePasswordForm({
  api,
  onChanged,
  submitLabel = 'Change password',
}: {
  api: Api;
  onChanged: (user: User, sessionsEnded: number) => void;
  submitLabel?: string;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);

  async function submit(event: SyntheticEvent) {
    event.preventDefault();
    setFailure(null);
    if (next !== again) {
      setProblems({ again: 'does not match the new password' });
      return;
    }
    setBusy(true);
    try {
      const changed = await changePassword(api, current, next);
      setCurrent('');
      setNext('');
      setAgain('');
      setProblems({});
      onChanged(changed.user, changed.sessionsEnded);
    } catch (error) {
      const fields = error instanceof ApiError ? problemsByField(error) : {};
      setProblems(fields);
      if (Object.keys(fields).length === 0) setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  const sentence = (field: string, name: string) => {
    const problem = problems[field];
    return problem === undefined ? undefined : `${name} ${problem}.`;
  };

  return (
    <form
      className="form change-password"
      onSubmit={(event) => void submit(event)}
      aria-label="Change password"
      noValidate
    >
      {failure && (
        <p className="form-error" role="alert">
          {failure}
        </p>
      )}
      <TextField
        label="Current password"
        type="password"
        value={current}
        onChange={setCurrent}
        error={sentence('currentPassword', 'The current password')}
        autoComplete="current-password"
        required
      />
      <TextField
        label="New password"
        type="password"
        value={next}
        onChange={setNext}
        error={sentence('newPassword', 'The new password')}
        hint={PASSWORD_HINT.own}
        autoComplete="new-password"
        required
      />
      <TextField
        label="New password again"
        type="password"
        value={again}
        onChange={setAgain}
        error={sentence('again', 'This')}
        autoComplete="new-password"
        required
      />
      <div className="form-actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={busy || !current || !next || !again}
        >
          {busy ? 'Changing…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

/** Every problem of each field, joined: a password may break several rules at once. */
export function problemsByField(error: ApiError): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!Array.isArray(error.details)) return problems;
  for (const item of error.details as unknown[]) {
    if (!isRecord(item) || typeof item['field'] !== 'string') continue;
    const message = typeof item['message'] === 'string' ? item['message'] : 'is not valid';
    const before = problems[item['field']];
    problems[item['field']] = before === undefined ? message : `${before} and ${message}`;
  }
  return problems;
}
