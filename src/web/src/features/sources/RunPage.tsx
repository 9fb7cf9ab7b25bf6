/**
 * One run (`/sources/:id/runs/:runId`): a progress bar with the pages, events and windows done of
 * those planned, the time left (estimated from the pace so far), its warnings, its error with the
 * fix, and what it read (a sync's streams, an aggregation's accounts and entitlements). It polls
 * the run while it goes and stops once it has ended.
 */
import type { ReactNode } from 'react';
import { Badge, Card, Facts, Loaded, Meter, PageHeader } from '../../ui/components';
import {
  formatDateTime,
  formatDuration,
  formatNumber,
  plural,
  sentenceCase,
} from '../../ui/format';
import { useInterval, useResource } from '../../ui/resource';
import { Link } from '../../ui/router';
import { DataTable } from '../../ui/table';
import { useSession } from '../auth/session';
import {
  getRun,
  getSource,
  isRunActive,
  runStreamsCsvUrl,
  type Run,
  type StreamRunCounts,
} from './api';
import { ESTIMATE_AFTER, estimateRemainingMs, formatTimeLeft, runShare } from './progress';
import { RunStatusBadge } from './badges';
import './RunPage.css';

/** How often a run that goes is asked again. */
export const RUN_POLL_MS = 1500;

const KIND_TITLES: Record<Run['kind'], string> = {
  sync: 'Sync',
  aggregation: 'Aggregation',
  test: 'Connection test',
};

export function RunPage({ sourceId, runId }: { sourceId: string; runId: string }) {
  const { api } = useSession();
  const run = useResource(() => getRun(api, runId), [api, runId]);
  const source = useResource(() => getSource(api, sourceId), [api, sourceId]);
  const going = run.state.data === undefined || isRunActive(run.state.data);
  useInterval(run.refresh, RUN_POLL_MS, going && run.state.status !== 'error');
  const sourceName = source.state.data?.name ?? 'Source';

  return (
    <Loaded resource={run.state} retry={run.reload} label="Loading the run…">
      {(data) =>
        data.sourceId !== sourceId ? (
          <p className="form-error">This run belongs to another source.</p>
        ) : (
          <RunView run={data} sourceName={sourceName} />
        )
      }
    </Loaded>
  );
}

function RunView({ run, sourceName }: { run: Run; sourceName: string }) {
  const active = isRunActive(run);
  const started = run.startedAt ?? run.createdAt;
  return (
    <div className="run-page">
      <PageHeader
        back={{ to: `/sources/${run.sourceId}`, label: sourceName }}
        title={
          <span className="inline-facts">
            {KIND_TITLES[run.kind]} of {formatDateTime(started)}{' '}
            <RunStatusBadge status={run.status} />
          </span>
        }
        subtitle={`${sentenceCase(run.trigger)} run${run.stats.firstSync ? ' · first sync' : ''} · started ${formatDateTime(run.startedAt)}${run.finishedAt ? ` · ended ${formatDateTime(run.finishedAt)}` : ''}`}
      />
      <div className="grid-2">
        <ProgressCard run={run} />
        {run.error && <ErrorCard run={run} />}
        <WarningsCard warnings={run.stats.warnings} />
        {run.kind === 'sync' ? (
          <StreamsReadCard run={run} />
        ) : run.kind === 'aggregation' ? (
          <AggregatedCard run={run} />
        ) : null}
      </div>
      {active && (
        <p className="muted small run-page-polling" aria-live="polite">
          Updating every {RUN_POLL_MS / 1000} s while the run goes.
        </p>
      )}
    </div>
  );
}

function ProgressCard({ run }: { run: Run }) {
  const now = Date.now();
  const active = isRunActive(run);
  const share = runShare(run);
  const remaining = estimateRemainingMs(run, now);
  const windows = run.stats.windows;
  const facts: [string, ReactNode][] = [];
  if (run.stats.pages !== null) facts.push(['Pages', formatNumber(run.stats.pages)]);
  if (run.stats.events !== null) facts.push(['Events', formatNumber(run.stats.events)]);
  if (windows)
    facts.push(['Windows', `${formatNumber(windows.done)} of ${formatNumber(windows.total)}`]);
  facts.push(['Started', formatDateTime(run.startedAt)]);
  facts.push([
    active ? 'Running for' : 'Took',
    formatDuration(run.startedAt, run.finishedAt ?? (active ? now : null)),
  ]);
  if (active)
    facts.push([
      'Time left',
      <span data-eta key="eta">
        {remaining === null ? 'estimating…' : formatTimeLeft(remaining)}
      </span>,
    ]);
  return (
    <Card title="Progress" className="span-2">
      <div className="run-page-bar">
        {share === null ? (
          <div className="run-page-bar-unknown muted">
            {active ? 'Working out how much there is to read…' : 'No share to show'}
          </div>
        ) : (
          <Meter value={share} label={`${run.kind} progress`} />
        )}
        <span className="run-page-share" data-share>
          {share === null ? '—' : `${Math.floor(share * 100)} %`}
        </span>
      </div>
      <Facts facts={facts} />
      {active && (
        <p className="muted small">
          The time left is estimated from the pace so far: the time since the run started, times the
          share still to do over the share done
          {run.kind === 'sync'
            ? run.stats.firstSync
              ? ' (the share is the history read back to the backfill’s start, which follows the last 24 hours, by the stream least far along: the streams read side by side)'
              : ' (the share is the windows read of those planned)'
            : ' (accounts Duo sent of those it announced)'}
          . It shows once {Math.round(ESTIMATE_AFTER.share * 100)} % is done.
        </p>
      )}
    </Card>
  );
}

function ErrorCard({ run }: { run: Run }) {
  const error = run.error;
  if (!error) return null;
  const fix = error.fix;
  // A Duo error's message ends with its fix: shown apart, under "How to fix it".
  const message =
    fix && error.message.endsWith(fix) ? error.message.slice(0, -fix.length).trim() : error.message;
  return (
    <Card title="Error" className="span-2">
      <div className="verdict verdict-bad" role="alert" data-run-error>
        <p className="verdict-title">
          <Badge tone="bad">{sentenceCase(run.status)}</Badge> {message}
        </p>
        <dl className="facts facts-compact">
          <div>
            <dt>How to fix it</dt>
            <dd>{fix ?? FIXES[error.code] ?? DEFAULT_FIX}</dd>
          </div>
          {error.cause && (
            <div>
              <dt>Cause</dt>
              <dd>{error.cause}</dd>
            </div>
          )}
        </dl>
        <p className="muted small">Code: {error.code}</p>
      </div>
    </Card>
  );
}

const DEFAULT_FIX =
  'Run Test Connection on the source page: it names the cause and the fix. Then start the run again.';

const FIXES: Record<string, string> = {
  abandoned:
    'The server running it stopped before the run ended. The scheduler starts the source again; nothing already stored is lost.',
  cancelled:
    'The run was stopped at a page boundary (the server shut down). The next run goes on from where it stopped.',
  records_rejected:
    'Nothing to do for the run: the records are kept whole under the source’s rejected records. Tell Duo support if it keeps happening.',
  streams_failed: 'Open the streams below: each says what Duo answered.',
};

function WarningsCard({ warnings }: { warnings: readonly string[] }) {
  return (
    <Card
      title={warnings.length === 0 ? 'Warnings' : `Warnings (${formatNumber(warnings.length)})`}
    >
      {warnings.length === 0 ? (
        <p className="muted">No warnings.</p>
      ) : (
        <ul className="run-page-warnings">
          {warnings.map((warning, i) => (
            <li key={i}>{warning}</li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function streamCounts(run: Run): [string, StreamRunCounts][] {
  return Object.entries(run.counts).filter(
    (entry): entry is [string, StreamRunCounts] => typeof entry[1] !== 'number',
  );
}

function StreamsReadCard({ run }: { run: Run }) {
  const { api } = useSession();
  const rows = streamCounts(run);
  return (
    <Card title="Streams read" className="span-2">
      <DataTable
        caption="Streams read"
        rows={rows}
        rowKey={([stream]) => stream}
        csvHref={runStreamsCsvUrl(api, run.id)}
        empty={
          <p className="muted table-empty">
            {isRunActive(run)
              ? 'No page stored yet.'
              : run.status === 'succeeded'
                ? 'This run stored no page: nothing was new.'
                : 'This run stored no page: see the error above.'}
          </p>
        }
        columns={[
          {
            label: 'Stream',
            value: ([stream]) => sentenceCase(stream),
            render: ([stream]) => (
              <Link to={`/sources/${run.sourceId}/storage`} title={`What ${stream} holds`}>
                {sentenceCase(stream)}
              </Link>
            ),
          },
          {
            label: 'Pages',
            value: ([, c]) => c.pages,
            render: ([, c]) => formatNumber(c.pages),
            align: 'right',
          },
          {
            label: 'New events',
            value: ([, c]) => c.eventsNew,
            render: ([, c]) => formatNumber(c.eventsNew),
            align: 'right',
          },
          {
            label: 'Updated',
            value: ([, c]) => c.eventsUpdated,
            render: ([, c]) => formatNumber(c.eventsUpdated),
            align: 'right',
            optional: true,
          },
          {
            label: 'Rejected',
            value: ([, c]) => c.rejected,
            render: ([, c]) =>
              c.rejected ? <Badge tone="warn">{formatNumber(c.rejected)}</Badge> : '0',
            align: 'right',
            optional: true,
          },
          {
            label: '429s',
            value: ([, c]) => c.rateLimited,
            render: ([, c]) => formatNumber(c.rateLimited),
            align: 'right',
            optional: true,
          },
        ]}
      />
      <p className="muted small">
        Each stream links to the source’s Storage tab: what it holds, oldest and newest.{' '}
        <Link to={`/sources/${run.sourceId}`}>Stream health</Link> is on the source’s overview.
      </p>
    </Card>
  );
}

const AGGREGATED: readonly [string, string][] = [
  ['accounts', 'Accounts'],
  ['entitlements', 'Entitlements'],
  ['accountsNew', 'New accounts'],
  ['accountsDeleted', 'Deleted accounts'],
  ['entitlementsDeleted', 'Deleted entitlements'],
  ['uncorrelated', 'Not linked to an identity'],
  ['rejected', 'Rejected records'],
];

function AggregatedCard({ run }: { run: Run }) {
  const counts = new Map(
    Object.entries(run.counts).filter(
      (entry): entry is [string, number] => typeof entry[1] === 'number',
    ),
  );
  const facts = AGGREGATED.flatMap(([key, label]): [string, string][] => {
    const value = counts.get(key);
    return value === undefined ? [] : [[label, formatNumber(value)]];
  });
  return (
    <Card title="What it read">
      {facts.length === 0 ? <p className="muted">Nothing counted yet.</p> : <Facts facts={facts} />}
      <p>
        <Link to={`/sources/${run.sourceId}/accounts`}>Accounts</Link> ·{' '}
        <Link to={`/sources/${run.sourceId}/entitlements`}>Entitlements</Link>
      </p>
      {counts.get('accounts') !== undefined && (
        <p className="muted small">
          {plural(counts.get('accounts') ?? 0, 'account')} seen in Duo by this run.
        </p>
      )}
    </Card>
  );
}
