/**
 * What users feel on a big store: the latency of each query a person's click runs, through the
 * product's own functions (`core/` use cases, `store/` reads where a route reads the store
 * directly) and through the HTTP API of a real server — insights of typical and of the heaviest
 * identities, the first, a deep (~1,000 events back) and the oldest timeline page, activity search
 * across the source by application, by result, by two of either, by factor and by three filters
 * at once, every report as JSON, and the largest access review as CSV.
 *
 * @example const figures = await queryLatencies.measure(ctx);
 */
import { cliActor } from '../core/actor.js';
import { OrganisationAverages, readIdentityInsights } from '../core/insights.js';
import {
  accessReviewReport,
  adminActionsReport,
  dormantAccountsReport,
  syncHealthReport,
} from '../core/reports.js';
import type { ActivityCursor } from '../domain/activity.js';
import { DAY_MS, ms } from '../domain/time.js';
import { listActivityEvents } from '../store/activity/timeline.js';
import { inlineReaders } from '../store/readers.js';
import type { LatencyFigure, QueryPath, ScaleFigure } from './report.js';
import {
  SomeFiguresFailed,
  type ScaleContext,
  type ScaleMeasurement,
  type Subject,
} from './scale-context.js';
import { sampleLatency, type Answered } from './sampling.js';

/** A timeline page, as the console asks for it. */
const PAGE = 50;
/** How far back a "deep" page starts. */
const DEEP = 1000;

export const queryLatencies: ScaleMeasurement = {
  name: 'queries',
  async measure(ctx) {
    const figures: ScaleFigure[] = [];
    const failed: { id: string; error: string }[] = [];
    const time = async <S>(
      id: string,
      label: string,
      via: QueryPath,
      subjects: readonly S[],
      query: (subject: S) => Promise<Answered>,
    ): Promise<void> => {
      let sampled;
      try {
        sampled = await sampleLatency(ctx.sampling, subjects, query);
      } catch (error) {
        failed.push({ id, error: error instanceof Error ? error.message : String(error) });
        return;
      }
      const figure: LatencyFigure = {
        kind: 'latency',
        id,
        label,
        via,
        samples: sampled.samples,
        p50Ms: sampled.p50Ms,
        p95Ms: sampled.p95Ms,
        p99Ms: sampled.p99Ms,
        meanMs: sampled.meanMs,
        maxMs: sampled.maxMs,
        rows: sampled.answered.rows,
        ...(sampled.answered.bytes === undefined ? {} : { bytes: sampled.answered.bytes }),
      };
      figures.push(figure);
    };
    const { typical, heavy } = ctx.subjects;
    const kinds = [
      { kind: 'typical', label: 'a typical identity', subjects: typical },
      { kind: 'heavy', label: 'the ten heaviest identities', subjects: heavy },
    ] as const;

    // Insights: the use case every front door calls, and the route.
    const insightsDeps = { db: ctx.db, clock: () => ctx.now, averages: new OrganisationAverages() };
    const actor = cliActor('bench');
    for (const { kind, label, subjects } of kinds) {
      await time(`insights.${kind}`, `insights of ${label}`, 'core', subjects, async (s) => {
        await readIdentityInsights(insightsDeps, actor, { identityId: s.identityId });
        return { rows: 1 };
      });
      await time(`insights.${kind}.http`, `insights of ${label}`, 'http', subjects, (s) =>
        httpGet(ctx, `/api/v1/identities/${s.identityId}/insights`),
      );
    }

    // Timeline pages: the route reads the store's timeline directly.
    for (const { kind, label, subjects } of kinds) {
      const deep = await cursorsOf(ctx, subjects, 'deep');
      const oldest = await cursorsOf(ctx, subjects, 'oldest');
      const page = (cursor?: ActivityCursor) => async (s: Subject) => {
        const answer = await listActivityEvents(ctx.db, {
          identityId: s.identityId,
          limit: PAGE,
          ...(cursor === undefined ? {} : { cursor }),
        });
        return { rows: answer.events.length };
      };
      await time(
        `timeline.first.${kind}`,
        `first timeline page of ${label}`,
        'store',
        subjects,
        (s) => page()(s),
      );
      await time(
        `timeline.deep.${kind}`,
        `timeline page ~${String(DEEP)} events back of ${label}`,
        'store',
        subjects,
        (s) => page(deep.get(s.identityId))(s),
      );
      await time(
        `timeline.oldest.${kind}`,
        `oldest timeline page of ${label}`,
        'store',
        subjects,
        (s) => page(oldest.get(s.identityId))(s),
      );
      await time(
        `timeline.first.${kind}.http`,
        `first timeline page of ${label}`,
        'http',
        subjects,
        (s) => httpGet(ctx, `/api/v1/identities/${s.identityId}/activity?limit=${String(PAGE)}`),
      );
      const deepHttp = await httpDeepCursors(ctx, subjects);
      await time(
        `timeline.deep.${kind}.http`,
        `timeline page ~${String(DEEP)} events back of ${label}`,
        'http',
        subjects,
        (s) => {
          const cursor = deepHttp.get(s.identityId);
          return httpGet(
            ctx,
            `/api/v1/identities/${s.identityId}/activity?limit=${String(PAGE)}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
          );
        },
      );
    }

    // Activity search across the source.
    const application = await aCommonApplication(ctx);
    await time(
      'search.application',
      `activity search by application ("${application}") across the source`,
      'store',
      [application],
      async (app) => {
        const answer = await listActivityEvents(ctx.db, {
          sourceId: ctx.sources.activity,
          applications: [app],
          limit: PAGE,
        });
        return { rows: answer.events.length };
      },
    );
    await time(
      'search.result',
      'activity search by result (fraud) across the source',
      'store',
      ['fraud'],
      async (result) => {
        const answer = await listActivityEvents(ctx.db, {
          sourceId: ctx.sources.activity,
          results: [result],
          limit: PAGE,
        });
        return { rows: answer.events.length };
      },
    );

    // Searches by several values at once, by factor, and by several filters together: each reads
    // one index range per stream and value, merged.
    const applications = await twoApplications(ctx);
    const searches = [
      [
        'search.results',
        'activity search by two results (fraud, denied) across the source',
        { results: ['fraud', 'denied'] },
      ],
      [
        'search.applications',
        `activity search by two applications ("${applications.join('", "')}") across the source`,
        { applications },
      ],
      [
        'search.factor',
        'activity search by factor (hardware_token) across the source',
        { factors: ['hardware_token'] },
      ],
      [
        'search.combined',
        `activity search by result (fraud), factor (duo_push) and application ("${applications[0]}") across the source`,
        { results: ['fraud'], factors: ['duo_push'], applications: applications.slice(0, 1) },
      ],
    ] as const;
    for (const [id, label, filter] of searches)
      await time(id, label, 'store', [filter], async (f) => {
        const answer = await listActivityEvents(ctx.db, {
          sourceId: ctx.sources.activity,
          ...f,
          limit: PAGE,
        });
        return { rows: answer.events.length };
      });

    // Reports: the use cases, then the routes (JSON), then the largest export (CSV).
    // Timed in this process, as the command line runs them; the HTTP figures go through the
    // server's read workers.
    const reportDeps = { db: ctx.db, readers: inlineReaders(ctx.db), clock: () => ctx.now };
    const entitlementId = ctx.largestEntitlement.id;
    const group = `"${ctx.largestEntitlement.name}"`;
    const once = [null];
    await time('report.dormant', 'dormant accounts report (90 days)', 'core', once, async () => ({
      rows: (await dormantAccountsReport(reportDeps, actor, { days: 90 })).accounts.length,
    }));
    await time(
      'report.access-review',
      `access review of the largest group (${group})`,
      'core',
      once,
      async () => ({
        rows: (await accessReviewReport(reportDeps, actor, { entitlementId })).members.length,
      }),
    );
    await time(
      'report.admin-actions',
      'administrator actions, first page',
      'core',
      once,
      async () => ({
        rows: (await adminActionsReport(reportDeps, actor, {})).actions.length,
      }),
    );
    await time('report.sync-health', 'sync health report', 'core', once, async () => ({
      rows: (await syncHealthReport(reportDeps, actor)).sources.length,
    }));
    const routes = [
      [
        'report.dormant.http',
        'dormant accounts report (90 days)',
        '/api/v1/reports/dormant-accounts?days=90',
      ],
      [
        'report.access-review.http',
        `access review of the largest group (${group})`,
        `/api/v1/reports/access-review?entitlementId=${String(entitlementId)}`,
      ],
      [
        'report.admin-actions.http',
        'administrator actions, first page',
        '/api/v1/reports/admin-actions',
      ],
      ['report.sync-health.http', 'sync health report', '/api/v1/reports/sync-health'],
      [
        'export.access-review.csv',
        `access review CSV export of the largest group (${group})`,
        `/api/v1/reports/access-review?entitlementId=${String(entitlementId)}&format=csv`,
      ],
    ] as const;
    for (const [id, label, path] of routes)
      await time(id, label, 'http', once, () => httpGet(ctx, path));
    if (failed.length > 0) throw new SomeFiguresFailed(figures, failed);
    return figures;
  },
};

/** GETs a path of the API; anything but 200 stops the measurement with the answer's text. */
async function httpGet(ctx: ScaleContext, path: string): Promise<Answered> {
  const answer = await ctx.api.get(path);
  if (answer.status !== 200)
    throw new Error(`GET ${path} answered ${String(answer.status)}: ${answer.body.slice(0, 300)}`);
  return { rows: rowsOf(answer.body), bytes: Buffer.byteLength(answer.body) };
}

/**
 * Rows of an answer: a CSV's lines less its header; the list of a JSON answer (events, members,
 * accounts, actions, sources); 1 for one object (insights).
 */
function rowsOf(body: string): number {
  if (!body.startsWith('{')) return body.split('\n').filter((line) => line !== '').length - 1;
  const parsed = JSON.parse(body) as Record<string, unknown>;
  for (const key of ['events', 'members', 'accounts', 'actions', 'sources']) {
    const list = parsed[key];
    if (Array.isArray(list)) return list.length;
  }
  return 1;
}

/**
 * Per subject, the cursor of a deep page: `deep` ~1,000 events back (fewer for an identity with
 * fewer events: the page before its last); `oldest` the page of its oldest 50 events.
 */
async function cursorsOf(
  ctx: ScaleContext,
  subjects: readonly Subject[],
  where: 'deep' | 'oldest',
): Promise<Map<string, ActivityCursor>> {
  const cursors = new Map<string, ActivityCursor>();
  for (const s of subjects) {
    const cursor = where === 'deep' ? await deepCursor(ctx, s) : await oldestCursor(ctx, s);
    if (cursor) cursors.set(s.identityId, cursor);
  }
  return cursors;
}

async function deepCursor(ctx: ScaleContext, s: Subject): Promise<ActivityCursor | undefined> {
  const back = Math.max(1, Math.min(DEEP, s.events - PAGE));
  const page = await listActivityEvents(ctx.db, { identityId: s.identityId, limit: back });
  const last = page.events[page.events.length - 1];
  return last && { tsMs: last.tsMs, id: last.id };
}

/** The 51st-oldest event: a window from the start of history widened until it holds 51. */
async function oldestCursor(ctx: ScaleContext, s: Subject): Promise<ActivityCursor | undefined> {
  const fromMs = ms(ctx.now - (ctx.days + 20) * DAY_MS);
  for (let days = 1; ; days *= 2) {
    const page = await listActivityEvents(ctx.db, {
      identityId: s.identityId,
      fromMs,
      toMs: ms(ctx.now - (ctx.days - days) * DAY_MS),
      limit: 1000,
    });
    const enough = page.events.length > PAGE;
    if (enough || days >= 256) {
      const at = page.events[Math.max(0, page.events.length - PAGE - 1)];
      return at && { tsMs: at.tsMs, id: at.id };
    }
  }
}

/** The API's own cursor ~1,000 events back, followed page by page as the console would. */
async function httpDeepCursors(
  ctx: ScaleContext,
  subjects: readonly Subject[],
): Promise<Map<string, string>> {
  const cursors = new Map<string, string>();
  for (const s of subjects) {
    const back = Math.max(1, Math.min(DEEP, s.events - PAGE));
    const answer = await ctx.api.get(
      `/api/v1/identities/${s.identityId}/activity?limit=${String(back)}`,
    );
    if (answer.status !== 200)
      throw new Error(
        `the timeline of ${s.identityId} answered ${String(answer.status)}: ${answer.body.slice(0, 300)}`,
      );
    const next = (JSON.parse(answer.body) as { next: string | null }).next;
    if (next !== null) cursors.set(s.identityId, next);
  }
  return cursors;
}

/** The application of the heaviest identity's latest authentication (a name users search for). */
async function aCommonApplication(ctx: ScaleContext): Promise<string> {
  const heaviest = ctx.subjects.heavy[0];
  const page = await listActivityEvents(ctx.db, {
    ...(heaviest === undefined
      ? { sourceId: ctx.sources.activity }
      : { identityId: heaviest.identityId }),
    streams: ['authentication'],
    limit: PAGE,
  });
  const found = page.events.find((e) => e.application !== null)?.application;
  if (found === undefined || found === null)
    throw new Error('no authentication names an application');
  return found;
}

/** Two applications of the heaviest identity's latest authentications (searched together). */
async function twoApplications(ctx: ScaleContext): Promise<[string, string]> {
  const first = await aCommonApplication(ctx);
  const heaviest = ctx.subjects.heavy[0];
  const page = await listActivityEvents(ctx.db, {
    ...(heaviest === undefined
      ? { sourceId: ctx.sources.activity }
      : { identityId: heaviest.identityId }),
    streams: ['authentication'],
    limit: 1000,
  });
  const second = page.events.find((e) => e.application !== null && e.application !== first);
  if (second?.application == null) throw new Error('no authentication names a second application');
  return [first, second.application];
}
