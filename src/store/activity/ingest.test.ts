import { expect, it } from 'vitest';
import type { NormalisedEvent } from '../../domain/activity.js';
import { DAY_MS, ms } from '../../domain/time.js';
import { authEvents, newSource, telephonyEvent } from '../../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../../test/support/db.js';
import { NotFoundError } from '../../domain/errors.js';
import { deleteSource } from '../sources.js';
import { getStream } from '../streams.js';
import { listActivityDaily, recountActivityDaily } from './daily.js';
import { eventStreamId, holdSourceForIngest } from './event-streams.js';
import { encodeEvent, ingestActivityPage, ingestActivityPages } from './ingest.js';
import { countActivityEvents } from './storage.js';
import { StringCache } from './strings.js';
import { listActivityEvents } from './timeline.js';

const START = ms(Date.UTC(2025, 0, 6));

describeEachDatabase('activity ingest', (t) => {
  it('stores a page once: replaying it inserts nothing, updates nothing and keeps counts', async () => {
    const { sourceId } = await newSource(t.db);
    const events = authEvents({ count: 300, startMs: START });
    const strings = new StringCache();
    const page = {
      sourceId,
      stream: 'authentication' as const,
      events,
      cursor: { at: 1 },
      strings,
    };

    expect(await ingestActivityPage(t.db, page)).toEqual({
      inserted: 300,
      updated: 0,
      changes: [],
    });
    const rollup = await listActivityDaily(t.db, sourceId);
    expect(await ingestActivityPage(t.db, page)).toEqual({ inserted: 0, updated: 0, changes: [] });
    expect(await ingestActivityPage(t.db, { ...page, strings: new StringCache() })).toEqual({
      inserted: 0,
      updated: 0,
      changes: [],
    });

    expect(await countActivityEvents(t.db, { sourceId })).toEqual({ authentication: 300 });
    expect(await listActivityDaily(t.db, sourceId)).toEqual(rollup);
    const stream = await getStream(t.db, sourceId, 'authentication');
    expect(stream.cursor).toEqual({ at: 1 });
    expect(stream.pages).toBe(3);
  });

  it('counts a page with duplicate keys once, the last copy winning', async () => {
    const { sourceId } = await newSource(t.db);
    const [a] = authEvents({ count: 1, startMs: START });
    if (!a) throw new Error('fixture');
    const b = { ...a, result: 'denied', payload: a.payload.replace('"success"', '"denied"') };
    const res = await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: [a, b],
      cursor: null,
    });
    expect(res).toEqual({ inserted: 1, updated: 0, changes: [] });
    const page = await listActivityEvents(t.db, { sourceId });
    expect(page.events.map((e) => e.result)).toEqual(['denied']);
  });

  it('updates an event Duo republished with a different payload and moves its daily count', async () => {
    const { sourceId } = await newSource(t.db);
    const events = authEvents({ count: 20, startMs: START, users: 3 });
    await ingestActivityPage(t.db, { sourceId, stream: 'authentication', events, cursor: 1 });
    const first = events[0];
    if (!first) throw new Error('fixture');
    const republished: NormalisedEvent = {
      ...first,
      result: 'fraud',
      payload: first.payload.replace(/"result":"\w+"/, '"result":"fraud"'),
    };
    const res = await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: [republished, ...events.slice(1)],
      cursor: 2,
    });
    expect(res).toEqual({
      inserted: 0,
      updated: 1,
      changes: [
        { naturalKey: first.naturalKey, before: first.payload, after: republished.payload },
      ],
    });
    expect(await countActivityEvents(t.db, { sourceId })).toEqual({ authentication: 20 });
    expect(await listActivityDaily(t.db, sourceId)).toEqual(
      await recountActivityDaily(t.db, sourceId),
    );
    const page = await listActivityEvents(t.db, { sourceId, results: ['fraud'] });
    expect(page.events.map((e) => e.naturalKey)).toEqual([first.naturalKey]);
  });

  it('stores events whose payloads were compressed while they waited exactly as plain ones', async () => {
    const plain = await newSource(t.db);
    const encoded = await newSource(t.db);
    const events = authEvents({ count: 50, startMs: START, users: 4 });
    const stream = 'authentication' as const;
    const asEncoded = events.map((e) => encodeEvent(stream, e));
    await ingestActivityPage(t.db, { sourceId: plain.sourceId, stream, events, cursor: 1 });
    expect(
      await ingestActivityPage(t.db, {
        sourceId: encoded.sourceId,
        stream,
        events: asEncoded,
        cursor: 1,
      }),
    ).toEqual({ inserted: 50, updated: 0, changes: [] });
    const strip = (page: Awaited<ReturnType<typeof listActivityEvents>>): unknown[] =>
      page.events.map((e) => ({ ...e, id: 0, sourceId: '' }));
    expect(strip(await listActivityEvents(t.db, { sourceId: encoded.sourceId }))).toEqual(
      strip(await listActivityEvents(t.db, { sourceId: plain.sourceId })),
    );

    // Replayed encoded, a page changes nothing; a republished record is reported as JSON.
    const first = events[0];
    if (!first) throw new Error('fixture');
    const republished: NormalisedEvent = {
      ...first,
      result: 'fraud',
      payload: first.payload.replace(/"result":"\w+"/, '"result":"fraud"'),
    };
    expect(
      await ingestActivityPage(t.db, {
        sourceId: encoded.sourceId,
        stream,
        events: [encodeEvent(stream, republished), ...asEncoded.slice(1)],
        cursor: 2,
      }),
    ).toEqual({
      inserted: 0,
      updated: 1,
      changes: [
        { naturalKey: first.naturalKey, before: first.payload, after: republished.payload },
      ],
    });
    expect(await listActivityDaily(t.db, encoded.sourceId)).toEqual(
      await recountActivityDaily(t.db, encoded.sourceId),
    );
  });

  it('keeps a record Duo logged at another time as another event, even under the same key', async () => {
    // A Duo record's time is part of what it is (its payload carries it); events are unique
    // on (stream, time, natural key), the key that lets new events land at the end of the index.
    const { sourceId } = await newSource(t.db);
    const [event] = authEvents({ count: 1, startMs: START, seed: 5 });
    if (!event) throw new Error('fixture');
    const later: NormalisedEvent = {
      ...event,
      tsMs: ms(event.tsMs + 2 * DAY_MS),
      payload: event.payload.replace(
        /"timestamp":\d+/,
        `"timestamp":${String(Math.floor((event.tsMs + 2 * DAY_MS) / 1000))}`,
      ),
    };
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: [event],
      cursor: 1,
    });
    expect(
      await ingestActivityPage(t.db, {
        sourceId,
        stream: 'authentication',
        events: [later, event],
        cursor: 2,
      }),
    ).toEqual({ inserted: 1, updated: 0, changes: [] });
    expect(await countActivityEvents(t.db, { sourceId })).toEqual({ authentication: 2 });
    expect(await listActivityDaily(t.db, sourceId)).toEqual(
      await recountActivityDaily(t.db, sourceId),
    );
  });

  it('replays events stored by an earlier version (deflate payloads) without counting them as changed', async () => {
    const { sourceId } = await newSource(t.db);
    const json =
      '{"txid":"a1b2","result":"success","factor":"duo_push","user":{"key":"DU1","name":"ann@example.com"}}';
    const event: NormalisedEvent = {
      naturalKey: 'a1b2',
      tsMs: START,
      userKey: 'DU1',
      username: 'ann@example.com',
      result: 'success',
      factor: 'duo_push',
      txid: 'a1b2',
      payload: json,
    };
    const page = { sourceId, stream: 'authentication' as const, events: [event], cursor: 1 };
    await ingestActivityPage(t.db, page);
    // The same JSON as an earlier version stored it: raw deflate with the auth dictionary.
    await t.db
      .updateTable('activity_events')
      .set({ payload: Buffer.from('AauGOSLRMMkIuyexBTXMLTBLDRGWJOblodkBAA==', 'base64') })
      .where('natural_key', '=', 'a1b2')
      .execute();

    expect(await ingestActivityPage(t.db, page)).toEqual({ inserted: 0, updated: 0, changes: [] });
    const changed = { ...event, payload: json.replace('"success"', '"denied"'), result: 'denied' };
    expect(await ingestActivityPage(t.db, { ...page, events: [changed] })).toEqual({
      inserted: 0,
      updated: 1,
      changes: [{ naturalKey: 'a1b2', before: json, after: changed.payload }],
    });
    const stored = await listActivityEvents(t.db, { sourceId });
    expect(stored.events.map((e) => e.payload)).toEqual([JSON.parse(changed.payload)]);
  });

  it("replays a record stored as the parsed record serialised again, now kept as Duo's text, without counting it as changed", async () => {
    const { sourceId } = await newSource(t.db);
    const reserialised = '{"txid":"c3d4","result":"success","user":{"key":"DU1","name":"ann"}}';
    const asSent = '{"user": {"name": "ann", "key": "DU1"}, "txid": "c3d4", "result": "success"}';
    const event: NormalisedEvent = {
      naturalKey: 'c3d4',
      tsMs: START,
      userKey: 'DU1',
      username: 'ann',
      result: 'success',
      txid: 'c3d4',
      payload: reserialised,
    };
    const page = { sourceId, stream: 'authentication' as const, events: [event], cursor: 1 };
    await ingestActivityPage(t.db, page);
    const again = { ...page, events: [{ ...event, payload: asSent }] };
    expect(await ingestActivityPage(t.db, again)).toEqual({ inserted: 0, updated: 0, changes: [] });
    const changedText = asSent.replace('"success"', '"denied"');
    const changed = { ...event, payload: changedText, result: 'denied' };
    expect(await ingestActivityPage(t.db, { ...page, events: [changed] })).toEqual({
      inserted: 0,
      updated: 1,
      changes: [{ naturalKey: 'c3d4', before: reserialised, after: changedText }],
    });
  });

  it('rolls a failing page back entirely: no rows, no rollup, cursor not advanced', async () => {
    const { sourceId } = await newSource(t.db);
    const strings = new StringCache();
    const good = authEvents({ count: 10, startMs: START, seed: 7 });
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: good,
      cursor: 'c1',
      strings,
    });
    const before = await listActivityDaily(t.db, sourceId);

    const next = authEvents({ count: 1500, startMs: ms(START + DAY_MS), seed: 8 }).map((e) => ({
      ...e,
      application: `${e.application ?? ''} (rolled back)`,
    }));
    const broken = next.map((e, i) =>
      i === 1400 ? { ...e, naturalKey: null as unknown as string } : e,
    );
    await expect(
      ingestActivityPage(t.db, {
        sourceId,
        stream: 'authentication',
        events: broken,
        cursor: 'c2',
        strings,
      }),
    ).rejects.toThrow();

    expect(await countActivityEvents(t.db, { sourceId })).toEqual({ authentication: 10 });
    expect(await listActivityDaily(t.db, sourceId)).toEqual(before);
    expect((await getStream(t.db, sourceId, 'authentication')).cursor).toBe('c1');
    const app = next[0]?.application ?? '';
    expect(strings.get(app)).toBeUndefined();

    // The same strings interned again after the rollback resolve to the right values.
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: next,
      cursor: 'c2',
      strings,
    });
    const page = await listActivityEvents(t.db, { sourceId, applications: [app], limit: 1000 });
    expect(page.events.length).toBeGreaterThan(0);
    expect(page.events.every((e) => e.application === app)).toBe(true);
  });

  it('keeps the daily rollup equal to a recount of raw events across overlapping pages', async () => {
    const { sourceId } = await newSource(t.db);
    const events = authEvents({ count: 2000, startMs: START, gapMs: 10 * 60_000, users: 20 });
    const strings = new StringCache();
    for (let i = 0; i < events.length; i += 300) {
      // Each page re-reads the previous 100 events, like a reconciliation window.
      const page = events.slice(Math.max(0, i - 100), i + 300);
      await ingestActivityPage(t.db, {
        sourceId,
        stream: 'authentication',
        events: page,
        cursor: i,
        strings,
      });
    }
    const rollup = await listActivityDaily(t.db, sourceId);
    expect(rollup.reduce((sum, r) => sum + r.count, 0)).toBe(2000);
    expect(rollup).toEqual(await recountActivityDaily(t.db, sourceId));
  });

  it('gives a telephony row its user from the auth txid, whichever arrives first', async () => {
    const { sourceId } = await newSource(t.db);
    const [early, late] = authEvents({ count: 2, startMs: START, seed: 11, users: 2 });
    if (!early || !late) throw new Error('fixture');

    // Auth first, telephony later.
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: [early],
      cursor: 1,
    });
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'telephony',
      events: [telephonyEvent('tel-1', early.naturalKey, early.tsMs)],
      cursor: 1,
    });
    // Telephony first, auth later.
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'telephony',
      events: [telephonyEvent('tel-2', late.naturalKey, late.tsMs)],
      cursor: 2,
    });
    const waiting = await listActivityEvents(t.db, { sourceId, streams: ['telephony'] });
    expect(waiting.events.find((e) => e.naturalKey === 'tel-2')?.userKey).toBeNull();
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: [late],
      cursor: 2,
    });

    const tel = await listActivityEvents(t.db, { sourceId, streams: ['telephony'] });
    const users = Object.fromEntries(tel.events.map((e) => [e.naturalKey, e.userKey]));
    expect(users).toEqual({ 'tel-1': early.userKey, 'tel-2': late.userKey });
    const mine = await listActivityEvents(t.db, {
      userKeys: [late.userKey ?? ''],
      streams: ['telephony'],
    });
    expect(mine.events.map((e) => e.naturalKey)).toContain('tel-2');
    expect(await listActivityDaily(t.db, sourceId)).toEqual(
      await recountActivityDaily(t.db, sourceId),
    );
  });

  it('gives many waiting telephony rows of many users their users at once', async () => {
    const { sourceId } = await newSource(t.db);
    const auths = authEvents({ count: 120, startMs: START, seed: 12, users: 40 });
    // Two telephony records per authentication, all stored before the authentications.
    const telephony = auths.flatMap((a, i) => [
      telephonyEvent(`tel-${String(i)}-a`, a.naturalKey, a.tsMs),
      telephonyEvent(`tel-${String(i)}-b`, a.naturalKey, a.tsMs),
    ]);
    await ingestActivityPage(t.db, { sourceId, stream: 'telephony', events: telephony, cursor: 1 });
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: auths,
      cursor: 1,
    });

    const tel = await listActivityEvents(t.db, { sourceId, streams: ['telephony'], limit: 500 });
    const users = Object.fromEntries(tel.events.map((e) => [e.naturalKey, e.userKey]));
    const expected = Object.fromEntries(
      auths.flatMap((a, i) => [
        [`tel-${String(i)}-a`, a.userKey],
        [`tel-${String(i)}-b`, a.userKey],
      ]),
    );
    expect(new Set(auths.map((a) => a.userKey)).size).toBeGreaterThan(20);
    expect(users).toEqual(expected);
    expect(await listActivityDaily(t.db, sourceId)).toEqual(
      await recountActivityDaily(t.db, sourceId),
    );
  });

  it('stores several pages in one transaction: all of them with the last cursor, or none', async () => {
    const { sourceId } = await newSource(t.db);
    const strings = new StringCache();
    const events = authEvents({ count: 900, startMs: START, users: 30, seed: 31 });
    const page = (from: number, to: number, cursor: string) => ({
      sourceId,
      stream: 'authentication' as const,
      events: events.slice(from, to),
      cursor,
      strings,
    });
    // The second page re-reads the end of the first, as an inclusive restart does.
    const results = await ingestActivityPages(t.db, [
      page(0, 300, 'p1'),
      page(250, 600, 'p2'),
      page(600, 700, 'p3'),
    ]);
    expect(results.map((r) => [r.inserted, r.updated])).toEqual([
      [300, 0],
      [300, 0],
      [100, 0],
    ]);
    expect(await countActivityEvents(t.db, { sourceId })).toEqual({ authentication: 700 });
    const stream = await getStream(t.db, sourceId, 'authentication');
    expect(stream.cursor).toBe('p3');
    expect(stream.pages).toBe(3);

    const broken = events
      .slice(700, 900)
      .map((e, i) => (i === 150 ? { ...e, naturalKey: null as unknown as string } : e));
    await expect(
      ingestActivityPages(t.db, [
        page(700, 800, 'p4'),
        { ...page(800, 900, 'p5'), events: broken.slice(100) },
      ]),
    ).rejects.toThrow();
    expect(await countActivityEvents(t.db, { sourceId })).toEqual({ authentication: 700 });
    expect(await getStream(t.db, sourceId, 'authentication')).toMatchObject({
      cursor: 'p3',
      pages: 3,
    });
    expect(await listActivityDaily(t.db, sourceId)).toEqual(
      await recountActivityDaily(t.db, sourceId),
    );
  });

  it('stores backlogs of two streams side by side without a deadlock, whatever order their new strings come in', async () => {
    const { sourceId } = await newSource(t.db);
    const admin = (tag: string, i: number): NormalisedEvent => ({
      naturalKey: `admin-${tag}-${String(i)}`,
      tsMs: ms(START + i * 1000),
      username: `side by side ${tag} ${String(i)}`,
      payload: JSON.stringify({ action: 'user_update', object: tag, timestamp: i }),
    });
    // Each backlog's first page brings the strings the other's second page needs.
    const strings = (tag: string) => Array.from({ length: 50 }, (_, i) => admin(tag, i));
    const backlog = (
      stream: 'administrator' | 'offline_enrollment',
      first: string,
      second: string,
    ) =>
      ingestActivityPages(t.db, [
        { sourceId, stream, events: strings(first), cursor: 1 },
        { sourceId, stream, events: strings(second), cursor: 2 },
      ]);
    for (let round = 0; round < 5; round++) {
      const [a, b] = [`a${String(round)}`, `b${String(round)}`];
      const results = await Promise.all([
        backlog('administrator', a, b),
        backlog('offline_enrollment', b, a),
      ]);
      expect(results.flat().map((r) => r.inserted)).toEqual([50, 50, 50, 50]);
    }
    expect(await countActivityEvents(t.db, { sourceId })).toEqual({
      administrator: 500,
      offline_enrollment: 500,
    });
  });

  it('stores each repeated string once', async () => {
    const { sourceId } = await newSource(t.db);
    const events = authEvents({ count: 500, startMs: START, users: 5, seed: 21 }).map((e) => ({
      ...e,
      application: 'Interning Test App',
    }));
    const strings = new StringCache();
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events,
      cursor: 1,
      strings,
    });
    const again = authEvents({ count: 500, startMs: ms(START + DAY_MS), users: 5, seed: 22 }).map(
      (e) => ({ ...e, application: 'Interning Test App' }),
    );
    await ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events: again,
      cursor: 2,
    });
    const rows = await t.db
      .selectFrom('strings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('value', '=', 'Interning Test App')
      .executeTakeFirstOrThrow();
    expect(rows.n).toBe(1);
    const duplicates = await t.db
      .selectFrom('strings')
      .select('value')
      .groupBy('value')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(duplicates).toEqual([]);
    expect(strings.get('Interning Test App')).toBeTypeOf('number');
  });
});

describeEachDatabase('activity of a deleted source', (t) => {
  /** Rows of a source's events and rollups, read from the tables themselves. */
  async function storedRows(sourceId: string, streamIds: readonly number[]) {
    const count = async (
      table: 'activity_daily' | 'activity_usage_daily' | 'activity_last' | 'activity_org_daily',
    ) =>
      (
        await t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('source_id', '=', sourceId)
          .executeTakeFirstOrThrow()
      ).n;
    const events = await t.db
      .selectFrom('activity_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('stream_id', 'in', [...streamIds, -1])
      .executeTakeFirstOrThrow();
    return {
      events: events.n,
      daily: await count('activity_daily'),
      usage: await count('activity_usage_daily'),
      last: await count('activity_last'),
      organisation: await count('activity_org_daily'),
    };
  }

  it('goes with it (events and every rollup), and a later ingest into it fails naming it', async () => {
    const { sourceId } = await newSource(t.db);
    const other = await newSource(t.db);
    const events = authEvents({ count: 50, startMs: START, users: 5, seed: 41 });
    await ingestActivityPage(t.db, { sourceId, stream: 'authentication', events, cursor: 1 });
    await ingestActivityPage(t.db, {
      sourceId: other.sourceId,
      stream: 'authentication',
      events: events.slice(0, 10),
      cursor: 1,
    });
    const streamId = await eventStreamId(t.db, sourceId, 'authentication');
    const otherStream = await eventStreamId(t.db, other.sourceId, 'authentication');
    const before = await storedRows(sourceId, [streamId]);
    expect(before.events).toBe(50);
    expect(Math.min(before.daily, before.usage, before.last, before.organisation)).toBeGreaterThan(
      0,
    );

    await deleteSource(t.db, sourceId);
    expect(await storedRows(sourceId, [streamId])).toEqual({
      events: 0,
      daily: 0,
      usage: 0,
      last: 0,
      organisation: 0,
    });
    expect((await storedRows(other.sourceId, [otherStream])).events).toBe(10);
    const late = ingestActivityPage(t.db, {
      sourceId,
      stream: 'authentication',
      events,
      cursor: 2,
    });
    await expect(late).rejects.toThrow(NotFoundError);
    await expect(late).rejects.toThrow(`source ${sourceId} was not found`);
  });

  it('waits for an ingest holding the source, then deletes what it wrote (PostgreSQL: two connections)', async () => {
    if (t.kind !== 'postgres') return; // SQLite runs one writer at a time: nothing to wait for.
    const { sourceId } = await newSource(t.db);
    const streamId = await eventStreamId(t.db, sourceId, 'authentication');
    const ingest = t.connect();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = (): void => undefined;
    const isHolding = new Promise<void>((resolve) => (holding = resolve));
    const writer = ingest.transaction().execute(async (trx) => {
      await holdSourceForIngest(trx, sourceId);
      holding();
      await held;
      // Written after the deletion started: it must still go with the source.
      const [event] = authEvents({ count: 1, startMs: START, seed: 42 });
      if (event === undefined) throw new Error('fixture');
      await trx
        .insertInto('activity_events')
        .values({
          stream_id: streamId,
          natural_key: event.naturalKey,
          ts_ms: event.tsMs,
          payload: Buffer.from([0]),
        })
        .execute();
    });
    await isHolding;
    let deleted = false;
    const deletion = deleteSource(t.db, sourceId).then(() => (deleted = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(deleted).toBe(false);
    release();
    await writer;
    await deletion;
    expect((await storedRows(sourceId, [streamId])).events).toBe(0);
  });
});
