/**
 * The activity timeline: stored events, newest first, filtered by Duo user, identity, source,
 * stream, result, reason, factor, application and time, keyset-paged on (ts_ms, id), each with its
 * strings resolved and its payload decoded.
 *
 * @example const page = await listActivityEvents(db, { identityId, streams: ['authentication'] });
 */
import type {
  ActivityEvent,
  ActivityFilter,
  ActivityPage,
  ActivityCursor,
} from '../../domain/activity.js';
import { sql, type Selectable } from 'kysely';
import type { StreamName } from '../../domain/streams.js';
import { epochMs } from '../columns.js';
import { dialectOf, type Db } from '../dialect.js';
import { decodePayload } from '../payload.js';
import type { ActivityEventsTable } from '../schema.js';
import { eventStreamIds, eventStreamsById } from './event-streams.js';
import { lookupStrings, stringValues } from './strings.js';

export interface ActivityQuery extends ActivityFilter {
  /** Events of these Duo users (`user.key`). */
  readonly userKeys?: readonly string[];
  /** Events of the Duo users of this identity's accounts. */
  readonly identityId?: string;
  /**
   * With `identityId`: `user` (the default) the events of its Duo users; `administrator` what
   * it did as a Duo administrator: the administrator-log events naming one of its
   * administrator accounts (Duo's `username` there is the admin's name, or its e-mail).
   */
  readonly actingAs?: 'user' | 'administrator';
  readonly sourceId?: string;
  /** The last event of the previous page. */
  readonly cursor?: ActivityCursor;
  /** Default 50, at most 1000. */
  readonly limit?: number;
}

/**
 * A page of events, newest first, keyset-paged on (ts_ms, id).
 *
 * @example const page = await listActivityEvents(db, { identityId, streams: ['authentication'] });
 */
export async function listActivityEvents(db: Db, query: ActivityQuery): Promise<ActivityPage> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
  const filterValues = [
    ...(query.userKeys ?? []),
    ...(query.results ?? []),
    ...(query.reasons ?? []),
    ...(query.factors ?? []),
    ...(query.applications ?? []),
  ];
  const ids = await lookupStrings(db, filterValues);
  // Each value once: a page reads one index range per value, and a value named twice would
  // read its range twice (every event in it shown twice).
  const idsOf = (values: readonly string[]): number[] => [
    ...new Set(
      values.flatMap((v) => {
        const id = ids.get(v);
        return id === undefined ? [] : [id];
      }),
    ),
  ];

  // A filter value never stored matches no event. The lists carry no placeholder value: an
  // empty list answers no events without asking the database.
  const userKeys = query.userKeys && idsOf(query.userKeys);
  const results = query.results && idsOf(query.results);
  const reasons = query.reasons && idsOf(query.reasons);
  const factors = query.factors && idsOf(query.factors);
  const applications = query.applications && idsOf(query.applications);
  // The identity's Duo users first: most identities have one, and `user_key = ?` reads the page
  // in index order where `user_key in (subquery)` sorts all the identity's events.
  const adminOf = query.actingAs === 'administrator' ? query.identityId : undefined;
  const asAdministrator = adminOf !== undefined;
  const identityKeys =
    query.identityId === undefined || asAdministrator
      ? undefined
      : await userKeysOfIdentity(db, query.identityId);
  const adminNames =
    adminOf === undefined ? undefined : await administratorNamesOfIdentity(db, adminOf);
  // As an administrator: the administrator log only (within the streams asked for).
  const streamsWanted = asAdministrator
    ? (query.streams ?? ['administrator']).filter((s) => s === 'administrator')
    : query.streams;
  const lists = [
    streamsWanted,
    userKeys,
    identityKeys,
    adminNames,
    results,
    reasons,
    factors,
    applications,
  ];
  if (lists.some((values) => values?.length === 0)) return { events: [], next: undefined };

  let streamIds: readonly number[] | undefined;
  if (query.sourceId !== undefined || streamsWanted !== undefined) {
    streamIds = await eventStreamIds(db, {
      ...(query.sourceId === undefined ? {} : { sourceId: query.sourceId }),
      ...(streamsWanted === undefined ? {} : { streams: streamsWanted }),
    });
    if (streamIds.length === 0) return { events: [], next: undefined };
  }
  const cursor = query.cursor;
  const filters: ColumnFilters = {
    ...(streamIds === undefined ? {} : { streamIds }),
    ...(userKeys === undefined ? {} : { userKeys }),
    ...(identityKeys === undefined ? {} : { identityKeys }),
    ...(adminNames === undefined ? {} : { adminNames }),
    ...(results === undefined ? {} : { results }),
    ...(reasons === undefined ? {} : { reasons }),
    ...(factors === undefined ? {} : { factors }),
    ...(applications === undefined ? {} : { applications }),
    ...(query.fromMs === undefined ? {} : { fromMs: query.fromMs }),
    ...(query.toMs === undefined ? {} : { toMs: query.toMs }),
    ...(cursor === undefined ? {} : { cursor }),
  };
  const branches = await branchesOf(db, filters);
  /** The newest `limit + 1` matching events of one branch, in the order of its index. */
  const newest = (branch: Branch) =>
    matching(db, filters, branch)
      .selectAll()
      .orderBy('ts_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1);
  // Several branches: each reads its newest matches in order from its own index range, and the
  // page is the newest of those (a merge of ordered, limited lists: the page is among them).
  let rows: Selectable<ActivityEventsTable>[];
  const [first, ...rest] = branches.map((branch, i) =>
    db.selectFrom(newest(branch).as(`branch${String(i)}`)).selectAll(),
  );
  if (first === undefined) throw new Error('no branch to read');
  if (rest.length === 0) rows = await newest(branches[0] ?? {}).execute();
  else
    rows = await rest
      .reduce((union, arm) => union.unionAll(arm), first)
      .orderBy('ts_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
  const page = rows.slice(0, limit);
  const text = await rowTexts(db, page);
  const streams = await eventStreamsById(
    db,
    page.map((r) => r.stream_id),
  );
  const events: ActivityEvent[] = page.map((r) => {
    const of = streams.get(r.stream_id);
    if (of === undefined) throw new Error(`event ${String(r.id)} names no stored stream`);
    return toActivityEvent(r, of.sourceId, of.stream, text);
  });
  const last = events[events.length - 1];
  return {
    events,
    next: rows.length > limit && last ? { tsMs: last.tsMs, id: last.id } : undefined,
  };
}

/** A query's filters as stored ids, an absent list meaning "any". */
interface ColumnFilters {
  readonly streamIds?: readonly number[];
  readonly userKeys?: readonly number[];
  readonly identityKeys?: readonly number[];
  readonly results?: readonly number[];
  /** Checked on each row of a range, never a range's lead (Trust Monitor types, a small stream). */
  readonly reasons?: readonly number[];
  /**
   * Administrator-log rows naming these administrators (they carry no user key): checked on each
   * row of the administrator stream's range.
   */
  readonly adminNames?: readonly number[];
  readonly factors?: readonly number[];
  readonly applications?: readonly number[];
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly cursor?: ActivityCursor;
}

/** The columns an index starts a search's range with (after the stream, where it has one). */
type LeadColumn = 'user_key' | 'result' | 'factor' | 'application';

/**
 * One index range read in the page's order: the events of `streams` (every stream of the query
 * when absent) whose `lead` column holds one value. Each index used ends in `ts_ms` (and then the
 * row id on SQLite), so one stream and one value give the events newest first, no sort needed.
 */
interface Branch {
  readonly streams?: readonly number[];
  readonly lead?: { readonly column: LeadColumn; readonly value: number };
}

/**
 * More branches than this read the query as one range with `in` lists instead (sorting its
 * matches): SQLite allows 500 arms in a compound select, and each arm reads up to a page.
 */
const MAX_BRANCHES = 100;

/**
 * How many of each range's newest matches are read, at most, to see which filter is the
 * sparsest: the page is read from its ranges, the other filters checked row by row.
 */
const LEAD_PROBE = 100;

/**
 * The index ranges a page is read from, each in the page's order:
 * - a Duo user (or identity) filter: one (user_key, ts_ms) range per Duo user;
 * - else with streams (a source's five): one range per stream and value of the rarest of the
 *   result, factor and application filters, from (stream_id, result | factor | application,
 *   ts_ms); with none of them, one (stream_id, ts_ms) range per stream.
 * `stream_id in (...)` or `result in (...)` over one range has no index in the page's order:
 * both databases would sort every match, or read a whole stream for a rare value.
 */
async function branchesOf(db: Db, f: ColumnFilters): Promise<Branch[]> {
  const streams = f.streamIds === undefined ? {} : { streams: f.streamIds };
  const users = f.identityKeys ?? f.userKeys;
  let branches: Branch[];
  if (users !== undefined)
    branches = users.map((value) => ({ ...streams, lead: { column: 'user_key', value } }));
  else if (f.streamIds !== undefined) {
    const lead = await rarestFilter(db, f);
    branches = f.streamIds.flatMap((stream) =>
      lead === undefined
        ? [{ streams: [stream] }]
        : lead.values.map((value) => ({ streams: [stream], lead: { column: lead.column, value } })),
    );
  } else branches = [{}];
  return branches.length > MAX_BRANCHES ? [streams] : branches;
}

/**
 * The result, factor or application filter whose matches are the sparsest, so its ranges hold
 * the page in the fewest rows: per range (one stream, one value) its newest `LEAD_PROBE` matches
 * are read from its own index (covering, in order: at most that many entries each). A filter
 * with a range that fills them is as sparse as the time those span: the older its oldest, the
 * sparser (a common value fills them in hours, a rare one in days); one whose ranges all hold
 * fewer is sparser still, and the fewest such matches sparsest. On a tie, application, then
 * factor, then result (the more values a column takes, the smaller a share each has).
 * Undefined when none is given.
 */
async function rarestFilter(
  db: Db,
  f: ColumnFilters,
): Promise<{ column: LeadColumn; values: readonly number[] } | undefined> {
  const candidates = (
    [
      ['application', f.applications],
      ['factor', f.factors],
      ['result', f.results],
    ] as const
  ).flatMap(([column, values]) => (values === undefined ? [] : [{ column, values }]));
  if (candidates.length < 2) return candidates[0];
  // Its own matches only (in the page's time and after its cursor): what its ranges hold.
  const own: ColumnFilters = {
    ...(f.fromMs === undefined ? {} : { fromMs: f.fromMs }),
    ...(f.toMs === undefined ? {} : { toMs: f.toMs }),
    ...(f.cursor === undefined ? {} : { cursor: f.cursor }),
  };
  let rarest = candidates[0];
  let best = { oldestFull: Infinity, matches: Infinity };
  for (const candidate of candidates) {
    const arms = (f.streamIds ?? []).flatMap((stream) =>
      candidate.values.map((value, i) =>
        db
          .selectFrom(
            matching(db, own, { streams: [stream], lead: { column: candidate.column, value } })
              .select('ts_ms')
              .orderBy('ts_ms', 'desc')
              .limit(LEAD_PROBE)
              .as(`range${String(stream)}_${String(i)}`),
          )
          .select((eb) => [
            eb.fn.countAll<number | string | bigint>().as('n'),
            eb.fn.min<number | string | null>('ts_ms').as('oldest'),
          ]),
      ),
    );
    const [firstArm, ...otherArms] = arms;
    if (firstArm === undefined) return candidates[0];
    const ranges = await otherArms.reduce((union, arm) => union.unionAll(arm), firstArm).execute();
    // The newest of the full ranges' oldest: the candidate's matches are at least that dense.
    let oldestFull = -Infinity;
    let matches = 0;
    for (const r of ranges) {
      const n = Number(r.n);
      matches += n;
      if (n >= LEAD_PROBE && r.oldest !== null) oldestFull = Math.max(oldestFull, Number(r.oldest));
    }
    if (
      oldestFull < best.oldestFull ||
      (oldestFull === best.oldestFull && oldestFull === -Infinity && matches < best.matches)
    ) {
      rarest = candidate;
      best = { oldestFull, matches };
    }
  }
  return rarest;
}

/** The events of one branch that match the filters (the lead by `=`, the others by `in`). */
function matching(db: Db, f: ColumnFilters, branch: Branch) {
  let q = db.selectFrom('activity_events');
  const lead = branch.lead;
  const streams = branch.streams ?? f.streamIds;
  if (streams !== undefined) q = q.where('stream_id', 'in', streams);
  if (lead !== undefined) q = q.where(lead.column, '=', lead.value);
  const lists: [LeadColumn, readonly number[] | undefined][] = [
    ['user_key', f.identityKeys],
    ['user_key', f.userKeys],
    ['result', f.results],
    ['factor', f.factors],
    ['application', f.applications],
  ];
  if (f.reasons !== undefined) q = q.where('reason', 'in', f.reasons);
  if (f.adminNames !== undefined)
    q = q.where('user_key', 'is', null).where('username', 'in', f.adminNames);
  // The lead's own list (the first of its column given) is what the branch takes one value of;
  // every other list filters the range's rows. On SQLite those are written `+column`, which no
  // index answers: else its planner, which keeps no statistics here, may read a range of another
  // filter's index instead and sort every match of it by time. PostgreSQL weighs its statistics
  // and keeps the lead's order; there `+column` would hide the column's statistics from it.
  const unindexed = lead !== undefined && dialectOf(db).kind === 'sqlite';
  let leadSkipped = false;
  for (const [column, values] of lists) {
    if (values === undefined) continue;
    if (!leadSkipped && column === lead?.column) {
      leadSkipped = true;
      continue;
    }
    q = unindexed
      ? q.where(sql<number>`+${sql.ref(column)}`, 'in', values)
      : q.where(column, 'in', values);
  }
  if (f.fromMs !== undefined) q = q.where('ts_ms', '>=', f.fromMs);
  if (f.toMs !== undefined) q = q.where('ts_ms', '<', f.toMs);
  const cursor = f.cursor;
  if (cursor)
    // A row value, so the index range starts at the cursor (an OR of the two cases plans as
    // a scan); both columns are NOT NULL, so it means exactly "older than the cursor".
    q = q.where((eb) => eb(eb.refTuple('ts_ms', 'id'), '<', eb.tuple(cursor.tsMs, cursor.id)));
  return q;
}

/**
 * The texts of the strings event rows name (user, result, factor, …), read in one pass: what
 * `toActivityEvent` resolves each row's string ids with.
 */
export async function rowTexts(
  db: Db,
  rows: readonly Selectable<ActivityEventsTable>[],
): Promise<(id: number | null) => string | null> {
  const values = await stringValues(
    db,
    rows.flatMap((r) =>
      [
        r.user_key,
        r.username,
        r.result,
        r.reason,
        r.factor,
        r.application,
        r.location,
        r.access_os,
        r.access_browser,
      ].flatMap((v) => (v === null ? [] : [v])),
    ),
  );
  return (id) => (id === null ? null : (values.get(id) ?? null));
}

/** A stored row as an event: its strings resolved by `text`, its payload decoded. */
export function toActivityEvent(
  r: Selectable<ActivityEventsTable>,
  sourceId: string,
  stream: StreamName,
  text: (id: number | null) => string | null,
): ActivityEvent {
  return {
    id: r.id,
    sourceId,
    stream,
    naturalKey: r.natural_key,
    tsMs: epochMs(r.ts_ms),
    userKey: text(r.user_key),
    username: text(r.username),
    result: text(r.result),
    reason: text(r.reason),
    factor: text(r.factor),
    application: text(r.application),
    location: text(r.location),
    accessOs: text(r.access_os),
    accessBrowser: text(r.access_browser),
    ip: r.ip,
    txid: r.txid ?? (stream === 'authentication' ? r.natural_key : null),
    payload: JSON.parse(decodePayload(r.payload)) as unknown,
  };
}

/**
 * The strings ids of the names and e-mail addresses of an identity's Duo administrator
 * accounts (those an administrator-log event has named).
 */
async function administratorNamesOfIdentity(db: Db, identityId: string): Promise<number[]> {
  const admins = await db
    .selectFrom('accounts')
    .select(['realname', 'email'])
    .where('identity_id', '=', identityId)
    .where('kind', '=', 'administrator')
    .execute();
  const names = admins.flatMap((a) => [a.realname, a.email].flatMap((v) => (v ? [v] : [])));
  if (names.length === 0) return [];
  const ids = await lookupStrings(db, [...new Set(names)]);
  return [...new Set(ids.values())].sort((a, b) => a - b);
}

/** The strings ids of the Duo users of an identity's accounts (those with stored activity). */
async function userKeysOfIdentity(db: Db, identityId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('strings', 'strings.value', 'accounts.duo_user_id')
    .select('strings.id')
    .distinct()
    .where('accounts.identity_id', '=', identityId)
    .orderBy('strings.id')
    .execute();
  return rows.map((r) => r.id);
}
