/**
 * One benchmark sync, in its own process so its peak RSS and CPU time are its own: opens the
 * database, syncs one source through the real path (`syncActivitySource`: HTTP, signing,
 * validation, normalising, ingest) and prints one JSON line (`ChildResult`) on stdout.
 *
 * @example node dist/bench/sync-child.js '{"databaseUrl":"sqlite:/tmp/b.db",…}'
 */
import { z } from 'zod';
import { STREAMS } from '../domain/streams.js';
import { ENDPOINT_FAMILIES } from '../duo/index.js';
import { createLogger } from '../logging.js';
import { StringCache } from '../store/activity/strings.js';
import { openDatabase } from '../store/dialect.js';
import { parseSecretKey } from '../store/secrets.js';
import { syncActivitySource } from '../sync/activity-sync.js';
import type { SyncContext } from '../sync/context.js';
import { DuoConnections } from '../sync/duo-connections.js';

const FamilyRate = z.object({ perMinute: z.number().positive(), burst: z.number().min(1) });

export const ChildInput = z.object({
  databaseUrl: z.string().min(1),
  secretKey: z.string().min(1),
  sourceId: z.string().min(1),
  /** The simulator's CA (it serves HTTPS, as Duo does). */
  caFile: z.string().min(1),
  streams: z.array(z.enum(STREAMS)).min(1),
  backfillDays: z.number().int().min(1).max(180),
  /** The client governor's limits: 'off', or per endpoint family. */
  rateLimits: z.union([z.literal('off'), z.partialRecord(z.enum(ENDPOINT_FAMILIES), FamilyRate)]),
});
export type ChildInput = z.infer<typeof ChildInput>;

export interface ChildResult {
  readonly status: string;
  readonly error: string | null;
  readonly seconds: number;
  readonly cpuSeconds: number;
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
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const run = await syncActivitySource(ctx, input.sourceId, {
      trigger: 'manual',
      streams: input.streams,
      backfillDays: input.backfillDays,
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const result: ChildResult = {
      status: run.status,
      error: run.error === null ? null : run.error.message,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      peakHeapBytes: peak.heap,
      peakExternalBytes: peak.external,
      counts: run.counts,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    clearInterval(sample);
    duo.close();
    await db.destroy();
  }
}

await main();
