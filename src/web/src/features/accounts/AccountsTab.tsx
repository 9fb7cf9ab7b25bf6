/** A Duo source's accounts with filters (status, entitlement, correlated, search) and paging. */
import { useEffect, useState } from 'react';
import {
  Badge,
  Card,
  ErrorState,
  SelectField,
  Spinner,
  Tags,
  TextField,
} from '../../ui/components';
import { formatAgo, formatDateTime, sentenceCase } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { DataTable, type TableSort } from '../../ui/table';
import { useSession } from '../auth/session';
import { listEntitlements } from '../entitlements/api';
import type { Source } from '../sources/api';
import { AccountStatusBadge } from '../sources/badges';
import {
  accountsCsvUrl,
  entitlementNames,
  listAccounts,
  type Account,
  type AccountFilter,
} from './api';

const STATUSES = ['active', 'bypass', 'disabled', 'locked out', 'pending deletion'];
/** Duo words an administrator's status capitalised. */
const ADMIN_STATUSES = ['Active', 'Disabled', 'Pending Activation', 'Expired'];

export function AccountsTab({ source }: { source: Source }) {
  const { api } = useSession();
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [entitlement, setEntitlement] = useState('');
  const [correlated, setCorrelated] = useState('');
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const [sort, setSort] = useState<TableSort | null>(null);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [state, setState] = useState<'loading' | 'ready' | 'more' | { error: unknown }>('loading');
  const entitlements = useResource(() => listEntitlements(api, source.id), [api, source.id]);

  useEffect(() => {
    const timer = window.setTimeout(() => {
      setQ(text.trim());
    }, 250);
    return () => {
      window.clearTimeout(timer);
    };
  }, [text]);

  const filter: AccountFilter = {
    ...(kind ? { kind } : {}),
    ...(status ? { status } : {}),
    ...(entitlement ? { group: entitlement } : {}),
    ...(correlated ? { correlated } : {}),
    ...(q.length >= 2 ? { q } : {}),
  };
  const query: AccountFilter = {
    ...filter,
    ...(sort ? { sort: sort.column, order: sort.order } : {}),
  };
  const filterKey = JSON.stringify(query);

  useEffect(() => {
    let live = true;
    setState('loading');
    listAccounts(api, source.id, JSON.parse(filterKey) as AccountFilter).then(
      (page) => {
        if (!live) return;
        setAccounts(page.items);
        setTotal(page.total);
        setNext(page.next);
        setState('ready');
      },
      (error: unknown) => {
        if (live) setState({ error });
      },
    );
    return () => {
      live = false;
    };
  }, [api, source.id, filterKey]);

  async function more() {
    if (!next) return;
    setState('more');
    try {
      const page = await listAccounts(api, source.id, { ...query, cursor: next });
      setAccounts((list) => [...list, ...page.items]);
      setTotal(page.total);
      setNext(page.next);
      setState('ready');
    } catch (error) {
      setState({ error });
    }
  }

  return (
    <Card title="Accounts">
      <div className="filters">
        <TextField
          label="Search"
          value={text}
          onChange={setText}
          placeholder="User name, name or e-mail"
          type="search"
        />
        <SelectField
          label="Kind"
          value={kind}
          onChange={setKind}
          options={[
            { value: '', label: 'Users and administrators' },
            { value: 'user', label: 'Duo users' },
            { value: 'administrator', label: 'Duo administrators' },
          ]}
        />
        <SelectField
          label="Status"
          value={status}
          onChange={setStatus}
          options={[
            { value: '', label: 'Any status' },
            ...(kind === 'administrator' ? ADMIN_STATUSES : STATUSES).map((s) => ({
              value: s,
              label: s.charAt(0).toUpperCase() + s.slice(1),
            })),
          ]}
        />
        <SelectField
          label="Entitlement"
          value={entitlement}
          onChange={setEntitlement}
          options={[
            { value: '', label: 'Any entitlement' },
            ...(entitlements.state.data ?? []).map((e) => ({ value: String(e.id), label: e.name })),
          ]}
        />
        <SelectField
          label="Correlated"
          value={correlated}
          onChange={setCorrelated}
          options={[
            { value: '', label: 'All accounts' },
            { value: 'true', label: 'Linked to an identity' },
            { value: 'false', label: 'Not linked' },
          ]}
        />
      </div>
      {typeof state === 'object' ? (
        <ErrorState error={state.error} />
      ) : state === 'loading' && accounts.length === 0 ? (
        <Spinner label="Loading accounts…" />
      ) : (
        <DataTable
          caption="Accounts"
          rows={accounts}
          rowKey={(a) => String(a.id)}
          csvHref={accountsCsvUrl(api, source.id, query)}
          total={total}
          noun={['account', 'accounts']}
          sort={sort}
          onSortChange={setSort}
          empty={
            <p className="muted table-empty">
              {Object.keys(filter).length > 0
                ? 'No account matches these filters.'
                : 'No account yet. Run an aggregation to gather the Duo users.'}
            </p>
          }
          columns={[
            {
              label: 'User name',
              value: (a) => a.username,
              sortKey: 'username',
              render: (a) => <a href={href(`/accounts/${String(a.id)}`)}>{a.username}</a>,
            },
            {
              label: 'Kind',
              sortKey: 'kind',
              value: (a) =>
                a.kind === 'administrator' ? `Administrator (${a.adminRole ?? '—'})` : 'User',
              render: (a) =>
                a.kind === 'administrator' ? (
                  <Badge tone="info">{`Administrator: ${a.adminRole ?? '—'}`}</Badge>
                ) : (
                  'User'
                ),
            },
            {
              label: 'Identity',
              sortKey: 'realname',
              value: (a) => a.realname ?? '',
              render: (a) =>
                a.identityId ? (
                  <a href={href(`/identities/${a.identityId}`)}>{a.realname ?? a.username}</a>
                ) : (
                  <Badge tone="warn">Not linked</Badge>
                ),
            },
            { label: 'E-mail', value: (a) => a.email ?? '', optional: true, sortKey: 'email' },
            {
              label: 'Status',
              sortKey: 'status',
              value: (a) => a.status,
              render: (a) => <AccountStatusBadge status={a.status} />,
            },
            {
              label: 'Entitlements',
              value: (a) => entitlementNames(a).join('; '),
              render: (a) => <Tags values={entitlementNames(a)} />,
              optional: true,
            },
            {
              label: 'Linked by',
              sortKey: 'correlation',
              value: (a) => a.correlation ?? '',
              render: (a) => (a.correlation ? sentenceCase(a.correlation) : '—'),
              optional: true,
            },
            {
              label: 'Last Duo login',
              sortKey: 'lastLogin',
              value: (a) => formatDateTime(a.lastLoginMs ?? null),
              render: (a) => (
                <span title={formatDateTime(a.lastLoginMs ?? null)}>
                  {formatAgo(a.lastLoginMs ?? null)}
                </span>
              ),
              optional: true,
            },
          ]}
          footer={
            next && (
              <div className="table-more">
                <button
                  type="button"
                  className="button"
                  onClick={() => void more()}
                  disabled={state === 'more'}
                >
                  {state === 'more' ? 'Loading…' : 'Load more'}
                </button>
              </div>
            )
          }
        />
      )}
    </Card>
  );
}
