/** A Duo source's entitlements (Duo groups), their members, and a link to review each. */
import { useState } from 'react';
import { Card, Loaded } from '../../ui/components';
import { useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { DataTable } from '../../ui/table';
import { useSession } from '../auth/session';
import type { Source } from '../sources/api';
import { accessReviewPath } from '../reports/api';
import { AccountStatusBadge } from '../sources/badges';
import { useEscapeToClose } from '../../ui/escape';
import {
  entitlementMembersCsvUrl,
  entitlementsCsvUrl,
  listEntitlementMembers,
  listEntitlements,
  type Entitlement,
} from './api';

export function EntitlementsTab({ source }: { source: Source }) {
  const { api } = useSession();
  const entitlements = useResource(() => listEntitlements(api, source.id), [api, source.id]);
  const [open, setOpen] = useState<Entitlement | null>(null);
  useEscapeToClose(open !== null, () => {
    setOpen(null);
  });
  return (
    <div className="grid-2">
      <Card title="Entitlements (Duo groups)">
        <Loaded
          resource={entitlements.state}
          retry={entitlements.reload}
          label="Loading entitlements…"
        >
          {(list) => (
            <DataTable
              caption="Entitlements"
              rows={list}
              rowKey={(e) => String(e.id)}
              csvHref={entitlementsCsvUrl(api, source.id)}
              noun={['entitlement', 'entitlements']}
              filter
              empty={
                <p className="muted table-empty">
                  No entitlement yet. Run an aggregation to gather the Duo groups.
                </p>
              }
              columns={[
                {
                  label: 'Entitlement',
                  value: (e) => e.name,
                  render: (e) => (
                    <button
                      type="button"
                      className="link-button"
                      aria-pressed={open?.id === e.id}
                      onClick={() => {
                        setOpen(open?.id === e.id ? null : e);
                      }}
                    >
                      {e.name}
                    </button>
                  ),
                },
                { label: 'Description', value: (e) => e.description ?? '', optional: true },
                {
                  label: 'Review',
                  value: () => '',
                  render: (e) => (
                    <a href={href(accessReviewPath(source.id, String(e.id)))}>Access review</a>
                  ),
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
      {open && <MembersCard source={source} entitlement={open} />}
    </div>
  );
}

function MembersCard({ source, entitlement }: { source: Source; entitlement: Entitlement }) {
  const { api } = useSession();
  const members = useResource(
    () => listEntitlementMembers(api, source.id, String(entitlement.id)),
    [api, source.id, entitlement.id],
  );
  return (
    <Card title={`Members of ${entitlement.name}`}>
      <Loaded resource={members.state} retry={members.reload}>
        {(list) => (
          <DataTable
            caption={`Members of ${entitlement.name}`}
            rows={list}
            rowKey={(a) => String(a.id)}
            csvHref={entitlementMembersCsvUrl(api, source.id, String(entitlement.id))}
            empty={<p className="muted table-empty">This entitlement has no members.</p>}
            columns={[
              {
                label: 'User name',
                value: (a) => a.username,
                render: (a) =>
                  a.identityId ? (
                    <a href={href(`/identities/${a.identityId}`)}>{a.username}</a>
                  ) : (
                    a.username
                  ),
              },
              {
                label: 'Status',
                value: (a) => a.status,
                render: (a) => <AccountStatusBadge status={a.status} />,
              },
              { label: 'E-mail', value: (a) => a.email ?? '', optional: true },
            ]}
          />
        )}
      </Loaded>
    </Card>
  );
}
