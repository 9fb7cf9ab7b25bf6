/** API tokens: create (the token is shown once), list, revoke. */
import { useState, type SyntheticEvent } from 'react';
import { Card, Loaded, TextField } from '../../ui/components';
import { formatAgo } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { useSession } from '../auth/session';
import { createToken, listTokens, revokeToken } from './api';

export function TokensTab() {
  const { api } = useSession();
  const toast = useToast();
  const tokens = useResource(() => listTokens(api), [api]);
  const [name, setName] = useState('');
  const [shown, setShown] = useState<string | null>(null);

  async function create(event: SyntheticEvent) {
    event.preventDefault();
    try {
      const created = await createToken(api, name.trim());
      setShown(created.token);
      setName('');
      tokens.reload();
    } catch (error) {
      toast.failure(error, 'The token was not created');
    }
  }

  async function revoke(id: string, tokenName: string) {
    if (!window.confirm(`Revoke the token “${tokenName}”? Scripts using it stop working.`)) return;
    try {
      await revokeToken(api, id);
      toast.success('Token revoked.');
      tokens.refresh();
    } catch (error) {
      toast.failure(error, 'The token was not revoked');
    }
  }

  return (
    <div className="grid-2">
      <Card title="API tokens">
        <Loaded resource={tokens.state} retry={tokens.reload}>
          {(list) => (
            <DataTable
              caption="API tokens"
              rows={list}
              rowKey={(t) => t.id}
              empty={
                <p className="muted table-empty">
                  No token yet. Scripts use a token as “Authorization: Bearer …”.
                </p>
              }
              columns={[
                { label: 'Name', value: (t) => t.name },
                { label: 'Created', value: (t) => formatAgo(t.createdAt ?? null) },
                {
                  label: 'Last used',
                  value: (t) => formatAgo(t.lastUsedAt ?? null),
                  optional: true,
                },
                {
                  label: 'Actions',
                  value: () => '',
                  render: (t) => (
                    <button
                      type="button"
                      className="button button-small button-ghost"
                      onClick={() => void revoke(t.id, t.name)}
                    >
                      Revoke
                    </button>
                  ),
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
      <Card title="Create a token">
        <form className="form" onSubmit={(event) => void create(event)}>
          <TextField
            label="Name"
            value={name}
            onChange={setName}
            hint="What uses it, e.g. “SIEM export”."
            autoComplete="off"
          />
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={!name.trim()}>
              Create token
            </button>
          </div>
        </form>
        {shown !== null && (
          <div className="verdict verdict-good" role="status">
            <p className="verdict-title">Copy the token now: it is shown only once.</p>
            <code className="secret-once">{shown}</code>
            <div className="form-actions">
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  void navigator.clipboard.writeText(shown).then(() => {
                    toast.success('Token copied.');
                  });
                }}
              >
                Copy
              </button>
              <button
                type="button"
                className="button button-small button-ghost"
                onClick={() => {
                  setShown(null);
                }}
              >
                Done
              </button>
            </div>
          </div>
        )}
      </Card>
    </div>
  );
}
