/**
 * A source's lists as CSV, on SQLite and on PostgreSQL: its entitlements (the kind filter
 * honoured), the members of one, and its streams; each a header row and every row of the JSON.
 * An entitlement of another source is refused as the JSON refuses it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ms } from '../../domain/time.js';
import { upsertAccounts } from '../../store/accounts.js';
import { ingestActivityPage } from '../../store/activity/ingest.js';
import { listEntitlements } from '../../store/entitlements.js';
import { normalise } from '../../sync/normalise.js';
import { newSource } from '../../../test/support/activity-fixtures.js';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';
import { describeEachDatabase } from '../../../test/support/db.js';

const START = Date.UTC(2025, 0, 6);
const ACCOUNTS = 1_100;

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
});
