/**
 * Cross-layer sync tests: a real simulator over HTTP, a real `SyncContext` on the harness's
 * database, sources configured against the simulator, and the simulator's ground truth next to
 * what the store holds (natural keys, accounts, memberships).
 *
 * @example const sim = await startTestSimulator({ users: 300, days: 2 });
 *   const ctx = syncContext(t.db, { clock: () => sim.now() });
 *   const source = await createActivitySource(ctx, sim.target);
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StreamName } from '../../src/domain/streams.js';
import type { Source } from '../../src/domain/sources.js';
import type { Account } from '../../src/domain/accounts.js';
import { createScheduler } from '../../src/app.js';
import { createLogger } from '../../src/logging.js';
import { StringCache } from '../../src/store/activity/strings.js';
import type { Db } from '../../src/store/dialect.js';
import { createIdentity } from '../../src/store/identities.js';
import { streamAccounts } from '../../src/store/accounts.js';
import { generateSecretKey, type SecretKey } from '../../src/store/secrets.js';
import type { SyncContext } from '../../src/sync/context.js';
import { DuoConnections } from '../../src/sync/duo-connections.js';
import { canonicalHash, v1NaturalKey } from '../../src/sync/normalise.js';
import { Runner } from '../../src/sync/runner.js';
import type { Scheduler, SchedulerOptions } from '../../src/sync/scheduler.js';
import {
  configureSourceCredentials,
  createSourceFromInput,
  type SourceSettingsInput,
} from '../../src/sync/sources.js';
import {
  randomCredential,
  startSimulator,
  type FaultInput,
  type Simulator,
  type SimulatorOptions,
} from '../../src/sim/server.js';
import { control, type SimTarget } from '../../src/sim/testing.js';
import type { z } from 'zod';
import { expect } from 'vitest';

/** A running simulator with one full-permission credential. */
export interface TestSimulator {
  readonly sim: Simulator;
  readonly ikey: string;
  readonly skey: string;
  /** Where sources point: the simulator itself, or a proxy in front of it. */
  readonly target: SimTarget;
  close(): Promise<void>;
}

/** Small by default: a few hundred users, two days, a few thousand auth events a day. */
export async function startTestSimulator(
  options: Partial<Omit<SimulatorOptions, 'credentials'>> = {},
): Promise<TestSimulator> {
  const credential = randomCredential();
  const sim = await startSimulator({
    users: 300,
    days: 2,
    authEventsPerDay: 3000,
    seed: `sync-tests-${randomBytes(4).toString('hex')}`,
    ...options,
    credentials: [credential],
  });
  return {
    sim,
    ...credential,
    target: { url: sim.url, host: sim.host },
    close: () => sim.close(),
  };
}

export interface TestContextOptions {
  /** The sync's clock; pass the simulator's (`() => sim.now()`) so both agree. */
  readonly clock: () => number;
  readonly secretKey?: SecretKey;
  readonly holder?: string;
}

/**
 * Log lines of every test sync context in this process that say Duo sent a stored record again
 * with other content (both payloads), so an assertion that nothing was updated can show why.
 */
export const changedRecordLines: string[] = [];

/** The changed-record lines, as an assertion message. */
export function changedRecords(): string {
  return changedRecordLines.length === 0
    ? 'no record was logged as changed'
    : `records Duo sent again with other content:\n${changedRecordLines.slice(-10).join('\n')}`;
}

/** A SyncContext as the composition root builds it, tuned for tests (short backoff). */
export function syncContext(db: Db, options: TestContextOptions): SyncContext {
  return {
    db,
    secretKey: options.secretKey ?? generateSecretKey(),
    duo: new DuoConnections({
      allowLoopbackHosts: true,
      rateLimits: 'off',
      rateLimitBackoff: { initialMs: 20, maxDelayMs: 200, maxTotalWaitMs: 5000 },
      transientRetries: 3,
    }),
    log: createLogger({
      level: 'debug',
      destination: {
        write: (line: string) => {
          if (line.includes('stored record again')) changedRecordLines.push(line);
        },
      },
    }),
    clock: options.clock,
    holder: options.holder ?? `test:${process.pid}:${randomBytes(4).toString('hex')}`,
    strings: new StringCache(),
  };
}

/**
 * A scheduler on `ctx` as the composition root wires one: its own runner, and its runs started
 * through the use case "sync now" goes through, as the actor `scheduler`.
 */
export function schedulerOf(
  ctx: SyncContext,
  options: Pick<SchedulerOptions, 'tickMs' | 'retryAfterMs'> = {},
): Scheduler {
  return createScheduler(
    { db: ctx.db, sync: ctx, runs: new Runner(ctx), allowLoopbackHosts: true },
    options,
  );
}

type Settings = z.input<typeof SourceSettingsInput>;

/** Creates an owner identity and a source of `type`, configured against the simulator. */
export async function createConfiguredSource(
  ctx: SyncContext,
  sim: TestSimulator,
  type: Source['type'],
  settings: Settings = {},
): Promise<Source> {
  const owner = await createIdentity(ctx.db, {
    displayName: 'Source Owner',
    email: `owner-${randomBytes(4).toString('hex')}@owners.test`,
  });
  const source = await createSourceFromInput(ctx, {
    type,
    name: `${type} ${randomBytes(4).toString('hex')}`,
    ownerIdentityId: owner.id,
    settings,
  });
  return configureSourceCredentials(
    ctx,
    source.id,
    { apiHost: sim.target.url, integrationKey: sim.ikey, secretKey: sim.skey },
    true,
  );
}

// ---- the simulator's ground truth ----------------------------------------------------------------

export interface TruthUser {
  readonly user_id: string;
  readonly username: string;
  readonly email: string | null;
  readonly status: string;
  readonly group_ids: readonly string[];
}

export async function truthUsers(sim: TestSimulator): Promise<TruthUser[]> {
  const reply = await control<{ users: TruthUser[]; total: number }>(
    sim.sim,
    'GET',
    '/_sim/truth/users?limit=100000',
  );
  return reply.users;
}

export async function truthGroups(
  sim: TestSimulator,
): Promise<{ group_id: string; name: string }[]> {
  const reply = await control<{ groups: { group_id: string; name: string }[] }>(
    sim.sim,
    'GET',
    '/_sim/truth/groups',
  );
  return reply.groups;
}

/**
 * The natural keys of the events Duo shows now with `mintime <= ts <= maxtime`, as our store
 * keys them (v1 logs: the SHA-256 prefix of the canonical JSON the simulator gives, with the
 * ordinal of each byte-identical copy after the first), sorted.
 */
export async function truthKeys(
  sim: TestSimulator,
  stream: StreamName,
  mintime: number,
  maxtime: number,
): Promise<string[]> {
  const reply = await control<{ count: number; keys: string[] }>(
    sim.sim,
    'GET',
    `/_sim/truth/${stream}?mintime=${mintime}&maxtime=${maxtime}&keys=1`,
  );
  if (reply.keys.length !== reply.count) throw new Error('truth keys and count disagree');
  const v1 = stream === 'administrator' || stream === 'offline_enrollment';
  if (!v1) return reply.keys.sort();
  // Identical v1 records are separate events (the simulator's directory-sync bursts and its
  // `repeatedRecords` repeat records within a second): the n-th copy has ordinal n.
  const copies = new Map<string, number>();
  return reply.keys
    .map((key) => {
      const record = JSON.parse(key) as unknown;
      const hash = canonicalHash(record);
      const ordinal = copies.get(hash) ?? 0;
      copies.set(hash, ordinal + 1);
      return v1NaturalKey(record, ordinal);
    })
    .sort();
}

/** Every stored natural key of a stream with `fromMs <= ts <= toMs` (duplicates kept). */
export async function storedKeys(
  db: Db,
  sourceId: string,
  stream: StreamName,
  fromMs: number,
  toMs: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('activity_events')
    .innerJoin('event_streams', 'event_streams.id', 'activity_events.stream_id')
    .select('natural_key')
    .where('event_streams.source_id', '=', sourceId)
    .where('event_streams.stream', '=', stream)
    .where('ts_ms', '>=', fromMs)
    .where('ts_ms', '<=', toMs)
    .execute();
  return rows.map((r) => r.natural_key).sort();
}

export async function addFault(sim: TestSimulator, fault: FaultInput): Promise<void> {
  await control(sim.sim, 'POST', '/_sim/faults', fault);
}

export async function clearFaults(sim: TestSimulator): Promise<void> {
  await control(sim.sim, 'DELETE', '/_sim/faults');
}

/** Moves the simulator's clock (and so the sync's, when it uses `sim.now`) forward. */
export async function advanceSimClock(sim: TestSimulator, advanceMs: number): Promise<void> {
  await control(sim.sim, 'POST', '/_sim/clock', { advanceMs });
}

/** Every account of a source, deleted ones too: its Duo users, unless `kind` says otherwise. */
export async function allAccounts(
  db: Db,
  sourceId: string,
  kind: Account['kind'] = 'user',
): Promise<Account[]> {
  const accounts: Account[] = [];
  for await (const page of streamAccounts(db, { sourceId, kind, includeDeleted: true }))
    accounts.push(...page);
  return accounts;
}

/** Duo group ids of each account's live memberships, by Duo user id. */
export async function storedMemberships(db: Db, sourceId: string): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('account_entitlements')
    .innerJoin('accounts', 'accounts.id', 'account_entitlements.account_id')
    .innerJoin('entitlements', 'entitlements.id', 'account_entitlements.entitlement_id')
    .select(['accounts.duo_user_id', 'entitlements.duo_group_id'])
    .where('accounts.source_id', '=', sourceId)
    .execute();
  const byUser = new Map<string, string[]>();
  for (const row of rows) {
    const list = byUser.get(row.duo_user_id) ?? [];
    list.push(row.duo_group_id);
    byUser.set(row.duo_user_id, list);
  }
  for (const list of byUser.values()) list.sort();
  return byUser;
}

/** The warnings a run recorded (`progress.warnings`). */
export function runWarnings(progress: unknown): string[] {
  if (progress === null || typeof progress !== 'object' || !('warnings' in progress)) return [];
  const warnings = progress.warnings;
  return Array.isArray(warnings) ? warnings.map(String) : [];
}

// ---- a proxy that forbids some paths (Duo's 403 for one endpoint) ------------------------------------

/**
 * An HTTP proxy in front of the simulator answering Duo's 403 (40301) for the given paths and
 * passing everything else through unchanged (the Host header too, so signatures still verify).
 * Credentials in the simulator are all-or-nothing per permission; this is how one endpoint of
 * a plan can be forbidden while the others work.
 */
export async function startForbiddingProxy(
  sim: TestSimulator,
  forbiddenPaths: readonly string[],
  /** 403 (a permission the integration lacks, the default) or 404 (an endpoint the plan lacks). */
  status: 403 | 404 = 403,
): Promise<TestSimulator> {
  const upstream = new URL(sim.sim.url);
  const refusal =
    status === 403
      ? { stat: 'FAIL', code: 40301, message: 'Access forbidden' }
      : { stat: 'FAIL', code: 40401, message: 'Resource not found' };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (forbiddenPaths.includes(path)) {
      const body = JSON.stringify(refusal);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    ...sim,
    target: { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** Polls until `check` is true (no timing is asserted; the test timeout bounds it). */
export async function eventually(check: () => Promise<boolean>, everyMs = 25): Promise<void> {
  for (;;) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface StreamDifference {
  /** Events Duo shows in the window. */
  readonly truth: number;
  /** Keys Duo shows that the store lacks, and stored keys Duo does not show. */
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  /** Stored rows beyond one per key. */
  readonly duplicates: number;
}

/** Store versus Duo for one stream over `[fromMs, toMs]`. */
export async function compareWithTruth(
  db: Db,
  sim: TestSimulator,
  sourceId: string,
  stream: StreamName,
  fromMs: number,
  toMs: number,
): Promise<StreamDifference> {
  const truth = await truthKeys(sim, stream, fromMs, toMs);
  const stored = await storedKeys(db, sourceId, stream, fromMs, toMs);
  const storedSet = new Set(stored);
  const truthSet = new Set(truth);
  return {
    truth: truth.length,
    missing: truth.filter((k) => !storedSet.has(k)),
    extra: [...storedSet].filter((k) => !truthSet.has(k)),
    duplicates: stored.length - storedSet.size,
  };
}

/** What `compareWithTruth` says when the store equals Duo (and Duo has events). */
export const EQUAL_TO_TRUTH = {
  truth: expect.any(Number) as unknown,
  missing: [],
  extra: [],
  duplicates: 0,
} as const;
