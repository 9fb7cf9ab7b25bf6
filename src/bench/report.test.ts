import { describe, expect, it } from 'vitest';
import { checkTargets, formatTable, type BenchResults } from './report.js';

const ingest = (authEventsPerSec: number) => ({
  authEvents: 300_000,
  authSeconds: 300_000 / authEventsPerSec,
  authEventsPerSec,
  authCpuSeconds: 10,
  authEventsPerCpuSec: 30_000,
  totalEvents: 350_000,
  totalSeconds: 20,
  totalEventsPerSec: 17_500,
  peakRssMb: 200,
});

const perStream = (n: number) => ({
  authentication: n,
  administrator: n,
  telephony: n,
  offline_enrollment: n,
  activity: n,
});
const cost = (requests: number, events: number) => ({
  requests: perStream(requests / 5),
  events: perStream(events / 5),
  totalRequests: requests,
  totalEvents: events,
  requestsPer1000Events: (requests / events) * 1000,
});

const figures: Omit<BenchResults, 'checks'> = {
  name: 'x',
  at: '2026-01-01T00:00:00.000Z',
  git: 'abc1234',
  node: 'v20',
  cpus: 2,
  quick: false,
  options: {
    events: 300_000,
    catchUpEvents: 60_000,
    users: 5000,
    databases: ['sqlite', 'postgres'],
  },
  ingest: { sqlite: ingest(31_000), postgres: ingest(19_000) },
  memory: { peakRssMb: 200, whileSyncingEvents: 350_000 },
  storage: {
    sqlite: {
      events: 1,
      bytesPerEvent: 800,
      rawJsonBytesPerEvent: 1300,
      ratio: 0.6,
      activityBytes: 1,
    },
    postgres: {
      events: 1,
      bytesPerEvent: 1400,
      rawJsonBytesPerEvent: 1300,
      ratio: 1.1,
      activityBytes: 1,
    },
  },
  catchUp: {
    family: 'logs_authentication',
    perMinute: 60,
    burst: 2,
    clientBurst: 1,
    ceilingEventsPerSec: 1000,
    events: 60_000,
    seconds: 62,
    eventsPerSec: 968,
    efficiency: 0.968,
    requests: 62,
    rateLimited: 1,
    rateLimitedShare: 1 / 62,
    rateLimitedAt: [{ request: 3, second: 0.97 }],
  },
  requests: {
    quiet: {
      firstSync: cost(10, 600),
      backfillRequests: { ...perStream(1), telephony: 2 },
      nextDay: cost(5, 20),
    },
    busy: {
      authEventsPerDay: 5000,
      backfillDays: 7,
      firstSync: cost(50, 42_000),
      nextDay: cost(25, 7_000),
    },
  },
};

describe('the bench verdict', () => {
  it('judges each figure against its target, per database', () => {
    const verdict = Object.fromEntries(checkTargets(figures).map((c) => [c.figure, c.pass]));
    expect(verdict).toMatchObject({
      'ingest → sqlite, authentication events/s': true,
      'ingest → postgres, authentication events/s': false,
      'storage on sqlite, bytes/event (indexes included)': true,
      'storage on postgres, bytes/event (indexes included)': false,
      'catch-up efficiency (logs_authentication 60/min)': true,
      'catch-up requests answered 429': false,
      "requests for a quiet v2 stream's 30-day backfill": false,
    });
    expect(verdict['ingest → sqlite, all streams events/s']).toBeUndefined();
  });

  it('prints every figure with its target and FAIL where one is missed', () => {
    const checks = checkTargets(figures);
    const table = formatTable({ ...figures, checks });
    for (const check of checks) expect(table).toContain(check.figure);
    expect(table).toContain('≥ 20,000');
    expect(table.match(/FAIL/g)).toHaveLength(4);
    expect(table).toContain('1.19 (50 for 42,000)');
  });
});
