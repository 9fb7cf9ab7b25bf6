/**
 * A source's health in one line: for an activity source the streams per state (and which
 * fail), for a Duo source its accounts per status.
 */
import { isRecord } from '../../api/client';
import { Badge } from '../../ui/components';
import { formatNumber } from '../../ui/format';

function counts(value: unknown): [string, number][] {
  if (!isRecord(value)) return [];
  return Object.entries(value).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number',
  );
}

export function HealthSummary({ health }: { health: unknown }) {
  if (!isRecord(health)) return <span className="muted">—</span>;
  if (isRecord(health['streams'])) {
    const byState = Object.fromEntries(counts(health['streams']));
    const failing = Array.isArray(health['failing']) ? (health['failing'] as string[]) : [];
    const total = Object.values(byState).reduce((a, b) => a + b, 0);
    if (total === 0) return <span className="muted">No stream synced yet</span>;
    return (
      <span className="inline-facts">
        {failing.length > 0 ? (
          <Badge tone="bad" title={`Failing: ${failing.join(', ')}`}>
            {failing.length} failing
          </Badge>
        ) : (byState['ok'] ?? 0) + (byState['not_available'] ?? 0) === total ? (
          <Badge tone="good">{byState['ok'] ?? 0} healthy</Badge>
        ) : (
          <Badge tone="info">
            {byState['ok'] ?? 0} of {total} synced
          </Badge>
        )}
        {byState['not_available'] ? (
          <span className="muted small">{byState['not_available']} not in plan</span>
        ) : null}
      </span>
    );
  }
  if (isRecord(health['accounts'])) {
    const byStatus = counts(health['accounts']);
    const total = byStatus.reduce((sum, [, n]) => sum + n, 0);
    if (total === 0) return <span className="muted">No account yet</span>;
    const active = byStatus.find(([status]) => status === 'active')?.[1] ?? 0;
    return (
      <span className="small">
        {formatNumber(total)} accounts · {formatNumber(active)} active
      </span>
    );
  }
  return <span className="muted">—</span>;
}
