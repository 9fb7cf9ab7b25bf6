/**
 * What the benchmarks share: the simulator's tenant sized to a number of events, a source on a
 * bench database pointing at the simulator, the syncing child process (its own RSS and CPU),
 * scratch databases, the raw JSON size of what Duo sends, and the git revision results are named by.
 *
 * @example const child = await runSyncChild({ databaseUrl, secretKey, sourceId, caFile, … });
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAY_MS, ms, type EpochMs } from '../domain/time.js';
import { NODE_FLAGS } from '../node-flags.js';
import type { Simulator } from '../sim/server.js';
import { createDataset } from '../sim/dataset.js';
import type { Dataset, LogType } from '../sim/dataset-types.js';
import type { DatabaseKind, Db } from '../store/dialect.js';
import { createIdentity } from '../store/identities.js';
import type { SecretKey } from '../store/secrets.js';
import { configureSource, createSource } from '../store/sources.js';
import { createThrowawayDatabase } from '../store/throwaway.js';
import type { ChildInput, ChildResult } from './sync-child.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'sync-child.js');
/** Duo's delay before an event is served; the simulator's and the bench's. */
export const PUBLISH_DELAY_MS = 120_000;

export function gitShortSha(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'nogit';
  }
}

export const progress = (message: string): void => {
  process.stderr.write(`bench: ${message}\n`);
};

/**
 * A tenant whose history holds about `events` authentication events: the daily and weekly
 * rhythm makes a given span busier or quieter than the mean, so the rate is scaled to fit.
 */
export function sizedDataset(
  seed: string,
  users: number,
  days: number,
  events: number,
  start: EpochMs,
): Dataset {
  const make = (authEventsPerDay: number): Dataset =>
    createDataset({ seed, users, days, start, authEventsPerDay });
  const guess = events / days;
  const probe = make(guess).count('authentication', ms(start - days * DAY_MS), start, start);
  return probe === 0 ? make(guess) : make((guess * events) / probe);
}

export function describeChild(child: ChildResult): string {
  const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  return (
    `${child.seconds.toFixed(1)} s (CPU ${child.cpuSeconds.toFixed(1)} s), peak RSS ` +
    `${mb(child.peakRssBytes)}, heap ${mb(child.peakHeapBytes)}, off-heap ${mb(child.peakExternalBytes)}`
  );
}

export function caFileOf(sim: Simulator): string {
  if (sim.caFile === undefined) throw new Error('the simulator was started without TLS');
  return sim.caFile;
}

export async function scratchDatabase(
  kind: DatabaseKind,
  postgresUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'postgres') return createThrowawayDatabase(postgresUrl, 'di_bench');
  const dir = mkdtempSync(join(tmpdir(), 'di-bench-'));
  return {
    url: `sqlite:${join(dir, 'bench.db')}`,
    drop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** A source pointing at the simulator: an Activity Insights one unless `source.type` says `duo`. */
export async function createBenchSource(
  db: Db,
  sim: Simulator,
  credential: { readonly ikey: string; readonly skey: string },
  secretKey: SecretKey,
  source: { readonly type?: 'duo' | 'duo-activity'; readonly name?: string } = {},
): Promise<string> {
  const owner = await createIdentity(db, { displayName: 'Bench Owner' });
  const created = await createSource(db, {
    type: source.type ?? 'duo-activity',
    name: source.name ?? 'bench',
    description: null,
    ownerIdentityId: owner.id,
    governanceGroupId: null,
    settings: {},
  });
  await pointSourceAt(db, created.id, sim, credential, secretKey);
  return created.id;
}

/** (Re)configures a source for a simulator (a resumed build's simulator has a new port and CA). */
export async function pointSourceAt(
  db: Db,
  sourceId: string,
  sim: Simulator,
  credential: { readonly ikey: string; readonly skey: string },
  secretKey: SecretKey,
): Promise<void> {
  await configureSource(
    db,
    sourceId,
    { apiHost: sim.host, integrationKey: credential.ikey, secretKey: credential.skey },
    secretKey,
  );
}

export function runSyncChild(
  input: ChildInput,
  profileDir: string | undefined,
): Promise<ChildResult> {
  const args = [
    ...NODE_FLAGS,
    ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]),
    CHILD,
    JSON.stringify(input),
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`the sync child exited with ${String(code)}: ${out.slice(-2000)}`));
        return;
      }
      try {
        resolvePromise(JSON.parse(line) as ChildResult);
      } catch (error) {
        reject(new Error(`the sync child printed no result: ${line}`, { cause: error }));
      }
    });
  });
}

/** Bytes of every visible record as the simulator sends it (`JSON.stringify` of the record). */
export function rawJsonBytes(
  sim: Simulator,
  types: readonly LogType[],
): { readonly bytes: number; readonly events: number } {
  const visibleAt = sim.now() - PUBLISH_DELAY_MS;
  let bytes = 0;
  let events = 0;
  for (const type of types)
    for (const event of sim.dataset.events(type, sim.dataset.historyStart, ms(visibleAt))) {
      if (event.publishedAt > visibleAt) continue;
      bytes += Buffer.byteLength(JSON.stringify(event.record));
      events += 1;
    }
  return { bytes, events };
}
