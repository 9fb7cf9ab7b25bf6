/**
 * `duo-insights destinations create|list|show|delete|test`: where stored events are forwarded
 * (syslog, HTTP, a folder of JSON lines), through the same use cases as the HTTP API. Secrets
 * (HEC token, HMAC key, TLS client key) are read from a file or standard input, never a flag.
 *
 * @example duo-insights destinations create --name SIEM --type syslog --transport tcp --host siem --port 514 --format json --stream authentication
 */
import { Command, Option } from 'commander';
import {
  DESTINATION_TYPES,
  HTTP_PRESETS,
  SYSLOG_FORMATS,
  SYSLOG_FRAMINGS,
  SYSLOG_TRANSPORTS,
} from '../domain/destinations.js';
import { STREAMS } from '../domain/streams.js';
import {
  createDestinationCase,
  deleteDestinationCase,
  destinationHealth,
  listDestinationsCase,
  showDestinationCase,
  testDestinationCase,
  type DestinationDeps,
  type DestinationWithHealth,
} from '../core/destinations.js';
import { cliActor } from '../core/actor.js';
import { InputError } from '../sync/sources.js';
import type { App } from '../app.js';
import { jsonOption, positiveInt, resolveSource, withApp } from './common.js';
import { emit, fields, formatTime, readFlagFile, table, type OutputOptions } from './output.js';

function depsOf(app: App): DestinationDeps {
  return { db: app.db, secretKey: app.secretKey, clock: app.sync.clock };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The settings and health of a destination as the command prints them (never a secret). */
function view({ destination, health }: DestinationWithHealth) {
  return {
    id: destination.id,
    name: destination.name,
    ...destination.settings,
    hasSecret: destination.hasSecret,
    sourceIds: destination.sourceIds,
    streams: destination.streams,
    ...health,
  };
}

function text(v: ReturnType<typeof view>): string {
  return fields({
    ...v,
    oldestPendingTsMs: formatTime(v.oldestPendingTsMs),
    lastDeliveredAt: formatTime(v.lastDeliveredAt),
    lastErrorAt: formatTime(v.lastErrorAt),
  });
}

interface CreateFlags extends OutputOptions {
  name: string;
  type: string;
  transport?: string;
  host?: string;
  port?: number;
  framing?: string;
  format?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  preset?: string;
  url?: string;
  tokenFile?: string;
  directory?: string;
  maxFileBytes?: number;
  maxFiles?: number;
  source?: string[];
  stream?: string[];
  fromNow?: boolean;
}

export function destinationsCommand(): Command {
  const cmd = new Command('destinations').description(
    'forward stored events to a SIEM or log shipper: syslog (tcp, tls, udp), http (Splunk HEC, signed webhook), file',
  );
  cmd
    .command('create')
    .description('create a destination; it receives every stored event of its streams, in order')
    .requiredOption('--name <name>')
    .addOption(new Option('--type <type>').choices(DESTINATION_TYPES).makeOptionMandatory())
    .addOption(new Option('--transport <t>', 'syslog').choices(SYSLOG_TRANSPORTS))
    .option('--host <host>', 'syslog: the receiver')
    .option('--port <port>', 'syslog: its port', positiveInt('--port', 1, 65535))
    .addOption(
      new Option('--framing <f>', 'syslog over tcp/tls (default octet-counting)').choices(
        SYSLOG_FRAMINGS,
      ),
    )
    .addOption(new Option('--format <f>', 'syslog: json (default) or cef').choices(SYSLOG_FORMATS))
    .option('--ca-file <path>', 'tls, https: CA certificates (PEM) that sign the receiver')
    .option('--cert-file <path>', 'tls: a client certificate (PEM)')
    .option(
      '--key-file <path>',
      'tls: its private key (PEM), or - for standard input; stored encrypted',
    )
    .option(
      '--server-name <name>',
      'tls: the name the receiver’s certificate carries (default --host)',
    )
    .addOption(new Option('--preset <p>', 'http').choices(HTTP_PRESETS))
    .option('--url <url>', 'http: the HEC base URL (https://splunk:8088) or the webhook URL')
    .option(
      '--token-file <path>',
      'http: the HEC token or the webhook HMAC key, in a file or - for standard input; stored encrypted',
    )
    .option('--directory <path>', 'file: the folder (absolute)')
    .option(
      '--max-file-bytes <n>',
      'file: rotate past this size',
      positiveInt('--max-file-bytes', 10_000, 10_000_000_000),
    )
    .option('--max-files <n>', 'file: rotated files kept', positiveInt('--max-files', 1, 10_000))
    .option('--source <source>', 'only this source (id or name); repeat for more', collect)
    .option(
      '--stream <stream>',
      `only this stream (${STREAMS.join(', ')}); repeat for more`,
      collect,
    )
    .option('--from-now', 'skip the events stored before now')
    .addOption(jsonOption())
    .action(async (opts: CreateFlags) => {
      await withApp(async (app) => {
        const sourceIds =
          opts.source === undefined
            ? undefined
            : await Promise.all(opts.source.map(async (s) => (await resolveSource(app, s)).id));
        const secretFile = opts.keyFile ?? opts.tokenFile;
        const secret =
          secretFile === undefined
            ? undefined
            : (
                await readFlagFile(
                  opts.keyFile ? '--key-file' : '--token-file',
                  secretFile,
                  'the secret',
                )
              ).trim();
        const common = {
          name: opts.name,
          ...(sourceIds === undefined ? {} : { sourceIds }),
          ...(opts.stream === undefined ? {} : { streams: opts.stream }),
          ...(opts.fromNow === true ? { startAt: 'now' } : {}),
        };
        const defined = (o: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
        const body =
          opts.type === 'syslog'
            ? defined({
                ...common,
                type: 'syslog',
                transport: opts.transport,
                host: opts.host,
                port: opts.port,
                framing: opts.framing,
                format: opts.format,
                caFile: opts.caFile,
                certFile: opts.certFile,
                serverName: opts.serverName,
                clientKey: secret,
              })
            : opts.type === 'http'
              ? defined({
                  ...common,
                  type: 'http',
                  preset: opts.preset,
                  url: opts.url,
                  caFile: opts.caFile,
                  token: secret,
                })
              : defined({
                  ...common,
                  type: 'file',
                  directory: opts.directory,
                  maxFileBytes: opts.maxFileBytes,
                  maxFiles: opts.maxFiles,
                });
        const deps = depsOf(app);
        const destination = await createDestinationCase(deps, cliActor(), body);
        const created = view({ destination, health: await destinationHealth(deps, destination) });
        emit(created, text, opts);
      });
    });
  cmd
    .command('list')
    .description('every destination with its backlog, lag and last error')
    .addOption(jsonOption())
    .action(async (opts: OutputOptions) => {
      await withApp(async (app) => {
        const all = (await listDestinationsCase(depsOf(app), cliActor())).map(view);
        emit(
          all,
          (rows) =>
            table(
              rows.map((r) => ({
                ...r,
                lastDeliveredAt: formatTime(r.lastDeliveredAt),
                lagS: Math.round(r.lagMs / 1000),
              })),
              [
                'name',
                'type',
                'state',
                'backlog',
                'lagS',
                'delivered',
                'lastDeliveredAt',
                'lastError',
              ],
            ),
          opts,
        );
      });
    });
  cmd
    .command('show')
    .description('one destination: its settings (never its secret) and health')
    .argument('<destination>', 'id or name')
    .addOption(jsonOption())
    .action(async (ref: string, opts: OutputOptions) => {
      await withApp(async (app) => {
        emit(view(await showDestinationCase(depsOf(app), cliActor(), ref)), text, opts);
      });
    });
  cmd
    .command('delete')
    .description('delete a destination and its cursors (stored events stay)')
    .argument('<destination>', 'id or name')
    .option('--yes', 'confirm the deletion')
    .addOption(jsonOption())
    .action(async (ref: string, opts: { yes?: boolean } & OutputOptions) => {
      await withApp(async (app) => {
        if (opts.yes !== true)
          throw new InputError(
            `deleting destination "${ref}" forgets how far it got: run again with --yes to confirm`,
          );
        const deleted = await deleteDestinationCase(depsOf(app), cliActor(), ref);
        emit({ deleted: deleted.id }, () => `deleted destination "${deleted.name}"`, opts);
      });
    });
  cmd
    .command('test')
    .description('send one test message (stream "test") and say whether it was accepted')
    .argument('<destination>', 'id or name')
    .addOption(jsonOption())
    .action(async (ref: string, opts: OutputOptions) => {
      await withApp(async (app) => {
        const result = await testDestinationCase(depsOf(app), cliActor(), ref);
        emit(
          result,
          (r) =>
            r.ok ? `accepted in ${String(r.durationMs)} ms` : `not accepted: ${r.error ?? ''}`,
          opts,
        );
        if (!result.ok) process.exitCode = 1;
      });
    });
  return cmd;
}
