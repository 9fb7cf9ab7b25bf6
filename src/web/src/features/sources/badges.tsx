/** Status badges shared by the pages: source state, run status, stream state, Duo account status. */
import { Badge, type Tone } from '../../ui/components';
import { sentenceCase } from '../../ui/format';
import type { RunStatus, SourceState, StreamState } from './api';

const SOURCE_STATE: Record<SourceState, [Tone, string, string]> = {
  unconfigured: ['muted', 'Not configured', 'Enter the integration key, secret key and API host'],
  configured: ['warn', 'Not tested', 'Run Test Connection before it syncs'],
  verified: ['good', 'Connected', 'The last Test Connection passed'],
  failing: ['bad', 'Failing', 'The last test or run failed'],
};

export function SourceStateBadge({ state }: { state: SourceState }) {
  const [tone, label, title] = SOURCE_STATE[state];
  return (
    <Badge tone={tone} title={title}>
      {label}
    </Badge>
  );
}

const RUN_STATUS: Record<RunStatus, Tone> = {
  queued: 'info',
  running: 'info',
  succeeded: 'good',
  partial: 'warn',
  failed: 'bad',
  cancelled: 'muted',
};

export function RunStatusBadge({ status }: { status: RunStatus }) {
  return <Badge tone={RUN_STATUS[status]}>{sentenceCase(status)}</Badge>;
}

const STREAM_STATE: Record<StreamState, [Tone, string]> = {
  ok: ['good', 'Healthy'],
  failing: ['bad', 'Failing'],
  not_available: ['muted', 'Not in plan'],
  idle: ['neutral', 'Waiting'],
};

export function StreamStateBadge({ state }: { state: StreamState }) {
  const [tone, label] = STREAM_STATE[state];
  return <Badge tone={tone}>{label}</Badge>;
}

/** Duo's user statuses; an unknown new one is shown as Duo sends it. */
export function AccountStatusBadge({ status, deleted }: { status: string; deleted?: boolean }) {
  if (deleted) return <Badge tone="muted">Deleted in Duo</Badge>;
  const key = status.toLowerCase();
  const tone: Tone =
    key === 'active'
      ? 'good'
      : key === 'bypass'
        ? 'warn'
        : key === 'locked out'
          ? 'bad'
          : key === 'disabled' || key === 'pending deletion'
            ? 'muted'
            : 'neutral';
  return <Badge tone={tone}>{sentenceCase(status)}</Badge>;
}
