/**
 * Pieces the review screens share: a campaign's state badge, its due date (overdue marked), a
 * progress bar (done of total), remediation in words, and what waits for the signed-in reviewer
 * (the landing page's card and the count on the navigation's Reviews entry).
 *
 * @example <ProgressBar progress={campaign.progress} label="Progress" />
 */
import { Badge, Card, type Tone } from '../../ui/components';
import { formatDate, formatNumber, plural } from '../../ui/format';
import { useInterval, useResource } from '../../ui/resource';
import { href } from '../../ui/router';
import { useSession } from '../auth/session';
import {
  campaignPath,
  listCampaigns,
  STATE_LABELS,
  type Campaign,
  type CampaignState,
} from './api';

const STATE_TONES: Record<CampaignState, Tone> = {
  open: 'info',
  signed_off: 'warn',
  remediating: 'warn',
  remediated: 'good',
};

export function CampaignStateBadge({ state }: { state: CampaignState }) {
  return <Badge tone={STATE_TONES[state]}>{STATE_LABELS[state]}</Badge>;
}

export function DueDate({ campaign }: { campaign: Campaign }) {
  return (
    <span className="review-due">
      {formatDate(campaign.dueMs)}
      {campaign.overdue && campaign.state === 'open' && (
        <>
          {' '}
          <Badge tone="bad">Overdue</Badge>
        </>
      )}
    </span>
  );
}

/** Done of total with a bar; the bar is a progressbar for screen readers. */
export function ProgressBar({
  progress,
  label,
  wide = false,
}: {
  progress: { decided: number; total: number };
  label: string;
  /** The full width of its card (a campaign's own progress). */
  wide?: boolean;
}) {
  const share = progress.total === 0 ? 1 : progress.decided / progress.total;
  const pct = Math.round(share * 100);
  return (
    <span className={wide ? 'review-progress review-progress-wide' : 'review-progress'}>
      <span
        className="review-bar"
        role="progressbar"
        aria-label={label}
        aria-valuenow={pct}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuetext={`${formatNumber(progress.decided)} of ${formatNumber(progress.total)} decided`}
      >
        <span className="review-bar-fill" style={{ width: `${pct}%` }} />
      </span>
      <span className="review-progress-text">
        {formatNumber(progress.decided)} of {formatNumber(progress.total)}
      </span>
    </span>
  );
}

/** What remediation did (or will do), in a few words. */
export function remediationText(campaign: Campaign): string {
  const r = campaign.remediation;
  if (campaign.state === 'open') return '—';
  if (r.mode === 'manual')
    return `Manual: ${plural(r.steps || campaign.progress.revoke, 'revocation')}`;
  if (campaign.state === 'signed_off')
    return `${plural(campaign.progress.revoke, 'revocation')} to make in Duo`;
  const parts = [`${formatNumber(r.accepted)} of ${formatNumber(r.steps)} done`];
  if (r.failed > 0) parts.push(`${formatNumber(r.failed)} failed`);
  if (r.uncertain > 0) parts.push(`${formatNumber(r.uncertain)} uncertain`);
  if (r.manual > 0) parts.push(`${formatNumber(r.manual)} manual`);
  if (r.removed > 0) parts.push(`${formatNumber(r.removed)} verified removed`);
  if (r.stillPresent > 0) parts.push(`${formatNumber(r.stillPresent)} still present`);
  return parts.join(' · ');
}

/** Open campaigns where the signed-in person still has items to decide. */
function waiting(campaigns: readonly Campaign[]): Campaign[] {
  return campaigns.filter((c) => c.state === 'open' && c.mine && c.mine.decided < c.mine.total);
}

function useWaiting() {
  const { api } = useSession();
  const campaigns = useResource(() => listCampaigns(api, { state: 'open', mine: true }), [api]);
  useInterval(campaigns.refresh, 60_000, campaigns.state.status !== 'loading');
  return { campaigns, list: waiting(campaigns.state.data ?? []) };
}

/** The count on the navigation's Reviews entry: campaigns waiting for the signed-in person. */
export function WaitingBadge() {
  const { list } = useWaiting();
  if (list.length === 0) return null;
  return (
    <>
      <span className="nav-count" aria-hidden="true">
        {list.length}
      </span>
      <span className="visually-hidden">
        {`, ${plural(list.length, 'campaign')} waiting for your review`}
      </span>
    </>
  );
}

/** The landing page's "Waiting for your review" card; nothing when nothing waits. */
export function WaitingForReviewCard() {
  const { list } = useWaiting();
  if (list.length === 0) return null;
  return (
    <Card title="Waiting for your review" className="review-waiting">
      <ul className="review-waiting-list">
        {list.map((c) => {
          const left = (c.mine?.total ?? 0) - (c.mine?.decided ?? 0);
          return (
            <li key={c.id}>
              <a href={href(campaignPath(c.id))} className="strong-link">
                {c.name}
              </a>
              <span>{plural(left, 'item')} to decide</span>
              <span className="muted">
                Due <DueDate campaign={c} />
              </span>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}
