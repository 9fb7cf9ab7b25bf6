/**
 * The product's commands: thin wrappers that parse flags, call the same use cases the HTTP API
 * calls (as the person at this terminal, `cli:<OS user>` in the audit trail, with an admin's
 * rights), and print. Each opens the app (config → database → secret key) and closes it.
 *
 * @example duo-insights sources create --type duo-activity --name "Duo logs" --owner alice@example.com
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import type { Identity } from '../domain/identities.js';
import type { Run } from '../domain/runs.js';
import type { Source } from '../domain/sources.js';
import { isStreamName, STREAMS, type StreamName } from '../domain/streams.js';
import { NotFoundError } from '../domain/errors.js';
import { openDatabase, type Db } from '../store/dialect.js';
import { migrate } from '../store/migrate.js';
import {
  createIdentity,
  findIdentity,
  findIdentitiesByEmail,
  findIdentitiesByUsername,
  searchIdentities,
} from '../store/identities.js';
import { listRuns } from '../store/runs.js';
import { findSource, findSourceByName } from '../store/sources.js';
import { listStreams } from '../store/streams.js';
import { streamProgress } from '../sync/cursor.js';
import { InputError, parseInput, SourceSettingsInput } from '../sync/sources.js';
import { cliActor } from '../core/actor.js';
import {
  configureSource,
  createSource,
  deleteSource,
  listSourceSummaries,
  runSourceNow,
  showSource,
  testConnection,
} from '../core/sources.js';
import {
  CommandError,
  emit,
  fields,
  formatTime,
  readFlagFile,
  reportError,
  table,
  type OutputOptions,
} from './output.js';

/** Opens the app, runs one command's work, reports its error for a person, closes the app. */
export async function withApp(work: (app: App) => Promise<void>): Promise<void> {
  let app: App | undefined;
  try {
    app = await openApp(loadConfig(process.env));
    await work(app);
  } catch (error) {
    reportError(error);
  } finally {
    await app?.close();
  }
}

/** A source named by id or by name. */
export async function resolveSource(app: App, ref: string): Promise<Source> {
  const found = (await findSource(app.db, ref)) ?? (await findSourceByName(app.db, ref));
  if (!found) throw new NotFoundError('source', ref);
  return found;
}

/** An identity named by id, email or username (exactly one must match). */
async function resolveIdentity(app: App, ref: string): Promise<Identity> {
  const byId = await findIdentity(app.db, ref);
  if (byId) return byId;
  const matches = [
    ...(await findIdentitiesByEmail(app.db, ref)),
    ...(await findIdentitiesByUsername(app.db, ref)),
  ];
  const unique = [...new Map(matches.map((i) => [i.id, i])).values()];
  if (unique.length === 1 && unique[0]) return unique[0];
  if (unique.length > 1) {
    throw new InputError(
      `"${ref}" matches ${unique.length} identities; give the identity id instead`,
    );
  }
  throw new NotFoundError('identity', ref);
}

/** A commander parser for a whole-number flag from `min` to `max`, naming the flag when it is not. */
export function positiveInt(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function jsonOption(): Option {
  return new Option('--json', 'print JSON even on a terminal');
}

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

function runLine(r: Run): Record<string, unknown> {
  return {
    id: r.id,
    kind: r.kind,
    trigger: r.trigger,
    status: r.status,
    started: formatTime(r.startedAt),
    finished: formatTime(r.finishedAt),
    error: r.error ? `${r.error.code}: ${r.error.message}` : null,
  };
}

function describeRun(r: Run): string {
  const lines = [fields(runLine(r))];
  const counts = Object.entries(r.counts);
  if (counts.length > 0) {
    lines.push('', 'counts:');
    for (const [key, value] of counts)
      lines.push(`  ${key}: ${typeof value === 'number' ? value : JSON.stringify(value)}`);
  }
  const warnings = (r.progress as { warnings?: string[] } | null)?.warnings ?? [];
  if (warnings.length > 0) lines.push('', 'warnings:', ...warnings.map((w) => `  - ${w}`));
  return lines.join('\n');
}

/** Ctrl-C stops a long run at its next page boundary; a second Ctrl-C exits at once. */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (): void => {
    count++;
    if (count > 1) process.exit(130);
    process.stderr.write('stopping at the next page boundary (Ctrl-C again to quit now)…\n');
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('bring the database schema up to date (also done on every start)')
    .addOption(jsonOption())
    .action(async (opts: OutputOptions) => {
      // The database alone: opening the app would migrate first and leave nothing to report.
      let db: Db | undefined;
      try {
        db = openDatabase(loadConfig(process.env).databaseUrl);
        const applied = await migrate(db);
        emit(
          { applied },
          (v) =>
            v.applied.length === 0
              ? 'schema is up to date: no migration to apply'
              : `applied ${String(v.applied.length)} migrations: ${v.applied.join(', ')}`,
          opts,
        );
      } catch (error) {
        reportError(error);
      } finally {
        await db?.destroy();
      }
    });
}

export function identitiesCommand(): Command {
  const cmd = new Command('identities').description(
    'people: owners of sources, holders of accounts',
  );
  cmd
    .command('create')
    .description('create an identity')
    .requiredOption('--name <display name>', 'the person’s name')
    .option('--email <email>')
    .option('--username <username>')
    .addOption(jsonOption())
    .action(async (opts: { name: string; email?: string; username?: string } & OutputOptions) => {
      await withApp(async (app) => {
        const identity = await createIdentity(app.db, {
          displayName: opts.name,
          email: opts.email ?? null,
          username: opts.username ?? null,
        });
        emit(
          identity,
          (i) =>
            fields({
              ...i,
              createdAt: formatTime(i.createdAt),
              updatedAt: formatTime(i.updatedAt),
            }),
          opts,
        );
      });
    });
  cmd
    .command('list')
    .description('list or search identities')
    .option('--q <text>', 'search by name, email or username (two letters or more)')
    .option('--limit <n>', 'at most this many', positiveInt('--limit', 1, 10_000), 100)
    .addOption(jsonOption())
    .action(async (opts: { q?: string; limit: number } & OutputOptions) => {
      await withApp(async (app) => {
        const list = await searchIdentities(app.db, {
          ...(opts.q === undefined ? {} : { q: opts.q }),
          limit: opts.limit,
        });
        emit(list, (l) => table(l, ['id', 'displayName', 'email', 'username']), opts);
      });
    });
  return cmd;
}

export function sourcesCommand(): Command {
  const cmd = new Command('sources').description(
    'Duo sources (accounts) and Activity Insights – Duo sources (logs)',
  );
  cmd
    .command('create')
    .description('create a source (then configure it and test its connection)')
    .addOption(
      new Option('--type <type>', 'duo (accounts and groups) or duo-activity (logs)')
        .choices(['duo', 'duo-activity'])
        .makeOptionMandatory(),
    )
    .requiredOption('--name <name>')
    .option('--description <text>')
    .requiredOption('--owner <identity>', 'the Source Owner: identity id, email or username')
    .option('--governance-group <id>', 'a governance group that may manage the source')
    .option(
      '--backfill-days <n>',
      'history fetched on the first sync (1–180, default 30)',
      positiveInt('--backfill-days', 1, 180),
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
  return cmd;
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

export function aggregateCommand(): Command {
  return new Command('aggregate')
    .description('read all Duo users and groups as accounts and entitlements, then correlate')
    .argument('<source>', 'id or name of a Duo source')
    .addOption(jsonOption())
    .action(async (ref: string, opts: OutputOptions) => {
      await withApp(async (app) => {
        const source = await resolveSource(app, ref);
        const interrupt = interruptSignal();
        try {
          const run = await runSourceNow(app, cliActor(), {
            sourceId: source.id,
            kind: 'aggregation',
            signal: interrupt.signal,
          });
          emit(run, describeRun, opts);
          if (run.status !== 'succeeded') process.exitCode = 1;
        } finally {
          interrupt.dispose();
        }
      });
    });
}

export function syncCommand(): Command {
  return new Command('sync')
    .description('sync the log streams of an Activity Insights – Duo source now')
    .argument('<source>', 'id or name of an activity source')
    .option('--stream <stream...>', `only these streams (${STREAMS.join(', ')})`)
    .option(
      '--backfill-days <n>',
      'history to fetch on the first sync (1–180)',
      positiveInt('--backfill-days', 1, 180),
    )
    .addOption(jsonOption())
    .action(
      async (ref: string, opts: { stream?: string[]; backfillDays?: number } & OutputOptions) => {
        await withApp(async (app) => {
          const streams = (opts.stream ?? []).map((s): StreamName => {
            if (!isStreamName(s))
              throw new InputError(
                `--stream ${s} is not a stream: use one of ${STREAMS.join(', ')}`,
              );
            return s;
          });
          const source = await resolveSource(app, ref);
          const interrupt = interruptSignal();
          try {
            const run = await runSourceNow(app, cliActor(), {
              sourceId: source.id,
              kind: 'sync',
              signal: interrupt.signal,
              ...(streams.length > 0 ? { streams } : {}),
              ...(opts.backfillDays === undefined ? {} : { backfillDays: opts.backfillDays }),
            });
            emit(run, describeRun, opts);
            if (run.status !== 'succeeded') process.exitCode = 1;
          } finally {
            interrupt.dispose();
          }
        });
      },
    );
}

export function runsCommand(): Command {
  return new Command('runs')
    .description('recent tests, aggregations and syncs of a source')
    .argument('<source>', 'id or name')
    .option('--limit <n>', 'at most this many', positiveInt('--limit', 1, 1000), 20)
    .addOption(jsonOption())
    .action(async (ref: string, opts: { limit: number } & OutputOptions) => {
      await withApp(async (app) => {
        const source = await resolveSource(app, ref);
        const runs = await listRuns(app.db, { sourceId: source.id, limit: opts.limit });
        emit(
          runs,
          (l) =>
            table(l.map(runLine), ['started', 'kind', 'status', 'trigger', 'finished', 'error']),
          opts,
        );
      });
    });
}
