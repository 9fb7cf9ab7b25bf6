import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ms } from '../domain/time.js';
import {
  authEvents,
  insertEventsBeforeCompact,
  newSource,
  telephonyEvent,
} from '../../test/support/activity-fixtures.js';
import { describeEachDatabase, describeOnPostgres } from '../../test/support/db.js';
import { ingestActivityPage } from './activity/ingest.js';
import { activitySummaries, activityUsage } from './activity/insights.js';
import { listActivityRollups, recountActivityRollups } from './activity/rollups.js';
import { countActivityEvents } from './activity/storage.js';
import { listActivityEvents } from './activity/timeline.js';
import { appliedMigrations, migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { deleteSource } from './sources.js';
import { getStream } from './streams.js';

describeEachDatabase(
  'migrations',
  (t) => {
    it('create every table on an empty database and record what ran', async () => {
      const applied = await migrate(t.db);
      expect(applied).toEqual(MIGRATIONS.map((m) => m.id));
      expect(await appliedMigrations(t.db)).toEqual(applied);
      const tables = (await t.db.introspection.getTables()).map((x) => x.name).sort();
      expect(tables).toEqual(
        expect.arrayContaining([
          'accounts',
          'activity_daily',
          'activity_events',
          'entitlements',
          'identities',
          'leases',
          'runs',
          'settings',
          'sources',
          'streams',
          'strings',
        ]),
      );
    });

    it('change nothing when run again, from the same or another connection', async () => {
      expect(await migrate(t.db)).toEqual([]);
      expect(await migrate(t.connect())).toEqual([]);
      expect(await appliedMigrations(t.db)).toEqual(MIGRATIONS.map((m) => m.id));
    });
  },
  { migrate: false },
);

// PostgreSQL only: SQLite connections of one process block its one thread while they wait for
// the write lock, so they cannot wait for each other here (processes can, with busy_timeout).
describeOnPostgres(
  'migrations started by several servers at once',
  (t) => {
    it('run once between them on an empty database, and every start succeeds', async () => {
      const servers = [t.db, t.connect(), t.connect(), t.connect()];
      const outcomes = await Promise.allSettled(servers.map((db) => migrate(db)));
      const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
      expect(failures).toEqual([]);
      const applied = outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value : []));
      expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.id).sort());
      expect(await appliedMigrations(t.db)).toEqual(MIGRATIONS.map((m) => m.id));
    });
  },
  { migrate: false },
);

describeEachDatabase(
  'migration 0004_factor_names',
  (t) => {
    it('renames factors stored in Duo’s other spellings, so one factor is counted once', async () => {
      const before = MIGRATIONS.findIndex((m) => m.id === '0004_factor_names');
      await migrate(t.db, MIGRATIONS.slice(0, before));
      const { sourceId } = await newSource(t.db);
      const start = ms(Date.UTC(2025, 0, 6));
      const [sms, call] = authEvents({ count: 2, startMs: start, users: 1 });
      if (!sms || !call) throw new Error('fixture');
      const auths = [
        { ...sms, factor: 'SMS Passcode' },
        { ...call, factor: 'phone_call' },
      ];
      await insertEventsBeforeCompact(t.db, sourceId, 'authentication', auths);
      await insertEventsBeforeCompact(t.db, sourceId, 'telephony', [
        { ...telephonyEvent('t-1', sms.naturalKey, ms(sms.tsMs + 1)), factor: 'sms' },
        { ...telephonyEvent('t-2', call.naturalKey, ms(call.tsMs + 1)), factor: 'phone' },
      ]);

      expect(await migrate(t.db)).toEqual(MIGRATIONS.slice(before).map((m) => m.id));

      const page = await listActivityEvents(t.db, { sourceId });
      expect(page.events.map((e) => [e.stream, e.factor]).sort()).toEqual([
        ['authentication', 'phone_call'],
        ['authentication', 'sms_passcode'],
        ['telephony', 'phone_call'],
        ['telephony', 'sms_passcode'],
      ]);
      const usage = await activityUsage(t.db, {
        userKeys: [sms.userKey ?? ''],
        fromDay: Math.floor(start / 86_400_000),
        toDay: Math.floor(start / 86_400_000),
      });
      expect(usage.factors.map((f) => f.value).sort()).toEqual(['phone_call', 'sms_passcode']);
    });
  },
  { migrate: false },
);

describeEachDatabase(
  'migration 0007_drop_unused_stream_columns',
  (t) => {
    it('drops the never-written backfill and last_run_id columns of streams, keeping each stream', async () => {
      const before = MIGRATIONS.findIndex((m) => m.id === '0007_drop_unused_stream_columns');
      expect(before).toBeGreaterThan(0);
      await migrate(t.db, MIGRATIONS.slice(0, before));
      const { sourceId } = await newSource(t.db);
      await sql`insert into streams (source_id, stream, state, cursor, backfill, last_success_at,
        last_error, last_run_id, pages, rate_limited, updated_at)
        values (${sourceId}, 'authentication', 'ok', '{"version":1}', null, 1000, null, null,
        3, 1, 2000)`.execute(t.db);

      expect(await migrate(t.db)).toEqual(MIGRATIONS.slice(before).map((m) => m.id));

      const streams = (await t.db.introspection.getTables()).find((x) => x.name === 'streams');
      expect(streams?.columns.map((c) => c.name).sort()).toEqual([
        'cursor',
        'last_error',
        'last_success_at',
        'pages',
        'rate_limited',
        'source_id',
        'state',
        'stream',
        'updated_at',
      ]);
      expect(await getStream(t.db, sourceId, 'authentication')).toMatchObject({
        state: 'ok',
        cursor: { version: 1 },
        lastSuccessAt: 1000,
        pages: 3,
        rateLimited: 1,
      });
    });
  },
  { migrate: false },
);

describeEachDatabase(
  'migration 0009_compact_events',
  (t) => {
    it('moves stored events to stream ids and the time-ordered key, keeping ids, strings and payloads', async () => {
      const before = MIGRATIONS.findIndex((m) => m.id === '0009_compact_events');
      expect(before).toBeGreaterThan(0);
      await migrate(t.db, MIGRATIONS.slice(0, before));
      const start = ms(Date.UTC(2025, 0, 6));
      const { sourceId } = await newSource(t.db);
      const other = await newSource(t.db);
      const auths = authEvents({ count: 30, startMs: start, users: 3, seed: 81 });
      const [first] = auths;
      if (!first) throw new Error('fixture');
      const authIds = await insertEventsBeforeCompact(t.db, sourceId, 'authentication', auths);
      const telIds = await insertEventsBeforeCompact(t.db, sourceId, 'telephony', [
        telephonyEvent('t-1', first.naturalKey, ms(first.tsMs + 1)),
      ]);
      const otherAuths = authEvents({ count: 5, startMs: start, users: 2, seed: 82 });
      await insertEventsBeforeCompact(t.db, other.sourceId, 'authentication', otherAuths);

      expect(await migrate(t.db)).toEqual(MIGRATIONS.slice(before).map((m) => m.id));

      expect(await countActivityEvents(t.db, { sourceId })).toEqual({
        authentication: 30,
        telephony: 1,
      });
      expect(await countActivityEvents(t.db, { sourceId: other.sourceId })).toEqual({
        authentication: 5,
      });
      const page = await listActivityEvents(t.db, { sourceId, limit: 100 });
      expect(page.events.map((e) => e.id).sort((a, b) => a - b)).toEqual(
        [...authIds, ...telIds].sort((a, b) => a - b),
      );
      const stored = page.events.find((e) => e.naturalKey === first.naturalKey);
      expect(stored).toMatchObject({
        sourceId,
        stream: 'authentication',
        tsMs: first.tsMs,
        userKey: first.userKey,
        factor: first.factor,
        application: first.application,
        txid: first.naturalKey,
        payload: JSON.parse(first.payload) as unknown,
      });
      const tel = page.events.find((e) => e.naturalKey === 't-1');
      expect(tel).toMatchObject({ stream: 'telephony', txid: first.naturalKey, userKey: null });

      // The converted rows keep their identity (a replay stores nothing); new rows get new ids.
      expect(
        await ingestActivityPage(t.db, {
          sourceId,
          stream: 'authentication',
          events: auths,
          cursor: 1,
        }),
      ).toEqual({ inserted: 0, updated: 0, changes: [] });
      const more = authEvents({ count: 1, startMs: ms(start + 86_400_000), seed: 83 });
      await ingestActivityPage(t.db, {
        sourceId,
        stream: 'authentication',
        events: more,
        cursor: 2,
      });
      const after = await listActivityEvents(t.db, { sourceId, limit: 100 });
      const newest = after.events.find((e) => e.naturalKey === more[0]?.naturalKey);
      expect(newest?.id).toBeGreaterThan(Math.max(...authIds, ...telIds));

      // Removing a source removes its events (through its event streams), and only its own.
      await deleteSource(t.db, sourceId);
      expect(await countActivityEvents(t.db, { sourceId })).toEqual({});
      expect(await countActivityEvents(t.db, { sourceId: other.sourceId })).toEqual({
        authentication: 5,
      });
    });
  },
  { migrate: false },
);

describeEachDatabase(
  'migration 0008_activity_rollups',
  (t) => {
    it('fills last activity, usage per day and the organisation’s totals from stored events', async () => {
      const before = MIGRATIONS.findIndex((m) => m.id === '0008_activity_rollups');
      expect(before).toBeGreaterThan(0);
      await migrate(t.db, MIGRATIONS.slice(0, before));
      const { sourceId } = await newSource(t.db);
      const start = ms(Date.UTC(2025, 0, 6));
      const auths = authEvents({ count: 300, startMs: start, gapMs: 3_600_000, users: 4 });
      const [first] = auths;
      if (!first) throw new Error('fixture');
      await insertEventsBeforeCompact(t.db, sourceId, 'authentication', auths);
      await insertEventsBeforeCompact(t.db, sourceId, 'telephony', [
        telephonyEvent('t-1', first.naturalKey, ms(first.tsMs + 1)),
      ]);

      expect(await migrate(t.db)).toEqual(MIGRATIONS.slice(before).map((m) => m.id));

      const rollups = await listActivityRollups(t.db, sourceId);
      expect(rollups.last).toHaveLength(4);
      expect(rollups.organisation.reduce((n, d) => n + d.events, 0)).toBe(
        auths.filter((e) => e.userKey !== undefined).length,
      );
      expect(rollups.organisation.reduce((n, d) => n + d.users, 0)).toBe(4);
      expect(rollups).toEqual(await recountActivityRollups(t.db, sourceId));
      const key = first.userKey ?? '';
      const [summary] = await activitySummaries(t.db, { userKeys: [key], sinceMs: start });
      const mine = auths.filter((e) => e.userKey === key);
      expect(summary?.lastActivityMs).toBe(Math.max(...mine.map((e) => e.tsMs)));
      expect(summary?.lastSuccessMs).toBe(
        Math.max(...mine.filter((e) => e.result === 'success').map((e) => e.tsMs)),
      );
    });
  },
  { migrate: false },
);

describe('migration files', () => {
  it('are numbered in order without gaps', () => {
    MIGRATIONS.forEach((m, i) => {
      expect(m.id.startsWith(String(i + 1).padStart(4, '0') + '_')).toBe(true);
    });
  });
});
