/**
 * Destinations (admins only, and the command line): create, list with health, show, delete,
 * and test (one test message through the real transport). Every change is audited; a secret
 * (HEC token, HMAC key, TLS client key) is stored encrypted and never returned or logged.
 *
 * @example await createDestinationCase(deps, actor, { name: 'SIEM', type: 'syslog', transport: 'tcp', host, port: 514, format: 'json' });
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import {
  HTTP_PRESETS,
  SYSLOG_FORMATS,
  SYSLOG_FRAMINGS,
  SYSLOG_TRANSPORTS,
  type Destination,
  type DestinationHealth,
  type DestinationSettings,
} from '../domain/destinations.js';
import { STREAMS } from '../domain/streams.js';
import { nowMs } from '../domain/time.js';
import { createTransport, type TransportOptions } from '../forward/transports.js';
import { testRecord } from '../forward/record.js';
import type { Db } from '../store/dialect.js';
import {
  createDestination,
  deleteDestination,
  destinationBacklog,
  destinationSecret,
  findDestination,
  findDestinationByName,
  listDestinations,
  skipStoredEvents,
} from '../store/destinations.js';
import type { SecretKey } from '../store/secrets.js';
import { InputError, parseInput } from '../sync/sources.js';
import { recordAction, type Actor } from './actor.js';

export interface DestinationDeps {
  readonly db: Db;
  readonly secretKey: SecretKey;
  readonly clock?: () => number;
  /** Told after a destination is created, so its delivery starts at once. */
  readonly forwarder?: { wake(): void } | undefined;
  /** Transport options of "test" (tests: short timeouts). */
  readonly transport?: TransportOptions;
}

const absolutePath = (what: string) =>
  z
    .string()
    .min(1)
    .max(1000)
    .refine((p) => isAbsolute(p), `${what} must be an absolute path on the server`);

const host = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9.:_-]+$/, 'a host name or IP address');
const port = z.number().int().min(1).max(65535);

const Common = {
  name: z.string().trim().min(1).max(100),
  sourceIds: z
    .array(z.string().min(1).max(100))
    .max(100)
    .nullable()
    .optional()
    .describe('the sources whose events it receives; absent or null: every activity source'),
  streams: z
    .array(z.enum(STREAMS))
    .min(1)
    .nullable()
    .optional()
    .describe('the streams it receives; absent or null: every stream'),
  startAt: z
    .enum(['oldest', 'now'])
    .optional()
    .describe('oldest (default): every stored event is sent; now: only events stored from now on'),
};

/** What creates a destination: the API's body and the command line's flags, checked alike. */
export const NewDestinationInput = z.discriminatedUnion('type', [
  z
    .object({
      ...Common,
      type: z.literal('syslog'),
      transport: z.enum(SYSLOG_TRANSPORTS),
      host,
      port,
      framing: z.enum(SYSLOG_FRAMINGS).default('octet-counting'),
      format: z.enum(SYSLOG_FORMATS).default('json'),
      caFile: absolutePath('caFile').optional(),
      certFile: absolutePath('certFile').optional(),
      serverName: host.optional(),
      clientKey: z
        .string()
        .min(1)
        .max(20_000)
        .optional()
        .describe('TLS: the client certificate’s private key (PEM); stored encrypted'),
    })
    .strict(),
  z
    .object({
      ...Common,
      type: z.literal('http'),
      preset: z.enum(HTTP_PRESETS),
      url: z
        .url()
        .max(2000)
        .refine((u) => /^https?:$/.test(new URL(u).protocol), 'an http:// or https:// URL'),
      caFile: absolutePath('caFile').optional(),
      token: z
        .string()
        .min(1)
        .max(1000)
        .optional()
        .describe('Splunk HEC: the token; webhook: the HMAC-SHA256 key; stored encrypted'),
    })
    .strict(),
  z
    .object({
      ...Common,
      type: z.literal('file'),
      directory: absolutePath('directory'),
      maxFileBytes: z.number().int().min(10_000).max(10_000_000_000).default(100_000_000),
      maxFiles: z.number().int().min(1).max(10_000).default(10),
    })
    .strict(),
]);
export type NewDestinationInput = z.input<typeof NewDestinationInput>;

function mustBeAdmin(actor: Actor): void {
  if (actor.kind === 'user' && actor.user.role !== 'admin')
    throw new ForbiddenError(`destinations need the role admin; you are ${actor.user.role}`);
}

function settingsOf(input: z.output<typeof NewDestinationInput>): {
  settings: DestinationSettings;
  secret: string | undefined;
} {
  switch (input.type) {
    case 'syslog': {
      if (input.transport !== 'tls' && (input.caFile ?? input.certFile ?? input.clientKey))
        throw inputError('caFile', 'caFile, certFile and clientKey are for transport tls only');
      if ((input.certFile === undefined) !== (input.clientKey === undefined))
        throw inputError(
          'certFile',
          'a client certificate needs its key (clientKey), and a key its certificate',
        );
      const settings: DestinationSettings = {
        type: 'syslog',
        transport: input.transport,
        host: input.host,
        port: input.port,
        framing: input.framing,
        format: input.format,
        ...(input.caFile === undefined ? {} : { caFile: input.caFile }),
        ...(input.certFile === undefined ? {} : { certFile: input.certFile }),
        ...(input.serverName === undefined ? {} : { serverName: input.serverName }),
      };
      return { settings, secret: input.clientKey };
    }
    case 'http':
      if (input.preset === 'splunk-hec' && input.token === undefined)
        throw inputError('token', 'Splunk HEC needs its token');
      if (input.preset === 'webhook' && input.token === undefined)
        throw inputError('token', 'the webhook needs an HMAC key to sign each batch with');
      return {
        settings: {
          type: 'http',
          preset: input.preset,
          url: input.url,
          ...(input.caFile === undefined ? {} : { caFile: input.caFile }),
        },
        secret: input.token,
      };
    case 'file':
      return {
        settings: {
          type: 'file',
          directory: input.directory,
          maxFileBytes: input.maxFileBytes,
          maxFiles: input.maxFiles,
        },
        secret: undefined,
      };
  }
}

function inputError(field: string, message: string): InputError {
  return new InputError(`${field}: ${message}`, [{ field, message }]);
}

/** Every source named must exist (and collect activity). */
async function checkSources(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await db
    .selectFrom('sources')
    .select(['id', 'type'])
    .where('id', 'in', ids.filter((id) => !id.includes('\u0000')).concat(['']))
    .execute();
  const found = new Map(rows.map((r) => [r.id, r.type]));
  const details = ids.flatMap((id, i) =>
    found.get(id) === 'duo-activity'
      ? []
      : [
          {
            field: `sourceIds.${String(i)}`,
            message: found.has(id)
              ? `source ${id} collects accounts, not activity`
              : `source ${id} was not found`,
          },
        ],
  );
  if (details.length > 0) throw new InputError(details.map((d) => d.message).join('; '), details);
}

export async function createDestinationCase(
  deps: DestinationDeps,
  actor: Actor,
  body: unknown,
): Promise<Destination> {
  mustBeAdmin(actor);
  const input = parseInput(NewDestinationInput, body);
  const { settings, secret } = settingsOf(input);
  await checkSources(deps.db, input.sourceIds ?? []);
  const destination = await createDestination(
    deps.db,
    {
      name: input.name,
      settings,
      ...(secret === undefined ? {} : { secret }),
      sourceIds: input.sourceIds ?? null,
      streams: input.streams ?? null,
    },
    deps.secretKey,
    nowMs(deps.clock ?? Date.now),
  );
  if (input.startAt === 'now') await skipStoredEvents(deps.db, destination);
  await recordAction(deps.db, actor, 'destination.create', {
    type: 'destination',
    id: destination.id,
    name: destination.name,
    details: { settings, sourceIds: destination.sourceIds, streams: destination.streams },
  });
  deps.forwarder?.wake();
  return destination;
}

/** A destination by id or name; NotFoundError otherwise. */
export async function resolveDestination(db: Db, idOrName: string): Promise<Destination> {
  const found =
    (await findDestination(db, idOrName)) ?? (await findDestinationByName(db, idOrName));
  if (!found) throw new NotFoundError('destination', idOrName);
  return found;
}

export async function destinationHealth(
  deps: Pick<DestinationDeps, 'db' | 'clock'>,
  destination: Destination,
): Promise<DestinationHealth> {
  const { backlog, oldestPendingTsMs } = await destinationBacklog(deps.db, destination);
  const now = (deps.clock ?? Date.now)();
  const failing =
    destination.lastErrorAt !== null &&
    (destination.lastDeliveredAt === null || destination.lastErrorAt > destination.lastDeliveredAt);
  return {
    state: failing ? 'failing' : backlog === 0 ? 'idle' : 'ok',
    backlog,
    oldestPendingTsMs,
    lagMs: oldestPendingTsMs === null ? 0 : Math.max(0, now - oldestPendingTsMs),
    delivered: destination.delivered,
    lastDeliveredAt: destination.lastDeliveredAt,
    lastError: destination.lastError,
    lastErrorAt: destination.lastErrorAt,
  };
}

export interface DestinationWithHealth {
  readonly destination: Destination;
  readonly health: DestinationHealth;
}

export async function listDestinationsCase(
  deps: DestinationDeps,
  actor: Actor,
): Promise<DestinationWithHealth[]> {
  mustBeAdmin(actor);
  const all = await listDestinations(deps.db);
  return Promise.all(
    all.map(async (destination) => ({
      destination,
      health: await destinationHealth(deps, destination),
    })),
  );
}

export async function showDestinationCase(
  deps: DestinationDeps,
  actor: Actor,
  idOrName: string,
): Promise<DestinationWithHealth> {
  mustBeAdmin(actor);
  const destination = await resolveDestination(deps.db, idOrName);
  return { destination, health: await destinationHealth(deps, destination) };
}

export async function deleteDestinationCase(
  deps: DestinationDeps,
  actor: Actor,
  idOrName: string,
): Promise<Destination> {
  mustBeAdmin(actor);
  const destination = await resolveDestination(deps.db, idOrName);
  await deleteDestination(deps.db, destination.id);
  await recordAction(deps.db, actor, 'destination.delete', {
    type: 'destination',
    id: destination.id,
    name: destination.name,
  });
  return destination;
}

export interface DestinationTestResult {
  readonly ok: boolean;
  /** What went wrong, naming the destination's side (never a secret). */
  readonly error: string | null;
  readonly durationMs: number;
}

/** Sends one test message (stream `test`) through the destination's transport. */
export async function testDestinationCase(
  deps: DestinationDeps,
  actor: Actor,
  idOrName: string,
): Promise<DestinationTestResult> {
  mustBeAdmin(actor);
  const destination = await resolveDestination(deps.db, idOrName);
  const clock = deps.clock ?? Date.now;
  const started = clock();
  let error: string | null = null;
  try {
    const secret = await destinationSecret(deps.db, destination.id, deps.secretKey);
    const transport = createTransport(destination.settings, secret, { clock, ...deps.transport });
    try {
      await transport.send([testRecord(started)]);
    } finally {
      await transport.close();
    }
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  const result = { ok: error === null, error, durationMs: clock() - started };
  await recordAction(deps.db, actor, 'destination.test', {
    type: 'destination',
    id: destination.id,
    name: destination.name,
    details: { ok: result.ok, error },
  });
  return result;
}
