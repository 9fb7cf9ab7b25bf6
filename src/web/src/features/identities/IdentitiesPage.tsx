/** Identities: search by name, e-mail or user name (two letters or more), open one. */
import { useEffect, useState } from 'react';
import { ApiError } from '../../api/client';
import { Card, EmptyState, ErrorState, PageHeader, Spinner } from '../../ui/components';
import { formatNumber } from '../../ui/format';
import { href, navigate, useRoute } from '../../ui/router';
import { DataTable } from '../../ui/table';
import { useSession } from '../auth/session';
import { identitiesCsvUrl, searchIdentities, type IdentityListItem } from './api';
import { initials } from './IdentityPicker';

export function IdentitiesPage() {
  const { api } = useSession();
  const route = useRoute();
  const asked = route.query.get('q') ?? '';
  const [text, setText] = useState(asked);
  // Back/Forward to another search shows it.
  useEffect(() => {
    setText(asked);
  }, [asked]);
  const [rows, setRows] = useState<IdentityListItem[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [state, setState] = useState<'loading' | 'ready' | 'needs-query' | { error: unknown }>(
    'loading',
  );
  const q = text.trim();

  useEffect(() => {
    let live = true;
    const timer = window.setTimeout(
      () => {
        if (q.length === 1) {
          setState('needs-query');
          return;
        }
        setState('loading');
        searchIdentities(api, q, { limit: 50 }).then(
          (page) => {
            if (!live) return;
            setRows(page.items);
            setNext(page.next);
            setState('ready');
          },
          (error: unknown) => {
            if (!live) return;
            setState(
              error instanceof ApiError && error.code === 'validation_failed' && q.length < 2
                ? 'needs-query'
                : { error },
            );
          },
        );
      },
      q.length === 0 ? 0 : 200,
    );
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [api, q]);

  async function more() {
    if (!next) return;
    const page = await searchIdentities(api, q, { limit: 50, cursor: next });
    setRows((list) => [...list, ...page.items]);
    setNext(page.next);
  }

  return (
    <>
      <PageHeader
        title="Identities"
        subtitle="People, their Duo accounts and what they do with them."
      />
      <Card>
        <form
          className="search-bar"
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            const first = rows[0];
            if (first && rows.length === 1) navigate(`/identities/${first.id}`);
          }}
        >
          <label htmlFor="identity-search" className="visually-hidden">
            Search identities
          </label>
          <input
            id="identity-search"
            type="search"
            placeholder="Search by name, e-mail or user name (two letters or more)"
            value={text}
            autoFocus
            onChange={(event) => {
              const value = event.target.value;
              setText(value);
              // The search is part of the address: it survives a reload and can be shared.
              const query = value.trim() ? `?${new URLSearchParams({ q: value }).toString()}` : '';
              navigate(`/identities${query}`, { replace: true });
            }}
          />
        </form>
        {typeof state === 'object' ? (
          <ErrorState error={state.error} />
        ) : state === 'loading' ? (
          <Spinner label="Searching…" />
        ) : state === 'needs-query' ? (
          <EmptyState title="Type two letters or more">
            Matches appear after two letters.
          </EmptyState>
        ) : (
          <DataTable
            caption="Identities"
            rows={rows}
            rowKey={(i) => i.id}
            csvHref={identitiesCsvUrl(api, q)}
            noun={['identity', 'identities']}
            partial={next !== undefined}
            empty={
              <EmptyState title={q ? `No identity matches “${q}”` : 'No identity yet'}>
                {q
                  ? 'Try part of a name, an e-mail address or a Duo user name.'
                  : 'Aggregate a Duo source: each Duo user becomes an account linked to an identity.'}
              </EmptyState>
            }
            columns={[
              {
                label: 'Name',
                value: (i) => i.displayName,
                render: (i) => (
                  <a className="identity-link" href={href(`/identities/${i.id}`)}>
                    <span className="avatar" aria-hidden="true">
                      {initials(i.displayName)}
                    </span>
                    {i.displayName}
                  </a>
                ),
              },
              { label: 'E-mail', value: (i) => i.email ?? '', optional: true },
              { label: 'User name', value: (i) => i.username ?? '', optional: true },
              {
                label: 'Accounts',
                value: (i) => i.accountCount,
                render: (i) => formatNumber(i.accountCount),
                align: 'right',
              },
            ]}
            footer={
              next && (
                <div className="table-more">
                  <button type="button" className="button" onClick={() => void more()}>
                    Load more
                  </button>
                </div>
              )
            }
          />
        )}
      </Card>
    </>
  );
}
