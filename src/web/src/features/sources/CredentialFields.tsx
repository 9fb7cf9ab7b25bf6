/**
 * The Admin API credential's three fields — Integration Key, Secret Key (write-only: never shown
 * again; left empty it keeps a stored one) and API Host — with their checks before sending, as
 * both the create-source wizard and a source's Configuration form ask for them.
 *
 * @example <CredentialFields credentials={c} secretStored={false} problems={p} onChange={set} secretHint="…" />
 */
import { TextField } from '../../ui/components';

export interface Credentials {
  readonly integrationKey: string;
  readonly secretKey: string;
  readonly apiHost: string;
}

/** What is missing before the credential can be sent, by field. */
export function credentialProblems(
  credentials: Credentials,
  secretStored: boolean,
): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!credentials.integrationKey.trim())
    problems['integrationKey'] = 'Enter the integration key (it starts with DI).';
  if (!credentials.apiHost.trim())
    problems['apiHost'] = 'Enter the API hostname, e.g. api-1234abcd.duosecurity.com.';
  if (!credentials.secretKey && !secretStored) problems['secretKey'] = 'Enter the secret key.';
  return problems;
}

export function CredentialFields({
  credentials,
  secretStored,
  problems,
  onChange,
  secretHint,
}: {
  credentials: Credentials;
  secretStored: boolean;
  problems: Record<string, string>;
  onChange: (field: keyof Credentials, value: string) => void;
  /** How a new secret key is kept (the hint when none is stored yet). */
  secretHint: string;
}) {
  return (
    <>
      <p className="muted">
        From the Admin API application in the Duo Admin Panel (Applications → Admin API). An
        activity source needs “Grant read log”; a Duo source needs “Grant read resource”, and “Grant
        write resource” for access reviews to remove revoked access in Duo.
      </p>
      <TextField
        label="Integration Key"
        value={credentials.integrationKey}
        onChange={(value) => {
          onChange('integrationKey', value);
        }}
        error={problems['integrationKey']}
        placeholder="DIXXXXXXXXXXXXXXXXXX"
        autoComplete="off"
        spellCheck={false}
        name="integrationKey"
      />
      <TextField
        label="Secret Key"
        type="password"
        value={credentials.secretKey}
        onChange={(value) => {
          onChange('secretKey', value);
        }}
        error={problems['secretKey']}
        hint={
          secretStored
            ? 'A secret key is stored. Leave empty to keep it; type a new one to replace it.'
            : secretHint
        }
        placeholder={secretStored ? '•••••••• (stored)' : ''}
        autoComplete="new-password"
        spellCheck={false}
        name="secretKey"
      />
      <TextField
        label="API Host"
        value={credentials.apiHost}
        onChange={(value) => {
          onChange('apiHost', value);
        }}
        error={problems['apiHost']}
        placeholder="api-1234abcd.duosecurity.com"
        autoComplete="off"
        spellCheck={false}
        name="apiHost"
      />
    </>
  );
}
