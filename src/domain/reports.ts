/**
 * Report rules that are pure decisions: the keep/revoke suggestion of an access review. The
 * reviewer decides; the suggestion says why, in words they can check beside the numbers.
 *
 * @example suggestAccess({ status: 'active', lastActivityMs, daysActive90: 12 }, now)
 */
import { DAY_MS } from './time.js';

export type AccessSuggestion = 'keep' | 'revoke';

/** Days without activity after which an access review suggests revoking. */
export const REVIEW_DORMANT_DAYS = 90;

export interface ReviewFacts {
  /** The Duo account's status. */
  readonly status: string;
  /** Last activity seen (events, or Duo's last login), null when never. */
  readonly lastActivityMs: number | null;
  /** Distinct days with activity in the last 90 days. */
  readonly daysActive90: number;
}

export function suggestAccess(
  facts: ReviewFacts,
  now: number,
): { readonly suggestion: AccessSuggestion; readonly reason: string } {
  if (facts.status === 'disabled' || facts.status === 'pending deletion')
    return { suggestion: 'revoke', reason: `the Duo account is ${facts.status}` };
  if (facts.lastActivityMs === null)
    return { suggestion: 'revoke', reason: 'never active: no Duo activity seen for this account' };
  const idleDays = Math.floor((now - facts.lastActivityMs) / DAY_MS);
  if (idleDays >= REVIEW_DORMANT_DAYS)
    return { suggestion: 'revoke', reason: `no Duo activity for ${idleDays} days` };
  // Active within 90 days by Duo's own last login (or an administrator's log), with no day of
  // stored events: no activity source, or an administrator. The last activity is what counts.
  if (facts.daysActive90 === 0)
    return {
      suggestion: 'keep',
      reason: `last active ${ago(idleDays)} (Duo's last login or the administrator log); no day with stored events in the last 90 days`,
    };
  return {
    suggestion: 'keep',
    reason: `active on ${facts.daysActive90} of the last 90 days, last active ${ago(idleDays)}`,
  };
}

function ago(days: number): string {
  if (days === 0) return 'today';
  return days === 1 ? 'yesterday' : `${days} days ago`;
}
