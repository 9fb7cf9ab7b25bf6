/**
 * Every CSV export holds every row that matches, however many: more rows than any page the
 * server reads at once (administrator actions from two activity sources, 2,300 of them; 1,300
 * dormant accounts and access-review members), each exactly once and in the report's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessReviewReport, DormantAccountsReport } from '../contract/reports.js';
import { cliActor } from '../../core/actor.js';
import { accessReviewReport, dormantAccountsReport } from '../../core/reports.js';
import { ms } from '../../domain/time.js';
import { upsertAccounts } from '../../store/accounts.js';
import { ingestActivityPage } from '../../store/activity/ingest.js';
import { listEntitlements } from '../../store/entitlements.js';
import { inlineReaders } from '../../store/readers.js';
import { normalise } from '../../sync/normalise.js';
import { newSource } from '../../../test/support/activity-fixtures.js';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';

const START = Date.UTC(2025, 0, 6) / 1000;
const ADMIN_ACTIONS = { first: 1_500, second: 800 };
const ACCOUNTS = 1_300;

/** Duo administrator log records, several in one second as Duo often sends them. */
function adminRecords(count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => ({
    action: 'user_update',
    description: JSON.stringify({ notes: `${tag} change ${String(i)}` }),
    isotimestamp: new Date((START + Math.floor(i / 3)) * 1000).toISOString(),
    object: `user${String(i)}`,
    timestamp: START + Math.floor(i / 3),
    username: `${tag}-admin`,
  }));
}

/** CSV data lines (the header dropped), split on the CRLF that ends each record. */
function csvRows(text: string): string[] {
  return text.split('\r\n').slice(1, -1);
}

describe('CSV exports', () => {
  let api: TestApi;
  let admin: Client;
  let entitlementId: number;

  beforeAll(async () => {
    api = await startTestApi();
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
    const db = api.app.db;
    for (const [tag, count] of Object.entries(ADMIN_ACTIONS)) {
      const { sourceId } = await newSource(db);
      const events = adminRecords(count, tag).map((r) => normalise('administrator', r));
      for (let i = 0; i < events.length; i += 1000)
        await ingestActivityPage(db, {
          sourceId,
          stream: 'administrator',
          events: events.slice(i, i + 1000),
          cursor: i,
        });
    }
    const { sourceId: duo } = await newSource(db, 'duo');
    await upsertAccounts(db, {
      sourceId: duo,
      runId: 'r1',
      now: ms(START * 1000),
      accounts: Array.from({ length: ACCOUNTS }, (_, i) => ({
        duoUserId: `DU${String(i).padStart(18, '0')}`,
        username: `user${String(i).padStart(5, '0')}`,
        email: `user${String(i)}@example.com`,
        status: 'active',
        lastLoginMs: i % 2 === 0 ? null : ms(START * 1000 + i * 1000),
        groups: [{ duoGroupId: 'DG-everyone', name: 'Everyone' }],
      })),
    });
    const [everyone] = await listEntitlements(db, { sourceId: duo });
    entitlementId = everyone?.id ?? -1;
  }, 120_000);

  afterAll(async () => {
    await api.close();
  });

  it('exports every administrator action of every source, newest first, each once', async () => {
    const csv = await admin.get('/api/v1/reports/admin-actions?format=csv');
    expect(csv.status).toBe(200);
    const rows = csvRows(csv.text);
    expect(rows).toHaveLength(ADMIN_ACTIONS.first + ADMIN_ACTIONS.second);
    expect(new Set(rows).size).toBe(rows.length);
    const times = rows.map((r) => r.slice(0, 24));
    expect([...times].sort().reverse()).toEqual(times);

    // The JSON pages, followed to the end, hold the same actions.
    let cursor: string | null = null;
    let paged = 0;
    do {
      const page = (
        await admin.get(
          `/api/v1/reports/admin-actions?limit=700${cursor ? `&cursor=${cursor}` : ''}`,
        )
      ).body as { actions: unknown[]; next: string | null };
      paged += page.actions.length;
      cursor = page.next;
    } while (cursor);
    expect(paged).toBe(rows.length);
  });

  it('exports every administrator action of one source and of a time range', async () => {
    const sources = (await admin.get('/api/v1/sources')).body as {
      sources: { id: string; type: string }[];
    };
    const counts = await Promise.all(
      sources.sources
        .filter((s) => s.type === 'duo-activity')
        .map(
          async (s) =>
            csvRows(
              (await admin.get(`/api/v1/reports/admin-actions?format=csv&sourceId=${s.id}`)).text,
            ).length,
        ),
    );
    expect(counts.sort((a, b) => a - b)).toEqual([ADMIN_ACTIONS.second, ADMIN_ACTIONS.first]);
    const from = (START + 100) * 1000;
    const to = (START + 400) * 1000;
    const ranged = csvRows(
      (await admin.get(`/api/v1/reports/admin-actions?format=csv&from=${from}&to=${to}`)).text,
    );
    const inRange = Object.entries(ADMIN_ACTIONS)
      .flatMap(([tag, count]) => adminRecords(count, tag))
      .filter((r) => r.timestamp * 1000 >= from && r.timestamp * 1000 < to);
    expect(ranged).toHaveLength(inRange.length);
  });

  it('exports every dormant account and every member of an access review', async () => {
    const dormant = csvRows((await admin.get('/api/v1/reports/dormant-accounts?format=csv')).text);
    expect(dormant).toHaveLength(ACCOUNTS);
    expect(new Set(dormant).size).toBe(ACCOUNTS);
    const review = csvRows(
      (
        await admin.get(
          `/api/v1/reports/access-review?entitlementId=${String(entitlementId)}&format=csv`,
        )
      ).text,
    );
    expect(review).toHaveLength(ACCOUNTS);
    expect(new Set(review).size).toBe(ACCOUNTS);
  });

  it('streams the JSON of dormant accounts and of an access review as the answer schema writes it', async () => {
    // The same reports read in one piece on this thread, then serialised by their schemas.
    const deps = { db: api.app.db, readers: inlineReaders(api.app.db), clock: api.app.sync.clock };
    const dormant = await admin.get('/api/v1/reports/dormant-accounts?days=30');
    expect(dormant.headers['content-type']).toBe('application/json; charset=utf-8');
    const { generatedAt } = dormant.body as { generatedAt: number };
    const whole = await dormantAccountsReport({ ...deps, clock: () => generatedAt }, cliActor(), {
      days: 30,
    });
    expect(whole.accounts).toHaveLength(ACCOUNTS);
    expect(dormant.text).toBe(JSON.stringify(DormantAccountsReport.parse(whole)));

    const review = await admin.get(
      `/api/v1/reports/access-review?entitlementId=${String(entitlementId)}`,
    );
    const at = (review.body as { generatedAt: number }).generatedAt;
    const members = await accessReviewReport({ ...deps, clock: () => at }, cliActor(), {
      entitlementId,
    });
    expect(review.text).toBe(JSON.stringify(AccessReviewReport.parse(members)));
  });

  it('answers a report of a Duo group that does not exist with not_found, before streaming', async () => {
    const missing = await admin.get('/api/v1/reports/access-review?entitlementId=999999');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: 'not_found', message: 'entitlement 999999 was not found' },
    });
  });
});

describe('the read workers of a server', () => {
  it('stop when the server closes', async () => {
    const api = await startTestApi();
    await api.createUser('admin', 'admin');
    const admin = await api.signIn('admin');
    const csv = await admin.get('/api/v1/reports/dormant-accounts?format=csv');
    expect(csv.status).toBe(200);
    expect(api.app.readers.threads()).toBe(1);
    await api.close();
    expect(api.app.readers.threads()).toBe(0);
    await expect(
      api.app.readers.runRead('dormantAccountIds', { idleSinceMs: ms(0) }),
    ).rejects.toThrow('cannot run dormantAccountIds: the readers are closed');
  });
});
