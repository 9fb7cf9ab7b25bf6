/**
 * Reports: access review of a Duo group (keep/revoke suggestions), dormant accounts, the
 * administrator-action feed and sync health, each exportable as CSV by the server.
 */
import { useEffect, useState, type SyntheticEvent } from 'react';
import {
  Badge,
  Card,
  EmptyState,
  ErrorState,
  Loaded,
  PageHeader,
  SelectField,
  Spinner,
  Tabs,
  TextField,
} from '../../ui/components';
import { formatAgo, formatDateTime, formatNumber, formatSpan, sentenceCase } from '../../ui/format';
import { usePagedList, useResource } from '../../ui/resource';
import { href, navigate, useRoute } from '../../ui/router';
import { DateRangePicker, useDateRange } from '../../ui/date-range';
import { DataTable } from '../../ui/table';
import { canManage, useSession } from '../auth/session';
import { newCampaignPath } from '../reviews/api';
import { AdminActionText } from '../activity/AdminActionText';
import { adminActionRecord, describeAdminAction } from '../activity/admin-actions';
import { listEntitlements } from '../entitlements/api';
import { listSources } from '../sources/api';
import { AccountStatusBadge, StreamStateBadge } from '../sources/badges';
import {
  accessReview,
  accessReviewPath,
  adminActions,
  csvUrl,
  dormantAccounts,
  REPORT_PATHS,
  syncHealth,
  securityEvents,
  type SecurityEvent,
} from './api';

const REPORTS = [
  { id: 'access-review', label: 'Access review' },
  { id: 'dormant', label: 'Dormant accounts' },
  { id: 'admin-actions', label: 'Administrator actions' },
  { id: 'security-events', label: 'Security events' },
  { id: 'sync-health', label: 'Sync health' },
];

export function ReportsPage({ report }: { report: string }) {
  return (
    <>
      <PageHeader
        title="Reports"
        subtitle="Whose access is unused, what administrators changed, and how fresh the data is."
      />
      <Tabs tabs={REPORTS} current={report} base="/reports" />
      {report === 'access-review' && <AccessReview />}
      {report === 'dormant' && <Dormant />}
      {report === 'admin-actions' && <AdminActions />}
      {report === 'security-events' && <SecurityEvents />}
      {report === 'sync-health' && <SyncHealth />}
      {!REPORTS.some((r) => r.id === report) && <EmptyState title="There is no such report" />}
    </>
  );
}

function personName(row: {
  identityName?: string | null;
  displayName?: string | null;
  username: string;
}): string {
  return row.identityName ?? row.displayName ?? row.username;
}

/**
 * The review of the group in the address (`?sourceId=…&entitlementId=…`): both selects show what
 * the address names, and choosing others then "Run review" opens their address.
 */
function AccessReview() {
  const { api, user } = useSession();
  const route = useRoute();
  const chosenSource = route.query.get('sourceId') ?? '';
  const chosen = route.query.get('entitlementId') ?? '';
  const sources = useResource(
    async () => (await listSources(api)).filter((s) => s.type === 'duo'),
    [api],
  );
  const review = useResource(
    () => (chosen ? accessReview(api, chosen) : Promise.resolve(null)),
    [api, chosen],
  );
  const [sourceId, setSourceId] = useState(chosenSource);
  useEffect(() => {
    setSourceId(chosenSource);
  }, [chosenSource]);
  const firstSource = sources.state.data?.[0]?.id ?? '';
  // An address with a group but no source (an older link) reviews the group's own source.
  const activeSource = sourceId || review.state.data?.source.id || firstSource;
  const entitlements = useResource(
    () => (activeSource ? listEntitlements(api, activeSource) : Promise.resolve([])),
    [api, activeSource],
  );
  const [entitlementId, setEntitlementId] = useState(chosen);
  useEffect(() => {
    setEntitlementId(chosen);
  }, [chosen]);

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    if (entitlementId) navigate(accessReviewPath(activeSource, entitlementId));
  }

  const entitlementName = review.state.data?.entitlement.name;
  const rows = review.state.data?.members ?? [];
  const revoke = rows.filter((r) => r.suggestion === 'revoke').length;

  return (
    <>
      <Card title="Review a Duo group">
        <form className="filters" onSubmit={submit}>
          <SelectField
            label="Duo source"
            value={activeSource}
            onChange={(value) => {
              setSourceId(value);
              setEntitlementId('');
            }}
            options={
              sources.state.data?.length
                ? sources.state.data.map((s) => ({ value: s.id, label: s.name }))
                : [
                    {
                      value: '',
                      label: sources.state.status === 'loading' ? 'Loading…' : 'No Duo source',
                    },
                  ]
            }
          />
          <SelectField
            label="Group (entitlement)"
            value={entitlementId}
            onChange={setEntitlementId}
            options={[
              {
                value: '',
                label:
                  entitlements.state.status === 'loading' ? 'Loading…' : 'Choose an entitlement',
              },
              ...(entitlements.state.data ?? []).map((g) => ({
                value: String(g.id),
                label: g.name,
              })),
            ]}
          />
          <div className="filters-submit">
            <button type="submit" className="button button-primary" disabled={!entitlementId}>
              Run review
            </button>
          </div>
        </form>
        {sources.state.status === 'ready' && sources.state.data.length === 0 && (
          <p className="muted">
            An access review needs a Duo source with aggregated entitlements.{' '}
            <a href={href('/sources/new')}>Create one</a>.
          </p>
        )}
      </Card>
      {chosen && (
        <Card
          title={entitlementName ? `Access review: ${entitlementName}` : 'Access review'}
          {...(canManage(user) && review.state.data
            ? {
                actions: (
                  <a
                    className="button button-small"
                    href={href(
                      newCampaignPath({
                        sourceId: review.state.data.source.id,
                        entitlementId: chosen,
                      }),
                    )}
                  >
                    Start a campaign
                  </a>
                ),
              }
            : {})}
        >
          <Loaded resource={review.state} retry={review.reload} label="Running the review…">
            {(report) => (
              <>
                {rows.length > 0 && (
                  <p className="review-summary" data-testid="review-summary">
                    {report?.source.name} · {formatNumber(rows.length)} members ·{' '}
                    <Badge tone="good">{formatNumber(rows.length - revoke)} keep</Badge>{' '}
                    <Badge tone="bad">{formatNumber(revoke)} revoke</Badge>
                  </p>
                )}
                <DataTable
                  caption="Access review"
                  rows={rows}
                  rowKey={(r) => String(r.accountId)}
                  csvHref={csvUrl(api, REPORT_PATHS.accessReview, { entitlementId: chosen })}
                  empty={<EmptyState title="This entitlement has no members" />}
                  columns={[
                    {
                      label: 'Person',
                      value: personName,
                      render: (r) =>
                        r.identityId ? (
                          <a href={href(`/identities/${r.identityId}`)}>{personName(r)}</a>
                        ) : (
                          personName(r)
                        ),
                    },
                    { label: 'User name', value: (r) => r.username, optional: true },
                    {
                      label: 'Status',
                      value: (r) => r.status,
                      render: (r) => <AccountStatusBadge status={r.status} />,
                    },
                    {
                      label: 'Last activity',
                      value: (r) => formatDateTime(r.lastActivityMs),
                      render: (r) => (
                        <span title={formatDateTime(r.lastActivityMs)}>
                          {formatAgo(r.lastActivityMs)}
                        </span>
                      ),
                    },
                    {
                      label: 'Days active (90)',
                      value: (r) => r.daysActive90,
                      render: (r) => <DaysActive days={r.daysActive90} />,
                      align: 'right',
                    },
                    {
                      label: 'Suggestion',
                      value: (r) => r.suggestion,
                      render: (r) => (
                        <Badge tone={r.suggestion === 'keep' ? 'good' : 'bad'}>
                          {sentenceCase(r.suggestion)}
                        </Badge>
                      ),
                    },
                    { label: 'Reason', value: (r) => r.reason, optional: true },
                  ]}
                />
              </>
            )}
          </Loaded>
        </Card>
      )}
    </>
  );
}

function DaysActive({ days }: { days: number }) {
  return (
    <span className="days-active">
      <span className="days-bar" aria-hidden="true">
        <span style={{ width: `${Math.min(days / 90, 1) * 100}%` }} />
      </span>
      {days}
    </span>
  );
}

const MAX_DORMANT_DAYS = 180;

function dormantDays(text: string | null): number | null {
  const value = Number(text);
  return text && Number.isInteger(value) && value >= 1 && value <= MAX_DORMANT_DAYS ? value : null;
}

/** Dormant accounts for the days in the address (`?days=30`; 90 without it). */
function Dormant() {
  const { api } = useSession();
  const asked = useRoute().query.get('days');
  const days = dormantDays(asked) ?? 90;
  const [text, setText] = useState(String(days));
  const [problem, setProblem] = useState<string | undefined>(undefined);
  useEffect(() => {
    setText(String(days));
  }, [days]);
  const report = useResource(() => dormantAccounts(api, days), [api, days]);
  return (
    <Card title="Dormant accounts">
      <form
        className="filters"
        onSubmit={(event) => {
          event.preventDefault();
          const value = dormantDays(text.trim());
          setProblem(
            value === null
              ? `Enter a whole number of days from 1 to ${String(MAX_DORMANT_DAYS)}.`
              : undefined,
          );
          if (value !== null) navigate(`/reports/dormant?days=${String(value)}`);
        }}
        noValidate
      >
        <TextField
          label="No activity for (days)"
          type="number"
          min={1}
          max={MAX_DORMANT_DAYS}
          value={text}
          onChange={setText}
          error={problem}
        />
        <div className="filters-submit">
          <button type="submit" className="button button-primary">
            Show
          </button>
        </div>
      </form>
      <p className="muted">Active in Duo, but no Duo activity for {days} days.</p>
      <Loaded resource={report.state} retry={report.reload} label="Finding dormant accounts…">
        {(rows) => (
          <DataTable
            caption="Dormant accounts"
            rows={rows}
            rowKey={(r) => String(r.accountId)}
            csvHref={csvUrl(api, REPORT_PATHS.dormant, { days })}
            empty={
              <EmptyState title={`No dormant account`}>
                Every active Duo account was used in the last {days} days.
              </EmptyState>
            }
            columns={[
              {
                label: 'Person',
                value: personName,
                render: (r) =>
                  r.identityId ? (
                    <a href={href(`/identities/${r.identityId}`)}>{personName(r)}</a>
                  ) : (
                    personName(r)
                  ),
              },
              { label: 'User name', value: (r) => r.username, optional: true },
              { label: 'Source', value: (r) => r.sourceName, optional: true },
              {
                label: 'Status',
                value: (r) => r.status,
                render: (r) => <AccountStatusBadge status={r.status} />,
              },
              {
                label: 'Entitlements',
                value: (r) => r.groups.join('; '),
                optional: true,
              },
              {
                label: 'Last activity',
                value: (r) => formatDateTime(r.lastActivityMs ?? null),
                render: (r) => (
                  <span title={formatDateTime(r.lastActivityMs ?? null)}>
                    {formatAgo(r.lastActivityMs ?? null)}
                  </span>
                ),
              },
            ]}
          />
        )}
      </Loaded>
    </Card>
  );
}

function SecurityEvents() {
  const { api } = useSession();
  const [state, setState] = useState('');
  const range = useDateRange();
  const { from, to } = range.window;
  const query = {
    ...(state === '' ? {} : { state }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
  const {
    rows,
    state: loading,
    hasMore,
    more,
  } = usePagedList(
    (cursor?: string) => securityEvents(api, cursor === undefined ? query : { ...query, cursor }),
    [api, state, from, to],
  );
  return (
    <Card title="Security events surfaced by Duo Trust Monitor">
      <div className="toolbar">
        <label>
          Triage state{' '}
          <select
            value={state}
            onChange={(e) => {
              setState(e.target.value);
            }}
          >
            <option value="">Any</option>
            <option value="new">New</option>
            <option value="processed">Processed</option>
          </select>
        </label>
      </div>
      <div className="filters">
        <DateRangePicker range={range} />
      </div>
      {typeof loading === 'object' ? (
        <ErrorState error={loading.error} />
      ) : loading === 'loading' ? (
        <Spinner />
      ) : (
        <DataTable
          caption="Security events"
          rows={rows}
          rowKey={(r: SecurityEvent) => String(r.id)}
          csvHref={csvUrl(api, REPORT_PATHS.securityEvents, query)}
          noun={['event', 'events']}
          partial={hasMore}
          empty={<EmptyState title="No Trust Monitor event synced yet" />}
          columns={[
            {
              label: 'Surfaced',
              value: (r) => formatDateTime(r.surfacedMs),
              sortValue: (r) => r.surfacedMs,
              render: (r) => (
                <span title={formatDateTime(r.surfacedMs)}>{formatAgo(r.surfacedMs)}</span>
              ),
            },
            { label: 'Type', value: (r) => r.type ?? '', render: (r) => <code>{r.type}</code> },
            { label: 'User', value: (r) => r.identityName ?? r.username ?? '' },
            { label: 'Priority', value: (r) => (r.priority ? 'Priority' : '') },
            { label: 'Reasons', value: (r) => r.reasons.join(', '), optional: true },
            { label: 'State', value: (r) => r.state ?? '' },
            {
              label: 'Summary',
              value: (r) => r.summary,
              render: (r) => <span className="small clip">{r.summary}</span>,
              optional: true,
            },
          ]}
          footer={
            hasMore && (
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
  );
}

function AdminActions() {
  const { api } = useSession();
  const range = useDateRange();
  const { from, to } = range.window;
  const query = {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
  const { rows, state, hasMore, more } = usePagedList(
    (cursor?: string) => adminActions(api, cursor === undefined ? query : { ...query, cursor }),
    [api, from, to],
  );
  return (
    <Card title="Administrator actions in Duo">
      <div className="filters">
        <DateRangePicker range={range} />
      </div>
      {typeof state === 'object' ? (
        <ErrorState error={state.error} />
      ) : state === 'loading' ? (
        <Spinner />
      ) : (
        <DataTable
          caption="Administrator actions"
          rows={rows}
          rowKey={(r) => String(r.id)}
          csvHref={csvUrl(api, REPORT_PATHS.adminActions, query)}
          noun={['action', 'actions']}
          partial={hasMore}
          empty={<EmptyState title="No administrator action synced yet" />}
          columns={[
            {
              label: 'When',
              value: (r) => formatDateTime(r.tsMs),
              sortValue: (r) => r.tsMs,
              render: (r) => <span title={formatDateTime(r.tsMs)}>{formatAgo(r.tsMs)}</span>,
            },
            {
              label: 'Administrator',
              value: (r) => describeAdminAction(adminActionRecord(r)).who,
            },
            {
              label: 'Action',
              value: (r) => describeAdminAction(adminActionRecord(r)).text,
              render: (r) => <AdminActionText words={describeAdminAction(adminActionRecord(r))} />,
            },
          ]}
          footer={
            hasMore && (
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
  );
}

function SyncHealth() {
  const { api } = useSession();
  const report = useResource(() => syncHealth(api), [api]);
  return (
    <Card title="Sync health per stream">
      <Loaded resource={report.state} retry={report.reload}>
        {(rows) => (
          <DataTable
            caption="Sync health"
            rows={rows}
            rowKey={(r) => `${r.sourceId}-${r.stream}`}
            csvHref={csvUrl(api, REPORT_PATHS.syncHealth, {})}
            empty={
              <EmptyState title="No stream yet">
                Streams appear once an Activity Insights – Duo source has synced.
              </EmptyState>
            }
            columns={[
              {
                label: 'Source',
                value: (r) => r.sourceName,
                render: (r) => <a href={href(`/sources/${r.sourceId}`)}>{r.sourceName}</a>,
              },
              { label: 'Stream', value: (r) => sentenceCase(r.stream) },
              {
                label: 'State',
                value: (r) => r.state,
                render: (r) => <StreamStateBadge state={r.state} />,
              },
              {
                label: 'Last success',
                value: (r) => formatDateTime(r.lastSuccessAt),
                render: (r) => (
                  <span title={formatDateTime(r.lastSuccessAt)}>{formatAgo(r.lastSuccessAt)}</span>
                ),
              },
              {
                label: 'Cursor time',
                value: (r) => formatDateTime(r.syncedUntil ?? null),
                optional: true,
              },
              {
                label: 'Lag',
                value: (r) => (typeof r.lagMs === 'number' ? formatSpan(r.lagMs) : ''),
              },
              { label: 'Pages', value: (r) => r.pages, align: 'right', optional: true },
              { label: '429s', value: (r) => r.rateLimited, align: 'right' },
              { label: 'Last error', value: (r) => r.lastError?.message ?? '', optional: true },
            ]}
          />
        )}
      </Loaded>
    </Card>
  );
}
