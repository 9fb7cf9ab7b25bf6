/**
 * A source's health in one line: for an activity source the streams per state (and which
 * fail), for a Duo source its accounts per status. `healthText` says the same in words (what
 * the sources table sorts and filters on).
 */
import { Badge } from '../../ui/components';
import { formatNumber } from '../../ui/format';
import type { SourceHealth } from '../../../../api/contract/index.js';

type Verdict =
  | { kind: 'none'; text: string }
  | { kind: 'failing' | 'healthy' | 'syncing'; text: string; notInPlan: number; failing: string[] }
  | { kind: 'accounts'; text: string };

function verdict(health: SourceHealth): Verdict {
  if ('streams' in health) {
    const byState = health.streams;
    const total = Object.values(byState).reduce((a, b) => a + b, 0);
    if (total === 0) return { kind: 'none', text: 'No stream synced yet' };
    const ok = byState['ok'] ?? 0;
    const notInPlan = byState['not_available'] ?? 0;
    const failing = health.failing;
    if (failing.length > 0)
      return { kind: 'failing', text: `${String(failing.length)} failing`, notInPlan, failing };
    if (ok + notInPlan === total)
      return { kind: 'healthy', text: `${String(ok)} healthy`, notInPlan, failing };
    return {
      kind: 'syncing',
      text: `${String(ok)} of ${String(total)} synced`,
      notInPlan,
      failing,
    };
  }
  const byStatus = Object.entries(health.accounts);
  const total = byStatus.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return { kind: 'none', text: 'No account yet' };
  const active = health.accounts['active'] ?? 0;
  return {
    kind: 'accounts',
    text: `${formatNumber(total)} accounts · ${formatNumber(active)} active`,
  };
}

/** The health in words, as the table sorts and filters on it. */
export function healthText(health: SourceHealth): string {
  const v = verdict(health);
  return 'notInPlan' in v && v.notInPlan > 0
    ? `${v.text}, ${String(v.notInPlan)} not in plan`
    : v.text;
}

export function HealthSummary({ health }: { health: SourceHealth }) {
  const v = verdict(health);
  if (v.kind === 'none') return <span className="muted">{v.text}</span>;
  if (v.kind === 'accounts') return <span className="small">{v.text}</span>;
  return (
    <span className="inline-facts">
      <Badge
        tone={v.kind === 'failing' ? 'bad' : v.kind === 'healthy' ? 'good' : 'info'}
        {...(v.kind === 'failing' ? { title: `Failing: ${v.failing.join(', ')}` } : {})}
      >
        {v.text}
      </Badge>
      {v.notInPlan > 0 ? <span className="muted small">{v.notInPlan} not in plan</span> : null}
    </span>
  );
}
