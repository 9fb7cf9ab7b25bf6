/**
 * An identity's activity as CSV holds every event that matches, more than any page the server
 * reads at once: what it did as a Duo administrator (1,250 administrator-log records naming its
 * administrator account, among another administrator's), and its timeline narrowed by a filter,
 * on SQLite and on PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ms } from '../../domain/time.js';
import { listAccounts, setAccountIdentity, upsertAccounts } from '../../store/accounts.js';
import { ingestActivityPage } from '../../store/activity/ingest.js';
import { createIdentity } from '../../store/identities.js';
import { normalise } from '../../sync/normalise.js';
import { newSource } from '../../../test/support/activity-fixtures.js';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';
import { describeEachDatabase } from '../../../test/support/db.js';

const START = Date.UTC(2025, 0, 6) / 1000;
const MINE = 1_250;
const OTHERS = 40;

/** Duo administrator log records by `admin`, several in one second as Duo often sends them. */
function adminRecords(count: number, admin: string, from: number) {
  return Array.from({ length: count }, (_, i) => ({
    action: i % 5 === 0 ? 'user_delete' : 'user_update',
    description: JSON.stringify({ notes: `change, "quoted" ${String(from + i)}` }),
    isotimestamp: new Date((START + Math.floor((from + i) / 3)) * 1000).toISOString(),
    object: `user${String(from + i)}`,
    timestamp: START + Math.floor((from + i) / 3),
    username: admin,
  }));
}

/** CSV data lines (the header dropped), split on the CRLF that ends each record. */
function csvRows(text: string): string[] {
  return text.split('\r\n').slice(1, -1);
}

describeEachDatabase('an identity’s activity as CSV', (t) => {
  let api: TestApi;
  let admin: Client;
  let viewer: Client;
  let identityId: string;

  beforeAll(async () => {
    api = await startTestApi({}, { databaseUrl: t.url });
    await api.createUser('admin', 'admin');
    await api.createUser('viewer', 'viewer');
    admin = await api.signIn('admin');
    viewer = await api.signIn('viewer');
    const db = api.app.db;
    const { sourceId: duo } = await newSource(db, 'duo');
    await upsertAccounts(db, {
      sourceId: duo,
      runId: 'r1',
      now: ms(START * 1000),
      accounts: ['Ana Silva', 'Bo Berg'].map((name, i) => ({
        duoUserId: `DE${String(i).padStart(18, '0')}`,
        username: name.toLowerCase().replace(' ', '.'),
        realname: name,
        email: `${name.toLowerCase().replace(' ', '.')}@example.com`,
        kind: 'administrator' as const,
        adminRole: 'Owner',
        status: 'active',
      })),
    });
    identityId = (await createIdentity(db, { displayName: 'Ana Silva' })).id;
    const [ana] = (await listAccounts(db, { sourceId: duo, limit: 10 })).filter(
      (a) => a.realname === 'Ana Silva',
    );
    if (!ana) throw new Error('no administrator account for Ana');
    await setAccountIdentity(db, ana.id, { identityId, correlation: 'manual' });
    const { sourceId } = await newSource(db);
    const events = [
      ...adminRecords(MINE, 'Ana Silva', 0),
      ...adminRecords(OTHERS, 'Bo Berg', MINE),
    ].map((r) => normalise('administrator', r));
    for (let i = 0; i < events.length; i += 1000)
      await ingestActivityPage(db, {
        sourceId,
        stream: 'administrator',
        events: events.slice(i, i + 1000),
        cursor: i,
      });
  }, 120_000);

  afterAll(async () => {
    await api.close();
  });

  it('exports every administrator action of the identity, newest first, each once', async () => {
    const csv = await viewer.get(
      `/api/v1/identities/${identityId}/activity?as=administrator&format=csv`,
    );
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="administrator-actions.csv"',
    );
    expect(csv.text.split('\r\n')[0]).toBe('time,admin,action,object,description');
    const rows = csvRows(csv.text);
    expect(rows).toHaveLength(MINE);
    expect(new Set(rows).size).toBe(MINE);
    expect(rows.every((r) => r.includes(',Ana Silva,'))).toBe(true);
    const times = rows.map((r) => r.slice(0, 24));
    expect([...times].sort().reverse()).toEqual(times);
    // The description is quoted, its quotes doubled.
    expect(rows).toContain(
      `${new Date(START * 1000).toISOString()},Ana Silva,user_delete,user0,"{""notes"":""change, \\""quoted\\"" 0""}"`,
    );
  });

  it('honours the filters of the JSON', async () => {
    const from = new Date((START + 100) * 1000).toISOString();
    const csv = await admin.get(
      `/api/v1/identities/${identityId}/activity?as=administrator&format=csv&from=${from}`,
    );
    const rows = csvRows(csv.text);
    expect(rows).toHaveLength(MINE - 300);
    expect(rows.every((r) => r.slice(0, 24) >= from)).toBe(true);
    const timeline = await admin.get(`/api/v1/identities/${identityId}/activity?format=csv`);
    expect(timeline.headers['content-disposition']).toBe('attachment; filename="activity.csv"');
    expect(timeline.text).toBe(
      'time,stream,username,result,reason,factor,application,location,ip,txid\r\n',
    );
  });

  it('refuses a bad filter and an unknown identity as the JSON does', async () => {
    const bad = await admin.get(`/api/v1/identities/${identityId}/activity?format=csv&stream=nope`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('stream');
    const missing = await admin.get('/api/v1/identities/nobody/activity?format=csv');
    expect(missing.status).toBe(404);
  });
});
