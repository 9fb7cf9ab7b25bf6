/**
 * The security events report: the Trust Monitor events of the activity sources, newest first by
 * the time Duo surfaced them, with their type, user (and the identity the Duo user belongs to),
 * priority, reasons and triage state; filtered by source, state, type and time, keyset-paged on
 * (surfaced time, id) like every event list. The state is the one stored by the last sync: a
 * re-read of an event triaged in Duo replaces it.
 *
 * @example const page = await securityEventsReport(deps, actor, { states: ['new'], limit: 50 });
 */
import type { ActivityCursor, ActivityEvent } from '../domain/activity.js';
import type { Identity } from '../domain/identities.js';
import { ms, type EpochMs } from '../domain/time.js';
import { TRUST_MONITOR_TYPES } from '../duo/wire.js';
import { findIdentitiesOfDuoUsers } from '../store/accounts.js';
import type { Db } from '../store/dialect.js';
import type { Readers } from '../store/readers.js';
import { listSources } from '../store/sources.js';
import { InputError } from '../sync/sources.js';
import type { Actor } from './actor.js';
import { csvTime, type CsvColumn } from './csv.js';
import {
  authoriseReportReader,
  DEFAULT_ADMIN_ACTIONS_PAGE,
  EXPORT_PAGE,
  MAX_PAGE,
  primed,
  type ReportDeps,
} from './reports.js';

/** The triage states Duo gives a Trust Monitor event. */
export const SECURITY_EVENT_STATES = ['new', 'processed'] as const;
/** The event types Duo documents (its `type` filter). */
export const SECURITY_EVENT_TYPES = TRUST_MONITOR_TYPES;

export interface SecurityEventsInput {
  /** Only this activity source's events; default every `duo-activity` source. */
  readonly sourceId?: string;
  /** Only events in these triage states (`new`, `processed`). */
  readonly states?: readonly string[];
  /** Only events of these types (`auth`, `bypass_status`). */
  readonly types?: readonly string[];
  /** Surfaced at or after. */
  readonly fromMs?: EpochMs;
  /** Surfaced before. */
  readonly toMs?: EpochMs;
}

export interface SecurityEventsPageInput extends SecurityEventsInput {
  /** Events on the page (1–1000; default 100). */
  readonly limit?: number;
  /** Where the previous page ended (its `next`). */
  readonly cursor?: ActivityCursor;
}

interface Labelled {
  readonly type?: string | null;
  readonly label?: string | null;
  readonly summary?: string | null;
}

function texts(value: unknown, field: 'label' | 'summary'): string[] {
  if (!Array.isArray(value)) return [];
  return (value as (Labelled | null)[]).flatMap((item) => {
    const text = item?.[field] ?? item?.type;
    return typeof text === 'string' && text !== '' ? [text] : [];
  });
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** One Trust Monitor event as the report shows it. */
export function securityEventView(e: ActivityEvent, identity?: { id: string; name: string }) {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const auth = (p['surfaced_auth'] ?? null) as Record<string, unknown> | null;
  const enabledBy = (p['enabled_by'] ?? null) as Record<string, unknown> | null;
  const type = textOf(p['type']) ?? e.reason;
  return {
    id: e.id,
    sourceId: e.sourceId,
    sv4Id: e.naturalKey,
    surfacedMs: e.tsMs,
    type,
    state: textOf(p['state']) ?? e.result,
    stateUpdatedMs:
      typeof p['state_updated_timestamp'] === 'number' ? p['state_updated_timestamp'] : null,
    triagedAsInteresting: p['triaged_as_interesting'] === true,
    priority: p['priority_event'] === true,
    reasons: texts(p['priority_reasons'], 'label'),
    explanations: texts(p['explanations'], 'summary'),
    duoUserKey: e.userKey,
    username: e.username,
    identityId: identity?.id ?? null,
    identityName: identity?.name ?? null,
    application: e.application,
    location: e.location,
    ip: e.ip,
    result: auth === null ? null : textOf(auth['result']),
    enabledBy: enabledBy === null ? null : (textOf(enabledBy['name']) ?? textOf(enabledBy['key'])),
    triageUri: textOf(p['triage_event_uri']),
    summary: securityEventSummary(type, e, auth, enabledBy),
  };
}

export type SecurityEvent = ReturnType<typeof securityEventView>;

/** A sentence for a timeline row: what Duo surfaced, about whom. */
export function securityEventSummary(
  type: string | null,
  e: Pick<ActivityEvent, 'username' | 'application' | 'location'>,
  auth: Record<string, unknown> | null,
  enabledBy: Record<string, unknown> | null,
): string {
  const who = e.username ?? 'a user';
  if (type === 'bypass_status') {
    const by = enabledBy === null ? null : (textOf(enabledBy['name']) ?? textOf(enabledBy['key']));
    return `${who} was put in bypass${by === null ? '' : ` by ${by}`}`;
  }
  if (type === 'auth') {
    const result = auth === null ? null : textOf(auth['result']);
    const where = [
      e.application === null ? '' : ` to ${e.application}`,
      e.location === null ? '' : ` from ${e.location}`,
    ].join('');
    return `Unusual authentication${result === null ? '' : ` (${result})`} by ${who}${where}`;
  }
  return `Trust Monitor event${type === null ? '' : ` ${type}`} for ${who}`;
}

/** One page of Trust Monitor events, newest first; `next` is where the following page starts. */
export async function securityEventsReport(
  deps: ReportDeps,
  actor: Actor,
  input: SecurityEventsPageInput,
): Promise<{ events: SecurityEvent[]; next: ActivityCursor | undefined }> {
  authoriseReportReader(actor);
  checkFilters(input);
  const limit = input.limit ?? DEFAULT_ADMIN_ACTIONS_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new RangeError(`limit must be a whole number from 1 to ${String(MAX_PAGE)}`);
  return securityEventsPage(deps, {
    ...input,
    sourceIds: await sourcesOf(deps.db, input),
    limit,
  });
}

/**
 * Every Trust Monitor event of the filters, newest first, page after page (an export's rows,
 * never all in memory). The actor and the filters are checked before the first page is read.
 */
export async function securityEventsExport(
  deps: ReportDeps,
  actor: Actor,
  input: SecurityEventsInput,
): Promise<AsyncIterable<SecurityEvent[]>> {
  authoriseReportReader(actor);
  checkFilters(input);
  const sourceIds = await sourcesOf(deps.db, input);
  return primed(
    (async function* pages() {
      let cursor: ActivityCursor | undefined;
      do {
        const page = await securityEventsPage(deps, {
          ...input,
          sourceIds,
          limit: EXPORT_PAGE,
          ...(cursor === undefined ? {} : { cursor }),
        });
        yield page.events;
        cursor = page.next;
      } while (cursor !== undefined);
    })(),
  );
}

export const SECURITY_EVENT_COLUMNS: readonly CsvColumn<SecurityEvent>[] = [
  { header: 'surfaced', value: (e) => csvTime(e.surfacedMs) },
  { header: 'type', value: (e) => e.type },
  { header: 'state', value: (e) => e.state },
  { header: 'priority', value: (e) => (e.priority ? 'yes' : 'no') },
  { header: 'reasons', value: (e) => e.reasons.join('; ') },
  { header: 'username', value: (e) => e.username },
  { header: 'identity', value: (e) => e.identityName },
  { header: 'summary', value: (e) => e.summary },
  { header: 'explanations', value: (e) => e.explanations.join(' ') },
  {
    header: 'state_updated',
    value: (e) => (e.stateUpdatedMs === null ? null : csvTime(ms(e.stateUpdatedMs))),
  },
  { header: 'sv4_id', value: (e) => e.sv4Id },
  { header: 'duo_user_id', value: (e) => e.duoUserKey },
];

/** A state or type Duo does not have is a mistake to name, not a filter that matches nothing. */
function checkFilters(input: SecurityEventsInput): void {
  const problems = [
    ...unknownValues('state', input.states, SECURITY_EVENT_STATES),
    ...unknownValues('type', input.types, SECURITY_EVENT_TYPES),
  ];
  if (problems.length > 0)
    throw new InputError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
}

function unknownValues(
  field: string,
  values: readonly string[] | undefined,
  known: readonly string[],
): { field: string; message: string }[] {
  return (values ?? [])
    .filter((value) => !known.includes(value))
    .map((value) => ({
      field,
      message: `${JSON.stringify(value)} is not one of ${known.join(', ')}`,
    }));
}

async function sourcesOf(db: Db, input: SecurityEventsInput): Promise<string[]> {
  return input.sourceId !== undefined
    ? [input.sourceId]
    : (await listSources(db, { type: 'duo-activity' })).map((s) => s.id);
}

/**
 * One page over several activity sources: each source's next `limit` events (read in order from
 * its Trust Monitor stream's index), merged by time, the newest `limit` kept; then the
 * identities of the page's Duo users in one lookup.
 */
async function securityEventsPage(
  deps: { readonly db: Db; readonly readers: Readers },
  query: SecurityEventsInput & {
    readonly sourceIds: readonly string[];
    readonly limit: number;
    readonly cursor?: ActivityCursor;
  },
): Promise<{ events: SecurityEvent[]; next: ActivityCursor | undefined }> {
  const events: ActivityEvent[] = [];
  let more = false;
  for (const sourceId of query.sourceIds) {
    const part = await deps.readers.runRead('activityEvents', {
      sourceId,
      streams: ['trust_monitor'],
      limit: query.limit,
      ...(query.states === undefined ? {} : { results: query.states }),
      ...(query.types === undefined ? {} : { reasons: query.types }),
      ...(query.fromMs === undefined ? {} : { fromMs: query.fromMs }),
      ...(query.toMs === undefined ? {} : { toMs: query.toMs }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    events.push(...part.events);
    if (part.next) more = true;
  }
  events.sort((a, b) => b.tsMs - a.tsMs || b.id - a.id);
  const shown = events.slice(0, query.limit);
  const last = shown[shown.length - 1];
  const keys = shown.flatMap((e) => (e.userKey === null ? [] : [e.userKey]));
  const identities =
    keys.length === 0 ? new Map<string, Identity>() : await findIdentitiesOfDuoUsers(deps.db, keys);
  return {
    events: shown.map((e) => {
      const identity = e.userKey === null ? undefined : identities.get(e.userKey);
      return securityEventView(
        e,
        identity === undefined ? undefined : { id: identity.id, name: identity.displayName },
      );
    }),
    next:
      (more || events.length > query.limit) && last ? { tsMs: last.tsMs, id: last.id } : undefined,
  };
}
