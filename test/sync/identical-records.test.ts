/**
 * Byte-identical administrator and offline-enrollment records of one second (an admin or a
 * script repeating an action) against the simulator over real HTTP, on SQLite and PostgreSQL:
 * v1 records carry no id, yet every copy Duo lists is stored, once, whether the copies share a
 * page, are split by a page boundary (Duo's 1000 earliest, cut inside that second), or are read
 * by a run that resumes after the one before it stopped between the two pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamRunCounts } from '../../src/domain/runs.js';
import type { StreamName } from '../../src/domain/streams.js';
import { MINUTE_MS } from '../../src/domain/time.js';
import { findStream } from '../../src/store/streams.js';
import { syncActivitySource } from '../../src/sync/activity-sync.js';
import type { SyncContext } from '../../src/sync/context.js';
import { PUBLISH_DELAY_MS, type StreamCursor } from '../../src/sync/cursor.js';
import { DuoConnections } from '../../src/sync/duo-connections.js';
import type { RequestLogEntry } from '../../src/sim/server.js';
import { control } from '../../src/sim/testing.js';
import { describeEachDatabase } from '../support/db.js';
import {
  addFault,
  advanceSimClock,
  clearFaults,
  compareWithTruth,
  createConfiguredSource,
  EQUAL_TO_TRUTH,
  startTestSimulator,
  storedKeys,
  changedRecords,
  syncContext,
  truthKeys,
  type TestSimulator,
} from '../support/sync.js';

const V1_STREAMS = ['administrator', 'offline_enrollment'] as const;
const PATHS = {
  administrator: '/admin/v1/logs/administrator',
  offline_enrollment: '/admin/v1/logs/offline_enrollment',
} as const satisfies Record<(typeof V1_STREAMS)[number], string>;

/** Keys of the copies after the first (`<hash>-<n>`), by ordinal. */
function copiesByOrdinal(keys: readonly string[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const key of keys) {
    const ordinal = /-(\d+)$/.exec(key)?.[1];
    if (ordinal !== undefined) counts.set(Number(ordinal), (counts.get(Number(ordinal)) ?? 0) + 1);
  }
  return counts;
}

describeEachDatabase('identical v1 records of one second', (t) => {
  // A tenant whose admins repeat actions: the simulator's `repeatedRecords`.
  describe('in a tenant whose admins repeat actions', () => {
    let sim: TestSimulator;
    let ctx: SyncContext;

    beforeAll(async () => {
      sim = await startTestSimulator({
        users: 300,
        days: 2,
        authEventsPerDay: 20_000,
        repeatedRecords: 0.5,
        clock: { speed: 0 },
        seed: 'identical-records',
      });
      ctx = syncContext(t.db, { clock: () => sim.sim.now() });
    });
    afterAll(async () => {
      ctx.duo.close();
      await sim.close();
    });

    it('stores both of two and all three of three identical records, and a re-read adds none', async () => {
      const source = await createConfiguredSource(ctx, sim, 'duo-activity', { backfillDays: 2 });
      const streams: StreamName[] = [...V1_STREAMS];
      const run = await syncActivitySource(ctx, source.id, { trigger: 'manual', streams });
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const end = sim.sim.now() - PUBLISH_DELAY_MS;

      for (const stream of V1_STREAMS) {
        const truth = await truthKeys(sim, stream, 0, end);
        // The tenant has pairs and triples of identical records (a pair has a copy 1, a triple a
        // copy 2 as well), so losing either shows.
        const copies = copiesByOrdinal(truth);
        expect(copies.get(1) ?? 0, `${stream}: pairs`).toBeGreaterThan(copies.get(2) ?? 0);
        expect(copies.get(2) ?? 0, `${stream}: triples`).toBeGreaterThan(0);
        expect(await compareWithTruth(t.db, sim, source.id, stream, 0, end), stream).toEqual(
          EQUAL_TO_TRUTH,
        );
        expect((run.counts[stream] as StreamRunCounts).eventsNew, stream).toBe(truth.length);
      }

      // The next sync re-reads the reconciliation window, whole seconds included: nothing new.
      await advanceSimClock(sim, 5 * MINUTE_MS);
      const again = await syncActivitySource(ctx, source.id, { trigger: 'manual', streams });
      expect(again.status).toBe('succeeded');
      const newEnd = sim.sim.now() - PUBLISH_DELAY_MS;
      for (const stream of V1_STREAMS) {
        const counts = again.counts[stream] as StreamRunCounts;
        const newer = await truthKeys(sim, stream, end + 1, newEnd);
        expect(counts.eventsNew, stream).toBe(newer.length);
        expect(counts.eventsUpdated, `${stream}: ${changedRecords()}`).toBe(0);
        expect(await compareWithTruth(t.db, sim, source.id, stream, 0, newEnd), stream).toEqual(
          EQUAL_TO_TRUTH,
        );
      }
    });
  });

  // Page boundaries placed by hand: an empty tenant with 998 distinct administrator records in
  // one second and three identical ones in the next, so Duo's first page (1000 records) ends
  // after two of the three; offline enrollment likewise with 999 and two identical records.
  describe('split by a page boundary', () => {
    let sim: TestSimulator;
    let ctx: SyncContext;
    let splitSecond: number;

    beforeAll(async () => {
      sim = await startTestSimulator({
        users: 10,
        days: 0,
        authEventsPerDay: 0,
        clock: { speed: 0 },
        v1LastSecond: 'cut',
      });
      ctx = syncContext(t.db, { clock: () => sim.sim.now() });
      const first = Math.floor(sim.sim.now() / 1000) - 3600;
      splitSecond = first + 1;
      const record = (timestamp: number, object: string, action: string): object => ({
        action,
        description: JSON.stringify({ status: 'Active', last_directory_sync: timestamp }),
        isotimestamp: new Date(timestamp * 1000).toISOString().replace('.000Z', '+00:00'),
        object,
        timestamp,
        username: 'Directory Sync',
      });
      const inject = (type: string, records: object[]): Promise<unknown> =>
        control(sim.sim, 'POST', '/_sim/events', { type, records });
      const fill = (count: number, action: string): object[] =>
        Array.from({ length: count }, (_, i) => record(first, `user${i}`, action));
      const same = (count: number, action: string): object[] =>
        Array.from({ length: count }, () => record(splitSecond, 'alice', action));
      await inject('administrator', [...fill(998, 'user_update'), ...same(3, 'user_update')]);
      await inject('offline_enrollment', [
        ...fill(999, 'o2fa_user_provisioned'),
        ...same(2, 'o2fa_user_provisioned'),
      ]);
    });
    afterAll(async () => {
      ctx.duo.close();
      await sim.close();
    });

    const requestsOf = async (path: string): Promise<number[]> => {
      const { requests } = await control<{ requests: RequestLogEntry[] }>(
        sim.sim,
        'GET',
        '/_sim/requests',
      );
      return requests
        .filter((r) => r.path === path)
        .map((r) => Number(r.params.find(([k]) => k === 'mintime')?.[1]));
    };
    const allKeys = (sourceId: string, stream: StreamName): Promise<string[]> =>
      storedKeys(t.db, sourceId, stream, 0, Number.MAX_SAFE_INTEGER);

    it('keys identical records split by a page boundary from the start of their second', async () => {
      await control(sim.sim, 'DELETE', '/_sim/requests');
      const source = await createConfiguredSource(ctx, sim, 'duo-activity', { backfillDays: 1 });
      const run = await syncActivitySource(ctx, source.id, {
        trigger: 'manual',
        streams: [...V1_STREAMS],
      });
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const end = sim.sim.now() - PUBLISH_DELAY_MS;
      for (const stream of V1_STREAMS) {
        // Two pages: the second restarts at the second the first one cut.
        const mintimes = await requestsOf(PATHS[stream]);
        expect(mintimes.slice(1), stream).toEqual([splitSecond]);
        const truth = await truthKeys(sim, stream, 0, end);
        expect(truth.length, stream).toBe(1001);
        expect(await allKeys(source.id, stream), stream).toEqual(truth);
        const counts = run.counts[stream] as StreamRunCounts;
        expect(counts, stream).toMatchObject({ pages: 2, eventsNew: 1001, eventsUpdated: 0 });
      }
      const administrator = await allKeys(source.id, 'administrator');
      const hash = administrator.find((k) => administrator.includes(`${k}-2`)) ?? '';
      expect(administrator.filter((k) => k.startsWith(hash))).toEqual([
        hash,
        `${hash}-1`,
        `${hash}-2`,
      ]);
      // The first copy keeps the key a record alone has always had: its content hash.
      expect(hash).toMatch(/^[0-9a-f]{32}$/);
    });

    it('a run that stopped between the two pages resumes at the cut second with the same keys', async () => {
      // No transient retries: the second page fails at once and the run ends with the stream
      // failing, its cursor at the cut second (what a crash after the first page leaves).
      const failing: SyncContext = {
        ...ctx,
        duo: new DuoConnections({
          allowLoopbackHosts: true,
          rateLimits: 'off',
          transientRetries: 0,
        }),
      };
      const source = await createConfiguredSource(failing, sim, 'duo-activity', {
        backfillDays: 1,
      });
      for (const stream of V1_STREAMS) {
        await addFault(sim, { kind: '5xx', path: PATHS[stream], after: 1, count: 1 });
      }
      const stopped = await syncActivitySource(failing, source.id, {
        trigger: 'manual',
        streams: [...V1_STREAMS],
      });
      failing.duo.close();
      expect(stopped.status).toBe('failed');
      for (const stream of V1_STREAMS) {
        const cursor = (await findStream(t.db, source.id, stream))?.cursor as StreamCursor;
        expect(cursor.window?.resume, stream).toBe(splitSecond);
        expect((await allKeys(source.id, stream)).length, stream).toBe(1000);
      }

      await clearFaults(sim);
      await control(sim.sim, 'DELETE', '/_sim/requests');
      const resumed = await syncActivitySource(ctx, source.id, {
        trigger: 'manual',
        streams: [...V1_STREAMS],
      });
      expect(resumed.status, JSON.stringify(resumed.error)).toBe('succeeded');
      const end = sim.sim.now() - PUBLISH_DELAY_MS;
      for (const stream of V1_STREAMS) {
        expect((await requestsOf(PATHS[stream]))[0], stream).toBe(splitSecond);
        // The copies re-read from the first page are the same events; only the rest is new.
        const counts = resumed.counts[stream] as StreamRunCounts;
        expect(counts.eventsUpdated, `${stream}: ${changedRecords()}`).toBe(0);
        expect(counts.eventsNew, stream).toBe(1);
        expect(await allKeys(source.id, stream), stream).toEqual(
          await truthKeys(sim, stream, 0, end),
        );
      }
    });
  });
});
