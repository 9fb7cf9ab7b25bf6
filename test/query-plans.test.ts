/**
 * The plans of the queries that read the event tables: none may scan `activity_events` or
 * `activity_daily` whole, and a keyset page after a cursor must start its index range at the
 * cursor (not read every newer row and filter them). The SQL is the product's own: each use
 * case runs against a `Kysely` whose plugin records every compiled query, and each recorded
 * query is explained. SQLite: `EXPLAIN QUERY PLAN`, as the product leaves it (no `ANALYZE`).
 * PostgreSQL: `EXPLAIN (FORMAT JSON)` after `ANALYZE`, with `enable_seqscan = off`, so a
 * `Seq Scan` that remains means no index can serve the query.
 */
import {
  CompiledQuery,
  sql,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from './support/db.js';
import { newSource } from './support/activity-fixtures.js';
import { cliActor } from '../src/core/actor.js';
import {
  accessReviewReport,
  adminActionsReport,
  dormantAccountsReport,
  syncHealthReport,
} from '../src/core/reports.js';
import { dayOf, type ActivityCursor } from '../src/domain/activity.js';
import { ms } from '../src/domain/time.js';
import { eventStreamId } from '../src/store/activity/event-streams.js';
import { listActivityEvents } from '../src/store/activity/timeline.js';
import { listAudit, recordAudit } from '../src/store/audit.js';
import { dialectOf, type Db } from '../src/store/dialect.js';
import { encodePayload } from '../src/store/payload.js';
import { inlineReaders } from '../src/store/readers.js';
import { createRun, listRuns } from '../src/store/runs.js';

const EVENT_TABLES = ['activity_events', 'activity_daily'];
const USERS = 200;
const EVENTS = 30_000;
const ROLLUP_DAYS = 90;
const START = Date.UTC(2025, 0, 6);
const EVENT_GAP_MS = 60_000;
const NOW = START + (EVENTS + 1) * EVENT_GAP_MS;

/** Every query a use case sends, compiled exactly as the database receives it. */
class RecordedQueries implements KyselyPlugin {
  readonly queries: CompiledQuery[] = [];
  readonly #compile: (node: RootOperationNode, args: PluginTransformQueryArgs) => CompiledQuery;

  constructor(db: Db) {
    const executor = db.getExecutor();
    this.#compile = (node, args) => executor.compileQuery(node, args.queryId);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.queries.push(this.#compile(args.node, args));
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** A query that reads an event table badly, with the plan that says so. */
interface BadPlan {
  readonly sql: string;
  readonly problem: string;
  readonly plan: string;
}

interface PlanRules {
  /** None of these may be read whole; default the event tables. */
  readonly tables?: readonly string[];
  /** A page after a cursor: the index range on `table` must be bounded by `column`. */
  readonly cursor?: { readonly table: string; readonly column: string };
  /** The page is read in the index's order: no sort of every matching row before the limit. */
  readonly ordered?: boolean;
  /**
   * A search by these columns: every index range on an event table starts from one of them
   * (not from the stream alone, which reads a whole stream to find a rare value).
   */
  readonly searched?: readonly string[];
  /**
   * The search's sparsest filter: the page's index ranges on an event table start from it, not
   * from another filter's index (whose common value's range holds many rows to skip). Only the
   * queries reading the page's rows (their payloads) count: the probes that find the sparsest
   * filter read each candidate's own index.
   */
  readonly sparsest?: string;
}

const EVENTS_AFTER_CURSOR: PlanRules = { cursor: { table: 'activity_events', column: 'ts_ms' } };
const IN_ORDER: PlanRules = { ordered: true };
const EVENTS_IN_ORDER: PlanRules = { ...EVENTS_AFTER_CURSOR, ...IN_ORDER };

/** Runs `useCase` on the real store, then explains each query it sent; returns the bad ones. */
async function badPlans(
  t: TestDatabase,
  useCase: (db: Db) => Promise<unknown>,
  rules: PlanRules = {},
): Promise<BadPlan[]> {
  const tables = rules.tables ?? EVENT_TABLES;
  const recorded = new RecordedQueries(t.db);
  await useCase(t.db.withPlugin(recorded));
  // A use case that no longer reads these tables would pass vacuously: say so instead.
  const touching = recorded.queries.filter((q) => tables.some((table) => mentions(q.sql, table)));
  expect(touching.length, `the use case reads ${tables.join(' or ')}`).toBeGreaterThan(0);
  const bad: BadPlan[] = [];
  for (const query of touching) {
    const problems =
      t.kind === 'sqlite'
        ? await sqliteProblems(t.db, query, tables, rules)
        : await postgresProblems(t.db, query, tables, rules);
    bad.push(...problems.map((p) => ({ sql: query.sql, ...p })));
  }
  return bad;
}

/** Whether a search's index range starts from a searched column (or the query searches none). */
function searchedBounds(rules: PlanRules, bounds: (column: string) => boolean): boolean {
  return rules.searched === undefined || rules.searched.some(bounds);
}

/** Whether the page's index range starts from the sparsest filter (or no rule says which). */
function sparsestBounds(
  rules: PlanRules,
  query: CompiledQuery,
  bounds: (column: string) => boolean,
): boolean {
  return rules.sparsest === undefined || !query.sql.includes('"payload"') || bounds(rules.sparsest);
}

function mentions(text: string, table: string): boolean {
  return new RegExp(`\\b${table}\\b`).test(text);
}

async function sqliteProblems(
  db: Db,
  query: CompiledQuery,
  tables: readonly string[],
  rules: PlanRules,
): Promise<{ problem: string; plan: string }[]> {
  const result = await db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
  );
  const lines = result.rows.map((r) => r.detail);
  const plan = lines.join('\n');
  const problems: { problem: string; plan: string }[] = [];
  // A sort of what an event table's scan gives (the sort follows the scan it sorts); sorting
  // the rows of a limited subquery (one stream's page, merged with the others) is not one.
  let scanned = '';
  for (const line of lines) {
    if (/^(SCAN|SEARCH) /.test(line)) scanned = line;
    else if (
      rules.ordered === true &&
      line.includes('TEMP B-TREE FOR ORDER BY') &&
      (scanned === '' ||
        tables.some((name) => new RegExp(`^(SCAN|SEARCH) ${name}\\b`).test(scanned)))
    )
      problems.push({ problem: 'sorts every matching row before the limit', plan });
  }
  for (const line of lines) {
    const table = tables.find((name) => new RegExp(`^(SCAN|SEARCH) ${name}\\b`).test(line));
    if (table === undefined) continue;
    if (line.startsWith('SCAN') && !/USING (COVERING )?INDEX/.test(line))
      problems.push({ problem: `scans ${table} without an index`, plan });
    else if (rules.cursor?.table === table && !mentions(line, rules.cursor.column))
      problems.push({ problem: `the cursor does not bound the index range on ${table}`, plan });
    if (!searchedBounds(rules, (column) => new RegExp(`\\b${column}[=<>]`).test(line)))
      problems.push({ problem: `no searched column bounds the index range on ${table}`, plan });
    if (!sparsestBounds(rules, query, (column) => new RegExp(`\\b${column}[=<>]`).test(line)))
      problems.push({ problem: `the range on ${table} is not the sparsest filter's`, plan });
  }
  return problems;
}

interface PostgresPlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Index Cond'?: string;
  readonly Plans?: readonly PostgresPlanNode[];
}

/** The index conditions a scan starts from: its own, or a bitmap scan's index scans'. */
function indexRange(node: PostgresPlanNode): string {
  return [node['Index Cond'] ?? '', ...(node.Plans ?? []).map(indexRange)].join(' ');
}

async function postgresProblems(
  db: Db,
  query: CompiledQuery,
  tables: readonly string[],
  rules: PlanRules,
): Promise<{ problem: string; plan: string }[]> {
  const root = await db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    const result = await trx.executeQuery<{ 'QUERY PLAN': [{ Plan: PostgresPlanNode }] }>(
      CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]),
    );
    const row = result.rows[0];
    if (row === undefined) throw new Error(`no plan for ${query.sql}`);
    return row['QUERY PLAN'][0].Plan;
  });
  const plan = JSON.stringify(root, null, 1);
  const problems: { problem: string; plan: string }[] = [];
  const visit = (node: PostgresPlanNode): void => {
    if (rules.ordered === true && node['Node Type'] === 'Sort')
      problems.push({ problem: 'sorts every matching row before the limit', plan });
    const table = node['Relation Name'];
    if (table !== undefined && tables.includes(table)) {
      const range = indexRange(node);
      if (node['Node Type'] === 'Seq Scan')
        problems.push({ problem: `scans ${table} sequentially`, plan });
      else if (rules.cursor?.table === table && !mentions(range, rules.cursor.column))
        problems.push({ problem: `the cursor does not bound the index range on ${table}`, plan });
      if (!searchedBounds(rules, (column) => mentions(range, column)))
        problems.push({ problem: `no searched column bounds the index range on ${table}`, plan });
      if (!sparsestBounds(rules, query, (column) => mentions(range, column)))
        problems.push({ problem: `the range on ${table} is not the sparsest filter's`, plan });
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(root);
  return problems;
}

function userKeyOf(i: number): string {
  return `DUPLAN${String(i)}`;
}

describeEachDatabase('query plans on the event tables', (t) => {
  let activitySourceId = '';
  let duoSourceId = '';
  let identityId = '';
  let entitlementId = 0;

  // A tenant big enough for PostgreSQL's planner to weigh: 200 Duo users with an identity and
  // an account each, all in one Duo group; 30,000 events (every tenth an administrator action;
  // results, factors and applications of two values each, so a search can name several);
  // 90 days of rollup per user. Inserted in bulk by SQL, not through ingest.
  beforeAll(async () => {
    const db = t.db;
    const d = dialectOf(db);
    const bigint = sql.raw(d.bigint === 'bigint' ? 'bigint' : 'integer');
    activitySourceId = (await newSource(db)).sourceId;
    duoSourceId = (await newSource(db, 'duo')).sourceId;
    const users = sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${sql.lit(USERS)})`;
    const key = (i: ReturnType<typeof sql>) => sql`'DUPLAN' || cast(${i} as text)`;
    await db
      .insertInto('strings')
      .values([
        { value: 'success' },
        { value: 'duo_push' },
        { value: 'Plan VPN' },
        { value: 'denied' },
        { value: 'phone_call' },
        { value: 'Plan Mail' },
      ])
      .execute();
    await sql`${users} insert into strings (value) select ${key(sql`i`)} from n`.execute(db);
    await sql`${users} insert into identities (id, display_name, created_at, updated_at)
      select 'plan-identity-' || cast(i as text), 'Plan person ' || cast(i as text),
        cast(${START} as ${bigint}), cast(${START} as ${bigint}) from n`.execute(db);
    await sql`${users} insert into accounts (source_id, duo_user_id, username, status, aliases,
        identity_id, first_seen_at, last_seen_at)
      select cast(${duoSourceId} as text), ${key(sql`i`)}, 'plan.user' || cast(i as text),
        'active', '[]', 'plan-identity-' || cast(i as text),
        cast(${START} as ${bigint}), cast(${START} as ${bigint}) from n`.execute(db);
    identityId = 'plan-identity-7';
    entitlementId = (
      await db
        .insertInto('entitlements')
        .values({
          source_id: duoSourceId,
          duo_group_id: 'DGPLAN',
          name: 'Plan staff',
          first_seen_at: START,
          last_seen_at: START,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await db
      .insertInto('account_entitlements')
      .columns(['account_id', 'entitlement_id'])
      .expression((eb) =>
        eb
          .selectFrom('accounts')
          .select(['id', eb.val(entitlementId).as('entitlement_id')])
          .where('source_id', '=', duoSourceId),
      )
      .execute();
    const payload = encodePayload(
      'authentication',
      JSON.stringify({ event_type: 'authentication', result: 'success' }),
    );
    const blob = sql.raw(d.blob);
    const authStream = await eventStreamId(db, activitySourceId, 'authentication');
    const adminStream = await eventStreamId(db, activitySourceId, 'administrator');
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${sql.lit(EVENTS)})
      insert into activity_events (stream_id, natural_key, ts_ms, user_key, result, factor,
        application, payload)
      select case when i % 10 = 0 then ${sql.lit(adminStream)} else ${sql.lit(authStream)} end,
        'plan-' || cast(i as text),
        cast(${START} as ${bigint}) + i * ${sql.lit(EVENT_GAP_MS)},
        case when i % 10 = 0 then null
          else (select id from strings where value = ${key(sql`1 + i % ${sql.lit(USERS)}`)}) end,
        (select id from strings where value =
          case when i % 7 = 3 then 'denied' else 'success' end),
        (select id from strings where value =
          case when i % 5 = 2 then 'phone_call' else 'duo_push' end),
        (select id from strings where value =
          case when i % 3 = 1 then 'Plan Mail' else 'Plan VPN' end),
        cast(${payload} as ${blob})
      from n`.execute(db);
    const firstDay = dayOf(ms(NOW)) - ROLLUP_DAYS + 1;
    await sql`with recursive days(day) as (select ${sql.lit(firstDay)} union all
        select day + 1 from days where day < ${sql.lit(firstDay + ROLLUP_DAYS - 1)})
      insert into activity_daily (source_id, user_key, day, stream, result, count)
      select cast(${activitySourceId} as text), s.id, days.day, 'authentication',
        (select id from strings where value = 'success'), 3
      from strings s cross join days where s.value like 'DUPLAN%'`.execute(db);
    for (let i = 0; i < 120; i++) {
      await createRun(db, { sourceId: activitySourceId, kind: 'sync', trigger: 'schedule' });
      await recordAudit(db, {
        actor: 'plan',
        action: 'source.sync',
        targetType: 'source',
        at: ms(START + i),
      });
    }
    // SQLite is explained as the product leaves it: without statistics, which `analyze` would
    // write (and with which its planner picks better than it will for users).
    if (t.kind === 'postgres') await sql`analyze`.execute(db);
  });

  /** The `next` of the first page: where a deep page starts. */
  async function secondPageCursor(
    query: Parameters<typeof listActivityEvents>[1],
  ): Promise<ActivityCursor> {
    const first = await listActivityEvents(t.db, { ...query, limit: 20 });
    expect(first.next).toBeDefined();
    return first.next ?? { tsMs: ms(0), id: 0 };
  }

  it("reads a Duo user's timeline, first page and deep, in the (user, time) index's order", async () => {
    const query = { userKeys: [userKeyOf(7)] };
    expect(await badPlans(t, (db) => listActivityEvents(db, query), IN_ORDER)).toEqual([]);
    const cursor = await secondPageCursor(query);
    expect(
      await badPlans(t, (db) => listActivityEvents(db, { ...query, cursor }), EVENTS_IN_ORDER),
    ).toEqual([]);
  });

  it("reads a one-account identity's timeline, first page and deep, in the (user, time) index's order", async () => {
    const query = { identityId };
    expect(await badPlans(t, (db) => listActivityEvents(db, query), IN_ORDER)).toEqual([]);
    const cursor = await secondPageCursor(query);
    expect(
      await badPlans(t, (db) => listActivityEvents(db, { ...query, cursor }), EVENTS_IN_ORDER),
    ).toEqual([]);
  });

  it("reads a source's stream, first page and deep, in the (source, stream, time) index's order", async () => {
    const query = { sourceId: activitySourceId, streams: ['administrator' as const] };
    expect(await badPlans(t, (db) => listActivityEvents(db, query), IN_ORDER)).toEqual([]);
    const cursor = await secondPageCursor(query);
    expect(
      await badPlans(t, (db) => listActivityEvents(db, { ...query, cursor }), EVENTS_IN_ORDER),
    ).toEqual([]);
  });

  it("searches a source's activity by application and by result, first page and deep, in each stream's index order", async () => {
    for (const filter of [{ applications: ['Plan VPN'] }, { results: ['success'] }]) {
      const query = { sourceId: activitySourceId, ...filter };
      expect(await badPlans(t, (db) => listActivityEvents(db, query), IN_ORDER)).toEqual([]);
      const cursor = await secondPageCursor(query);
      expect(
        await badPlans(t, (db) => listActivityEvents(db, { ...query, cursor }), EVENTS_IN_ORDER),
      ).toEqual([]);
    }
  });

  it("searches a source's activity by several values, by factor and by every filter at once, first page and deep, in index order", async () => {
    const searches = [
      { results: ['success', 'denied'] },
      { applications: ['Plan VPN', 'Plan Mail'] },
      { factors: ['duo_push'] },
      { factors: ['duo_push', 'phone_call'] },
      { results: ['denied'], factors: ['phone_call'] },
      { results: ['success', 'denied'], factors: ['duo_push'], applications: ['Plan Mail'] },
      {
        results: ['success'],
        applications: ['Plan VPN', 'Plan Mail'],
        fromMs: ms(START + 1000 * EVENT_GAP_MS),
        toMs: ms(START + 20_000 * EVENT_GAP_MS),
      },
      { streams: ['authentication' as const], results: ['success', 'denied'] },
      { streams: ['authentication' as const, 'administrator' as const] },
    ];
    for (const filter of searches) {
      const query = { sourceId: activitySourceId, ...filter };
      const searched = ['result', 'factor', 'application'].filter((c) => `${c}s` in filter);
      const rules = searched.length === 0 ? {} : { searched };
      expect(
        await badPlans(t, (db) => listActivityEvents(db, query), { ...IN_ORDER, ...rules }),
        JSON.stringify(filter),
      ).toEqual([]);
      const cursor = await secondPageCursor(query);
      expect(
        await badPlans(t, (db) => listActivityEvents(db, { ...query, cursor }), {
          ...EVENTS_IN_ORDER,
          ...rules,
        }),
        JSON.stringify(filter),
      ).toEqual([]);
    }
  });

  it("searches a source's activity by three filters from the sparsest one's index, first page and deep", async () => {
    // Denied is one event in seven, duo_push four in five, Plan VPN two in three.
    const query = {
      sourceId: activitySourceId,
      results: ['denied'],
      factors: ['duo_push'],
      applications: ['Plan VPN'],
    };
    const rules = { searched: ['result', 'factor', 'application'], sparsest: 'result' };
    expect(
      await badPlans(t, (db) => listActivityEvents(db, query), { ...IN_ORDER, ...rules }),
    ).toEqual([]);
    const cursor = await secondPageCursor(query);
    expect(
      await badPlans(t, (db) => listActivityEvents(db, { ...query, cursor }), {
        ...EVENTS_IN_ORDER,
        ...rules,
      }),
    ).toEqual([]);
  });

  it("searches an identity's activity by result, factor, application and time from an index", async () => {
    const query = {
      identityId,
      results: ['success'],
      factors: ['duo_push'],
      applications: ['Plan VPN'],
      fromMs: ms(START + 1000 * EVENT_GAP_MS),
      toMs: ms(START + 20_000 * EVENT_GAP_MS),
    };
    expect(await badPlans(t, (db) => listActivityEvents(db, query))).toEqual([]);
    const cursor = await secondPageCursor(query);
    expect(
      await badPlans(t, (db) => listActivityEvents(db, { ...query, cursor }), EVENTS_AFTER_CURSOR),
    ).toEqual([]);
  });

  const deps = (db: Db) => ({ db, readers: inlineReaders(db), clock: () => NOW });

  it('answers the dormant-accounts report from the last-activity rollup, never the events', async () => {
    const recorded = new RecordedQueries(t.db);
    await dormantAccountsReport(deps(t.db.withPlugin(recorded)), cliActor('plan'), { days: 1 });
    const sqls = recorded.queries.map((q) => q.sql);
    expect(sqls.filter((q) => EVENT_TABLES.some((table) => mentions(q, table)))).toEqual([]);
    expect(
      await badPlans(t, (db) => dormantAccountsReport(deps(db), cliActor('plan'), { days: 1 }), {
        tables: ['activity_last'],
      }),
    ).toEqual([]);
  });

  it('answers the access review without scanning the events or the rollup', async () => {
    expect(
      await badPlans(t, (db) => accessReviewReport(deps(db), cliActor('plan'), { entitlementId })),
    ).toEqual([]);
  });

  it("pages the administrator actions, first page and deep, in the (source, stream, time) index's order", async () => {
    const input = { sourceId: activitySourceId, limit: 20 };
    expect(
      await badPlans(t, (db) => adminActionsReport(deps(db), cliActor('plan'), input), IN_ORDER),
    ).toEqual([]);
    const first = await adminActionsReport(deps(t.db), cliActor('plan'), input);
    const cursor = first.next;
    expect(cursor).toBeDefined();
    expect(
      await badPlans(
        t,
        (db) =>
          adminActionsReport(deps(db), cliActor('plan'), {
            ...input,
            ...(cursor === undefined ? {} : { cursor }),
          }),
        EVENTS_IN_ORDER,
      ),
    ).toEqual([]);
  });

  it('answers sync health without reading the events', async () => {
    const recorded = new RecordedQueries(t.db);
    await syncHealthReport(deps(t.db.withPlugin(recorded)), cliActor('plan'));
    expect(recorded.queries.length).toBeGreaterThan(0);
    expect(
      recorded.queries.filter((q) => EVENT_TABLES.some((table) => q.sql.includes(table))),
    ).toEqual([]);
  });

  it("pages a source's runs after a cursor from the (source, created) index", async () => {
    const runs = await listRuns(t.db, { sourceId: activitySourceId, limit: 50 });
    const before = runs[runs.length - 1];
    expect(before).toBeDefined();
    const rules = { tables: ['runs'], cursor: { table: 'runs', column: 'created_at' } };
    expect(
      await badPlans(
        t,
        (db) =>
          listRuns(db, { sourceId: activitySourceId, limit: 50, ...(before ? { before } : {}) }),
        rules,
      ),
    ).toEqual([]);
  });

  it('pages the audit trail after a cursor from the (at, id) index', async () => {
    const entries = await listAudit(t.db, { limit: 50 });
    const last = entries[entries.length - 1];
    expect(last).toBeDefined();
    const before = last ? { at: last.at, id: last.id } : undefined;
    const rules = { tables: ['audit_log'], cursor: { table: 'audit_log', column: 'at' } };
    expect(
      await badPlans(t, (db) => listAudit(db, { limit: 50, ...(before ? { before } : {}) }), rules),
    ).toEqual([]);
  });
});
