/**
 * Sources: the list (type, owner, state, last and next run, health — "First sync 23 %" while a
 * source's first sync runs) or the first-run screen.
 */
import { canManage, useSession } from '../auth/session';
import { FirstRun } from '../first-run/FirstRun';
import { Badge, Card, Loaded, PageHeader } from '../../ui/components';
import { formatAgo, formatDateTime, sentenceCase } from '../../ui/format';
import { useInterval, useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { DataTable } from '../../ui/table';
import {
  isRunActive,
  listSources,
  sourcesCsvUrl,
  SOURCE_TYPE_LABELS,
  type Run,
  type SourceSummary,
} from './api';
import { RunStatusBadge, SourceStateBadge } from './badges';
import { HealthSummary, healthText } from './HealthSummary';
import { runShare } from './progress';
import { runPath } from './RunFollow';
import { Link } from '../../ui/router';
import { useIdentityNames } from '../identities/useIdentityNames';
import { WaitingForReviewCard } from '../reviews/parts';

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
            <WaitingForReviewCard />
            <Card>
              <DataTable
                caption="Sources"
                rows={list}
                rowKey={(s) => s.id}
                csvHref={sourcesCsvUrl(api)}
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
                    value: (s) =>
                      isFirstSync(s) && s.lastRun
                        ? `first sync ${firstSyncPercent(s.lastRun)} %`
                        : healthText(s.health),
                    render: (s) =>
                      isFirstSync(s) && s.lastRun ? (
                        <FirstSync run={s.lastRun} />
                      ) : (
                        <HealthSummary health={s.health} />
                      ),
                    // Shown on narrow windows too while a first sync says how far it got.
                    optional: !list.some(isFirstSync),
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

function isFirstSync(source: SourceSummary): boolean {
  const run = source.lastRun;
  return run?.kind === 'sync' && isRunActive(run) && run.stats.firstSync;
}

function firstSyncPercent(run: Run): number {
  return Math.floor((runShare(run) ?? 0) * 100);
}

/** Instead of the streams' health, which says little before the first sync has read them. */
function FirstSync({ run }: { run: Run }) {
  return (
    <Link to={runPath(run)} className="small" title="Follow the first sync">
      <Badge tone="info">First sync {firstSyncPercent(run)} %</Badge>
    </Link>
  );
}

function LastRun({ source }: { source: SourceSummary }) {
  const run = source.lastRun;
  if (!run) return <span className="muted">Never</span>;
  return (
    <Link to={runPath(run)} className="inline-facts" title="Open the run">
      <RunStatusBadge status={run.status} />
      <span className="muted">
        {sentenceCase(run.kind)} · {formatAgo(run.finishedAt ?? run.startedAt ?? run.createdAt)}
      </span>
    </Link>
  );
}
