/**
 * `duo-insights aggregate|sync|runs`: run a source now in this process (through the same runner
 * the API and the scheduler use, which refuses a source that has not passed its test; Ctrl-C stops
 * at the next page boundary), and list a source's recent runs.
 *
 * @example duo-insights sync "Duo logs" --stream authentication --backfill-days 7
 */
import { Command } from 'commander';
import type { Run } from '../domain/runs.js';
import { MAX_BACKFILL_DAYS } from '../domain/sources.js';
import { isStreamName, STREAMS, type StreamName } from '../domain/streams.js';
import { listRuns } from '../store/runs.js';
import { InputError } from '../sync/sources.js';
import { cliActor } from '../core/actor.js';
import { runSourceNow } from '../core/sources.js';
import { jsonOption, positiveInt, resolveSource, withApp } from './common.js';
import { emit, fields, formatTime, table, type OutputOptions } from './output.js';

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
      `history to fetch on the first sync (1–${String(MAX_BACKFILL_DAYS)})`,
      positiveInt('--backfill-days', 1, MAX_BACKFILL_DAYS),
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
