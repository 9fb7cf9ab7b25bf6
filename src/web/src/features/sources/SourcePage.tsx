/**
 * One source: state and actions (Test Connection, Aggregate, Sync), runs with progress, stream
 * health, accounts and entitlements with filters, configuration, schedule and deletion.
 */
import { useState } from 'react';
import { ApiError } from '../../api/client';
import { Badge, Card, Facts, Loaded, PageHeader, Tabs } from '../../ui/components';
import {
  formatAgo,
  formatDateTime,
  formatDuration,
  formatNumber,
  formatSpan,
  sentenceCase,
  toMs,
} from '../../ui/format';
import { useInterval, useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { canManage, useSession } from '../auth/session';
import {
  getSource,
  isRunActive,
  listRuns,
  listStreams,
  runsCsvUrl,
  streamsCsvUrl,
  SOURCE_TYPE_LABELS,
  startAggregation,
  startSync,
  type Run,
  type SourceSummary,
  type Stream,
} from './api';
import { AccountsTab } from '../accounts/AccountsTab';
import { RunStatusBadge, SourceStateBadge, StreamStateBadge } from './badges';
import { ConfigurationForm } from './ConfigurationForm';
import { EntitlementsTab } from '../entitlements/EntitlementsTab';
import { BackfillProgress, RunProgress } from './progress';
import { SourceSettingsTab } from './SourceSettingsTab';
import { StorageTab } from './StorageTab';
import { useIdentityNames } from '../identities/useIdentityNames';
import { RunFollow, runPath, testWaitsFor } from './RunFollow';
import { TestConnectionPanel } from './TestConnectionPanel';
import { Link } from '../../ui/router';

export function SourcePage({ id, tab }: { id: string; tab: string }) {
  const { api } = useSession();
  const source = useResource(() => getSource(api, id), [api, id]);
  return (
    <Loaded resource={source.state} retry={source.reload} label="Loading the source…">
      {(data) => <SourceView source={data} tab={tab} refresh={source.refresh} />}
    </Loaded>
  );
}

function SourceView({
  source,
  tab,
  refresh,
}: {
  source: SourceSummary;
  tab: string;
  refresh: () => void;
}) {
  const { api, user } = useSession();
  const toast = useToast();
  const runs = useResource(() => listRuns(api, source.id), [api, source.id]);
  const running = (runs.state.data ?? []).find(isRunActive);
  const active = running !== undefined;
  useInterval(
    () => {
      runs.refresh();
      refresh();
    },
    active ? 1500 : 10000,
    true,
  );
  const [starting, setStarting] = useState(false);
  const owner = useIdentityNames([source.ownerIdentityId]).get(source.ownerIdentityId) ?? '…';

  async function start(kind: 'aggregation' | 'sync') {
    setStarting(true);
    try {
      if (kind === 'aggregation') await startAggregation(api, source.id);
      else await startSync(api, source.id);
      toast.success(kind === 'aggregation' ? 'Aggregation started.' : 'Sync started.');
      runs.refresh();
    } catch (error) {
      toast.failure(
        error,
        error instanceof ApiError && error.code === 'source_busy'
          ? 'A run is already in progress'
          : `The ${kind} did not start`,
      );
    } finally {
      setStarting(false);
    }
  }

  const manage = canManage(user);
  const ready = source.state === 'verified';
  const tabs = [
    { id: 'overview', label: 'Overview' },
    ...(source.type === 'duo'
      ? [
          { id: 'accounts', label: 'Accounts' },
          { id: 'entitlements', label: 'Entitlements' },
        ]
      : []),
    ...(source.type === 'duo-activity' ? [{ id: 'storage', label: 'Storage' }] : []),
    { id: 'configuration', label: 'Configuration' },
    { id: 'settings', label: 'Schedule and settings' },
  ];

  return (
    <>
      <PageHeader
        back={{ to: '/sources', label: 'Sources' }}
        title={
          <span className="inline-facts">
            {source.name} <SourceStateBadge state={source.state} />
          </span>
        }
        subtitle={`${SOURCE_TYPE_LABELS[source.type]} · owner ${owner}${source.description ? ` · ${source.description}` : ''}`}
        actions={
          manage &&
          (source.type === 'duo' ? (
            <button
              type="button"
              className="button button-primary"
              disabled={!ready || active || starting}
              title={ready ? undefined : 'Pass Test Connection first'}
              onClick={() => void start('aggregation')}
            >
              {active ? 'Aggregating…' : 'Aggregate'}
            </button>
          ) : (
            <button
              type="button"
              className="button button-primary"
              disabled={!ready || active || starting}
              title={ready ? undefined : 'Pass Test Connection first'}
              onClick={() => void start('sync')}
            >
              {active ? 'Syncing…' : 'Sync now'}
            </button>
          ))
        }
      />
      {running && <RunFollow run={running} />}
      <Tabs tabs={tabs} current={tab} base={`/sources/${source.id}`} />
      {tab === 'overview' && (
        <div className="grid-2">
          <Card title="Connection">
            <Facts
              facts={[
                ['API Host', source.apiHost ?? '—'],
                ['Integration Key', source.integrationKey ?? '—'],
                ['Secret Key', source.hasSecret ? 'Stored (write-only)' : 'Missing'],
                [
                  'Next run',
                  source.nextRunAt
                    ? `${formatAgo(source.nextRunAt)} (${formatDateTime(source.nextRunAt)})`
                    : 'Not scheduled',
                ],
              ]}
            />
            {manage && source.state !== 'unconfigured' && (
              <TestConnectionPanel
                source={source}
                onResult={refresh}
                {...(running ? { unavailable: testWaitsFor(running) } : {})}
              />
            )}
            {source.state === 'unconfigured' && (
              <p>
                <a href={href(`/sources/${source.id}/configuration`)}>Enter the Duo credentials</a>{' '}
                to connect this source.
              </p>
            )}
          </Card>
          <RunsCard
            sourceId={source.id}
            runs={runs.state.data}
            loading={runs.state.status === 'loading'}
            error={runs.state.status === 'error' ? runs.state.error : undefined}
          />
          {source.type === 'duo-activity' && <StreamsCard source={source} poll={active} />}
        </div>
      )}
      {tab === 'accounts' && <AccountsTab source={source} />}
      {tab === 'entitlements' && <EntitlementsTab source={source} />}
      {tab === 'storage' && source.type === 'duo-activity' && (
        <StorageTab source={source} onSaved={refresh} />
      )}
      {tab === 'configuration' && (
        <Card title="Configuration">
          {manage ? (
            <ConfigurationForm source={source} onSaved={refresh} />
          ) : (
            <p className="muted">
              Only administrators and managers of this source can change its configuration.
            </p>
          )}
          {manage && source.state !== 'unconfigured' && (
            <>
              <h3>Review and Test</h3>
              <TestConnectionPanel
                source={source}
                onResult={refresh}
                {...(running ? { unavailable: testWaitsFor(running) } : {})}
              />
            </>
          )}
        </Card>
      )}
      {tab === 'settings' && <SourceSettingsTab source={source} onSaved={refresh} />}
    </>
  );
}

function RunsCard({
  sourceId,
  runs,
  loading,
  error,
}: {
  sourceId: string;
  runs: Run[] | undefined;
  loading: boolean;
  error: unknown;
}) {
  const { api } = useSession();
  return (
    <Card title="Runs" className="span-2">
      {error !== undefined && runs === undefined ? (
        <p className="form-error">The runs could not be loaded.</p>
      ) : loading && runs === undefined ? (
        <p className="muted">Loading runs…</p>
      ) : (
        <DataTable
          caption="Runs"
          rows={(runs ?? []).slice(0, 15)}
          rowKey={(r) => r.id}
          csvHref={runsCsvUrl(api, sourceId)}
          empty={
            <p className="muted table-empty">
              No run yet. Test the connection, then aggregate or sync.
            </p>
          }
          columns={[
            {
              label: 'Kind',
              value: (r) => r.kind,
              render: (r) => (
                <Link to={runPath(r)} title="Open the run: progress, warnings, what it read">
                  {sentenceCase(r.kind)}
                </Link>
              ),
            },
            {
              label: 'Status',
              value: (r) => r.status,
              render: (r) => <RunStatusBadge status={r.status} />,
            },
            {
              label: 'Started',
              value: (r) => formatDateTime(r.startedAt ?? r.createdAt),
              render: (r) => (
                <span title={formatDateTime(r.startedAt ?? null)}>
                  {formatAgo(r.startedAt ?? r.createdAt)}
                </span>
              ),
            },
            {
              label: 'Duration',
              value: (r) =>
                formatDuration(
                  r.startedAt ?? null,
                  r.finishedAt ?? (isRunActive(r) ? Date.now() : null),
                ),
              optional: true,
            },
            { label: 'Progress', value: () => '', render: (r) => <RunProgress run={r} /> },
            {
              label: 'Error',
              value: (r) => r.error?.message ?? '',
              render: (r) =>
                r.error ? (
                  <span className="error-text">{r.error.message}</span>
                ) : (
                  <span className="muted">—</span>
                ),
              optional: true,
            },
            { label: 'Trigger', value: (r) => r.trigger, optional: true },
          ]}
        />
      )}
    </Card>
  );
}

function lagOf(stream: Stream): number | null {
  if (typeof stream.lagMs === 'number') return stream.lagMs;
  const until = toMs(stream.syncedUntil ?? null);
  return until === null ? null : Date.now() - until;
}

function StreamsCard({ source, poll }: { source: SourceSummary; poll: boolean }) {
  const { api } = useSession();
  const streams = useResource(() => listStreams(api, source.id), [api, source.id]);
  useInterval(streams.refresh, poll ? 2000 : 15000, true);
  return (
    <Card title="Streams" className="span-2">
      <Loaded resource={streams.state} retry={streams.reload}>
        {(list) => (
          <DataTable
            caption="Stream health"
            rows={list}
            rowKey={(s) => s.stream}
            csvHref={streamsCsvUrl(api, source.id)}
            empty={
              <p className="muted table-empty">
                No stream has run yet. They start after a passed Test Connection.
              </p>
            }
            columns={[
              { label: 'Stream', value: (s) => sentenceCase(s.stream) },
              {
                label: 'State',
                value: (s) => s.state,
                render: (s) => <StreamStateBadge state={s.state} />,
              },
              {
                label: 'Last success',
                value: (s) => formatDateTime(s.lastSuccessAt ?? null),
                render: (s) => (
                  <span title={formatDateTime(s.lastSuccessAt ?? null)}>
                    {formatAgo(s.lastSuccessAt ?? null)}
                  </span>
                ),
              },
              {
                label: 'Cursor time',
                value: (s) => formatDateTime(s.syncedUntil ?? null),
                optional: true,
              },
              {
                label: 'Lag',
                value: (s) => {
                  const lag = lagOf(s);
                  return lag === null ? '' : formatSpan(lag);
                },
              },
              {
                label: 'Backfill',
                value: () => '',
                render: (s) => <BackfillProgress backfill={s.backfillProgress} />,
                optional: true,
              },
              {
                label: 'Pages',
                value: (s) => s.pages,
                render: (s) => formatNumber(s.pages),
                align: 'right',
                optional: true,
              },
              {
                label: '429s',
                value: (s) => s.rateLimited,
                render: (s) =>
                  s.rateLimited ? <Badge tone="warn">{formatNumber(s.rateLimited)}</Badge> : '0',
                align: 'right',
              },
              {
                label: 'Last error',
                value: (s) => s.lastError?.message ?? '',
                render: (s) =>
                  s.lastError ? (
                    <span className="error-text">{s.lastError.message}</span>
                  ) : (
                    <span className="muted">—</span>
                  ),
                optional: true,
              },
            ]}
          />
        )}
      </Loaded>
    </Card>
  );
}
