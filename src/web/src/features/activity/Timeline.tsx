/**
 * An identity's activity timeline: filters (type, result, factor, application, time range) and
 * infinite scroll (the next page loads when the end of the list comes into view).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Badge,
  EmptyState,
  ErrorState,
  SelectField,
  Spinner,
  type Tone,
} from '../../ui/components';
import { DateRangePicker, useDateRange } from '../../ui/date-range';
import { formatAgo, formatDateTime, sentenceCase } from '../../ui/format';
import { useSession } from '../auth/session';
import { adminEventRecord, describeAdminAction } from './admin-actions';
import {
  listActivity,
  type ActivityEvent,
  type ActivityFilter,
  type FactorCount,
  type UsageCount,
} from './api';

const STREAMS = [
  ['authentication', 'Authentication'],
  ['telephony', 'Telephony'],
  ['offline_enrollment', 'Offline enrollment'],
  ['administrator', 'Administrator actions'],
  ['activity', 'Activity'],
  ['trust_monitor', 'Trust Monitor'],
] as const;

/** Streams whose `result` is an outcome (success, denied, fraud); telephony's is its context. */
const RESULT_STREAMS = new Set(['authentication', 'activity', 'offline_enrollment']);

const RESULTS = ['success', 'denied', 'fraud', 'error', 'failure'];

export function resultTone(result: string | null): Tone {
  switch ((result ?? '').toLowerCase()) {
    case 'success':
      return 'good';
    case 'fraud':
      return 'bad';
    case '':
      return 'muted';
    default:
      return 'warn';
  }
}

export function Timeline({
  identityId,
  factors,
  applications,
}: {
  identityId: string;
  factors: readonly FactorCount[];
  applications: readonly UsageCount[];
}) {
  const { api } = useSession();
  const [stream, setStream] = useState('');
  const [result, setResult] = useState('');
  const [factor, setFactor] = useState('');
  const [application, setApplication] = useState('');
  const range = useDateRange();
  const [events, setEvents] = useState<ActivityEvent[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<'loading' | 'ready' | 'more' | 'error'>('loading');
  const [error, setError] = useState<unknown>(null);
  const sentinel = useRef<HTMLDivElement>(null);

  const filterKey = JSON.stringify({ stream, result, factor, application, ...range.window });
  const filter = useCallback((): ActivityFilter => {
    const parsed = JSON.parse(filterKey) as Record<string, string | undefined>;
    const from = Number(parsed['from'] ?? '');
    const to = Number(parsed['to'] ?? '');
    return {
      ...(parsed['stream'] ? { stream: parsed['stream'] } : {}),
      // Administrator actions are what the person did as a Duo administrator: the log names
      // the administrator, not a Duo user.
      ...(parsed['stream'] === 'administrator' ? { as: 'administrator' as const } : {}),
      ...(parsed['result'] ? { result: parsed['result'] } : {}),
      ...(parsed['factor'] ? { factor: parsed['factor'] } : {}),
      ...(parsed['application'] ? { application: parsed['application'] } : {}),
      ...(from > 0 ? { from } : {}),
      ...(to > 0 ? { to } : {}),
    };
  }, [filterKey]);

  useEffect(() => {
    let live = true;
    setStatus('loading');
    listActivity(api, identityId, filter()).then(
      (page) => {
        if (!live) return;
        setEvents(page.events);
        setNext(page.next);
        setStatus('ready');
      },
      (failure: unknown) => {
        if (!live) return;
        setError(failure);
        setStatus('error');
      },
    );
    return () => {
      live = false;
    };
  }, [api, identityId, filter]);

  const loadMore = useCallback(() => {
    if (!next || status !== 'ready') return;
    setStatus('more');
    listActivity(api, identityId, filter(), next).then(
      (page) => {
        setEvents((list) => [...list, ...page.events]);
        setNext(page.next);
        setStatus('ready');
      },
      (failure: unknown) => {
        setError(failure);
        setStatus('error');
      },
    );
  }, [api, identityId, filter, next, status]);

  useEffect(() => {
    const element = sentinel.current;
    if (!element || !next) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) loadMore();
      },
      { rootMargin: '300px' },
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
    };
  }, [loadMore, next]);

  const anyFilter = Boolean(stream || result || factor || application || range.preset);
  return (
    <div className="timeline-block">
      <div className="filters" role="group" aria-label="Timeline filters">
        <SelectField
          label="Type"
          value={stream}
          onChange={setStream}
          options={[
            { value: '', label: 'All types' },
            ...STREAMS.map(([value, label]) => ({ value, label })),
          ]}
        />
        <SelectField
          label="Result"
          value={result}
          onChange={setResult}
          options={[
            { value: '', label: 'Any result' },
            ...RESULTS.map((r) => ({ value: r, label: sentenceCase(r) })),
          ]}
        />
        <SelectField
          label="Factor"
          value={factor}
          onChange={setFactor}
          options={[
            { value: '', label: 'Any factor' },
            ...factors.map((f) => ({ value: f.value, label: f.label })),
          ]}
        />
        <SelectField
          label="Application"
          value={application}
          onChange={setApplication}
          options={[
            { value: '', label: 'Any application' },
            ...applications.map((a) => ({ value: a.value, label: a.value })),
          ]}
        />
        <DateRangePicker range={range} />
      </div>
      {status === 'loading' ? (
        <Spinner label="Loading activity…" />
      ) : status === 'error' && events.length === 0 ? (
        <ErrorState error={error} />
      ) : events.length === 0 ? (
        <EmptyState title={anyFilter ? 'No activity matches these filters' : 'No activity yet'}>
          {anyFilter
            ? 'Widen the time range or clear a filter.'
            : 'Activity appears once an Activity Insights – Duo source has synced.'}
        </EmptyState>
      ) : (
        <>
          <ol className="timeline" aria-label="Activity, newest first" data-testid="timeline">
            {events.map((event) => (
              <TimelineItem key={`${event.stream}-${event.id}`} event={event} />
            ))}
          </ol>
          <div ref={sentinel} className="timeline-end">
            {status === 'more' ? (
              <Spinner label="Loading older activity…" />
            ) : status === 'error' ? (
              <ErrorState error={error} retry={loadMore} />
            ) : next ? (
              <button type="button" className="button" onClick={loadMore}>
                Load older activity
              </button>
            ) : (
              <p className="muted small">The beginning of the synced history.</p>
            )}
          </div>
        </>
      )}
    </div>
  );
}

/**
 * A Trust Monitor event keeps its type as the reason and its triage state as the result: the
 * row says what Duo surfaced, the badge where the security team is with it.
 */
function trustMonitorTitle(event: ActivityEvent): string {
  if (event.reason === 'bypass_status') return 'Trust Monitor: put in bypass';
  if (event.reason === 'auth') return 'Trust Monitor: unusual authentication surfaced';
  return `Trust Monitor: ${event.reason ?? 'event'}`;
}

function TimelineItem({ event }: { event: ActivityEvent }) {
  if (event.stream === 'administrator') return <AdminTimelineItem event={event} />;
  const trust = event.stream === 'trust_monitor';
  const label = trust
    ? trustMonitorTitle(event)
    : (STREAMS.find(([value]) => value === event.stream)?.[1] ?? sentenceCase(event.stream));
  return (
    <li
      className={`timeline-item timeline-${trust ? (event.result === 'new' ? 'warn' : 'muted') : RESULT_STREAMS.has(event.stream) ? resultTone(event.result) : 'muted'}`}
    >
      <div className="timeline-when">
        <time dateTime={new Date(event.tsMs).toISOString()} title={formatDateTime(event.tsMs)}>
          {formatDateTime(event.tsMs)}
        </time>
        <span className="muted small">{formatAgo(event.tsMs)}</span>
      </div>
      <div className="timeline-what">
        <p className="timeline-title">
          <span>{label}</span>
          {event.result &&
            (trust ? (
              <Badge tone={event.result === 'new' ? 'warn' : 'neutral'}>
                {event.result === 'new' ? 'New, not triaged' : sentenceCase(event.result)}
              </Badge>
            ) : RESULT_STREAMS.has(event.stream) ? (
              <Badge tone={resultTone(event.result)}>{sentenceCase(event.result)}</Badge>
            ) : (
              <span className="muted">{sentenceCase(event.result)}</span>
            ))}
          {event.application && <span className="muted">· {event.application}</span>}
        </p>
        <p className="timeline-details small">
          {[
            event.factor && (event.factorLabel ?? sentenceCase(event.factor)),
            !trust && event.reason && sentenceCase(event.reason),
            event.location,
            event.ip,
            [event.accessOs, event.accessBrowser].filter(Boolean).join(' / '),
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
      </div>
    </li>
  );
}

/** An administrator-log record: who did what to which object, and the changed fields. */
function AdminTimelineItem({ event }: { event: ActivityEvent }) {
  const words = describeAdminAction(adminEventRecord(event));
  return (
    <li className="timeline-item timeline-muted">
      <div className="timeline-when">
        <time dateTime={new Date(event.tsMs).toISOString()} title={formatDateTime(event.tsMs)}>
          {formatDateTime(event.tsMs)}
        </time>
        <span className="muted small">{formatAgo(event.tsMs)}</span>
      </div>
      <div className="timeline-what">
        <p className="timeline-title">
          <span>
            {words.who} {words.what}
          </span>
        </p>
        {words.details.length > 0 && (
          <p className="timeline-details small">{words.details.join(' · ')}</p>
        )}
      </div>
    </li>
  );
}
