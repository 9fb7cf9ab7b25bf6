/**
 * One benchmark sync, in its own process so its peak RSS and CPU time are its own: opens the
 * database, syncs one source through the real path (`syncActivitySource`: HTTP, signing,
 * validation, normalising, ingest) — or aggregates a Duo source (`aggregateSource`: users with
 * their groups, groups, correlation) — and prints one JSON line (`ChildResult`) on stdout. On
 * PostgreSQL it also reads the CPU time of the server backends that served it.
 *
 * @example node dist/bench/sync-child.js '{"databaseUrl":"sqlite:/tmp/b.db",…}'
 */
import { appendFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { z } from 'zod';
import { STREAMS } from '../domain/streams.js';
import { ENDPOINT_FAMILIES } from '../duo/index.js';
import { createLogger } from '../logging.js';
import { StringCache } from '../store/activity/strings.js';
import { openDatabase } from '../store/dialect.js';
import { parseSecretKey } from '../store/secrets.js';
import { syncActivitySource } from '../sync/activity-sync.js';
import { aggregateSource } from '../sync/aggregation.js';
import type { SyncContext } from '../sync/context.js';
import { DuoConnections } from '../sync/duo-connections.js';
import { ServerCpu } from './server-cpu.js';

const FamilyRate = z.object({ perMinute: z.number().positive(), burst: z.number().min(1) });

export const ChildInput = z.object({
  databaseUrl: z.string().min(1),
  secretKey: z.string().min(1),
  sourceId: z.string().min(1),
  /** `sync` (default) an Activity Insights source, or `aggregation` of a Duo source. */
  run: z.enum(['sync', 'aggregation']).default('sync'),
  /** The simulator's CA (it serves HTTPS, as Duo does). */
  caFile: z.string().min(1),
  streams: z.array(z.enum(STREAMS)).min(1),
  backfillDays: z.number().int().min(1).max(180),
  /** The client governor's limits: 'off', or per endpoint family. */
  rateLimits: z.union([z.literal('off'), z.partialRecord(z.enum(ENDPOINT_FAMILIES), FamilyRate)]),
});
export type ChildInput = z.input<typeof ChildInput>;

export interface ChildResult {
  readonly status: string;
  readonly error: string | null;
  readonly seconds: number;
  readonly cpuSeconds: number;
  /**
   * PostgreSQL: CPU time (user + system) of the server backends connected to the database during
   * the run, from `/proc/<pid>/stat`; null on SQLite (in-process) or where `/proc` cannot be read.
   */
  readonly serverCpuSeconds: number | null;
  /** `process.resourceUsage().maxRSS`, in bytes. */
  readonly peakRssBytes: number;
  /** Largest V8 heap and off-heap (Buffers, native) memory seen, sampled every 100 ms. */
  readonly peakHeapBytes: number;
  readonly peakExternalBytes: number;
  readonly counts: unknown;
}

async function main(): Promise<void> {
  const input = ChildInput.parse(JSON.parse(process.argv[2] ?? '') as unknown);
  const db = openDatabase(input.databaseUrl);
  const duo = new DuoConnections({
    allowLoopbackHosts: true,
    caFile: input.caFile,
    rateLimits: input.rateLimits,
    // A scaled-down limit: back off in seconds, not in Duo's minutes.
    rateLimitBackoff: { initialMs: 1_000, maxDelayMs: 5_000 },
  });
  const ctx: SyncContext = {
    db,
    secretKey: parseSecretKey(input.secretKey),
    duo,
    log: createLogger({ level: 'warn' }),
    clock: Date.now,
    holder: `bench:${String(process.pid)}`,
    strings: new StringCache(),
  };
  const peak = { heap: 0, external: 0 };
  const sample = setInterval(() => {
    const usage = process.memoryUsage();
    peak.heap = Math.max(peak.heap, usage.heapTotal);
    peak.external = Math.max(peak.external, usage.external + usage.arrayBuffers);
  }, 100);
  const trace = traceMemory(process.env.DI_BENCH_MEMORY_LOG);
  const server = input.databaseUrl.startsWith('postgres') ? new ServerCpu(db) : undefined;
  try {
    await server?.sample();
    const cpu = process.cpuUsage();
    const started = performance.now();
    // Backends that come and go (the pool closes idle ones) are read every second while alive.
    const serverSample = setInterval(() => {
      // A failed reading is retried at the next tick; the last one, after the run, must succeed.
      server?.sample().catch(() => undefined);
    }, 1000);
    const run = await (
      input.run === 'aggregation'
        ? aggregateSource(ctx, input.sourceId, { trigger: 'manual' })
        : syncActivitySource(ctx, input.sourceId, {
            trigger: 'manual',
            streams: input.streams,
            backfillDays: input.backfillDays,
          })
    ).finally(() => {
      clearInterval(serverSample);
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    await server?.sample();
    const result: ChildResult = {
      status: run.status,
      error: run.error === null ? null : run.error.message,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      serverCpuSeconds: server?.seconds() ?? null,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      peakHeapBytes: peak.heap,
      peakExternalBytes: peak.external,
      counts: run.counts,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    clearInterval(sample);
    trace?.();
    duo.close();
    await db.destroy();
  }
}

await main();

/**
 * With `DI_BENCH_MEMORY_LOG=FILE`, a diagnosis of where memory goes: one JSON line per second
 * (RSS, heap committed and used, off-heap) and one after every full collection (`mark`: the heap
 * used just after it, what V8 sizes the next old generation by). Returns the stopper.
 */
function traceMemory(file: string | undefined): (() => void) | undefined {
  if (file === undefined || file === '') return undefined;
  const started = performance.now();
  const line = (kind: string, extra: Record<string, number> = {}): void => {
    const m = process.memoryUsage();
    const mb = (n: number): number => Math.round(n / 1e5) / 10;
    const record = {
      kind,
      s: Math.round(performance.now() - started) / 1000,
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external + m.arrayBuffers),
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, mb(v)])),
    };
    appendFileSync(file, `${JSON.stringify(record)}\n`);
  };
  const timer = setInterval(() => {
    line('sample');
  }, 1000);
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      // NODE_PERFORMANCE_GC_MAJOR
      if (detail?.kind === 4) {
        const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
        line('mark', { oldUsed: old?.space_used_size ?? 0, oldSize: old?.space_size ?? 0 });
      }
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return () => {
    clearInterval(timer);
    gc.disconnect();
    line('end');
  };
}
