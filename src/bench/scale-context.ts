/**
 * What every scale measurement receives (`ScaleContext`) and the contract a measurement module
 * keeps (`ScaleMeasurement`: `(ctx) => Promise<ScaleFigure[]>`): the built store opened as the
 * product opens it, its present (the simulator's frozen clock), the identities to ask about (ten
 * typical ones around the median and the ten heaviest), the largest Duo group, and a real server
 * of the product's HTTP API on a loopback port with an API token.
 *
 * @example export const myFigures: ScaleMeasurement = { name: 'mine', measure: async (ctx) => [...] };
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { buildServer } from '../api/server.js';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import type { EpochMs } from '../domain/time.js';
import { createLogger } from '../logging.js';
import { stringValues } from '../store/activity/strings.js';
import type { DatabaseKind, Db } from '../store/dialect.js';
import { findEntitlementByDuoGroupId } from '../store/entitlements.js';
import { createUserFromInput, issueApiToken } from '../sync/users.js';
import type { ScaleFigure, ScaleStoreFacts } from './report.js';
import type { SamplingPlan } from './sampling.js';
import type { ScaleStore } from './scale-store.js';
import { EVERYONE_GROUP } from './scale-tenant.js';

/** An identity to ask about, with its Duo user ids and how many events it has. */
export interface Subject {
  readonly identityId: string;
  readonly duoUserIds: readonly string[];
  readonly events: number;
}

/** The product's HTTP API, served on a loopback port by this process. */
export interface BenchApi {
  /** e.g. `http://127.0.0.1:40123` (the API is under `/api/v1`). */
  readonly baseUrl: string;
  /** An API token of a viewer (`Authorization: Bearer <token>`). */
  readonly token: string;
  /** GETs a path with the token; the body is read whole. */
  get(path: string): Promise<{ readonly status: number; readonly body: string }>;
}

export interface ScaleContext {
  readonly database: DatabaseKind;
  readonly size: string;
  /** The store as the product opens it (`openApp`). */
  readonly app: App;
  readonly db: Db;
  /** The store's present: what insights and reports take as now. */
  readonly now: EpochMs;
  /** Days of history the store holds before `now`. */
  readonly days: number;
  readonly sources: { readonly activity: string; readonly duo: string };
  readonly subjects: { readonly typical: readonly Subject[]; readonly heavy: readonly Subject[] };
  /** The Duo group with the most members (every Duo user). */
  readonly largestEntitlement: { readonly id: number; readonly name: string };
  readonly api: BenchApi;
  readonly sampling: SamplingPlan;
  readonly quick: boolean;
  readonly store: ScaleStoreFacts;
  /** Requests the build's sync made to Duo's log endpoints (null when the store was reused). */
  readonly logRequests: number | null;
}

/**
 * A measurement module: named, it answers figures (latencies or values) on a store. One that
 * measured some figures and failed others throws `SomeFiguresFailed` with both.
 */
export interface ScaleMeasurement {
  readonly name: string;
  measure(ctx: ScaleContext): Promise<readonly ScaleFigure[]>;
}

/** Some figures of a module were measured, others failed (each with its error). */
export class SomeFiguresFailed extends Error {
  readonly figures: readonly ScaleFigure[];
  readonly failed: readonly { readonly id: string; readonly error: string }[];

  constructor(
    figures: readonly ScaleFigure[],
    failed: readonly { readonly id: string; readonly error: string }[],
  ) {
    super(
      `${String(failed.length)} figures failed: ${failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`,
    );
    this.name = 'SomeFiguresFailed';
    this.figures = figures;
    this.failed = failed;
  }
}

/** Opens the store through the composition root and serves the API; `close()` ends both. */
export async function openScaleContext(
  store: ScaleStore,
  options: {
    readonly size: string;
    readonly days: number;
    readonly sampling: SamplingPlan;
    readonly quick: boolean;
  },
): Promise<ScaleContext & { close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'di-bench-scale-'));
  const now = store.start;
  const config = loadConfig(
    {},
    {
      dataDir,
      databaseUrl: store.url,
      secretKey: store.secretKey.toBase64(),
      allowLoopbackDuoHosts: true,
      duoRateLimit: 'off',
    },
  );
  const app = await openApp(config, { log: createLogger({ level: 'warn' }), clock: () => now });
  const server = await buildServer(app);
  // Idle keep-alive connections outlive the gaps between HTTP figures (store-only figures run
  // in between): a server closing one as the next request is sent would reset that request.
  server.app.server.keepAliveTimeout = 10 * 60_000;
  const dispatcher = new Agent({ connections: 4, keepAliveTimeout: 5 * 60_000 });
  try {
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.app.server.address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${String(port)}`;
    const viewer = await createUserFromInput(app.db, {
      username: `bench-${randomBytes(4).toString('hex')}`,
      password: randomBytes(18).toString('base64url'),
      role: 'viewer',
    });
    const { token } = await issueApiToken(app.db, { name: 'scale bench' }, viewer.id, now);
    const api: BenchApi = {
      baseUrl,
      token,
      async get(path) {
        const response = await request(`${baseUrl}${path}`, {
          dispatcher,
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: response.statusCode, body: await response.body.text() };
      },
    };
    const entitlement = await findEntitlementByDuoGroupId(
      app.db,
      store.sources.duo,
      EVERYONE_GROUP.group_id,
    );
    if (!entitlement)
      throw new Error(`the store has no entitlement "${EVERYONE_GROUP.name}": was it aggregated?`);
    return {
      database: store.database,
      size: options.size,
      app,
      db: app.db,
      now,
      days: options.days,
      sources: store.sources,
      subjects: await pickSubjects(app.db, store.sources.duo),
      largestEntitlement: { id: entitlement.id, name: entitlement.name },
      api,
      sampling: options.sampling,
      quick: options.quick,
      store: store.facts,
      logRequests: store.logRequests,
      async close() {
        await dispatcher.close();
        await server.app.close();
        await app.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await dispatcher.close();
    await server.app.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** How many identities stand for "typical" and for "the heaviest". */
const SUBJECTS = 10;

/**
 * Ten identities around the median of events per Duo user, and the ten with the most events,
 * from the daily rollup (one pass before any timing; it picks subjects, it is not measured).
 */
async function pickSubjects(
  db: Db,
  duoSourceId: string,
): Promise<{ typical: Subject[]; heavy: Subject[] }> {
  const ranked = await db
    .selectFrom('activity_daily')
    .select((eb) => ['user_key', eb.fn.sum<number | string>('count').as('events')])
    .groupBy('user_key')
    .orderBy('events', 'desc')
    .orderBy('user_key')
    .execute();
  const middle = Math.max(0, Math.floor(ranked.length / 2) - SUBJECTS / 2);
  const pick = async (rows: typeof ranked): Promise<Subject[]> => {
    const values = await stringValues(
      db,
      rows.map((r) => r.user_key),
    );
    const duoUserIds = rows.flatMap((r) => {
      const id = values.get(r.user_key);
      return id === undefined ? [] : [{ id, events: Number(r.events) }];
    });
    if (duoUserIds.length === 0) return [];
    const accounts = await db
      .selectFrom('accounts')
      .select(['duo_user_id', 'identity_id'])
      .where('source_id', '=', duoSourceId)
      .where(
        'duo_user_id',
        'in',
        duoUserIds.map((d) => d.id),
      )
      .execute();
    const identityOf = new Map(accounts.map((a) => [a.duo_user_id, a.identity_id]));
    return duoUserIds.flatMap((d) => {
      const identityId = identityOf.get(d.id);
      return identityId ? [{ identityId, duoUserIds: [d.id], events: d.events }] : [];
    });
  };
  const heavy = await pick(ranked.slice(0, SUBJECTS));
  const typical = await pick(ranked.slice(middle, middle + SUBJECTS));
  if (heavy.length === 0 || typical.length === 0)
    throw new Error('no identity has activity: the store holds no correlated events');
  return { typical, heavy };
}
