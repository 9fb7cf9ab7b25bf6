/**
 * One identity: Duo accounts (status, entitlements, correlation), insight cards, the daily chart,
 * applications, factors and locations (new ones marked), and the activity timeline.
 */
import { useState } from 'react';
import {
  Badge,
  Card,
  EmptyState,
  ErrorState,
  Loaded,
  PageHeader,
  Spinner,
  Stat,
  Tags,
} from '../../ui/components';
import { formatAgo, formatDateTime, formatNumber, sentenceCase } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { DataTable } from '../../ui/table';
import { useToast } from '../../ui/toasts';
import { ActivityChart } from '../activity/ActivityChart';
import { AdminActionText } from '../activity/AdminActionText';
import { adminEventRecord, describeAdminAction } from '../activity/admin-actions';
import {
  activityCsvUrl,
  getInsights,
  listActivity,
  type Insights,
  type UsageCount,
} from '../activity/api';
import { Timeline } from '../activity/Timeline';
import { canManage, useSession } from '../auth/session';
import { AccountActions } from '../accounts/AccountActions';
import { entitlementNames, getAccount, type Account } from '../accounts/api';
import { AccountStatusBadge } from '../sources/badges';
import {
  getIdentity,
  identityAccountsCsvUrl,
  linkAccount,
  type Identity,
  type IdentityDetail,
} from './api';
import { IdentityPicker, initials } from './IdentityPicker';

export function IdentityPage({ id }: { id: string }) {
  const { api } = useSession();
  const identity = useResource(() => getIdentity(api, id), [api, id]);
  const insights = useResource(() => getInsights(api, id), [api, id]);
  return (
    <Loaded resource={identity.state} retry={identity.reload} label="Loading the identity…">
      {(person) => (
        <>
          <PageHeader
            back={{ to: '/identities', label: 'Identities' }}
            title={
              <span className="inline-facts">
                <span className="avatar avatar-large" aria-hidden="true">
                  {initials(person.displayName)}
                </span>
                {person.displayName}
              </span>
            }
            subtitle={[person.email, person.username].filter(Boolean).join(' · ') || undefined}
          />
          {insights.state.status === 'error' ? (
            <ErrorState error={insights.state.error} retry={insights.reload} />
          ) : insights.state.data === undefined ? (
            <Spinner label="Loading insights…" />
          ) : (
            <InsightsView insights={insights.state.data} />
          )}
          <AccountsCard identity={person} onChanged={identity.refresh} />
          {person.accounts.some((a) => a.kind === 'administrator') && (
            <AdminActionsCard identityId={id} />
          )}
          <Card title="Activity timeline">
            <Timeline
              identityId={id}
              factors={insights.state.data?.factors ?? []}
              applications={insights.state.data?.applications ?? []}
            />
          </Card>
        </>
      )}
    </Loaded>
  );
}

/** What the person did as a Duo administrator: the administrator log naming its admin accounts. */
function AdminActionsCard({ identityId }: { identityId: string }) {
  const { api } = useSession();
  const actions = useResource(
    () => listActivity(api, identityId, { as: 'administrator' }, undefined, 100),
    [api, identityId],
  );
  return (
    <Card title="As administrator">
      {actions.state.status === 'error' ? (
        <ErrorState error={actions.state.error} retry={actions.reload} />
      ) : actions.state.data === undefined ? (
        <Spinner label="Loading administrator actions…" />
      ) : (
        <DataTable
          caption="Administrator actions"
          rows={actions.state.data.events}
          rowKey={(e) => String(e.id)}
          csvHref={activityCsvUrl(api, identityId, { as: 'administrator' })}
          empty={<p className="muted table-empty">No administrator action stored.</p>}
          columns={[
            { label: 'Time', value: (e) => formatDateTime(e.tsMs) },
            {
              label: 'Administrator',
              value: (e) => describeAdminAction(adminEventRecord(e)).who,
            },
            {
              label: 'Action',
              value: (e) => describeAdminAction(adminEventRecord(e)).text,
              render: (e) => <AdminActionText words={describeAdminAction(adminEventRecord(e))} />,
            },
          ]}
        />
      )}
    </Card>
  );
}

function compare(
  value: number,
  average: number,
): { text: string; tone: 'good' | 'warn' | 'muted' } {
  if (average <= 0) return { text: 'no organisation average yet', tone: 'muted' };
  const ratio = value / average;
  if (ratio >= 1.5)
    return {
      text: `${ratio.toFixed(1)}× the organisation average (${formatNumber(Math.round(average))})`,
      tone: 'good',
    };
  if (ratio <= 0.5)
    return {
      text: `well below the organisation average (${formatNumber(Math.round(average))})`,
      tone: 'warn',
    };
  return {
    text: `about the organisation average (${formatNumber(Math.round(average))})`,
    tone: 'muted',
  };
}

function InsightsView({ insights }: { insights: Insights }) {
  const d30 = compare(insights.counts.d30, insights.orgAverage.d30);
  const d90 = compare(insights.counts.d90, insights.orgAverage.d90);
  const newValues = new Set(insights.newLocations.map((l) => l.value));
  return (
    <>
      <div className="stats" data-testid="insight-cards">
        <Stat
          label="Last activity"
          value={formatAgo(insights.lastActivityMs)}
          detail={
            insights.lastActivityMs ? formatDateTime(insights.lastActivityMs) : 'No activity synced'
          }
        />
        <Stat
          label="Last successful login"
          value={formatAgo(insights.lastSuccessMs)}
          detail={insights.lastSuccessMs ? formatDateTime(insights.lastSuccessMs) : '—'}
        />
        <Stat
          label="Days active"
          value={
            <>
              {insights.daysActive90}
              <span className="stat-unit"> of 90</span>
            </>
          }
          detail="days with any Duo activity"
          tone={insights.daysActive90 === 0 ? 'warn' : undefined}
        />
        <Stat label="Events, 30 days" value={formatNumber(insights.counts.d30)} detail={d30.text} />
        <Stat label="Events, 90 days" value={formatNumber(insights.counts.d90)} detail={d90.text} />
      </div>
      <Card title="Daily activity, last 90 days">
        {insights.daily.length === 0 ? (
          <EmptyState title="No activity in the last 90 days" />
        ) : (
          <ActivityChart daily={insights.daily} others={insights.dailyByType} />
        )}
      </Card>
      <div className="grid-3">
        <UsageCard title="Applications" usage={insights.applications} />
        <UsageCard
          title="Factors"
          usage={insights.factors}
          format={(value) =>
            insights.factors.find((f) => f.value === value)?.label ?? sentenceCase(value)
          }
        />
        <UsageCard
          title="Locations"
          usage={insights.locations}
          isNew={(v) => newValues.has(v)}
          note={
            !insights.locationHistory.enough
              ? `Less than ${String(insights.locationHistory.newWithinDays)} days of history: no place is marked new yet.`
              : undefined
          }
        />
      </div>
    </>
  );
}

function UsageCard({
  title,
  usage,
  format = (v: string) => v,
  isNew,
  note,
}: {
  title: string;
  usage: readonly UsageCount[];
  format?: (value: string) => string;
  isNew?: (value: string) => boolean;
  /** A line under the title (e.g. why no place is marked new). */
  note?: string | undefined;
}) {
  const max = Math.max(1, ...usage.map((u) => u.count));
  return (
    <Card title={title}>
      {note && (
        <p className="muted small" data-testid={`${title.toLowerCase()}-note`}>
          {note}
        </p>
      )}
      {usage.length === 0 ? (
        <p className="muted">None recorded.</p>
      ) : (
        <ul className="usage">
          {usage.slice(0, 8).map((u) => (
            <li key={u.value}>
              <div className="usage-row">
                <span className="usage-name">
                  {format(u.value)} {isNew?.(u.value) && <Badge tone="info">New</Badge>}
                </span>
                <span className="usage-count">{formatNumber(u.count)}</span>
              </div>
              <div className="usage-bar" aria-hidden="true">
                <div style={{ width: `${(u.count / max) * 100}%` }} />
              </div>
              {u.lastMs > 0 && (
                <span className="muted small">
                  last {formatAgo(u.lastMs)}
                  {u.firstMs > 0 && ` · first ${formatAgo(u.firstMs)}`}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/** The Disable / Enable / Unlock buttons of one of the identity's Duo users, once loaded. */
function IdentityAccountActions({
  accountId,
  onChanged,
}: {
  accountId: number;
  onChanged: () => void;
}) {
  const { api } = useSession();
  const detail = useResource(() => getAccount(api, accountId), [api, accountId]);
  const account = detail.state.data;
  if (!account) return null;
  return (
    <AccountActions
      account={account}
      onChanged={() => {
        detail.refresh();
        onChanged();
      }}
    />
  );
}

function AccountsCard({
  identity,
  onChanged,
}: {
  identity: IdentityDetail;
  onChanged: () => void;
}) {
  const { api, user } = useSession();
  const toast = useToast();
  const [moving, setMoving] = useState<Account | null>(null);
  const [target, setTarget] = useState<Identity | null>(null);

  async function move() {
    if (!moving || !target) return;
    try {
      await linkAccount(api, moving.id, target.id);
      toast.success(`${moving.username} now belongs to ${target.displayName}.`);
      setMoving(null);
      setTarget(null);
      onChanged();
    } catch (error) {
      toast.failure(error, 'The account was not moved');
    }
  }

  return (
    <Card title="Duo accounts">
      <DataTable
        caption="Duo accounts"
        rows={identity.accounts}
        rowKey={(a) => String(a.id)}
        csvHref={identityAccountsCsvUrl(api, identity.id)}
        empty={<p className="muted table-empty">No Duo account is linked to this identity.</p>}
        columns={[
          {
            label: 'Source',
            value: (a) => a.sourceName ?? '',
            render: (a) =>
              a.sourceId ? (
                <a href={href(`/sources/${a.sourceId}/accounts`)}>{a.sourceName ?? 'Source'}</a>
              ) : (
                (a.sourceName ?? '—')
              ),
          },
          {
            label: 'User name',
            value: (a) => a.username,
            render: (a) => <a href={href(`/accounts/${String(a.id)}`)}>{a.username}</a>,
          },
          {
            label: 'Kind',
            value: (a) =>
              a.kind === 'administrator' ? `Administrator (${a.adminRole ?? '—'})` : 'User',
          },
          {
            label: 'Status',
            value: (a) => a.status,
            render: (a) => <AccountStatusBadge status={a.status} />,
          },
          {
            label: 'Entitlements',
            value: (a) => entitlementNames(a).join('; '),
            render: (a) => <Tags values={entitlementNames(a)} />,
          },
          {
            label: 'Last Duo login',
            value: (a) => formatDateTime(a.lastLoginMs ?? null),
            render: (a) => (
              <span title={formatDateTime(a.lastLoginMs ?? null)}>
                {formatAgo(a.lastLoginMs ?? null)}
              </span>
            ),
            optional: true,
          },
          {
            label: 'Linked by',
            value: (a) => a.correlation ?? '',
            render: (a) => sentenceCase(a.correlation ?? '—'),
            optional: true,
          },
          ...(canManage(user)
            ? [
                {
                  label: 'Actions',
                  value: () => '',
                  render: (a: Account) => (
                    <div className="identity-account-actions">
                      {a.kind === 'user' && (
                        <IdentityAccountActions accountId={a.id} onChanged={onChanged} />
                      )}
                      <button
                        type="button"
                        className="button button-small button-ghost"
                        onClick={() => {
                          setMoving(a);
                        }}
                      >
                        Link to another identity
                      </button>
                    </div>
                  ),
                },
              ]
            : []),
        ]}
      />
      {moving && (
        <div
          className="inline-panel"
          role="group"
          aria-label={`Link ${moving.username} to another identity`}
        >
          <p>
            Link <strong>{moving.username}</strong> to another identity (a manual correlation, kept
            by later aggregations).
          </p>
          <IdentityPicker label="Identity" value={target} onChange={setTarget} />
          <div className="form-actions">
            <button
              type="button"
              className="button button-ghost"
              onClick={() => {
                setMoving(null);
              }}
            >
              Cancel
            </button>
            <button
              type="button"
              className="button button-primary"
              disabled={!target}
              onClick={() => void move()}
            >
              Link account
            </button>
          </div>
        </div>
      )}
    </Card>
  );
}
