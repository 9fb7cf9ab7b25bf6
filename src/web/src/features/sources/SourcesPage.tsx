/** Sources: the list (type, owner, state, last and next run, health) or the first-run screen. */
import { canManage, useSession } from '../auth/session';
import { FirstRun } from '../first-run/FirstRun';
import { Card, Loaded, PageHeader } from '../../ui/components';
import { formatAgo, formatDateTime, sentenceCase } from '../../ui/format';
import { useInterval, useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { DataTable } from '../../ui/table';
import { isRunActive, listSources, SOURCE_TYPE_LABELS, type SourceSummary } from './api';
import { RunStatusBadge, SourceStateBadge } from './badges';
import { HealthSummary, healthText } from './HealthSummary';
import { useIdentityNames } from '../identities/useIdentityNames';

export function SourcesPage() {
  const { api, user } = useSession();
  const sources = useResource(() => listSources(api), [api]);
  const owners = useIdentityNames((sources.state.data ?? []).map((s) => s.ownerIdentityId));
  const active = sources.state.data?.some((s) => isRunActive(s.lastRun)) ?? false;
  useInterval(sources.refresh, active ? 2000 : 15000, sources.state.status === 'ready');

  return (
    <Loaded resource={sources.state} retry={sources.reload} label="Loading sources…">
      {(list) =>
        list.length === 0 ? (
          <FirstRun onDemoStarted={sources.reload} />
        ) : (
          <>
            <PageHeader
              title="Sources"
              subtitle="Duo connections: accounts and entitlements by aggregation, activity by log sync."
              actions={
                canManage(user) && (
                  <a className="button button-primary" href={href('/sources/new')}>
                    Create source
                  </a>
                )
              }
            />
            <Card>
              <DataTable
                caption="Sources"
                rows={list}
                rowKey={(s) => s.id}
                csvName="sources"
                columns={[
                  {
                    label: 'Name',
                    value: (s) => s.name,
                    render: (s) => (
                      <a href={href(`/sources/${s.id}`)} className="strong-link">
                        {s.name}
                      </a>
                    ),
                  },
                  { label: 'Type', value: (s) => SOURCE_TYPE_LABELS[s.type] },
                  {
                    label: 'Owner',
                    value: (s) => owners.get(s.ownerIdentityId) ?? '…',
                    optional: true,
                  },
                  {
                    label: 'Status',
                    value: (s) => s.state,
                    render: (s) => <SourceStateBadge state={s.state} />,
                  },
                  {
                    label: 'Last run',
                    value: (s) => (s.lastRun ? `${s.lastRun.kind} ${s.lastRun.status}` : ''),
                    render: (s) => <LastRun source={s} />,
                  },
                  {
                    label: 'Next run',
                    value: (s) => formatDateTime(s.nextRunAt ?? null),
                    render: (s) => (
                      <span title={formatDateTime(s.nextRunAt ?? null)}>
                        {s.nextRunAt ? formatAgo(s.nextRunAt) : s.type === 'duo' ? 'Manual' : '—'}
                      </span>
                    ),
                    optional: true,
                  },
                  {
                    label: 'Health',
                    value: (s) => healthText(s.health),
                    render: (s) => <HealthSummary health={s.health} />,
                    optional: true,
                  },
                ]}
              />
            </Card>
          </>
        )
      }
    </Loaded>
  );
}

function LastRun({ source }: { source: SourceSummary }) {
  const run = source.lastRun;
  if (!run) return <span className="muted">Never</span>;
  return (
    <span className="inline-facts">
      <RunStatusBadge status={run.status} />
      <span className="muted">
        {sentenceCase(run.kind)} · {formatAgo(run.finishedAt ?? run.startedAt ?? run.createdAt)}
      </span>
    </span>
  );
}
