/**
 * The Duo Admin API simulator: a node:http(s) server that authenticates, authorises, rate-limits
 * and answers like Duo (reference/duo-admin-api.md §1.9, §2–6, §8), serves a deterministic tenant
 * (dataset.ts), and exposes a control API under `/_sim/` for tests (control.ts).
 *
 * @example const sim = await startSimulator({ credentials: [{ ikey, skey }] });
 *   // sign requests for sim.host, send them to sim.url; then await sim.close();
 */
import { randomInt } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import { nowMs, type EpochMs } from '../domain/time.js';
import type { DuoParams } from '../duo/signing.js';
import { authenticate, type Credential } from './auth.js';
import { createSimClock, SYSTEM_CLOCK, type RealClock, type SimClock } from './clock.js';
import { handleControl, type ControlState } from './control.js';
import { createDataset } from './dataset.js';
import type { Dataset } from './dataset-types.js';
import {
  createFaultBook,
  FaultSpecSchema,
  seededRandom,
  type Fault,
  type FaultBook,
  type FaultInput,
} from './faults.js';
import {
  trustMonitorPage,
  v1LogPage,
  v2LogPage,
  type LogContext,
  type V1LastSecond,
} from './logs.js';
import {
  adminsPage,
  groupMembersPage,
  groupReply,
  groupsPage,
  infoSummary,
  userGroupsPage,
  userReply,
  usersPage,
} from './objects.js';
import { createRateLimiter, type RateLimitConfig, type RateLimiter } from './rate-limits.js';
import {
  forbidden,
  notFound,
  PERMISSIONS,
  ReplyError,
  tooManyRequests,
  type EndpointFamily,
  type Permission,
  type Reply,
} from './replies.js';
import { createRequestLog, type RequestLog, type RequestLogEntry } from './request-log.js';
import { generateTlsMaterial } from './tls.js';
import { bodyParams, removeUserFromGroupReply, updateUserReply } from './writes.js';

export type { EndpointFamily, Permission } from './replies.js';
export type { BucketLimit, RateLimitConfig } from './rate-limits.js';
export { DUO_RATE_LIMITS } from './rate-limits.js';
export { ENDPOINT_FAMILIES, PERMISSIONS } from './replies.js';
export type { V1LastSecond } from './logs.js';
export type { FaultInput, FaultKind } from './faults.js';
export { FAULT_KINDS, FaultSpecSchema } from './faults.js';
export type { RequestLogEntry } from './request-log.js';

export interface SimulatorCredential {
  readonly ikey: string;
  readonly skey: string;
  /** Default: every permission. */
  readonly permissions?: readonly Permission[];
}

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Generate a CA and a server certificate; `ca.pem` is written to `dir` (default: a temp dir). */
  readonly tls?: boolean | { readonly dir?: string };
  readonly credentials: readonly SimulatorCredential[];
  /** Dataset seed (default `duo-insights`), users (500), days of history (7), auth events/day (5000). */
  readonly seed?: string;
  readonly users?: number;
  readonly days?: number;
  readonly authEventsPerDay?: number;
  /** Share (0–1, default 0) of v1 records logged 2 or 3 times, identical, in one second. */
  readonly repeatedRecords?: number;
  /** Sim time = start (default: now) + real elapsed × speed (default 1). */
  readonly clock?: { readonly start?: EpochMs; readonly speed?: number };
  /** Real time (rate limits, the date check, the request log, `slow`); default the system's. */
  readonly realClock?: RealClock;
  /** Default 'off' (tests and benchmarks); the CLI defaults to 'duo'. */
  readonly rateLimits?: RateLimitConfig;
  /** Duo's delay before an event is served (default 120_000). */
  readonly publishDelayMs?: number;
  /** Largest accepted distance between the request's date and the real clock (default 300_000). */
  readonly maxSkewMs?: number;
  /** Default true: the last non-empty v2 log page carries `next_offset`, as Duo's docs example. */
  readonly lastPageNextOffset?: boolean;
  /**
   * Default 'cut': a v1 page holds at most 1000 records, as Duo's; 'complete' extends a page of
   * 1000 to finish its last second (uncapped).
   */
  readonly v1LastSecond?: V1LastSecond;
  /** The host name clients sign and configure (default `${host}:${port}`). */
  readonly apiHostname?: string;
  /** Serve this dataset instead of generating one from seed/users/days. */
  readonly dataset?: Dataset;
  /** Entries kept by the request log (default 10_000). */
  readonly requestLogSize?: number;
  /** Faults armed from the start (same shape as `POST /_sim/faults`). */
  readonly faults?: readonly FaultInput[];
}

export interface Simulator {
  /** Base URL to send requests to, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The API hostname clients configure and sign (`host:port`). */
  readonly host: string;
  readonly port: number;
  /** The generated CA (PEM) and its file, under `tls`. */
  readonly caPem?: string;
  readonly caFile?: string;
  readonly dataset: Dataset;
  /** Sim time now. */
  now(): EpochMs;
  close(): Promise<void>;
}

export const SIMULATOR_DEFAULTS = {
  host: '127.0.0.1',
  seed: 'duo-insights',
  users: 500,
  days: 7,
  authEventsPerDay: 5000,
  publishDelayMs: 120_000,
  maxSkewMs: 300_000,
} as const;

const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** How long an idle keep-alive connection stays open. */
export const KEEP_ALIVE_MS = 65_000;

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const host = options.host ?? SIMULATOR_DEFAULTS.host;
  const realClock = options.realClock ?? SYSTEM_CLOCK;
  const start = options.clock?.start ?? nowMs(realClock.now);
  const clock = createSimClock({ start, speed: options.clock?.speed ?? 1 }, realClock.now);
  const seed = options.seed ?? SIMULATOR_DEFAULTS.seed;
  const dataset =
    options.dataset ??
    createDataset({
      seed,
      users: options.users ?? SIMULATOR_DEFAULTS.users,
      days: options.days ?? SIMULATOR_DEFAULTS.days,
      start,
      authEventsPerDay: options.authEventsPerDay ?? SIMULATOR_DEFAULTS.authEventsPerDay,
      ...(options.repeatedRecords === undefined
        ? {}
        : { repeatedRecords: options.repeatedRecords }),
    });
  const credentials = new Map<string, Credential>();
  for (const credential of options.credentials) {
    credentials.set(credential.ikey, {
      ikey: credential.ikey,
      skey: credential.skey,
      permissions: new Set(credential.permissions ?? PERMISSIONS),
    });
  }
  const state: SimulatorState = {
    dataset,
    clock,
    realClock,
    credentials,
    publishDelayMs: options.publishDelayMs ?? SIMULATOR_DEFAULTS.publishDelayMs,
    maxSkewMs: options.maxSkewMs ?? SIMULATOR_DEFAULTS.maxSkewMs,
    apiHostname: options.apiHostname,
    lastPageNextOffset: options.lastPageNextOffset ?? true,
    v1LastSecond: options.v1LastSecond ?? 'cut',
    faults: createFaultBook(seededRandom(`${seed}/faults`)),
    requests: createRequestLog(options.requestLogSize ?? 10_000),
    limiter: createRateLimiter(options.rateLimits ?? 'off', realClock.now),
    closing: new AbortController(),
  };

  for (const fault of options.faults ?? []) state.faults.add(FaultSpecSchema.parse(fault));

  const tlsNames = [host, 'localhost', '127.0.0.1', hostnameOf(options.apiHostname)];
  const tls = options.tls
    ? await generateTlsMaterial(
        tlsNames.filter((n): n is string => !!n),
        typeof options.tls === 'object' ? options.tls.dir : undefined,
      )
    : undefined;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handleRequest(state, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, internalError(error));
      else res.destroy();
    });
  };
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener)
    : createHttpServer(listener);
  // Duo keeps idle connections open for a while; its Python client retries a 429 on the same
  // connection after 1, 2, 4 and 8 s and fails with RemoteDisconnected if the server hung up.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = isIPv6(host) ? `[${host}]` : host;
  return new RunningSimulator({
    server,
    state,
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`,
    host: options.apiHostname ?? `${urlHost}:${port}`,
    port,
    ...(tls ? { caPem: tls.caPem, caFile: tls.caFile } : {}),
  });
}

function hostnameOf(apiHostname: string | undefined): string | undefined {
  if (!apiHostname) return undefined;
  return apiHostname.replace(/^\[/, '').replace(/\]?(:\d+)?$/, '');
}

interface SimulatorState extends ControlState {
  readonly maxSkewMs: number;
  readonly apiHostname: string | undefined;
  readonly lastPageNextOffset: boolean;
  readonly v1LastSecond: V1LastSecond;
  readonly faults: FaultBook;
  readonly requests: RequestLog;
  readonly limiter: RateLimiter;
  readonly clock: SimClock;
  readonly realClock: RealClock;
  readonly closing: AbortController;
}

class RunningSimulator implements Simulator {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly caPem?: string;
  readonly caFile?: string;
  readonly #server: Server;
  readonly #state: SimulatorState;
  #closed: Promise<void> | undefined;

  constructor(init: {
    server: Server;
    state: SimulatorState;
    url: string;
    host: string;
    port: number;
    caPem?: string;
    caFile?: string;
  }) {
    this.#server = init.server;
    this.#state = init.state;
    this.url = init.url;
    this.host = init.host;
    this.port = init.port;
    if (init.caPem !== undefined) this.caPem = init.caPem;
    if (init.caFile !== undefined) this.caFile = init.caFile;
  }

  get dataset(): Dataset {
    return this.#state.dataset;
  }

  now(): EpochMs {
    return this.#state.clock.now();
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      this.#state.closing.abort();
      this.#server.close((error) => {
        if (error) reject(error);
        else resolve();
      });
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }
}

// ---- routes -------------------------------------------------------------------------------------

interface Route {
  /** Default GET. */
  readonly method?: 'POST' | 'DELETE';
  readonly pattern: RegExp;
  readonly family: EndpointFamily;
  readonly permission: Permission;
  answer(context: LogContext, params: DuoParams, ids: string[]): Reply;
}

const ROUTES: readonly Route[] = [
  {
    pattern: /^\/admin\/v1\/users$/,
    family: 'objects_page',
    permission: 'read_resource',
    answer: (c, p) => usersPage(c.dataset, p),
  },
  {
    pattern: /^\/admin\/v1\/users\/([^/]+)$/,
    family: 'object',
    permission: 'read_resource',
    answer: (c, _p, [id = '']) => userReply(c.dataset, id),
  },
  {
    // Duo's "modify object" limit is the single object's (300 a minute).
    method: 'POST',
    pattern: /^\/admin\/v1\/users\/([^/]+)$/,
    family: 'object',
    permission: 'write_resource',
    answer: (c, p, [id = '']) => updateUserReply(c.dataset, id, p),
  },
  {
    method: 'DELETE',
    pattern: /^\/admin\/v1\/users\/([^/]+)\/groups\/([^/]+)$/,
    family: 'object',
    permission: 'write_resource',
    answer: (c, _p, [id = '', groupId = '']) => removeUserFromGroupReply(c.dataset, id, groupId),
  },
  {
    pattern: /^\/admin\/v1\/users\/([^/]+)\/groups$/,
    family: 'objects_page',
    permission: 'read_resource',
    answer: (c, p, [id = '']) => userGroupsPage(c.dataset, id, p),
  },
  {
    pattern: /^\/admin\/v1\/groups$/,
    family: 'objects_page',
    permission: 'read_resource',
    answer: (c, p) => groupsPage(c.dataset, p),
  },
  {
    pattern: /^\/admin\/v[12]\/groups\/([^/]+)$/,
    family: 'object',
    permission: 'read_resource',
    answer: (c, _p, [id = '']) => groupReply(c.dataset, id),
  },
  {
    pattern: /^\/admin\/v2\/groups\/([^/]+)\/users$/,
    family: 'objects_page',
    permission: 'read_resource',
    answer: (c, p, [id = '']) => groupMembersPage(c.dataset, id, p),
  },
  {
    pattern: /^\/admin\/v1\/admins$/,
    family: 'objects_page',
    permission: 'admins',
    answer: (c, p) => adminsPage(c.dataset, p),
  },
  {
    pattern: /^\/admin\/v1\/info\/summary$/,
    family: 'info',
    permission: 'read_info',
    answer: (c) => infoSummary(c.dataset),
  },
  {
    pattern: /^\/admin\/v2\/logs\/authentication$/,
    family: 'logs_authentication',
    permission: 'read_log',
    answer: (c, p) => v2LogPage('authentication', p, c),
  },
  {
    pattern: /^\/admin\/v2\/logs\/telephony$/,
    family: 'logs_telephony',
    permission: 'read_log',
    answer: (c, p) => v2LogPage('telephony', p, c),
  },
  {
    pattern: /^\/admin\/v2\/logs\/activity$/,
    family: 'logs_activity',
    permission: 'read_log',
    answer: (c, p) => v2LogPage('activity', p, c),
  },
  {
    pattern: /^\/admin\/v1\/trust_monitor\/events$/,
    family: 'logs_trust_monitor',
    permission: 'read_log',
    answer: (c, p) => trustMonitorPage(p, c),
  },
  {
    pattern: /^\/admin\/v1\/logs\/administrator$/,
    family: 'logs_administrator',
    permission: 'read_log',
    answer: (c, p) => v1LogPage('administrator', p, c),
  },
  {
    pattern: /^\/admin\/v1\/logs\/offline_enrollment$/,
    family: 'logs_offline',
    permission: 'read_log',
    answer: (c, p) => v1LogPage('offline_enrollment', p, c),
  },
];

function findRoute(method: string, path: string): { route: Route; ids: string[] } | undefined {
  for (const route of ROUTES) {
    if ((route.method ?? 'GET') !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    try {
      return { route, ids: match.slice(1).map((id) => decodeURIComponent(id)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// ---- the request pipeline -----------------------------------------------------------------------

async function handleRequest(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const at = nowMs(state.realClock.now);
  const simAt = state.clock.now();
  const method = req.method ?? 'GET';
  const target = req.url ?? '/';
  const mark = target.indexOf('?');
  const path = mark < 0 ? target : target.slice(0, mark);
  const query = mark < 0 ? '' : target.slice(mark + 1);
  const body = await readBody(req);

  if (path === '/_sim' || path.startsWith('/_sim/')) {
    let parsed: unknown;
    try {
      parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
    } catch {
      sendJson(res, 400, { error: { code: 'invalid_request', message: 'body is not JSON' } });
      return;
    }
    const reply = handleControl(state, method, path, new URLSearchParams(query), parsed);
    sendJson(res, reply.status, reply.body);
    return;
  }

  const queryParams: DuoParams = [...new URLSearchParams(query)];
  /** The query's parameters, or a POST body's once it is authenticated (logged either way). */
  let params = queryParams;
  let ikey: string | undefined;
  const log = (status: number, reply?: Reply, fault?: Fault): void => {
    const code = failCode(reply);
    const entry: RequestLogEntry = {
      method,
      path,
      query,
      params,
      status,
      at,
      simAt,
      ...(code === undefined ? {} : { code }),
      ...(ikey === undefined ? {} : { ikey }),
      ...(fault ? { fault: fault.kind } : {}),
    };
    state.requests.record(entry);
  };
  const answer = (reply: Reply, fault?: Fault): void => {
    log(reply.status, reply, fault);
    send(res, reply);
  };

  const found = findRoute(method, path);
  if (!found) {
    answer(notFound());
    return;
  }
  const auth = authenticate(
    { method, path, headers: req.headers, query: queryParams, body },
    state.credentials,
    state.realClock.now(),
    state.maxSkewMs,
    state.apiHostname,
  );
  if (!auth.ok) {
    ikey = auth.ikey;
    answer(auth.reply);
    return;
  }
  ikey = auth.credential.ikey;
  const { route, ids } = found;
  // As Duo: the permission is checked before anything is looked up (a probe for a user that
  // does not exist answers 403 without it, 404 with it).
  if (!auth.credential.permissions.has(route.permission)) {
    answer(forbidden());
    return;
  }
  if (method === 'POST') {
    try {
      params = bodyParams(req.headers['content-type'] ?? '', body);
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      answer(error.reply);
      return;
    }
  }
  if (!state.limiter.take(ikey, route.family)) {
    answer(tooManyRequests());
    return;
  }

  const take = (kind: Fault['kind']): Fault | undefined => state.faults.take(kind, path, ikey);
  let fault = take('reset');
  if (fault) {
    log(0, undefined, fault);
    req.socket.destroy();
    return;
  }
  if ((fault = take('hang'))) {
    log(0, undefined, fault);
    return;
  }
  if ((fault = take('5xx'))) {
    log(fault.status ?? 503, undefined, fault);
    sendServerError(res, fault);
    return;
  }
  if ((fault = take('rate_limit'))) {
    answer(tooManyRequests(), fault);
    return;
  }
  const slow = take('slow');
  if (slow) {
    try {
      await state.realClock.sleep(slow.delayMs ?? 2000, state.closing.signal);
    } catch {
      res.destroy();
      return;
    }
  }

  const context: LogContext = {
    dataset: state.dataset,
    now: state.clock.now(),
    publishDelayMs: state.publishDelayMs,
    lastPageNextOffset: state.lastPageNextOffset,
    v1LastSecond: state.v1LastSecond,
  };
  let reply: Reply;
  try {
    reply = route.answer(context, params, ids);
  } catch (error) {
    if (!(error instanceof ReplyError)) throw error;
    reply = error.reply;
  }
  const records = reply.records;
  const badRecord = records && records.length > 0 ? take('bad_record') : undefined;
  if (records && badRecord) {
    const index = Math.floor(records.length / 2);
    records[index] = corruptRecord(records[index]);
  }
  const truncate = take('truncate');
  if (truncate) {
    const text = JSON.stringify(reply.body);
    log(reply.status, reply, truncate);
    sendText(res, reply.status, 'application/json', text.slice(0, Math.floor(text.length / 2)));
    return;
  }
  answer(reply, slow ?? badRecord);
}

/** Gives the record's identifying field the wrong type (a string id becomes a number). */
function corruptRecord(record: unknown): unknown {
  if (record === null || typeof record !== 'object') return 12345;
  const copy: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  const field = [
    'txid',
    'telephony_id',
    'activity_id',
    'sv4_id',
    'user_id',
    'group_id',
    'admin_id',
    'timestamp',
  ].find((name) => name in copy);
  if (field === undefined) return 12345;
  copy[field] = typeof copy[field] === 'number' ? 'not-a-number' : 12345;
  return copy;
}

function failCode(reply: Reply | undefined): number | undefined {
  const body = reply?.body;
  if (body === null || typeof body !== 'object' || !('code' in body)) return undefined;
  return typeof body.code === 'number' ? body.code : undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new RangeError('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, reply: Reply): void {
  sendJson(res, reply.status, reply.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, 'application/json', JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, type: string, text: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const SERVER_ERRORS: Readonly<Record<number, string>> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function sendServerError(res: ServerResponse, fault: Fault): void {
  const status = fault.status ?? 503;
  const reason = SERVER_ERRORS[status] ?? 'Server Error';
  if (fault.body === 'html') {
    const html = `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n</body>\r\n</html>\r\n`;
    sendText(res, status, 'text/html', html);
    return;
  }
  sendJson(res, status, { stat: 'FAIL', code: status * 100, message: reason });
}

function internalError(error: unknown): Reply {
  return {
    status: 500,
    body: {
      stat: 'FAIL',
      code: 50000,
      message: 'Internal Server Error',
      message_detail: error instanceof Error ? error.message : String(error),
    },
  };
}

/** A random integration key (`DI` + 18) and secret key (40), as Duo issues them. */
export function randomCredential(): { ikey: string; skey: string } {
  return { ikey: `DI${randomChars(18, UPPER_DIGITS)}`, skey: randomChars(40, ALPHANUMERIC) };
}

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz' + UPPER_DIGITS;

function randomChars(length: number, alphabet: string): string {
  return Array.from({ length }, () => alphabet.charAt(randomInt(alphabet.length))).join('');
}
