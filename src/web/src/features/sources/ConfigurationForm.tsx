/**
 * The Configuration step: Integration Key, Secret Key (write-only: never shown again; left
 * empty it keeps the stored one) and API Host. Field problems from the API show under each field.
 */
import { useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import { TextField } from '../../ui/components';
import { useToast } from '../../ui/toasts';
import { useSession } from '../auth/session';
import { configureSource, type Source } from './api';

export function ConfigurationForm({
  source,
  onSaved,
  submitLabel = 'Save',
  secondary,
}: {
  source: Source;
  onSaved: (source: Source) => void;
  submitLabel?: string;
  secondary?: React.ReactNode;
}) {
  const { api } = useSession();
  const toast = useToast();
  const [integrationKey, setIntegrationKey] = useState(source.integrationKey ?? '');
  const [secretKey, setSecretKey] = useState('');
  const [apiHost, setApiHost] = useState(source.apiHost ?? '');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  /** Sets a field and clears its problem: a problem goes as soon as its field is changed. */
  const edit = (field: string, set: (value: string) => void) => (value: string) => {
    set(value);
    setProblems((p) => Object.fromEntries(Object.entries(p).filter(([key]) => key !== field)));
  };

  async function submit(event: SyntheticEvent) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!integrationKey.trim())
      local['integrationKey'] = 'Enter the integration key (it starts with DI).';
    if (!apiHost.trim())
      local['apiHost'] = 'Enter the API hostname, e.g. api-1234abcd.duosecurity.com.';
    if (!secretKey && !source.hasSecret) local['secretKey'] = 'Enter the secret key.';
    setProblems(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const saved = await configureSource(api, source.id, {
        apiHost: apiHost.trim(),
        integrationKey: integrationKey.trim(),
        ...(secretKey ? { secretKey } : {}),
      });
      setSecretKey('');
      toast.success(
        'Configuration saved. The secret key is stored encrypted and is never shown again.',
      );
      onSaved({ ...source, ...saved, hasSecret: true });
    } catch (error) {
      const fields =
        error instanceof ApiError && error.code === 'validation_failed'
          ? error.fieldProblems()
          : {};
      setProblems(fields);
      // A problem shown under its field is not repeated as a toast.
      if (Object.keys(fields).length === 0) toast.failure(error, 'The configuration was not saved');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate>
      <p className="muted">
        From the Admin API application in the Duo Admin Panel (Applications → Admin API). An
        activity source needs “Grant read log”; a Duo source needs “Grant read resource”.
      </p>
      <TextField
        label="Integration Key"
        value={integrationKey}
        onChange={edit('integrationKey', setIntegrationKey)}
        error={problems['integrationKey']}
        placeholder="DIXXXXXXXXXXXXXXXXXX"
        autoComplete="off"
        spellCheck={false}
        name="integrationKey"
      />
      <TextField
        label="Secret Key"
        type="password"
        value={secretKey}
        onChange={edit('secretKey', setSecretKey)}
        error={problems['secretKey']}
        hint={
          source.hasSecret
            ? 'A secret key is stored. Leave empty to keep it; type a new one to replace it.'
            : 'Write-only: stored encrypted, never shown again and never logged.'
        }
        placeholder={source.hasSecret ? '•••••••• (stored)' : ''}
        autoComplete="new-password"
        spellCheck={false}
        name="secretKey"
      />
      <TextField
        label="API Host"
        value={apiHost}
        onChange={edit('apiHost', setApiHost)}
        error={problems['apiHost']}
        placeholder="api-1234abcd.duosecurity.com"
        autoComplete="off"
        spellCheck={false}
        name="apiHost"
      />
      <div className="form-actions">
        {secondary}
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
