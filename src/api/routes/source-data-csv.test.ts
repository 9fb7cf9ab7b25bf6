/**
 * A source's lists as CSV, on SQLite and on PostgreSQL: its entitlements (the kind filter
 * honoured), the members of one, its streams, its storage, every one of its runs (more than a
 * page) and the streams a run read, and an identity's accounts; each a header row and every row
 * of the JSON. What the JSON refuses (an entitlement of another source, an unknown source or
 * run) the CSV refuses too.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ms } from '../../domain/time.js';
import { listAccounts, setAccountIdentity, upsertAccounts } from '../../store/accounts.js';
import { createIdentity } from '../../store/identities.js';
import { createRun, finishRun } from '../../store/runs.js';
import { ingestActivityPage } from '../../store/activity/ingest.js';
import { listEntitlements } from '../../store/entitlements.js';
import { normalise } from '../../sync/normalise.js';
import { newSource } from '../../../test/support/activity-fixtures.js';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';
import { describeEachDatabase } from '../../../test/support/db.js';

const START = Date.UTC(2025, 0, 6);
const ACCOUNTS = 1_100;
const RUNS = 1_030;

/** CSV data lines (the header dropped), split on the CRLF that ends each record. */
function csvRows(text: string): string[] {
  return text.split('\r\n').slice(1, -1);
}

describeEachDatabase('a source’s lists as CSV', (t) => {
  let api: TestApi;
  let viewer: Client;
  let duo: string;
  let activity: string;
  let everyone: number;
  let identityId: string;
  let syncRunId: string;

  beforeAll(async () => {
    api = await startTestApi({}, { databaseUrl: t.url });
    await api.createUser('viewer', 'viewer');
    viewer = await api.signIn('viewer');
    const db = api.app.db;
    duo = (await newSource(db, 'duo')).sourceId;
    await upsertAccounts(db, {
      sourceId: duo,
      runId: 'r1',
      now: ms(START),
      accounts: Array.from({ length: ACCOUNTS }, (_, i) => ({
        duoUserId: `DU${String(i).padStart(18, '0')}`,
        username: `user${String(i).padStart(5, '0')}`,
        email: `user${String(i)}@example.com`,
        status: 'active',
        groups: [
          { duoGroupId: 'DG-everyone', name: 'Everyone' },
          ...(i % 10 === 0 ? [{ duoGroupId: 'DG-vpn', name: 'VPN, "remote"' }] : []),
        ],
      })),
    });
    const groups = await listEntitlements(db, { sourceId: duo });
    everyone = groups.find((e) => e.name === 'Everyone')?.id ?? -1;
    activity = (await newSource(db)).sourceId;
    await ingestActivityPage(db, {
      sourceId: activity,
      stream: 'administrator',
      events: [
        normalise('administrator', {
          action: 'user_update',
          description: null,
          isotimestamp: new Date(START).toISOString(),
          object: 'bob',
          timestamp: START / 1000,
          username: 'Ana',
        }),
      ],
      cursor: 0,
    });
    for (let i = 0; i < RUNS; i++) {
      const run = await createRun(db, { sourceId: activity, kind: 'sync', trigger: 'schedule' });
      if (i === RUNS - 1) {
        await finishRun(db, run.id, {
          status: 'succeeded',
          counts: {
            authentication: {
              pages: 3,
              eventsNew: 2500,
              eventsUpdated: 1,
              rejected: 0,
              rateLimited: 2,
            },
            administrator: {
              pages: 1,
              eventsNew: 1,
              eventsUpdated: 0,
              rejected: 0,
              rateLimited: 0,
            },
          },
        });
        syncRunId = run.id;
      }
    }
    identityId = (await createIdentity(db, { displayName: 'Una User' })).id;
    const mine = (await listAccounts(db, { sourceId: duo, limit: 3 })).slice(0, 3);
    for (const a of mine) await setAccountIdentity(db, a.id, { identityId, correlation: 'manual' });
  }, 120_000);

  afterAll(async () => {
    await api.close();
  });

  it('exports the source’s entitlements, honouring the kind filter', async () => {
    const csv = await viewer.get(`/api/v1/sources/${duo}/entitlements?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename=".+-entitlements\.csv"$/,
    );
    expect(csv.text.split('\r\n')[0]).toBe('name,kind,description,status,duo_group_id,id');
    const json = (await viewer.get(`/api/v1/sources/${duo}/entitlements`)).body as {
      entitlements: { id: number; name: string }[];
    };
    const rows = csvRows(csv.text);
    expect(rows.map((r) => r.slice(r.lastIndexOf(',') + 1))).toEqual(
      json.entitlements.map((e) => String(e.id)),
    );
    expect(rows).toContainEqual(expect.stringMatching(/^"VPN, ""remote""",group,/));
    const roles = await viewer.get(
      `/api/v1/sources/${duo}/entitlements?format=csv&kind=admin_role`,
    );
    expect(csvRows(roles.text)).toHaveLength(0);
    const groups = await viewer.get(`/api/v1/sources/${duo}/entitlements?format=csv&kind=group`);
    expect(csvRows(groups.text)).toHaveLength(2);
    const bad = await viewer.get(`/api/v1/sources/${duo}/entitlements?format=csv&kind=nope`);
    expect(bad.status).toBe(400);
  });

  it('exports every member of an entitlement, and refuses one of another source', async () => {
    const csv = await viewer.get(
      `/api/v1/sources/${duo}/entitlements/${String(everyone)}/members?format=csv`,
    );
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="Everyone-members.csv"');
    expect(csv.text.split('\r\n')[0]).toMatch(/^username,kind,/);
    const rows = csvRows(csv.text);
    expect(rows).toHaveLength(ACCOUNTS);
    expect(new Set(rows.map((r) => r.split(',')[0])).size).toBe(ACCOUNTS);
    const elsewhere = await viewer.get(
      `/api/v1/sources/${activity}/entitlements/${String(everyone)}/members?format=csv`,
    );
    expect(elsewhere.status).toBe(404);
  });

  it('exports the source’s streams', async () => {
    const csv = await viewer.get(`/api/v1/sources/${activity}/streams?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename=".+-streams\.csv"$/);
    expect(csv.text.split('\r\n')[0]).toBe(
      'stream,state,last_success,synced_until,lag_ms,backfill_progress,pages,rate_limited,last_error',
    );
    const json = (await viewer.get(`/api/v1/sources/${activity}/streams`)).body as {
      streams: { stream: string }[];
    };
    expect(csvRows(csv.text).map((r) => r.split(',')[0])).toEqual(
      json.streams.map((s) => s.stream),
    );
    expect(json.streams.length).toBeGreaterThan(0);
    const missing = await viewer.get('/api/v1/sources/nope/streams?format=csv');
    expect(missing.status).toBe(404);
  });

  it('exports every run of a source, more than a page, newest first', async () => {
    const csv = await viewer.get(`/api/v1/sources/${activity}/runs?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename=".+-runs\.csv"$/);
    expect(csv.text.split('\r\n')[0]).toBe('kind,trigger,status,created,started,finished,error,id');
    const rows = csvRows(csv.text);
    expect(rows).toHaveLength(RUNS);
    expect(new Set(rows.map((r) => r.slice(r.lastIndexOf(',') + 1))).size).toBe(RUNS);
    const first = (await viewer.get(`/api/v1/sources/${activity}/runs?limit=5`)).body as {
      runs: { id: string }[];
    };
    expect(rows.slice(0, 5).map((r) => r.slice(r.lastIndexOf(',') + 1))).toEqual(
      first.runs.map((r) => r.id),
    );
    expect((await viewer.get('/api/v1/sources/nope/runs?format=csv')).status).toBe(404);
  });

  it('exports the streams a run read', async () => {
    const csv = await viewer.get(`/api/v1/runs/${syncRunId}?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toBe(
      `attachment; filename="${syncRunId}-streams.csv"`,
    );
    expect(csv.text).toBe(
      'stream,pages,events_new,events_updated,rejected,rate_limited\r\n' +
        'authentication,3,2500,1,0,2\r\nadministrator,1,1,0,0,0\r\n',
    );
    expect((await viewer.get('/api/v1/runs/nope?format=csv')).status).toBe(404);
  });

  it('exports what each stream of a source holds', async () => {
    const csv = await viewer.get(`/api/v1/sources/${activity}/storage?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename=".+-storage\.csv"$/);
    expect(csv.text.split('\r\n')[0]).toBe('stream,events,oldest,newest,estimated_bytes');
    const json = (await viewer.get(`/api/v1/sources/${activity}/storage`)).body as {
      streams: { stream: string; events: number }[];
    };
    expect(csvRows(csv.text).map((r) => r.split(',').slice(0, 2).join(','))).toEqual(
      json.streams.map((s) => `${s.stream},${String(s.events)}`),
    );
    // A Duo source stores no events: refused as the JSON refuses it.
    const duoStorage = await viewer.get(`/api/v1/sources/${duo}/storage?format=csv`);
    expect(duoStorage.status).toBe((await viewer.get(`/api/v1/sources/${duo}/storage`)).status);
    expect(duoStorage.status).toBeGreaterThanOrEqual(400);
  });

  it('exports an identity’s accounts', async () => {
    const csv = await viewer.get(`/api/v1/identities/${identityId}?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="Una-User-accounts.csv"');
    expect(csv.text.split('\r\n')[0]).toMatch(/^source,username,kind,/);
    const json = (await viewer.get(`/api/v1/identities/${identityId}`)).body as {
      accounts: { username: string }[];
    };
    expect(csvRows(csv.text).map((r) => r.split(',')[1])).toEqual(
      json.accounts.map((a) => a.username),
    );
    expect(json.accounts).toHaveLength(3);
    expect((await viewer.get('/api/v1/identities/nobody?format=csv')).status).toBe(404);
  });
});
