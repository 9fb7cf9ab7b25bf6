import { expect, it } from 'vitest';
import { HOUR_MS, ms, type EpochMs } from '../../domain/time.js';
import { authEvents, newSource, userKey } from '../../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../../test/support/db.js';
import { ingestActivityPage } from './ingest.js';
import { listActivityEvents } from './timeline.js';
import type { ActivityCursor } from '../../domain/activity.js';

const START = ms(Date.UTC(2025, 0, 6));

describeEachDatabase('activity timeline', (t) => {
  it('pages a timeline newest first with filters and a keyset cursor', async () => {
    const { sourceId } = await newSource(t.db);
    const events = authEvents({ count: 400, startMs: START, users: 4, seed: 31 });
    await ingestActivityPage(t.db, { sourceId, stream: 'authentication', events, cursor: 1 });
    const key = userKey(2, 31);
    const expected = events
      .filter((e) => e.userKey === key && e.factor === 'duo_push')
      .sort((a, b) => b.tsMs - a.tsMs)
      .map((e) => e.naturalKey);
    const seen: string[] = [];
    let cursor = undefined as Parameters<typeof listActivityEvents>[1]['cursor'];
    for (;;) {
      const page = await listActivityEvents(t.db, {
        userKeys: [key],
        factors: ['duo_push'],
        limit: 7,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.events.map((e) => e.naturalKey));
      if (!page.next) break;
      cursor = page.next;
    }
    expect(seen).toEqual(expected);

    const windowed = await listActivityEvents(t.db, {
      sourceId,
      fromMs: ms(START + HOUR_MS),
      toMs: ms(START + 2 * HOUR_MS),
      limit: 1000,
    });
    expect(windowed.events.length).toBe(
      events.filter((e) => e.tsMs >= START + HOUR_MS && e.tsMs < START + 2 * HOUR_MS).length,
    );
    const one = windowed.events[0];
    expect(one?.payload).toMatchObject({ event_type: 'authentication' });
  });

  it("lists an identity's events through its accounts' Duo user ids", async () => {
    const { sourceId, ownerId } = await newSource(t.db);
    const events = authEvents({ count: 50, startMs: START, users: 3, seed: 41 });
    await ingestActivityPage(t.db, { sourceId, stream: 'authentication', events, cursor: 1 });
    const { sourceId: duoSource } = await newSource(t.db, 'duo');
    await t.db
      .insertInto('accounts')
      .values({
        source_id: duoSource,
        duo_user_id: userKey(1, 41),
        username: 'user1@example.com',
        status: 'active',
        aliases: '[]',
        identity_id: ownerId,
        first_seen_at: START,
        last_seen_at: START,
      })
      .execute();
    const page = await listActivityEvents(t.db, { identityId: ownerId, limit: 1000 });
    expect(page.events.length).toBe(events.filter((e) => e.userKey === userKey(1, 41)).length);
  });
});

describeEachDatabase('activity timeline of an identity with several Duo accounts', (t) => {
  it("merges the events of all the identity's accounts, newest first, page by page", async () => {
    const { sourceId, ownerId } = await newSource(t.db);
    const events = authEvents({ count: 60, startMs: START, users: 3, seed: 61 });
    await ingestActivityPage(t.db, { sourceId, stream: 'authentication', events, cursor: 1 });
    const { sourceId: duoSource } = await newSource(t.db, 'duo');
    const mine = [userKey(0, 61), userKey(2, 61)];
    for (const [n, key] of mine.entries())
      await t.db
        .insertInto('accounts')
        .values({
          source_id: duoSource,
          duo_user_id: key,
          username: `person${String(n)}@example.com`,
          status: 'active',
          aliases: '[]',
          identity_id: ownerId,
          first_seen_at: START,
          last_seen_at: START,
        })
        .execute();
    const seen: number[] = [];
    let cursor = undefined as Parameters<typeof listActivityEvents>[1]['cursor'];
    for (;;) {
      const page = await listActivityEvents(t.db, {
        identityId: ownerId,
        limit: 7,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.events.map((e) => e.tsMs));
      if (!page.next) break;
      cursor = page.next;
    }
    const expected = events
      .filter((e) => e.userKey !== undefined && mine.includes(e.userKey))
      .map((e) => e.tsMs as number)
      .sort((a, b) => b - a);
    expect(seen).toEqual(expected);
    expect(await listActivityEvents(t.db, { identityId: 'no-such-identity' })).toEqual({
      events: [],
      next: undefined,
    });
  });
});

describeEachDatabase('activity timeline filters naming nothing stored', (t) => {
  it('answers no events for an unknown Duo user, factor or an empty stream list', async () => {
    const { sourceId } = await newSource(t.db);
    const events = authEvents({ count: 20, startMs: START, users: 2, seed: 51 });
    await ingestActivityPage(t.db, { sourceId, stream: 'authentication', events, cursor: 1 });
    const known = userKey(1, 51);
    const unknown = 'DUNOSUCHUSER00000001';
    const empty = { events: [], next: undefined };
    expect(await listActivityEvents(t.db, { sourceId, userKeys: [unknown] })).toEqual(empty);
    expect(await listActivityEvents(t.db, { sourceId, factors: ['no_such_factor'] })).toEqual(
      empty,
    );
    expect(await listActivityEvents(t.db, { sourceId, streams: [] })).toEqual(empty);
    const mixed = await listActivityEvents(t.db, { userKeys: [unknown, known], limit: 1000 });
    expect(mixed.events.map((e) => e.naturalKey)).toEqual(
      events
        .filter((e) => e.userKey === known)
        .sort((a, b) => b.tsMs - a.tsMs)
        .map((e) => e.naturalKey),
    );
  });
});

describeEachDatabase('activity timeline pages of events at the same instant', (t) => {
  it('shows every event once, newest first, when a page ends inside a second', async () => {
    const { sourceId } = await newSource(t.db);
    const user = 'DUSAMEINSTANT000001';
    // Five events per millisecond at three instants: a page of four ends among equal times.
    const events = [0, 1, 2].flatMap((step) =>
      [0, 1, 2, 3, 4].map((n) => ({
        naturalKey: `same-${String(step)}-${String(n)}`,
        tsMs: ms(START + step * 1000),
        userKey: user,
        payload: JSON.stringify({ txid: `same-${String(step)}-${String(n)}` }),
      })),
    );
    await ingestActivityPage(t.db, { sourceId, stream: 'authentication', events, cursor: 1 });
    const all = await listActivityEvents(t.db, { userKeys: [user], limit: 1000 });
    const seen: number[] = [];
    let cursor = undefined as Parameters<typeof listActivityEvents>[1]['cursor'];
    for (;;) {
      const page = await listActivityEvents(t.db, {
        userKeys: [user],
        limit: 4,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.events.map((e) => e.id));
      if (!page.next) break;
      cursor = page.next;
    }
    expect(all.events).toHaveLength(15);
    expect(seen).toEqual(all.events.map((e) => e.id));
    const order = all.events.map((e) => [e.tsMs, e.id] as const);
    expect(order).toEqual([...order].sort((a, b) => b[0] - a[0] || b[1] - a[1]));
  });

  it("pages a source's search across its streams exactly as one query sorting every match would, ties on time included", async () => {
    const { sourceId } = await newSource(t.db);
    // Six events a second, spread over three streams, written a minute at a time with the
    // streams' order alternating: every time is shared within and across streams, and neither
    // ids nor stream ids follow time.
    const events = authEvents({ count: 360, startMs: START, users: 5, seed: 53 }).map((e, i) => ({
      ...e,
      tsMs: ms(START + Math.floor(i / 6) * 1000),
    }));
    const streams = ['administrator', 'authentication', 'telephony'] as const;
    for (let minute = 0; minute < 6; minute++)
      for (const n of minute % 2 === 0 ? [0, 1, 2] : [2, 0, 1])
        await ingestActivityPage(t.db, {
          sourceId,
          stream: streams[n] ?? 'authentication',
          events: events.filter((_, i) => Math.floor(i / 60) === minute && i % 3 === n),
          cursor: minute + 1,
        });
    const application = events[0]?.application;
    expect(application).toBeDefined();
    const otherApplication = events.find((e) => e.application !== application)?.application;
    expect(otherApplication).toBeDefined();

    interface Filter {
      streams?: ('authentication' | 'administrator' | 'telephony')[];
      applications?: string[];
      results?: string[];
      factors?: string[];
      fromMs?: EpochMs;
      toMs?: EpochMs;
    }

    /** The page as a single query reads it: every match of the source's streams, sorted. */
    async function oneQuery(
      filter: Filter,
      cursor: ActivityCursor | undefined,
      limit: number,
    ): Promise<{ ids: number[]; next: ActivityCursor | undefined }> {
      let q = t.db
        .selectFrom('activity_events')
        .innerJoin('event_streams', 'event_streams.id', 'activity_events.stream_id')
        .select(['activity_events.id', 'activity_events.ts_ms'])
        .where('event_streams.source_id', '=', sourceId);
      if (filter.streams !== undefined) q = q.where('event_streams.stream', 'in', filter.streams);
      if (filter.fromMs !== undefined) q = q.where('activity_events.ts_ms', '>=', filter.fromMs);
      if (filter.toMs !== undefined) q = q.where('activity_events.ts_ms', '<', filter.toMs);
      for (const [column, values] of [
        ['application', filter.applications],
        ['result', filter.results],
        ['factor', filter.factors],
      ] as const)
        if (values !== undefined)
          q = q.where(`activity_events.${column}`, 'in', (eb) =>
            eb.selectFrom('strings').select('id').where('value', 'in', values),
          );
      if (cursor)
        q = q.where((eb) =>
          eb(
            eb.refTuple('activity_events.ts_ms', 'activity_events.id'),
            '<',
            eb.tuple(cursor.tsMs, cursor.id),
          ),
        );
      const rows = await q
        .orderBy('activity_events.ts_ms', 'desc')
        .orderBy('activity_events.id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        ids: page.map((r) => r.id),
        next: rows.length > limit && last ? { tsMs: ms(last.ts_ms), id: last.id } : undefined,
      };
    }

    const apps = [application ?? '', otherApplication ?? ''];
    const filters: Filter[] = [
      { applications: apps.slice(0, 1) },
      { results: ['success'] },
      {},
      { applications: apps },
      { results: ['success', 'denied'] },
      { results: ['denied', 'denied'] },
      { factors: ['duo_push'] },
      { factors: ['duo_push', 'sms_passcode', 'never used'] },
      { results: ['denied', 'success'], factors: ['duo_push', 'phone_call'], applications: apps },
      {
        results: ['success'],
        applications: apps,
        fromMs: ms(START + 20_000),
        toMs: ms(START + 50_000),
      },
      { streams: ['authentication', 'telephony'], factors: ['phone_call', 'remembered_device'] },
    ];
    for (const filter of filters) {
      let cursor: ActivityCursor | undefined;
      let pages = 0;
      for (;;) {
        const page = await listActivityEvents(t.db, {
          sourceId,
          ...filter,
          limit: 7,
          ...(cursor ? { cursor } : {}),
        });
        const expected = await oneQuery(filter, cursor, 7);
        expect(
          { ids: page.events.map((e) => e.id), next: page.next },
          JSON.stringify(filter),
        ).toEqual(expected);
        pages++;
        if (!page.next) break;
        cursor = page.next;
      }
      expect(pages, JSON.stringify(filter)).toBeGreaterThan(2);
    }
  });
});
