/**
 * The source use cases: create, change, delete, configure credentials, test the connection,
 * aggregate or sync (in the background, or to the end at the command line), and a source with
 * its last run, next run and health. Each authorises the actor (admins, the command line and
 * the scheduler manage every source; a source manager the sources its identity owns or whose
 * governance group it belongs to; viewers read), checks the rules, acts, and records it in the
 * audit trail.
 *
 * @example const source = await createSource(deps, cliActor(), { type: 'duo', name: 'Duo', ownerIdentityId });
 */
import { ForbiddenError } from '../domain/errors.js';
import { retentionProblem, type ConnectionTestResult, type Source } from '../domain/sources.js';
import type { Run, RunTrigger } from '../domain/runs.js';
import type { StreamName } from '../domain/streams.js';
import type { StreamStatus } from '../domain/activity.js';
import { countAccountsByStatus } from '../store/accounts.js';
import type { Db } from '../store/dialect.js';
import { listGovernanceGroupsOfIdentity } from '../store/governance-groups.js';
import { listRuns } from '../store/runs.js';
import {
  deleteSource as deleteStoredSource,
  getSource,
  listSources,
  updateSource as updateStoredSource,
} from '../store/sources.js';
import { listStreams } from '../store/streams.js';
import { ADMINS_UNAVAILABLE } from '../sync/aggregation.js';
import type { SyncContext } from '../sync/context.js';
import { runKindOf, type Runner, type SourceRunKind } from '../sync/runner.js';
import { nextRunAt, type StartScheduledRun } from '../sync/scheduler.js';
import {
  configureSourceCredentials,
  connectionTestWait as waitForConnectionTest,
  createSourceFromInput,
  InputError,
  NewSourceInput,
  parseInput,
  settingsFromInput,
  SourceSettingsInput,
  testSourceConnection,
} from '../sync/sources.js';
import { recordAction, SCHEDULER, type Actor } from './actor.js';
import type { z } from 'zod';

/** What the source use cases need from the composition root. */
export interface SourceDeps {
  readonly db: Db;
  readonly sync: SyncContext;
  /** The one runner every aggregation and sync starts through. */
  readonly runs: Runner;
  /** Loopback Duo hosts accepted (demo, tests, `DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS`). */
  readonly allowLoopbackHosts: boolean;
  /** Told to look for due work after a source passed its connection test. */
  readonly scheduler?: { poke(): void } | undefined;
}

// ---- who may ------------------------------------------------------------------------------------

/** Whether the actor's identity belongs to this governance group. */
async function inGovernanceGroup(db: Db, identityId: string, groupId: string): Promise<boolean> {
  const groups = await listGovernanceGroupsOfIdentity(db, identityId);
  return groups.some((g) => g.id === groupId);
}

/**
 * Whether an actor may manage (configure, test, run, change, delete) a source with this owner
 * and governance group: admins, the command line and the scheduler always; a source manager when
 * its identity is the owner or belongs to the governance group; viewers never.
 */
export async function mayManageSource(
  db: Db,
  actor: Actor,
  source: Pick<Source, 'ownerIdentityId' | 'governanceGroupId'>,
): Promise<boolean> {
  if (actor.kind !== 'user') return true;
  const { user } = actor;
  if (user.role === 'admin') return true;
  if (user.role !== 'source_manager' || user.identityId === null) return false;
  if (source.ownerIdentityId === user.identityId) return true;
  if (source.governanceGroupId === null) return false;
  return inGovernanceGroup(db, user.identityId, source.governanceGroupId);
}

function refusal(actor: Actor, what: string): ForbiddenError {
  const role = actor.kind === 'user' ? actor.user.role : 'admin';
  return new ForbiddenError(
    role === 'source_manager'
      ? what
      : `this needs the role admin or source_manager; you are ${role}`,
  );
}

/** Throws ForbiddenError unless the actor may manage the source. */
export async function assertMayManageSource(db: Db, actor: Actor, source: Source): Promise<void> {
  if (!(await mayManageSource(db, actor, source)))
    throw refusal(
      actor,
      `you manage only sources you own or whose governance group you belong to; "${source.name}" is not one of them`,
    );
}

/** The source, once the actor may manage it. */
async function managedSource(deps: SourceDeps, actor: Actor, sourceId: string): Promise<Source> {
  const source = await getSource(deps.db, sourceId);
  await assertMayManageSource(deps.db, actor, source);
  return source;
}

function target(source: Source, details?: unknown) {
  return {
    type: 'source',
    id: source.id,
    name: source.name,
    ...(details === undefined ? {} : { details }),
  };
}

// ---- create, change, delete -----------------------------------------------------------------------

/** Creates a source (type `duo` or `duo-activity`); configure and test it next. */
export async function createSource(
  deps: SourceDeps,
  actor: Actor,
  input: unknown,
): Promise<Source> {
  const parsed = parseInput(NewSourceInput, input);
  const mine = await mayManageSource(deps.db, actor, {
    ownerIdentityId: parsed.ownerIdentityId,
    governanceGroupId: parsed.governanceGroupId ?? null,
  });
  if (!mine)
    throw refusal(
      actor,
      'a source manager creates sources that they own or that belong to one of their governance groups',
    );
  const source = await createSourceFromInput(deps.sync, parsed);
  await recordAction(deps.db, actor, 'source.create', target(source, { sourceType: source.type }));
  return source;
}

/** The fields of a source that may change (absent or undefined: unchanged). */
export interface SourceChanges {
  readonly name?: string | undefined;
  readonly description?: string | null | undefined;
  readonly ownerIdentityId?: string | undefined;
  readonly governanceGroupId?: string | null | undefined;
  readonly settings?: z.output<typeof SourceSettingsInput> | undefined;
}

/** Changes a source's name, description, owner, governance group or settings. */
export async function updateSource(
  deps: SourceDeps,
  actor: Actor,
  input: { readonly sourceId: string; readonly changes: SourceChanges },
): Promise<Source> {
  const source = await managedSource(deps, actor, input.sourceId);
  const { name, description, ownerIdentityId, governanceGroupId, settings } = input.changes;
  if (settings !== undefined) {
    const problem = retentionProblem({ ...source.settings, ...settingsFromInput(settings) });
    if (problem !== undefined) {
      throw new InputError(`settings.rollupRetentionDays: ${problem}`, [
        { field: 'settings.rollupRetentionDays', message: problem },
      ]);
    }
  }
  const updated = await updateStoredSource(deps.db, source.id, {
    ...(name === undefined ? {} : { name }),
    ...(description === undefined ? {} : { description }),
    ...(ownerIdentityId === undefined ? {} : { ownerIdentityId }),
    ...(governanceGroupId === undefined ? {} : { governanceGroupId }),
    ...(settings === undefined ? {} : { settings: settingsFromInput(settings) }),
  });
  await recordAction(
    deps.db,
    actor,
    'source.update',
    target(updated, { fields: Object.keys(input.changes) }),
  );
  return updated;
}

/**
 * Deletes a source with all its accounts, entitlements, events and runs, once `confirm` is its
 * name.
 */
export async function deleteSource(
  deps: SourceDeps,
  actor: Actor,
  input: { readonly sourceId: string; readonly confirm: string | undefined },
): Promise<Source> {
  const source = await managedSource(deps, actor, input.sourceId);
  if (input.confirm !== source.name)
    throw new InputError(
      `confirm: deleting "${source.name}" removes its accounts, entitlements, events and runs; send ?confirm=<the source name>`,
      [{ field: 'confirm', message: 'must be the source name' }],
    );
  await deleteStoredSource(deps.db, source.id);
  await recordAction(deps.db, actor, 'source.delete', target(source));
  return source;
}

// ---- credentials and the connection test ----------------------------------------------------------

/**
 * Stores the integration key, secret key (write-only; kept when absent) and API host, and how the
 * source reaches Duo (`caFile`, `proxyUrl`). The source must pass a new test before it runs.
 */
export async function configureSource(
  deps: SourceDeps,
  actor: Actor,
  input: {
    readonly sourceId: string;
    readonly credentials: unknown;
    /** Only `caFile` and `proxyUrl` are meant here; absent: unchanged. */
    readonly network?: unknown;
  },
): Promise<Source> {
  const source = await managedSource(deps, actor, input.sourceId);
  const network = input.network === undefined ? {} : parseInput(SourceSettingsInput, input.network);
  let configured = await configureSourceCredentials(
    deps.sync,
    source.id,
    input.credentials,
    deps.allowLoopbackHosts,
  );
  if (Object.keys(network).length > 0)
    configured = await updateStoredSource(deps.db, source.id, {
      settings: settingsFromInput(network),
    });
  const secretKey = (input.credentials as { secretKey?: unknown } | null)?.secretKey;
  await recordAction(
    deps.db,
    actor,
    'source.configure',
    target(source, {
      apiHost: configured.apiHost,
      integrationKey: configured.integrationKey,
      secretKeyChanged: secretKey !== undefined,
      ...(Object.keys(network).length === 0 ? {} : { settings: Object.keys(network) }),
    }),
  );
  return configured;
}

/** Seconds a Test Connection started now would wait for Duo's rate limit (0: none). */
export async function connectionTestWait(
  deps: SourceDeps,
  actor: Actor,
  input: { readonly sourceId: string },
): Promise<number> {
  const source = await managedSource(deps, actor, input.sourceId);
  return waitForConnectionTest(deps.sync, source.id);
}

/**
 * Whether the source's credential may change users and groups in Duo ("Grant write resource"),
 * as its last Test Connection found: false means changes (revocations, account actions) must be
 * made by hand in Duo; null that it was not tested (or the probe could not tell).
 *
 * @example if ((await sourceWriteGranted(db, source.id)) === false) remediation = 'manual';
 */
export async function sourceWriteGranted(db: Db, sourceId: string): Promise<boolean | null> {
  return (await getSource(db, sourceId)).writeGranted;
}

/** Test Connection: one cheap Duo call, a verdict with the cause and the fix. */
export async function testConnection(
  deps: SourceDeps,
  actor: Actor,
  input: { readonly sourceId: string },
): Promise<ConnectionTestResult> {
  const source = await managedSource(deps, actor, input.sourceId);
  const result = await testSourceConnection(deps.sync, source.id);
  if (result.ok) deps.scheduler?.poke();
  await recordAction(
    deps.db,
    actor,
    'source.test',
    target(source, {
      ok: result.ok,
      ...(result.code === undefined ? {} : { code: result.code }),
      ...(result.writeGranted === undefined ? {} : { writeGranted: result.writeGranted }),
    }),
  );
  return result;
}

// ---- runs ---------------------------------------------------------------------------------------

export interface SourceRunInput {
  readonly sourceId: string;
  /** `aggregation` (Duo sources) or `sync` (Activity Insights sources). */
  readonly kind: SourceRunKind;
  /** Why it runs: `manual` (default) for a person, the scheduler's own for its runs. */
  readonly trigger?: RunTrigger;
  readonly streams?: readonly StreamName[];
  readonly backfillDays?: number;
  /** The scheduler's re-check once the run holds the source's lease (not audited). */
  readonly stillDue?: () => Promise<boolean>;
}

function runOptions(input: SourceRunInput) {
  return {
    ...(input.streams === undefined ? {} : { streams: input.streams }),
    ...(input.backfillDays === undefined ? {} : { backfillDays: input.backfillDays }),
  };
}

async function auditRun(
  deps: SourceDeps,
  actor: Actor,
  source: Source,
  run: Run,
  input: SourceRunInput,
) {
  await recordAction(
    deps.db,
    actor,
    input.kind === 'sync' ? 'source.sync' : 'source.aggregate',
    target(source, {
      runId: run.id,
      ...(run.trigger === 'manual' ? {} : { trigger: run.trigger }),
      ...runOptions(input),
    }),
  );
}

/**
 * Starts an aggregation or sync in the background and resolves with the run once it is recorded;
 * refuses a source that has not passed Test Connection (`SourceNotReadyError`) or is busy.
 */
export async function startSourceRun(
  deps: SourceDeps,
  actor: Actor,
  input: SourceRunInput,
): Promise<Run> {
  const source = await managedSource(deps, actor, input.sourceId);
  const run = await deps.runs.start(source, input.kind, {
    trigger: input.trigger ?? 'manual',
    ...runOptions(input),
    ...(input.stillDue === undefined ? {} : { stillDue: input.stillDue }),
  });
  await auditRun(deps, actor, source, run, input);
  return run;
}

/**
 * How the scheduler starts its runs: `startSourceRun` as the actor `scheduler`, with the
 * scheduler's trigger, so a scheduled run passes the same checks and leaves the same audit
 * record (`source.sync`, `source.aggregate`) as "sync now".
 *
 * @example new Scheduler(app.sync, { runner: app.runs, startRun: scheduledRuns(app) });
 */
export function scheduledRuns(deps: SourceDeps): StartScheduledRun {
  return (source, kind, trigger, stillDue) =>
    startSourceRun(deps, SCHEDULER, {
      sourceId: source.id,
      kind,
      trigger,
      ...(stillDue === undefined ? {} : { stillDue }),
    });
}

/** Runs an aggregation or sync to its end (the command line); `signal` stops it at a page boundary. */
export async function runSourceNow(
  deps: SourceDeps,
  actor: Actor,
  input: SourceRunInput & { readonly signal?: AbortSignal },
): Promise<Run> {
  const source = await managedSource(deps, actor, input.sourceId);
  const { started, finished } = deps.runs.begin(source, input.kind, {
    trigger: input.trigger ?? 'manual',
    ...runOptions(input),
    ...(input.signal === undefined ? {} : { signal: input.signal }),
  });
  await auditRun(deps, actor, source, await started, input);
  return finished;
}

// ---- reading ------------------------------------------------------------------------------------

/** A source with its last run, when it runs next, and a health summary. */
export interface SourceSummary {
  readonly source: Source;
  readonly lastRun: Run | null;
  /** When the scheduler runs it next (now when due); null: not on its own. */
  readonly nextRunAt: number | null;
  readonly health:
    | {
        readonly streams: Readonly<Record<string, number>>;
        readonly failing: readonly string[];
        readonly lastSuccessAt: number | null;
      }
    | {
        readonly accounts: Awaited<ReturnType<typeof countAccountsByStatus>>;
        readonly administrators: AdministratorsHealth;
      };
}

/** Every actor reads sources (viewers too). */
export async function summariseSource(
  deps: Pick<SourceDeps, 'db'>,
  source: Source,
  now: number,
): Promise<SourceSummary> {
  const [lastRun] = await listRuns(deps.db, { sourceId: source.id, limit: 1 });
  const [lastOfKind] = await listRuns(deps.db, {
    sourceId: source.id,
    kind: runKindOf(source),
    limit: 1,
  });
  const health =
    source.type === 'duo-activity'
      ? streamHealth(await listStreams(deps.db, source.id))
      : {
          accounts: await countAccountsByStatus(deps.db, source.id),
          administrators: {
            ...administratorsAvailability(lastOfKind),
            byStatus: await countAccountsByStatus(deps.db, source.id, 'administrator'),
          },
        };
  return {
    source,
    lastRun: lastRun ?? null,
    nextRunAt: nextRunAt(source, lastOfKind, now),
    health,
  };
}

/** Whether the last aggregation could read Duo's administrators, and why not. */
export interface AdministratorsHealth {
  /** null: no aggregation has run yet (or it ran before administrators were read). */
  readonly available: boolean | null;
  readonly reason: string | null;
  readonly byStatus: Readonly<Record<string, number>>;
}

function administratorsAvailability(
  run: Run | undefined,
): Pick<AdministratorsHealth, 'available' | 'reason'> {
  const flag = run?.counts['administratorsAvailable'];
  if (typeof flag !== 'number') return { available: null, reason: null };
  if (flag === 1) return { available: true, reason: null };
  const progress = run?.progress as { warnings?: unknown } | null | undefined;
  const warnings = Array.isArray(progress?.warnings) ? progress.warnings : [];
  const reason = warnings.find(
    (w): w is string => typeof w === 'string' && w.startsWith(ADMINS_UNAVAILABLE),
  );
  return { available: false, reason: reason ?? ADMINS_UNAVAILABLE };
}

/** Every source with its last run, next run and health. */
export async function listSourceSummaries(
  deps: Pick<SourceDeps, 'db' | 'sync'>,
): Promise<SourceSummary[]> {
  const now = deps.sync.clock();
  const summaries = [];
  for (const source of await listSources(deps.db))
    summaries.push(await summariseSource(deps, source, now));
  return summaries;
}

/** One source with its last run, next run and health. */
export async function showSource(
  deps: Pick<SourceDeps, 'db' | 'sync'>,
  sourceId: string,
): Promise<SourceSummary> {
  return summariseSource(deps, await getSource(deps.db, sourceId), deps.sync.clock());
}

function streamHealth(streams: readonly StreamStatus[]) {
  const byState: Record<string, number> = {};
  for (const s of streams) byState[s.state] = (byState[s.state] ?? 0) + 1;
  const lastSuccess = streams.reduce<number | null>(
    (max, s) =>
      s.lastSuccessAt !== null && (max === null || s.lastSuccessAt > max) ? s.lastSuccessAt : max,
    null,
  );
  return {
    streams: byState,
    failing: streams.filter((s) => s.state === 'failing').map((s) => s.stream),
    lastSuccessAt: lastSuccess,
  };
}
