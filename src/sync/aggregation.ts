/**
 * Aggregation of a Duo source: a full snapshot of Duo users (limit 300, groups embedded) as
 * accounts with their memberships, and of Duo groups as entitlements, then correlation. Every
 * page is stored as it arrives (nothing is held whole in memory). Accounts missing from a
 * *complete* snapshot are marked deleted; an empty or partial snapshot, or one that would remove
 * more than the source's allowed share, deletes nothing and the run says why.
 *
 * @example const run = await aggregateSource(ctx, source.id, { trigger: 'manual' });
 */
import type { AccountSnapshot, DeletionOutcome, EntitlementSnapshot } from '../domain/accounts.js';
import type { Run, RunTrigger } from '../domain/runs.js';
import { assertRunKind } from '../domain/sources.js';
import { ms, seconds, secondsToMs } from '../domain/time.js';
import type { DuoGroup, DuoUser } from '../duo/wire.js';
import { markMissingAccountsDeleted, upsertAccounts } from '../store/accounts.js';
import { markMissingEntitlementsDeleted, upsertEntitlements } from '../store/entitlements.js';
import { getSource, getSourceCredentials } from '../store/sources.js';
import type { SyncContext } from './context.js';
import { correlateAccounts } from './correlation.js';
import { runExclusive } from './runs.js';

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
        report.count('entitlementsDeleted', entitlementsDeleted);
        report.count('rejected', rejected + groupsRejected);
        for (const [how, n] of Object.entries(correlation.linked))
          report.count(`correlated_${how}`, n);
        report.count('uncorrelated', correlation.unmatched + correlation.ambiguous.length);
        await report.progress('accounts', { seen, expected, done: true });
        return rejected + groupsRejected > 0
          ? {
              status: 'partial',
              error: {
                code: 'records_rejected',
                message: `${rejected + groupsRejected} records from Duo could not be read; nothing was deleted`,
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

interface SnapshotTally {
  readonly seen: number;
  readonly rejected: number;
  readonly expected: number | undefined;
}

/** Marks missing rows deleted only after a complete snapshot; otherwise says why not. */
async function deleteMissing(
  what: 'accounts' | 'entitlements',
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

function toEntitlementSnapshot(group: DuoGroup): EntitlementSnapshot {
  return {
    duoGroupId: group.group_id,
    name: group.name,
    description: group.desc ?? null,
    status: group.status ?? null,
    raw: group,
  };
}
