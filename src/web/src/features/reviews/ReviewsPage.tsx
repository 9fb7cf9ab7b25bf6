/**
 * Reviews: every campaign the signed-in person may see, with its state, progress (done of total),
 * their own progress, the due date (overdue marked) and what remediation did; filtered by state
 * (`?state=`, kept in the address); "New campaign" for admins and source managers.
 */
import { canManage, useSession } from '../auth/session';
import { Badge, Card, EmptyState, Loaded, PageHeader, SelectField } from '../../ui/components';
import { formatDate, formatDateTime, formatNumber } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { href, navigate, useRoute } from '../../ui/router';
import { DataTable } from '../../ui/table';
import {
  campaignPath,
  listCampaigns,
  newCampaignPath,
  STATE_LABELS,
  type Campaign,
  type CampaignState,
} from './api';
import { CampaignStateBadge, DueDate, ProgressBar, remediationText } from './parts';
import './reviews.css';

const STATES = Object.keys(STATE_LABELS) as CampaignState[];

function isState(value: string | null): value is CampaignState {
  return value !== null && (STATES as string[]).includes(value);
}

export function ReviewsPage() {
  const { api, user } = useSession();
  const route = useRoute();
  const chosen = route.query.get('state');
  const state = isState(chosen) ? chosen : undefined;
  const campaigns = useResource(
    () => listCampaigns(api, state === undefined ? {} : { state }),
    [api, state],
  );

  return (
    <>
      <PageHeader
        title="Reviews"
        subtitle="Access-review campaigns: reviewers keep or revoke each access, then the revocations are made in Duo."
        actions={
          canManage(user) && (
            <a className="button button-primary" href={href(newCampaignPath())}>
              New campaign
            </a>
          )
        }
      />
      <Card>
        <div className="filters">
          <SelectField
            label="State"
            value={state ?? ''}
            onChange={(value) => {
              navigate(value ? `/reviews?state=${value}` : '/reviews', { replace: true });
            }}
            options={[
              { value: '', label: 'Every state' },
              ...STATES.map((s) => ({ value: s, label: STATE_LABELS[s] })),
            ]}
          />
        </div>
        <Loaded resource={campaigns.state} retry={campaigns.reload} label="Loading campaigns…">
          {(list) => (
            <DataTable
              caption="Campaigns"
              rows={list}
              rowKey={(c) => c.id}
              noun={['campaign', 'campaigns']}
              empty={
                <EmptyState
                  title={
                    state
                      ? `No campaign is ${STATE_LABELS[state].toLowerCase()}`
                      : 'No campaign yet'
                  }
                  {...(canManage(user) && !state
                    ? {
                        action: (
                          <a className="button" href={href(newCampaignPath())}>
                            Start the first campaign
                          </a>
                        ),
                      }
                    : {})}
                >
                  {canManage(user)
                    ? 'A campaign asks reviewers to keep or revoke each member of Duo groups or each account of a Duo source.'
                    : 'Campaigns you review appear here.'}
                </EmptyState>
              }
              columns={[
                {
                  label: 'Campaign',
                  value: (c) => c.name,
                  render: (c) => (
                    <a href={href(campaignPath(c.id))} className="strong-link">
                      {c.name}
                    </a>
                  ),
                },
                {
                  label: 'State',
                  value: (c) => STATE_LABELS[c.state],
                  render: (c) => <CampaignStateBadge state={c.state} />,
                },
                {
                  label: 'Progress',
                  value: (c) => c.progress.decided / Math.max(c.progress.total, 1),
                  render: (c) => (
                    <ProgressBar progress={c.progress} label={`Progress of ${c.name}`} />
                  ),
                },
                {
                  label: 'Mine',
                  value: (c) => (c.mine ? c.mine.total - c.mine.decided : null),
                  render: (c) => <MineCell campaign={c} />,
                  optional: true,
                },
                {
                  label: 'Due',
                  value: (c) => formatDate(c.dueMs),
                  sortValue: (c) => c.dueMs,
                  render: (c) => <DueDate campaign={c} />,
                },
                {
                  label: 'Remediation',
                  value: (c) => remediationText(c),
                  optional: true,
                },
                {
                  label: 'Created',
                  value: (c) => formatDateTime(c.createdAt),
                  sortValue: (c) => c.createdAt,
                  optional: true,
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
    </>
  );
}

function MineCell({ campaign }: { campaign: Campaign }) {
  const mine = campaign.mine;
  if (!mine) return <span className="muted">—</span>;
  const left = mine.total - mine.decided;
  return left === 0 ? (
    <Badge tone="good">All {formatNumber(mine.total)} done</Badge>
  ) : (
    <span>
      {formatNumber(mine.decided)} of {formatNumber(mine.total)}
      {campaign.state === 'open' && <span className="muted"> · {formatNumber(left)} to do</span>}
    </span>
  );
}
