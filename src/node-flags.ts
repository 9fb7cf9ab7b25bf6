/**
 * The V8 options every duo-insights process starts with: the `duo-insights` command (its
 * `#!/usr/bin/env -S node …` line), `npm start`, and the bench's sync child, so the bench
 * measures the process users run. Options cannot be changed once V8 has started (setting them
 * from code does nothing), so they sit on the command line.
 *
 * `--max-semi-space-size=4` (MB): V8's young generation otherwise grows to 2 × 16 MB. A sync
 * allocates fast (every Duo page is JSON text, parsed records, normalised events) and keeps
 * little, so the young generation is mostly garbage at each scavenge: a 4 MB one collects it as
 * well, scavenges faster, and keeps ~30 MB less resident. Measured on a sync of 350k events of
 * all five streams into SQLite: peak RSS 271–284 MB → 242–251 MB, events per CPU-second
 * 6,968–8,138 → 9,048–9,136. Not set: a smaller `--max-old-space-size` (V8 then grows the old
 * generation by less than 4× what survives): 172 MB, but 20 % more CPU per event, and a hard
 * limit a large tenant could reach.
 *
 * `--heap-growing-percent=100`: after each full collection V8 lets the old generation grow to
 * 2× what survived it instead of up to 4×. A sync keeps 25–40 MB alive whatever the store's
 * size (what it holds is a few pages, not the store), so V8 committed 75–130 MB of old
 * generation for it, mostly garbage waiting for the next full collection. It sets no limit: a
 * process that keeps more alive still grows (the heap limit stays V8's default, ~4 GB here).
 * Measured on the scale bench's 1m tenant (1.2 M events of all five streams, SQLite):
 * peak RSS 255 → 195 MiB, committed heap 145 → 88 MiB; 300k on PostgreSQL: 242 → 155 MiB,
 * 152 → 76 MiB. Full collections are 2–3× as frequent: 6–11 % fewer events per CPU-second.
 *
 * @example spawn(process.execPath, [...NODE_FLAGS, 'dist/cli/main.js', 'sync', sourceId]);
 */
export const NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=4',
  '--heap-growing-percent=100',
];
