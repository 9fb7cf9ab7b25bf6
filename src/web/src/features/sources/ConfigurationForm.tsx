/**
 * A source's Configuration form: the Admin API credential's fields (`CredentialFields`), saved
 * with Save. Field problems from the API show under each field.
 */
import { useState, type SyntheticEvent } from 'react';
import { ApiError } from '../../api/client';
import { useToast } from '../../ui/toasts';
import { useSession } from '../auth/session';
import { configureSource, type Source } from './api';
import { CredentialFields, credentialProblems, type Credentials } from './CredentialFields';

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
  const [credentials, setCredentials] = useState<Credentials>({
    integrationKey: source.integrationKey ?? '',
    secretKey: '',
    apiHost: source.apiHost ?? '',
  });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  /** Sets a field and clears its problem: a problem goes as soon as its field is changed. */
  function edit(field: keyof Credentials, value: string): void {
    setCredentials((c) => ({ ...c, [field]: value }));
    setProblems((p) => Object.fromEntries(Object.entries(p).filter(([key]) => key !== field)));
  }

  async function submit(event: SyntheticEvent) {
    event.preventDefault();
    const local = credentialProblems(credentials, source.hasSecret);
    setProblems(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const saved = await configureSource(api, source.id, {
        apiHost: credentials.apiHost.trim(),
        integrationKey: credentials.integrationKey.trim(),
        ...(credentials.secretKey ? { secretKey: credentials.secretKey } : {}),
      });
      setCredentials((c) => ({ ...c, secretKey: '' }));
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
      <CredentialFields
        credentials={credentials}
        secretStored={source.hasSecret}
        problems={problems}
        onChange={edit}
        secretHint="Write-only: stored encrypted, never shown again and never logged."
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
