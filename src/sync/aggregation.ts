/**
 * Aggregation of a Duo source: a full snapshot of Duo users (limit 300, groups embedded) as
 * accounts with their memberships, and of Duo groups as entitlements, then correlation. Every
 * page is stored as it arrives (nothing is held whole in memory). Accounts missing from a
 * *complete* snapshot are marked deleted; an empty or partial snapshot, or one that would remove
 * more than the source's allowed share, deletes nothing and the run says why.
 *
 * @example const run = await aggregateSource(ctx, source.id, { trigger: 'manual' });
 */
import {
  DUO_ADMIN_ROLES,
  type AccountSnapshot,
  type DeletionOutcome,
  type EntitlementSnapshot,
} from '../domain/accounts.js';
import type { Run, RunTrigger } from '../domain/runs.js';
import { assertRunKind } from '../domain/sources.js';
import { ms, seconds, secondsToMs } from '../domain/time.js';
import { DuoError } from '../duo/index.js';
import type { DuoAdmin, DuoGroup, DuoUser } from '../duo/wire.js';
import { markMissingAccountsDeleted, upsertAccounts } from '../store/accounts.js';
import { markMissingEntitlementsDeleted, upsertEntitlements } from '../store/entitlements.js';
import { getSource, getSourceCredentials } from '../store/sources.js';
import type { SyncContext } from './context.js';
import { correlateAccounts } from './correlation.js';
import { runExclusive, type RunReporter } from './runs.js';

export interface AggregationOptions {
  readonly trigger: RunTrigger;
  readonly signal?: AbortSignal;
  /** Told the run as soon as it is recorded, before it works. */
  readonly onRunStarted?: (run: Run) => void;
  /** Asked once the run holds the source (see `RunRequest.stillDue`): the scheduler's re-check. */
  readonly stillDue?: () => Promise<boolean>;
}

export async function aggregateSource(
  ctx: SyncContext,
  sourceId: string,
  options: AggregationOptions,
): Promise<Run> {
  const source = await getSource(ctx.db, sourceId);
  assertRunKind(source, 'aggregation');
  const credentials = await getSourceCredentials(ctx.db, sourceId, ctx.secretKey);
  return runExclusive(
    ctx,
    {
      sourceId,
      kind: 'aggregation',
      trigger: options.trigger,
      ...(options.onRunStarted === undefined ? {} : { onStarted: options.onRunStarted }),
      ...(options.stillDue === undefined ? {} : { stillDue: options.stillDue }),
    },
    async (report, signal) => {
      const duo = ctx.duo.clientFor(credentials, source.settings);
      const runId = report.runId;
      try {
        // Users, with their groups: accounts and memberships.
        let seen = 0;
        let rejected = 0;
        let expected: number | undefined;
        let inserted = 0;
        let updated = 0;
        for await (const page of duo.users({}, signal)) {
          expected = page.totalObjects ?? expected;
          rejected += page.rejected.length;
          for (const r of page.rejected) {
            report.warn(
              `Duo sent a user that could not be read (position ${r.position}): ${r.error}`,
            );
          }
          const result = await upsertAccounts(ctx.db, {
            sourceId,
            runId,
            accounts: page.records.map(toAccountSnapshot),
            now: ms(ctx.clock()),
          });
          seen += page.records.length;
          inserted += result.inserted;
          updated += result.updated;
          report.count('accounts', seen);
          await report.progress('accounts', { seen, expected });
        }

        // Groups: entitlements.
        let groupsSeen = 0;
        let groupsRejected = 0;
        let groupsExpected: number | undefined;
        for await (const page of duo.groups({}, signal)) {
          groupsExpected = page.totalObjects ?? groupsExpected;
          groupsRejected += page.rejected.length;
          for (const r of page.rejected) {
            report.warn(
              `Duo sent a group that could not be read (position ${r.position}): ${r.error}`,
            );
          }
          await upsertEntitlements(ctx.db, {
            sourceId,
            runId,
            entitlements: page.records.map(toEntitlementSnapshot),
            now: ms(ctx.clock()),
          });
          groupsSeen += page.records.length;
          report.count('entitlements', groupsSeen);
        }

        const maxDeleteShare = source.settings.maxDeleteShare;
        const admins = await aggregateAdministrators(ctx, duo, report, sourceId, signal);
        const accountsDeleted = await deleteMissing(
          'accounts',
          { seen, rejected, expected },
          () =>
            markMissingAccountsDeleted(ctx.db, {
              sourceId,
              runId,
              maxDeleteShare,
              now: ms(ctx.clock()),
            }),
          report.warn.bind(report),
        );
        const administratorsDeleted =
          admins === undefined
            ? 0
            : await deleteMissing(
                'administrators',
                admins,
                () =>
                  markMissingAccountsDeleted(ctx.db, {
                    sourceId,
                    runId,
                    maxDeleteShare,
                    now: ms(ctx.clock()),
                    kind: 'administrator',
                  }),
                report.warn.bind(report),
              );
        const entitlementsDeleted = await deleteMissing(
          'entitlements',
          { seen: groupsSeen, rejected: groupsRejected, expected: groupsExpected },
          () =>
            markMissingEntitlementsDeleted(ctx.db, {
              sourceId,
              runId,
              maxDeleteShare,
              now: ms(ctx.clock()),
            }),
          report.warn.bind(report),
        );

        const correlation = await correlateAccounts(ctx.db, sourceId, {
          createIdentities: source.settings.createIdentities,
        });
        for (const a of correlation.ambiguous.slice(0, 50)) {
          report.warn(
            `account ${a.username} matches several identities by "${a.key}": correlate it by hand`,
          );
        }
        report.count('accountsNew', inserted);
        report.count('accountsUpdated', updated);
        report.count('accountsDeleted', accountsDeleted);
        if (admins !== undefined) report.count('administratorsDeleted', administratorsDeleted);
        report.count('entitlementsDeleted', entitlementsDeleted);
        const allRejected = rejected + groupsRejected + (admins?.rejected ?? 0);
        report.count('rejected', allRejected);
        for (const [how, n] of Object.entries(correlation.linked))
          report.count(`correlated_${how}`, n);
        report.count('uncorrelated', correlation.unmatched + correlation.ambiguous.length);
        await report.progress('accounts', { seen, expected, done: true });
        return allRejected > 0
          ? {
              status: 'partial',
              error: {
                code: 'records_rejected',
                message: `${allRejected} records from Duo could not be read; nothing was deleted`,
              },
            }
          : { status: 'succeeded' };
      } finally {
        await duo.close();
      }
    },
    options.signal,
  );
}

/** The start of the warning a run gives when Duo does not let it read administrators. */
export const ADMINS_UNAVAILABLE = 'administrators are not available';

/**
 * Administrators (`GET /admin/v1/admins`) as accounts of kind `administrator`, each holding its
 * admin role as an entitlement of kind `admin_role` (Duo's fixed roles are all kept, held or
 * not, so an access review of any role can be asked for). Duo answers only an Admin API
 * application with "Grant administrators": without it the users and groups still aggregate,
 * the run counts `administratorsAvailable: 0` and says why, and nothing of the administrators
 * already stored is touched. Returns the snapshot's tally, or undefined when not available.
 */
async function aggregateAdministrators(
  ctx: SyncContext,
  duo: ReturnType<SyncContext['duo']['clientFor']>,
  report: RunReporter,
  sourceId: string,
  signal: AbortSignal,
): Promise<SnapshotTally | undefined> {
  let seen = 0;
  let rejected = 0;
  let expected: number | undefined;
  try {
    for await (const page of duo.admins({}, signal)) {
      if (seen === 0 && rejected === 0) {
        await upsertEntitlements(ctx.db, {
          sourceId,
          runId: report.runId,
          entitlements: DUO_ADMIN_ROLES.map(roleEntitlement),
          now: ms(ctx.clock()),
        });
      }
      expected = page.totalObjects ?? expected;
      rejected += page.rejected.length;
      for (const r of page.rejected)
        report.warn(
          `Duo sent an administrator that could not be read (position ${r.position}): ${r.error}`,
        );
      const roles = [...new Set(page.records.flatMap((a) => (a.role ? [a.role] : [])))];
      // A role Duo adds later is an entitlement too, seen by this run like the fixed ones.
      await upsertEntitlements(ctx.db, {
        sourceId,
        runId: report.runId,
        entitlements: roles.map(roleEntitlement),
        now: ms(ctx.clock()),
      });
      await upsertAccounts(ctx.db, {
        sourceId,
        runId: report.runId,
        accounts: page.records.map(toAdministratorSnapshot),
        now: ms(ctx.clock()),
      });
      seen += page.records.length;
      report.count('administrators', seen);
    }
  } catch (error) {
    if (!(error instanceof DuoError) || error.kind !== 'permission_missing') throw error;
    report.count('administratorsAvailable', 0);
    report.warn(
      `${ADMINS_UNAVAILABLE}: Duo refused /admin/v1/admins (${error.message}). Give the Admin API application "Grant administrators" to aggregate them; users and groups are not affected`,
    );
    return undefined;
  }
  report.count('administratorsAvailable', 1);
  report.count('administrators', seen);
  return { seen, rejected, expected };
}

function roleEntitlement(role: string): EntitlementSnapshot {
  return { kind: 'admin_role', duoGroupId: role, name: role, description: 'Duo admin role' };
}

interface SnapshotTally {
  readonly seen: number;
  readonly rejected: number;
  readonly expected: number | undefined;
}

/** Marks missing rows deleted only after a complete snapshot; otherwise says why not. */
async function deleteMissing(
  what: 'accounts' | 'administrators' | 'entitlements',
  tally: SnapshotTally,
  mark: () => Promise<DeletionOutcome>,
  warn: (message: string) => void,
): Promise<number> {
  if (tally.rejected > 0) {
    warn(
      `${what}: nothing deleted: ${tally.rejected} records could not be read, so the snapshot is not complete`,
    );
    return 0;
  }
  if (tally.expected !== undefined && tally.seen !== tally.expected) {
    warn(
      `${what}: nothing deleted: Duo said ${tally.expected} but ${tally.seen} arrived (users changed while paging?); the next aggregation will try again`,
    );
    return 0;
  }
  const outcome = await mark();
  if (outcome.kind === 'deleted') return outcome.deleted;
  warn(
    outcome.reason === 'empty_snapshot'
      ? `${what}: nothing deleted: Duo returned none, which would remove all ${outcome.present}`
      : `${what}: nothing deleted: ${outcome.wouldDelete} of ${outcome.present} would be removed, more than the source allows (maxDeleteShare)`,
  );
  return 0;
}

function toAccountSnapshot(user: DuoUser): AccountSnapshot {
  const aliases = new Set<string>();
  for (const value of Object.values(user.aliases ?? {})) if (value) aliases.add(value);
  for (const value of [user.alias1, user.alias2, user.alias3, user.alias4])
    if (value) aliases.add(value);
  return {
    duoUserId: user.user_id,
    username: user.username,
    realname: user.realname ?? null,
    email: user.email ?? null,
    status: user.status,
    lockoutReason: user.lockout_reason ?? null,
    aliases: [...aliases],
    isEnrolled: user.is_enrolled ?? null,
    lastLoginMs: typeof user.last_login === 'number' ? secondsToMs(seconds(user.last_login)) : null,
    createdMs: typeof user.created === 'number' ? secondsToMs(seconds(user.created)) : null,
    groups: (user.groups ?? []).map((g) => ({ duoGroupId: g.group_id, name: g.name })),
    raw: user,
  };
}

/**
 * An administrator as an account: Duo keys it by `admin_id` and gives no username, so its
 * e-mail stands in (its name when it has none): correlation finds the person by e-mail first.
 */
function toAdministratorSnapshot(admin: DuoAdmin): AccountSnapshot {
  const role = admin.role ?? null;
  return {
    kind: 'administrator',
    duoUserId: admin.admin_id,
    username: admin.email ?? admin.name ?? admin.admin_id,
    realname: admin.name ?? null,
    email: admin.email ?? null,
    status: admin.status ?? 'unknown',
    lastLoginMs:
      typeof admin.last_login === 'number' ? secondsToMs(seconds(admin.last_login)) : null,
    createdMs: typeof admin.created === 'number' ? secondsToMs(seconds(admin.created)) : null,
    adminRole: role,
    adminUnits: admin.admin_units ?? [],
    restrictedByAdminUnits: admin.restricted_by_admin_units ?? null,
    groups: role === null ? [] : [{ kind: 'admin_role', duoGroupId: role, name: role }],
    raw: admin,
  };
}

function toEntitlementSnapshot(group: DuoGroup): EntitlementSnapshot {
  return {
    duoGroupId: group.group_id,
    name: group.name,
    description: group.desc ?? null,
    status: group.status ?? null,
    raw: group,
  };
}
