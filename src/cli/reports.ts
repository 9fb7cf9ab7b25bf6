/**
 * `duo-insights reports dormant-accounts|access-review|admin-actions|security-events|sync-health`: the reports of
 * the console and the API (`/api/v1/reports/*`), through the same use cases, with the same
 * filters. A table on a terminal, the API's JSON when piped or with `--json`, and with `--csv`
 * the API's CSV export, every row, streamed to standard output.
 *
 * @example duo-insights reports dormant-accounts --days 30 --source "Duo accounts" --csv > dormant.csv
 * @example duo-insights reports access-review --group Engineering
 */
import { once } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { App } from '../app.js';
import { cliActor } from '../core/actor.js';
import { csvPages, toCsv } from '../core/csv.js';
import { decodeCursor, encodeCursor, EventCursor } from '../core/cursors.js';
import { TimeQuery } from '../core/queries.js';
import {
  ACCESS_REVIEW_COLUMNS,
  accessReviewExport,
  accessReviewReport,
  ADMIN_ACTION_COLUMNS,
  adminActionsExport,
  adminActionsReport,
  DEFAULT_ADMIN_ACTIONS_PAGE,
  DEFAULT_DORMANT_DAYS,
  DORMANT_ACCOUNT_COLUMNS,
  dormantAccountsExport,
  dormantAccountsReport,
  MAX_DORMANT_DAYS,
  MAX_PAGE,
  SYNC_HEALTH_COLUMNS,
  syncHealthReport,
  syncHealthRows,
  type ReportDeps,
} from '../core/reports.js';
import {
  SECURITY_EVENT_COLUMNS,
  SECURITY_EVENT_STATES,
  SECURITY_EVENT_TYPES,
  securityEventsExport,
  securityEventsReport,
} from '../core/security-events.js';
import { ACCOUNT_KINDS, type AccountKind, type Entitlement } from '../domain/accounts.js';
import { NotFoundError } from '../domain/errors.js';
import { ms } from '../domain/time.js';
import { getEntitlement, listEntitlements } from '../store/entitlements.js';
import { listSources } from '../store/sources.js';
import { InputError } from '../sync/sources.js';
import { positiveInt, resolveSource, withApp } from './common.js';
import { CommandError, display, emit, formatTime, table, type OutputOptions } from './output.js';

interface FormatOptions extends OutputOptions {
  readonly csv?: boolean;
}

/** `--from`/`--to`: epoch milliseconds or an ISO 8601 date-time with a time zone. */
function timeFlag(name: string) {
  return (value: string): number => {
    const parsed = TimeQuery.safeParse(/^\d+$/.test(value) ? Number(value) : value);
    if (!parsed.success || Number.isNaN(parsed.data))
      throw new InvalidArgumentError(
        `${name} must be epoch milliseconds or an ISO 8601 date-time with a time zone (2026-03-01T00:00:00Z)`,
      );
    return parsed.data;
  };
}

/** The flags every report takes; a bad flag exits 2 (bad input), as the other input errors do. */
function formatOptions(cmd: Command): Command {
  return cmd
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : 2);
    })
    .addOption(new Option('--json', 'print JSON even on a terminal').conflicts('csv'))
    .addOption(new Option('--csv', 'print the CSV export: every row, streamed'));
}

function depsOf(app: App): ReportDeps {
  return { db: app.db, readers: app.readers, clock: app.sync.clock };
}

async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

async function writeCsv(csv: string | AsyncIterable<string>): Promise<void> {
  if (typeof csv === 'string') return writeOut(csv);
  for await (const chunk of csv) await writeOut(chunk);
}

/**
 * An entitlement (a Duo group) named by its id (a number, as the API's `entitlementId`), its Duo
 * group id or its name: exactly one entitlement of the `duo` sources (or of `--source`) must match.
 */
async function resolveEntitlement(app: App, ref: string, sourceRef?: string): Promise<Entitlement> {
  if (/^\d+$/.test(ref)) return getEntitlement(app.db, Number(ref));
  const sources =
    sourceRef === undefined
      ? await listSources(app.db, { type: 'duo' })
      : [await resolveSource(app, sourceRef)];
  const matches: Entitlement[] = [];
  for (const source of sources)
    for (const e of await listEntitlements(app.db, { sourceId: source.id }))
      if (e.duoGroupId === ref || e.name === ref) matches.push(e);
  const [only] = matches;
  if (matches.length === 1 && only) return only;
  if (matches.length > 1)
    throw new CommandError(
      `--group "${ref}" matches ${String(matches.length)} entitlements (ids ${matches.map((e) => e.id).join(', ')}): give the id, or --source`,
      2,
    );
  throw new NotFoundError('entitlement', ref);
}

function dormantAccountsCommand(): Command {
  return formatOptions(
    new Command('dormant-accounts')
      .description('accounts active in Duo with no activity for N days')
      .option(
        '--days <n>',
        `no activity for this many days (1–${String(MAX_DORMANT_DAYS)})`,
        positiveInt('--days', 1, MAX_DORMANT_DAYS),
        DEFAULT_DORMANT_DAYS,
      )
      .option('--source <source>', "only this Duo source's accounts (id or name)")
      .addOption(
        new Option('--kind <kind>', 'Duo users or Duo administrators')
          .choices(ACCOUNT_KINDS)
          .default('user'),
      ),
  ).action(async (opts: { days: number; source?: string; kind: AccountKind } & FormatOptions) => {
    await withApp(async (app) => {
      const sourceId =
        opts.source === undefined ? undefined : (await resolveSource(app, opts.source)).id;
      const input = {
        days: opts.days,
        kind: opts.kind,
        ...(sourceId === undefined ? {} : { sourceId }),
      };
      if (opts.csv === true) {
        const { pages } = await dormantAccountsExport(depsOf(app), cliActor(), input);
        return writeCsv(csvPages(pages, DORMANT_ACCOUNT_COLUMNS));
      }
      const report = await dormantAccountsReport(depsOf(app), cliActor(), input);
      emit(
        report,
        (r) =>
          `${String(r.accounts.length)} ${r.kind === 'administrator' ? 'administrators' : 'accounts'} active in Duo without activity for ${r.days === 1 ? '1 day' : `${String(r.days)} days`}\n\n${table(
            r.accounts.map((a) => ({
              source: a.sourceName,
              username: a.username,
              role: a.adminRole ?? '',
              email: a.email,
              identity: a.identityName,
              lastActivity: formatTime(a.lastActivityMs),
              idleDays: a.idleDays ?? 'never active',
              groups: a.groups.join(', '),
            })),
            [
              'source',
              'username',
              ...(r.kind === 'administrator' ? (['role'] as const) : []),
              'email',
              'identity',
              'lastActivity',
              'idleDays',
              'groups',
            ],
          )}`,
        opts,
      );
    });
  });
}

function accessReviewCommand(): Command {
  return formatOptions(
    new Command('access-review')
      .description(
        'the members of a Duo group with last activity, days active in 90 and a keep/revoke suggestion',
      )
      .requiredOption(
        '--group <entitlement>',
        'the entitlement (Duo group): its id, Duo group id or name',
      )
      .option('--source <source>', 'the Duo source the entitlement name belongs to (id or name)'),
  ).action(async (opts: { group: string; source?: string } & FormatOptions) => {
    await withApp(async (app) => {
      const entitlement = await resolveEntitlement(app, opts.group, opts.source);
      const input = { entitlementId: entitlement.id };
      if (opts.csv === true) {
        const { pages } = await accessReviewExport(depsOf(app), cliActor(), input);
        return writeCsv(csvPages(pages, ACCESS_REVIEW_COLUMNS));
      }
      const report = await accessReviewReport(depsOf(app), cliActor(), input);
      emit(
        report,
        (r) =>
          `access review of ${r.entitlement.name} (${r.source.name}): ${String(r.members.length)} members\n\n${table(
            r.members.map((m) => ({
              username: m.username,
              identity: m.identityName,
              status: m.status,
              lastActivity: formatTime(m.lastActivityMs),
              daysActive90: m.daysActive90,
              suggestion: m.suggestion,
              reason: m.reason,
            })),
            [
              'username',
              'identity',
              'status',
              'lastActivity',
              'daysActive90',
              'suggestion',
              'reason',
            ],
          )}`,
        opts,
      );
    });
  });
}

function adminActionsCommand(): Command {
  return formatOptions(
    new Command('admin-actions')
      .description('Duo administrator actions, newest first (one page; --csv: every action)')
      .option('--source <source>', "only this activity source's actions (id or name)")
      .option('--from <time>', 'from this time: epoch ms or ISO 8601', timeFlag('--from'))
      .option('--to <time>', 'up to this time: epoch ms or ISO 8601', timeFlag('--to'))
      .option(
        '--limit <n>',
        `actions on the page (1–${String(MAX_PAGE)}; default ${String(DEFAULT_ADMIN_ACTIONS_PAGE)})`,
        positiveInt('--limit', 1, MAX_PAGE),
      )
      .option('--cursor <next>', 'the next page: the "next" of the previous one'),
  ).action(
    async (
      opts: {
        source?: string;
        from?: number;
        to?: number;
        limit?: number;
        cursor?: string;
      } & FormatOptions,
    ) => {
      await withApp(async (app) => {
        const cursor = parseCursor(opts.cursor);
        const sourceId =
          opts.source === undefined ? undefined : (await resolveSource(app, opts.source)).id;
        const input = {
          ...(sourceId === undefined ? {} : { sourceId }),
          ...(opts.from === undefined ? {} : { fromMs: ms(opts.from) }),
          ...(opts.to === undefined ? {} : { toMs: ms(opts.to) }),
        };
        if (opts.csv === true) {
          if (opts.limit !== undefined || cursor !== undefined)
            throw new CommandError('--csv holds every action: leave out --limit and --cursor', 2);
          const pages = await adminActionsExport(depsOf(app), cliActor(), input);
          return writeCsv(csvPages(pages, ADMIN_ACTION_COLUMNS));
        }
        const page = await adminActionsReport(depsOf(app), cliActor(), {
          ...input,
          ...(opts.limit === undefined ? {} : { limit: opts.limit }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        const answer = {
          actions: page.actions,
          next: page.next ? encodeCursor({ t: page.next.tsMs, id: page.next.id }) : null,
        };
        emit(
          answer,
          (a) =>
            `${table(
              a.actions.map((x) => ({
                time: formatTime(x.tsMs),
                admin: x.admin,
                action: x.action,
                object: x.object,
                description: display(x.description),
              })),
              ['time', 'admin', 'action', 'object', 'description'],
            )}${a.next === null ? '' : `\n\nmore: --cursor ${a.next} (or --csv for every action)`}`,
          opts,
        );
      });
    },
  );
}

function securityEventsCommand(): Command {
  return formatOptions(
    new Command('security-events')
      .description(
        'Trust Monitor events, newest first by surfaced time (one page; --csv: every event)',
      )
      .option('--source <source>', "only this activity source's events (id or name)")
      .option(
        '--state <states>',
        `triage states, comma-separated: ${SECURITY_EVENT_STATES.join(', ')}`,
      )
      .option('--type <types>', `event types, comma-separated: ${SECURITY_EVENT_TYPES.join(', ')}`)
      .option('--from <time>', 'surfaced from this time: epoch ms or ISO 8601', timeFlag('--from'))
      .option('--to <time>', 'surfaced before this time: epoch ms or ISO 8601', timeFlag('--to'))
      .option(
        '--limit <n>',
        `events on the page (1–${String(MAX_PAGE)}; default ${String(DEFAULT_ADMIN_ACTIONS_PAGE)})`,
        positiveInt('--limit', 1, MAX_PAGE),
      )
      .option('--cursor <next>', 'the next page: the "next" of the previous one'),
  ).action(
    async (
      opts: {
        source?: string;
        state?: string;
        type?: string;
        from?: number;
        to?: number;
        limit?: number;
        cursor?: string;
      } & FormatOptions,
    ) => {
      await withApp(async (app) => {
        const cursor = parseCursor(opts.cursor);
        const sourceId =
          opts.source === undefined ? undefined : (await resolveSource(app, opts.source)).id;
        const input = {
          ...(sourceId === undefined ? {} : { sourceId }),
          ...(opts.state === undefined ? {} : { states: opts.state.split(',') }),
          ...(opts.type === undefined ? {} : { types: opts.type.split(',') }),
          ...(opts.from === undefined ? {} : { fromMs: ms(opts.from) }),
          ...(opts.to === undefined ? {} : { toMs: ms(opts.to) }),
        };
        try {
          if (opts.csv === true) {
            if (opts.limit !== undefined || cursor !== undefined)
              throw new CommandError('--csv holds every event: leave out --limit and --cursor', 2);
            const pages = await securityEventsExport(depsOf(app), cliActor(), input);
            await writeCsv(csvPages(pages, SECURITY_EVENT_COLUMNS));
            return;
          }
          const page = await securityEventsReport(depsOf(app), cliActor(), {
            ...input,
            ...(opts.limit === undefined ? {} : { limit: opts.limit }),
            ...(cursor === undefined ? {} : { cursor }),
          });
          const answer = {
            events: page.events,
            next: page.next ? encodeCursor({ t: page.next.tsMs, id: page.next.id }) : null,
          };
          emit(
            answer,
            (a) =>
              `${table(
                a.events.map((e) => ({
                  surfaced: formatTime(e.surfacedMs),
                  type: e.type,
                  state: e.state,
                  priority: e.priority ? 'yes' : '',
                  reasons: e.reasons.join(', '),
                  user: e.identityName ?? e.username,
                  summary: e.summary,
                })),
                ['surfaced', 'type', 'state', 'priority', 'reasons', 'user', 'summary'],
              )}${a.next === null ? '' : `\n\nmore: --cursor ${a.next} (or --csv for every event)`}`,
            opts,
          );
        } catch (error) {
          // --state closed names the flag, as every bad flag does (exit code 2)
          if (error instanceof InputError)
            throw new CommandError(
              error.message.replace(/^(state|type):/, (_, f: string) => `--${f}:`),
              2,
            );
          throw error;
        }
      });
    },
  );
}

function parseCursor(text: string | undefined) {
  try {
    const cursor = decodeCursor(EventCursor, text);
    return cursor === undefined ? undefined : { tsMs: ms(cursor.t), id: cursor.id };
  } catch (error) {
    if (error instanceof InputError)
      throw new CommandError(
        '--cursor is not a cursor this report gave out: give the "next" of the previous page',
        2,
      );
    throw error;
  }
}

function syncHealthCommand(): Command {
  return formatOptions(
    new Command('sync-health').description(
      'per source and stream: state, last success, lag, cursor time, pages, 429s, errors; per destination: backlog, lag, delivered, last error',
    ),
  ).action(async (opts: FormatOptions) => {
    await withApp(async (app) => {
      const report = await syncHealthReport(depsOf(app), cliActor());
      if (opts.csv === true) return writeCsv(toCsv(syncHealthRows(report), SYNC_HEALTH_COLUMNS));
      emit(
        report,
        (r) =>
          table(
            syncHealthRows(r).map(({ source, stream }) => ({
              source: source.sourceName,
              type: source.type,
              state: source.state,
              stream: stream?.stream ?? null,
              streamState: stream?.state ?? null,
              lastSuccess: formatTime(stream?.lastSuccessAt),
              lag: stream?.lagMs == null ? null : `${String(Math.round(stream.lagMs / 1000))} s`,
              pages: stream?.pages ?? null,
              '429s': stream?.rateLimited ?? null,
              lastError: stream?.lastError?.message ?? source.lastRun?.error?.message ?? null,
            })),
            [
              'source',
              'type',
              'state',
              'stream',
              'streamState',
              'lastSuccess',
              'lag',
              'pages',
              '429s',
              'lastError',
            ],
          ) +
          (r.destinations.length === 0
            ? ''
            : `\n\n${table(
                r.destinations.map((d) => ({
                  destination: d.name,
                  type: d.type,
                  state: d.state,
                  backlog: d.backlog,
                  lag: `${String(Math.round(d.lagMs / 1000))} s`,
                  delivered: d.delivered,
                  lastDelivered: formatTime(d.lastDeliveredAt),
                  lastError: d.lastError,
                })),
                [
                  'destination',
                  'type',
                  'state',
                  'backlog',
                  'lag',
                  'delivered',
                  'lastDelivered',
                  'lastError',
                ],
              )}`),
        opts,
      );
    });
  });
}

export function reportsCommand(): Command {
  return new Command('reports')
    .description(
      'the reports: dormant accounts, access review, administrator actions, security events, sync health',
    )
    .addCommand(dormantAccountsCommand())
    .addCommand(accessReviewCommand())
    .addCommand(adminActionsCommand())
    .addCommand(securityEventsCommand())
    .addCommand(syncHealthCommand());
}
