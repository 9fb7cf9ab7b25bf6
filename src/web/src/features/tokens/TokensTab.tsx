/**
 * API tokens: create (the token is shown once; never expiring or for 30, 90 or 365 days), list
 * with when each was last used and when it expires, revoke.
 */
import { useState, type SyntheticEvent } from 'react';
import { Badge, Card, Loaded, SelectField, TextField } from '../../ui/components';
import { formatAgo, formatDate, formatDateTime } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { useSession } from '../auth/session';
import { createToken, isExpired, listTokens, revokeToken, type ApiToken } from './api';

const EXPIRY_CHOICES = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '365 days' },
  { value: 'never', label: 'Never' },
] as const;

function Expires({ token }: { token: ApiToken }) {
  const at = token.expiresAt ?? null;
  if (at === null) return <span className="muted">Never</span>;
  if (isExpired(token))
    return (
      <Badge tone="bad" title={formatDateTime(at)}>
        Expired {formatDate(at)}
      </Badge>
    );
  return <span title={formatDateTime(at)}>{`${formatDate(at)} (${formatAgo(at)})`}</span>;
}

export function TokensTab() {
  const { api } = useSession();
  const toast = useToast();
  const tokens = useResource(() => listTokens(api), [api]);
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState<string>('90');
  const [shown, setShown] = useState<{ token: string; expiresAt: number | null } | null>(null);

  async function create(event: SyntheticEvent) {
    event.preventDefault();
    try {
      const created = await createToken(
        api,
        name.trim(),
        expiry === 'never' ? null : Number(expiry),
      );
      setShown({ token: created.token, expiresAt: created.expiresAt });
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
      <Card title="API tokens" className="span-2">
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
                {
                  label: 'Created',
                  value: (t) => formatAgo(t.createdAt),
                  optional: true,
                },
                {
                  label: 'Last used',
                  value: (t) => formatAgo(t.lastUsedAt ?? null),
                  render: (t) => (
                    <span title={formatDateTime(t.lastUsedAt ?? null)}>
                      {formatAgo(t.lastUsedAt ?? null)}
                    </span>
                  ),
                },
                {
                  label: 'Expires',
                  value: (t) =>
                    t.expiresAt === null ? 'never' : new Date(t.expiresAt).toISOString(),
                  render: (t) => <Expires token={t} />,
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
          <SelectField
            label="Expires"
            value={expiry}
            onChange={setExpiry}
            options={EXPIRY_CHOICES}
            hint="After this the token stops working; create a new one then."
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
            <code className="secret-once">{shown.token}</code>
            <p>
              {shown.expiresAt === null
                ? 'It never expires; revoke it when it is no longer needed.'
                : `It expires on ${formatDateTime(shown.expiresAt)}.`}
            </p>
            <div className="form-actions">
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  void navigator.clipboard.writeText(shown.token).then(() => {
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
