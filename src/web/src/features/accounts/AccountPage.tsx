/**
 * One account (`/accounts/:id`): who it is in Duo, its source, identity, status and
 * entitlements, and — for a Duo user, to those who manage its source — Disable / Enable /
 * Unlock, changed in Duo and shown here at once.
 */
import { Badge, Card, Facts, Loaded, PageHeader, Tags } from '../../ui/components';
import { formatAgo, formatDateTime } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { useSession } from '../auth/session';
import { AccountStatusBadge } from '../sources/badges';
import { AccountActions } from './AccountActions';
import { entitlementNames, getAccount, type AccountDetail } from './api';

export function AccountPage({ id }: { id: number }) {
  const { api } = useSession();
  const account = useResource(() => getAccount(api, id), [api, id]);
  return (
    <Loaded resource={account.state} retry={account.reload} label="Loading the account…">
      {(a: AccountDetail) => (
        <>
          <PageHeader
            title={a.username}
            subtitle={
              a.kind === 'administrator' ? `Duo administrator (${a.adminRole ?? '—'})` : 'Duo user'
            }
            back={{ to: `/sources/${a.sourceId}/accounts`, label: a.sourceName ?? 'Source' }}
          />
          <Card title="Account">
            <Facts
              facts={[
                ['Status', <AccountStatusBadge key="status" status={a.status} />],
                ...(a.lockoutReason
                  ? [['Locked out because', a.lockoutReason] as [string, string]]
                  : []),
                ['Name', a.realname ?? '—'],
                ['E-mail', a.email ?? '—'],
                [
                  'Source',
                  <a key="source" href={href(`/sources/${a.sourceId}`)}>
                    {a.sourceName ?? a.sourceId}
                  </a>,
                ],
                [
                  'Identity',
                  a.identityId ? (
                    <a key="identity" href={href(`/identities/${a.identityId}`)}>
                      {a.realname ?? a.username}
                    </a>
                  ) : (
                    <Badge key="identity" tone="warn">
                      Not linked
                    </Badge>
                  ),
                ],
                ['Duo id', a.duoUserId],
                [
                  'Last Duo login',
                  <span key="login" title={formatDateTime(a.lastLoginMs ?? null)}>
                    {formatAgo(a.lastLoginMs ?? null)}
                  </span>,
                ],
                ['Entitlements', <Tags key="entitlements" values={entitlementNames(a)} />],
              ]}
            />
            <div className="account-page-actions">
              <AccountActions account={a} onChanged={account.refresh} />
            </div>
          </Card>
        </>
      )}
    </Loaded>
  );
}
