/**
 * `duo-insights sources create|list|show|configure|accounts|delete|storage|retention` and
 * `test-connection`: thin wrappers
 * that parse flags, call the same use cases of `core/sources.ts` the HTTP API calls (as the person
 * at this terminal, `cli:<OS user>` in the audit trail, with an admin's rights), and print.
 *
 * @example duo-insights sources create --type duo-activity --name "Duo logs" --owner alice@example.com
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ACCOUNT_KINDS, type AccountKind } from '../domain/accounts.js';
import { ACCOUNT_SORT_COLUMNS, searchAccounts, type AccountSortColumn } from '../store/accounts.js';
import {
  MAX_BACKFILL_DAYS,
  MAX_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
  type Source,
} from '../domain/sources.js';
import { applyRetention, sourceStorage, type SourceStorage } from '../core/retention.js';
import { listStreams } from '../store/streams.js';
import { streamProgress } from '../sync/cursor.js';
import { InputError, parseInput, SourceSettingsInput } from '../sync/sources.js';
import { cliActor } from '../core/actor.js';
import {
  configureSource,
  createSource,
  deleteSource,
  listSourceSummaries,
  showSource,
  testConnection,
  updateSource,
} from '../core/sources.js';
import { jsonOption, positiveInt, resolveIdentity, resolveSource, withApp } from './common.js';
import {
  CommandError,
  emit,
  fields,
  formatTime,
  readFlagFile,
  table,
  type OutputOptions,
} from './output.js';

function sourceSummary(s: Source): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    type: s.type,
    state: s.state,
    apiHost: s.apiHost,
    integrationKey: s.integrationKey,
    secretKey: s.hasSecret ? '(set, write-only)' : '(not set)',
    description: s.description,
    owner: s.ownerIdentityId,
    governanceGroup: s.governanceGroupId,
    caFile: s.settings.caFile ?? '(DUO_INSIGHTS_CA_FILE, if set)',
    proxy: s.settings.proxyUrl ?? '(HTTPS_PROXY, if set)',
    lastTest: s.lastTest
      ? `${s.lastTest.ok ? 'passed' : 'FAILED'} at ${formatTime(s.lastTest.at)}: ${s.lastTest.message}`
      : null,
  };
}

export function sourcesCommand(): Command {
  const cmd = new Command('sources').description(
    'Duo sources (accounts) and Activity Insights – Duo sources (logs)',
  );
  cmd
    .command('create')
    .description('create a source (then configure it and test its connection)')
    .addOption(
      new Option('--type <type>', 'duo (accounts and entitlements) or duo-activity (logs)')
        .choices(['duo', 'duo-activity'])
        .makeOptionMandatory(),
    )
    .requiredOption('--name <name>')
    .option('--description <text>')
    .requiredOption('--owner <identity>', 'the Source Owner: identity id, email or username')
    .option('--governance-group <id>', 'a governance group that may manage the source')
    .option(
      '--backfill-days <n>',
      `history fetched on the first sync (1–${String(MAX_BACKFILL_DAYS)}, default 30)`,
      positiveInt('--backfill-days', 1, MAX_BACKFILL_DAYS),
    )
    .option(
      '--sync-interval-hours <n>',
      'hours between syncs (default 24)',
      positiveInt('--sync-interval-hours', 1, 720),
    )
    .option(
      '--aggregation-interval-hours <n>',
      'aggregate on a schedule (Duo sources)',
      positiveInt('--aggregation-interval-hours', 1, 720),
    )
    .addOption(jsonOption())
    .action(
      async (
        opts: {
          type: 'duo' | 'duo-activity';
          name: string;
          description?: string;
          owner: string;
          governanceGroup?: string;
          backfillDays?: number;
          syncIntervalHours?: number;
          aggregationIntervalHours?: number;
        } & OutputOptions,
      ) => {
        await withApp(async (app) => {
          const owner = await resolveIdentity(app, opts.owner);
          const source = await createSource(app, cliActor(), {
            type: opts.type,
            name: opts.name,
            ...(opts.description === undefined ? {} : { description: opts.description }),
            ownerIdentityId: owner.id,
            ...(opts.governanceGroup === undefined
              ? {}
              : { governanceGroupId: opts.governanceGroup }),
            settings: {
              ...(opts.backfillDays === undefined ? {} : { backfillDays: opts.backfillDays }),
              ...(opts.syncIntervalHours === undefined
                ? {}
                : { syncIntervalHours: opts.syncIntervalHours }),
              ...(opts.aggregationIntervalHours === undefined
                ? {}
                : { aggregationIntervalHours: opts.aggregationIntervalHours }),
            },
          });
          emit(
            source,
            (s) =>
              `${fields(sourceSummary(s))}\n\nnext: duo-insights sources configure "${s.name}" --api-host … --ikey … --secret-key-file …`,
            opts,
          );
        });
      },
    );
  cmd
    .command('list')
    .description('list sources')
    .addOption(jsonOption())
    .action(async (opts: OutputOptions) => {
      await withApp(async (app) => {
        const list = await listSourceSummaries(app);
        emit(
          list.map((s) => ({ ...s.source, lastRun: s.lastRun, nextRunAt: s.nextRunAt })),
          (l) =>
            table(
              l.map((s): Record<string, unknown> => ({
                ...sourceSummary(s),
                nextRun: formatTime(s.nextRunAt),
              })),
              ['name', 'type', 'state', 'nextRun', 'apiHost', 'id'],
            ),
          opts,
        );
      });
    });
  cmd
    .command('show')
    .description('a source with its streams')
    .argument('<source>', 'id or name')
    .addOption(jsonOption())
    .action(async (ref: string, opts: OutputOptions) => {
      await withApp(async (app) => {
        const { source, nextRunAt } = await showSource(app, (await resolveSource(app, ref)).id);
        const streams = await listStreams(app.db, source.id);
        emit(
          { source, nextRunAt, streams },
          (v) => {
            const parts = [
              fields({ ...sourceSummary(v.source), nextRun: formatTime(v.nextRunAt) }),
            ];
            if (v.streams.length > 0) {
              parts.push(
                '',
                table(
                  v.streams.map((s) => ({
                    stream: s.stream,
                    state: s.state,
                    lastSuccess: formatTime(s.lastSuccessAt),
                    syncedUntil: formatTime(streamProgress(s.cursor).syncedUntil),
                    pages: s.pages,
                    rateLimited: s.rateLimited,
                    lastError: s.lastError?.message ?? null,
                  })),
                  [
                    'stream',
                    'state',
                    'lastSuccess',
                    'syncedUntil',
                    'pages',
                    'rateLimited',
                    'lastError',
                  ],
                ),
              );
            }
            return parts.join('\n');
          },
          opts,
        );
      });
    });
  cmd
    .command('configure')
    .description(
      'set the integration key, secret key (write-only) and API host, and how to reach Duo',
    )
    .argument('<source>', 'id or name')
    .requiredOption('--api-host <host>', 'api-XXXXXXXX.duosecurity.com')
    .requiredOption('--ikey <integration key>')
    .option(
      '--secret-key-file <path>',
      'read the secret key from this file, or - for standard input',
    )
    .option(
      '--skey <secret key>',
      'the secret key on the command line (visible to other users of this machine: prefer --secret-key-file)',
    )
    .option(
      '--ca-file <path>',
      "a PEM CA certificate trusted for this source's Duo host ('' = DUO_INSIGHTS_CA_FILE)",
    )
    .option(
      '--proxy <url>',
      "the HTTPS proxy this source reaches Duo through, http://proxy:3128 ('' = HTTPS_PROXY)",
    )
    .addOption(jsonOption())
    .action(
      async (
        ref: string,
        opts: {
          apiHost: string;
          ikey: string;
          secretKeyFile?: string;
          skey?: string;
          caFile?: string;
          proxy?: string;
        } & OutputOptions,
      ) => {
        await withApp(async (app) => {
          const network = parseInput(SourceSettingsInput, {
            ...(opts.caFile === undefined
              ? {}
              : { caFile: opts.caFile === '' ? null : resolve(opts.caFile) }),
            ...(opts.proxy === undefined
              ? {}
              : { proxyUrl: opts.proxy === '' ? null : opts.proxy }),
          });
          const secretKey =
            opts.skey ??
            (opts.secretKeyFile === undefined ? undefined : await readSecret(opts.secretKeyFile));
          const source = await resolveSource(app, ref);
          if (secretKey === undefined && !source.hasSecret) {
            throw new CommandError(
              `source "${source.name}" has no secret key yet: give it with --secret-key-file <file> (or - for standard input)`,
              2,
            );
          }
          const configured = await configureSource(app, cliActor(), {
            sourceId: source.id,
            credentials: {
              apiHost: opts.apiHost,
              integrationKey: opts.ikey,
              ...(secretKey === undefined ? {} : { secretKey }),
            },
            network,
          });
          emit(
            configured,
            (s) => `${fields(sourceSummary(s))}\n\nnext: duo-insights test-connection "${s.name}"`,
            opts,
          );
        });
      },
    );
  cmd
    .command('accounts')
    .description("a Duo source's accounts: Duo users and Duo administrators (with their role)")
    .argument('<source>', 'id or name')
    .addOption(
      new Option('--kind <kind>', 'only Duo users or only administrators').choices(ACCOUNT_KINDS),
    )
    .option('--status <status>', 'only this Duo status (active, locked out, Disabled, …)')
    .addOption(
      new Option('--sort <column>', 'sorted on this column (default: by id)').choices(
        Object.keys(ACCOUNT_SORT_COLUMNS),
      ),
    )
    .addOption(
      new Option('--order <order>', 'with --sort: ascending (default) or descending').choices([
        'asc',
        'desc',
      ]),
    )
    .option(
      '--limit <n>',
      'at most this many (1–1000; default 100)',
      positiveInt('--limit', 1, 1000),
      100,
    )
    .addOption(jsonOption())
    .action(
      async (
        ref: string,
        opts: {
          kind?: AccountKind;
          status?: string;
          sort?: AccountSortColumn;
          order?: 'asc' | 'desc';
          limit: number;
        } & OutputOptions,
      ) => {
        await withApp(async (app) => {
          if (opts.order !== undefined && opts.sort === undefined)
            throw new InputError('--order needs --sort: the column to sort on');
          const source = await resolveSource(app, ref);
          const accounts = await searchAccounts(app.db, {
            sourceId: source.id,
            limit: opts.limit,
            ...(opts.kind === undefined ? {} : { kind: opts.kind }),
            ...(opts.status === undefined ? {} : { status: opts.status }),
            ...(opts.sort === undefined ? {} : { sort: opts.sort }),
            ...(opts.order === undefined ? {} : { order: opts.order }),
          });
          const rows = accounts.map((a) => ({
            id: a.id,
            kind: a.kind,
            duoId: a.duoUserId,
            username: a.username,
            name: a.realname,
            status: a.status,
            role: a.adminRole,
            lastLogin: formatTime(a.lastLoginMs),
            identity: a.identityId,
          }));
          emit(
            { accounts: rows },
            (r) =>
              table(r.accounts, [
                'id',
                'kind',
                'duoId',
                'username',
                'name',
                'status',
                'role',
                'lastLogin',
                'identity',
              ]),
            opts,
          );
        });
      },
    );
  cmd
    .command('delete')
    .description('delete a source with all its accounts, entitlements, events and runs')
    .argument('<source>', 'id or name')
    .option('--yes', 'confirm the deletion')
    .addOption(jsonOption())
    .action(async (ref: string, opts: { yes?: boolean } & OutputOptions) => {
      await withApp(async (app) => {
        const source = await resolveSource(app, ref);
        if (opts.yes !== true) {
          throw new InputError(
            `deleting "${source.name}" removes all its data: run again with --yes to confirm`,
          );
        }
        await deleteSource(app, cliActor(), { sourceId: source.id, confirm: source.name });
        emit({ deleted: source.id }, () => `deleted source "${source.name}"`, opts);
      });
    });
  cmd
    .command('storage')
    .description(
      'what each stream of an Activity Insights source holds, its retention and its last retention pass',
    )
    .argument('<source>', 'id or name')
    .addOption(jsonOption())
    .action(async (ref: string, opts: OutputOptions) => {
      await withApp(async (app) => {
        const source = await resolveSource(app, ref);
        emit(await sourceStorage(app, source.id), storageText, opts);
      });
    });
  cmd
    .command('retention')
    .description(
      'set how long an Activity Insights source keeps events and rollups, or delete what is past it now (--apply)',
    )
    .argument('<source>', 'id or name')
    .option(
      '--days <n>',
      `keep raw events this many days (${String(MIN_RETENTION_DAYS)}–${String(MAX_RETENTION_DAYS)})`,
      positiveInt('--days', MIN_RETENTION_DAYS, MAX_RETENTION_DAYS),
    )
    .option(
      '--rollup-days <n>',
      `keep the per-day rollups this many days (at least --days)`,
      positiveInt('--rollup-days', MIN_RETENTION_DAYS, MAX_RETENTION_DAYS),
    )
    .option('--apply', 'delete what is past the retention now, in small batches')
    .addOption(jsonOption())
    .action(
      async (
        ref: string,
        opts: { days?: number; rollupDays?: number; apply?: boolean } & OutputOptions,
      ) => {
        await withApp(async (app) => {
          const source = await resolveSource(app, ref);
          if (opts.days === undefined && opts.rollupDays === undefined && opts.apply !== true) {
            throw new InputError(
              'say what to do: --days N and/or --rollup-days N to change the retention, --apply to delete what is past it now',
            );
          }
          if (opts.days !== undefined || opts.rollupDays !== undefined) {
            await updateSource(app, cliActor(), {
              sourceId: source.id,
              changes: {
                settings: {
                  ...(opts.days === undefined ? {} : { retentionDays: opts.days }),
                  ...(opts.rollupDays === undefined
                    ? {}
                    : { rollupRetentionDays: opts.rollupDays }),
                },
              },
            });
          }
          const pass =
            opts.apply === true ? await applyRetention(app, cliActor(), source.id) : undefined;
          const storage = await sourceStorage(app, source.id);
          emit(
            { storage, ...(pass === undefined ? {} : { pass }) },
            (v) => {
              const lines: string[] = [];
              if (v.pass !== undefined) {
                const deleted = v.pass.streams.reduce((sum, s) => sum + s.deleted, 0);
                lines.push(
                  `deleted ${String(deleted)} events older than ${String(v.pass.retentionDays)} days and ${String(v.pass.rollupRowsDeleted)} rollup rows older than ${String(v.pass.rollupRetentionDays)} days in ${String(v.pass.tookMs)} ms${v.pass.interrupted === undefined ? '' : ` (stopped early: ${v.pass.interrupted})`}`,
                  '',
                );
              }
              lines.push(storageText(v.storage));
              return lines.join('\n');
            },
            opts,
          );
        });
      },
    );
  return cmd;
}

function storageText(storage: SourceStorage): string {
  const last = storage.lastPass;
  return [
    fields({
      retention: `${String(storage.retentionDays)} days of events, ${String(storage.rollupRetentionDays)} days of rollups`,
      events: storage.events,
      estimatedSize: `${(storage.estimatedBytes / 1_048_576).toFixed(1)} MiB`,
      lastPass: last
        ? `${formatTime(last.at)}: deleted ${String(last.streams.reduce((sum, s) => sum + s.deleted, 0))} events${last.interrupted === undefined ? '' : ` (stopped early: ${last.interrupted})`}`
        : 'never',
      nextPass: formatTime(storage.nextPassAt),
    }),
    '',
    table(
      storage.streams.map((s) => ({
        stream: s.stream,
        events: s.events,
        oldest: formatTime(s.oldestMs),
        newest: formatTime(s.newestMs),
        estimatedMiB: (s.estimatedBytes / 1_048_576).toFixed(1),
        heldBy: last?.streams.find((p) => p.stream === s.stream)?.heldBy ?? null,
      })),
      ['stream', 'events', 'oldest', 'newest', 'estimatedMiB', 'heldBy'],
    ),
  ].join('\n');
}

async function readSecret(path: string): Promise<string> {
  const text = await readFlagFile('--secret-key-file', path, 'the Duo secret key');
  return text.trim();
}

export function testConnectionCommand(): Command {
  return new Command('test-connection')
    .description('check the credentials with one cheap Duo call: a verdict, the cause and the fix')
    .argument('<source>', 'id or name')
    .addOption(jsonOption())
    .action(async (ref: string, opts: OutputOptions) => {
      await withApp(async (app) => {
        const source = await resolveSource(app, ref);
        const result = await testConnection(app, cliActor(), { sourceId: source.id });
        emit(
          result,
          (r) => {
            if (r.ok) return `OK: ${r.message}`;
            const details = (r.details ?? {}) as { fix?: string };
            return `FAILED (${r.code ?? 'error'}): ${r.message}${details.fix ? `\nfix: ${details.fix}` : ''}`;
          },
          opts,
        );
        if (!result.ok) process.exitCode = 1;
      });
    });
}
