import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { random } from '../../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../../test/support/db.js';
import { dayOf, type NormalisedEvent } from '../../domain/activity.js';
import type { StreamName } from '../../domain/streams.js';
import { DAY_MS, HOUR_MS, ms, type EpochMs } from '../../domain/time.js';
import { upsertAccounts } from '../accounts.js';
import type { Db } from '../dialect.js';
import { createIdentity } from '../identities.js';
import { backfillActivityRollups } from '../migrations/0008_activity_rollups.js';
import { dormantAccounts, organisationActivity } from '../reports.js';
import { createSource } from '../sources.js';
import { listActivityDaily, recountActivityDaily } from './daily.js';
import { ingestActivityPage, ingestActivityPages } from './ingest.js';
import { activitySummaries, activityUsage, locationsSeenBefore } from './insights.js';
import { decodeUsageCells, listActivityRollups, recountActivityRollups } from './rollups.js';

const START = Date.UTC(2025, 2, 3);
const DAYS = 20;
const NOW = ms(START + DAYS * DAY_MS);
const USERS = Array.from({ length: 12 }, (_, i) => `DUROLL${String(i).padStart(14, '0')}`);
const APPS = ['Okta', 'GitHub Enterprise', 'Cisco AnyConnect VPN'];
const FACTORS = ['duo_push', 'phone_call', 'sms_passcode'];
const PLACES = ['Austin, Texas, United States', 'London, England, United Kingdom', 'Berlin'];

interface Page {
  readonly stream: StreamName;
  readonly events: NormalisedEvent[];
}

/**
 * Authentication, telephony (some before their authentication), activity and administrator
 * pages, then republished records (moved in time, to another user, success → denied, another
 * place), shuffled, with some pages replayed — including an original page after its update.
 */
function generatePages(seed: number): Page[] {
  const r = random(seed);
  const pick = <T>(items: readonly T[]): T => {
    const item = items[Math.floor(r() * items.length)];
    if (item === undefined) throw new Error('empty list');
    return item;
  };
  const maybe = <T>(value: T): T | undefined => (r() < 0.15 ? undefined : value);
  const at = (): EpochMs => ms(START + Math.floor(r() * DAYS * DAY_MS));
  const version = (e: Omit<NormalisedEvent, 'payload'>): NormalisedEvent => ({
    ...e,
    payload: JSON.stringify({ ...e, v: r() }),
  });
  const auths: NormalisedEvent[] = [];
  for (let i = 0; i < 400; i++) {
    // Two users do most of the work: the heavy identities.
    const user = r() < 0.5 ? pick(USERS.slice(0, 2)) : pick(USERS);
    const tsMs = at();
    const e = {
      naturalKey: `tx-${String(seed)}-${String(i)}`,
      tsMs,
      username: user.toLowerCase(),
      result: r() < 0.8 ? 'success' : pick(['denied', 'fraud']),
      txid: `tx-${String(seed)}-${String(i)}`,
      ...optional('userKey', r() < 0.95 ? user : undefined),
      ...optional('factor', maybe(pick(FACTORS))),
      ...optional('application', maybe(pick(APPS))),
      ...optional('location', maybe(pick(PLACES))),
    };
    auths.push(version(e));
  }
  const telephony = auths
    .filter(() => r() < 0.2)
    .map((a, i) =>
      version({
        naturalKey: `tel-${String(seed)}-${String(i)}`,
        tsMs: ms(a.tsMs + 2_000),
        result: 'authentication',
        factor: 'sms_passcode',
        ...optional('txid', a.txid),
      }),
    );
  const activity = Array.from({ length: 60 }, (_, i) =>
    version({
      naturalKey: `act-${String(seed)}-${String(i)}`,
      tsMs: at(),
      result: r() < 0.5 ? 'success' : 'failure',
      ...optional('userKey', pick(USERS)),
      ...optional('application', maybe(pick(APPS))),
    }),
  );
  const admin = Array.from({ length: 20 }, (_, i) =>
    version({ naturalKey: `adm-${String(seed)}-${String(i)}`, tsMs: at(), result: 'user_update' }),
  );
  const pages: Page[] = [];
  const paged = (stream: StreamName, events: NormalisedEvent[], size: number): Page[] => {
    const out: Page[] = [];
    for (let i = 0; i < events.length; i += size)
      out.push({ stream, events: events.slice(i, i + size) });
    return out;
  };
  const authPages = paged('authentication', auths, 37);
  pages.push(
    ...authPages,
    ...paged('telephony', telephony, 11),
    ...paged('activity', activity, 13),
    ...paged('administrator', admin, 7),
  );
  const republished = auths
    .filter(() => r() < 0.15)
    .map((a) => {
      const change = Math.floor(r() * 4);
      return version({
        ...a,
        ...(change === 0 ? { tsMs: ms(a.tsMs + (r() < 0.5 ? -1 : 1) * 3 * DAY_MS) } : {}),
        ...(change === 1 ? { userKey: pick(USERS) } : {}),
        ...(change === 2 ? { result: 'denied' } : {}),
        ...(change === 3 ? { location: pick(PLACES), application: pick(APPS) } : {}),
      });
    });
  const activityChanges = activity
    .filter(() => r() < 0.2)
    .map((a) => version({ ...a, tsMs: ms(a.tsMs - 2 * DAY_MS), userKey: pick(USERS) }));
  pages.push(...paged('authentication', republished, 9), ...paged('activity', activityChanges, 5));
  // Out of order: shuffled; replays: some pages again, the first authentication page last.
  for (let i = pages.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const [a, b] = [pages[i], pages[j]];
    if (a && b) [pages[i], pages[j]] = [b, a];
  }
  const replays = pages.filter(() => r() < 0.2);
  return [...pages, ...replays, ...(authPages[0] ? [authPages[0]] : [])];
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

// ---- what the answers must be, computed from raw events --------------------------------------

async function lastFromEvents(db: Db, userKey: string) {
  const { rows } = await sql<{ last_ms: number | null; success_ms: number | null }>`
    select max(e.ts_ms) as last_ms,
      max(case when s.stream = 'authentication' and r.value = 'success' then e.ts_ms end)
        as success_ms
    from activity_events e
    join event_streams s on s.id = e.stream_id
    join strings u on u.id = e.user_key
    left join strings r on r.id = e.result
    where u.value = ${userKey}`.execute(db);
  return { last: rows[0]?.last_ms ?? null, success: rows[0]?.success_ms ?? null };
}

async function usageFromEvents(
  db: Db,
  userKeys: readonly string[],
  fromDay: number,
  toDay: number,
) {
  const of = async (column: 'application' | 'factor' | 'location') => {
    const { rows } = await sql<{ value: string; count: number; first_ms: number; last_ms: number }>`
      select v.value, count(*) as count, min(e.ts_ms) as first_ms, max(e.ts_ms) as last_ms
      from activity_events e
      join event_streams s on s.id = e.stream_id
      join strings u on u.id = e.user_key
      join strings v on v.id = e.${sql.ref(column)}
      where u.value in (${sql.join(userKeys)})
        and e.ts_ms >= ${fromDay * DAY_MS} and e.ts_ms < ${(toDay + 1) * DAY_MS}
        ${column === 'factor' ? sql`and s.stream = 'authentication'` : sql``}
      group by v.value`.execute(db);
    return rows
      .map((x) => ({
        value: x.value,
        count: x.count,
        firstMs: x.first_ms,
        lastMs: x.last_ms,
      }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  };
  return {
    applications: await of('application'),
    factors: await of('factor'),
    locations: await of('location'),
  };
}

async function placesSeenFromEvents(db: Db, userKeys: readonly string[], beforeMs: number) {
  const { rows } = await sql<{ value: string }>`
    select distinct v.value from activity_events e
    join strings u on u.id = e.user_key
    join strings v on v.id = e.location
    where u.value in (${sql.join(userKeys)}) and e.ts_ms < ${beforeMs}`.execute(db);
  return new Set(rows.map((x) => x.value));
}

async function organisationFromEvents(db: Db, sinceDay: number) {
  const { rows } = await sql<{ events: number; users: number }>`
    select count(*) as events, count(distinct s.source_id || ':' || e.user_key) as users
    from activity_events e
    join event_streams s on s.id = e.stream_id
    where e.user_key is not null and e.ts_ms >= ${sinceDay * DAY_MS}`.execute(db);
  return { events: rows[0]?.events ?? 0, users: rows[0]?.users ?? 0 };
}

describeEachDatabase('activity rollups', (t) => {
  const sourceIds: string[] = [];

  // Two activity sources (the same Duo users in both), each fed its own shuffled pages.
  beforeAll(async () => {
    const owner = await createIdentity(t.db, { displayName: 'Owner' });
    for (const seed of [7, 8]) {
      const source = await createSource(t.db, {
        type: 'duo-activity',
        name: `Logs ${String(seed)}`,
        ownerIdentityId: owner.id,
      });
      sourceIds.push(source.id);
      for (const page of generatePages(seed))
        await ingestActivityPage(t.db, {
          sourceId: source.id,
          stream: page.stream,
          events: page.events,
          cursor: 1,
        });
    }
  });

  it('hold what the raw events say, after updates, replays and out-of-order pages', async () => {
    for (const sourceId of sourceIds) {
      const stored = await listActivityRollups(t.db, sourceId);
      expect(stored.last.length).toBeGreaterThan(5);
      expect(stored.usage.length).toBeGreaterThan(50);
      expect(stored).toEqual(await recountActivityRollups(t.db, sourceId));
    }
  });

  it('give each Duo user the last activity and last success of its raw events', async () => {
    const summaries = await activitySummaries(t.db, { userKeys: USERS, sinceMs: ms(START) });
    for (const s of summaries) {
      const raw = await lastFromEvents(t.db, s.userKey);
      expect({ userKey: s.userKey, last: s.lastActivityMs, success: s.lastSuccessMs }).toEqual({
        userKey: s.userKey,
        ...raw,
      });
    }
    expect(summaries.filter((s) => s.lastActivityMs !== null).length).toBe(USERS.length);
  });

  it('count applications, factors and places over a range of days as the raw events do', async () => {
    const today = dayOf(NOW);
    for (const [userKeys, fromDay] of [
      [USERS.slice(0, 1), today - 89],
      [USERS.slice(0, 2), today - 6],
      [USERS.slice(2), today - 12],
      [USERS, today - 89],
    ] as const) {
      const usage = await activityUsage(t.db, { userKeys, fromDay, toDay: today });
      expect(usage).toEqual(await usageFromEvents(t.db, userKeys, fromDay, today));
      expect(usage.locations.length).toBeGreaterThan(0);
    }
  });

  it('know which places a user was seen at before a time, as the raw events do', async () => {
    for (const beforeMs of [START + 5 * DAY_MS + 3 * HOUR_MS, START + 12 * DAY_MS]) {
      for (const userKeys of [USERS.slice(0, 1), USERS.slice(3, 6)]) {
        const seen = await locationsSeenBefore(t.db, {
          userKeys,
          locations: PLACES,
          beforeMs: ms(beforeMs),
        });
        expect(seen).toEqual(await placesSeenFromEvents(t.db, userKeys, beforeMs));
      }
    }
  });

  it('give the organisation’s events and active users since a day, as the raw events do', async () => {
    const today = dayOf(NOW);
    for (const sinceDay of [today - 89, today - 10, today - 3, today + 5]) {
      expect(await organisationActivity(t.db, { sinceDay })).toEqual(
        await organisationFromEvents(t.db, sinceDay),
      );
    }
  });

  it('date dormant accounts by the newest raw event of their Duo user', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Accounts owner' });
    const duo = await createSource(t.db, { type: 'duo', name: 'Duo', ownerIdentityId: owner.id });
    await upsertAccounts(t.db, {
      sourceId: duo.id,
      runId: 'r1',
      now: NOW,
      accounts: USERS.map((u, i) => ({
        duoUserId: u,
        username: `user.${String(i)}`,
        status: 'active',
      })),
    });
    const rows = await dormantAccounts(t.db, {
      idleSinceMs: ms(NOW + 30 * DAY_MS),
      sourceId: duo.id,
    });
    expect(rows).toHaveLength(USERS.length);
    for (const row of rows)
      expect(row.lastEventMs).toBe((await lastFromEvents(t.db, row.duoUserId)).last);
  });

  it('are rebuilt by the migration’s backfill exactly as ingest wrote them', async () => {
    const written = await Promise.all(sourceIds.map((id) => listActivityRollups(t.db, id)));
    await t.db.deleteFrom('activity_last').execute();
    await t.db.deleteFrom('activity_usage_daily').execute();
    await t.db.deleteFrom('activity_org_daily').execute();
    // Today's events, joined to their streams, in the columns the migration reads.
    await backfillActivityRollups(
      t.db,
      sql`(select e.*, s.source_id, s.stream from activity_events e
        join event_streams s on s.id = e.stream_id)`,
    );
    expect(await Promise.all(sourceIds.map((id) => listActivityRollups(t.db, id)))).toEqual(
      written,
    );
  });

  it('hold what the raw events say when several pages share a transaction', async () => {
    const owner = await createIdentity(t.db, { displayName: 'Batch owner' });
    const source = await createSource(t.db, {
      type: 'duo-activity',
      name: 'Logs in transactions of several pages',
      ownerIdentityId: owner.id,
    });
    const pages = generatePages(11);
    // A record and its republished version in one transaction, as a backlog re-read may bring.
    const first = pages.find((p) => p.stream === 'authentication');
    const again = first?.events.slice(0, 5).map((e) => ({
      ...e,
      tsMs: ms(e.tsMs + DAY_MS),
      userKey: USERS[3] ?? '',
      payload: `${e.payload} `,
    }));
    const transactions: Page[][] = [];
    for (let i = 0; i < pages.length; i += 6) transactions.push(pages.slice(i, i + 6));
    if (first && again)
      transactions.push([first, { stream: 'authentication', events: again }, first]);
    for (const transaction of transactions)
      await ingestActivityPages(
        t.db,
        transaction.map((page, i) => ({
          sourceId: source.id,
          stream: page.stream,
          events: page.events,
          cursor: i,
        })),
      );
    const stored = await listActivityRollups(t.db, source.id);
    expect(stored.usage.length).toBeGreaterThan(50);
    expect(stored).toEqual(await recountActivityRollups(t.db, source.id));
    expect(await listActivityDaily(t.db, source.id)).toEqual(
      await recountActivityDaily(t.db, source.id),
    );
  });
});

describe('usage cells', () => {
  it('read back as written: value, events, first and last within the day', () => {
    const day = 20_150;
    const base = day * DAY_MS;
    expect(decodeUsageCells('17:3:3600000:7200000;204:1:0:86399999', day)).toEqual([
      { value: 17, count: 3, firstMs: base + 3_600_000, lastMs: base + 7_200_000 },
      { value: 204, count: 1, firstMs: base, lastMs: base + 86_399_999 },
    ]);
    expect(decodeUsageCells('', day)).toEqual([]);
    // Text ingest never writes is still read field by field.
    expect(decodeUsageCells('5:2;;7:1:1.5:2', day)).toEqual([
      { value: 5, count: 2, firstMs: base, lastMs: base },
      { value: 0, count: 0, firstMs: base, lastMs: base },
      { value: 7, count: 1, firstMs: base + 1.5, lastMs: base + 2 },
    ]);
  });
});
