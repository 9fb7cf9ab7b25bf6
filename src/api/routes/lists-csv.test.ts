/**
 * The console's short lists as CSV, on SQLite and on PostgreSQL: users (admins only, as the
 * JSON), governance groups and sources, each a header row and every row of the JSON, in its
 * order, without a password, a token or a Duo secret key.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createIdentityVia,
  createSourceVia,
  startTestApi,
  type Client,
  type TestApi,
} from '../../../test/support/api.js';
import { describeEachDatabase } from '../../../test/support/db.js';

const SECRET = 'S3cr3tKeyThatMustNeverLeaveTheServer0000';

/** CSV data lines (the header dropped), split on the CRLF that ends each record. */
function csvRows(text: string): string[] {
  return text.split('\r\n').slice(1, -1);
}

describeEachDatabase('lists as CSV', (t) => {
  let api: TestApi;
  let admin: Client;
  let viewer: Client;

  beforeAll(async () => {
    api = await startTestApi({}, { databaseUrl: t.url });
    await api.createUser('admin', 'admin');
    await api.createUser('viewer', 'viewer');
    for (let i = 0; i < 12; i++) await api.createUser(`person${String(i)}`, 'source_manager');
    admin = await api.signIn('admin');
    viewer = await api.signIn('viewer');
    const owner = await createIdentityVia(admin, 'Olga Owner');
    for (let i = 0; i < 6; i++) {
      const source = await createSourceVia(
        admin,
        i % 2 === 0 ? 'duo' : 'duo-activity',
        `Source, "${String(i)}"`,
        owner,
      );
      const configured = await admin.put(`/api/v1/sources/${source.id}/configuration`, {
        apiHost: 'api-1234abcd.duosecurity.com',
        integrationKey: 'DIAAAAAAAAAAAAAAAAAA',
        secretKey: SECRET,
      });
      expect(configured.status).toBeLessThan(300);
    }
    for (let i = 0; i < 5; i++)
      await admin.post('/api/v1/governance-groups', {
        name: `=Group ${String(i)}`,
        description: i === 0 ? 'line one\nline two' : null,
      });
  }, 60_000);

  afterAll(async () => {
    await api.close();
  });

  it('exports every user to admins, with no password, and refuses viewers as the JSON does', async () => {
    const csv = await admin.get('/api/v1/users?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="users.csv"');
    expect(csv.text.split('\r\n')[0]).toBe(
      'username,role,identity,disabled,must_change_password,last_sign_in,created,id',
    );
    const json = (await admin.get('/api/v1/users')).body as { users: { username: string }[] };
    expect(csvRows(csv.text).map((r) => r.split(',')[0])).toEqual(
      json.users.map((u) => u.username),
    );
    expect(json.users).toHaveLength(14);
    expect(csv.text).not.toMatch(/password_hash|\$argon|\$scrypt|correct horse/);
    expect((await viewer.get('/api/v1/users')).status).toBe(403);
    const refused = await viewer.get('/api/v1/users?format=csv');
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toMatch(/json/);
  });

  it('exports every governance group, cells quoted and made safe for spreadsheets', async () => {
    const csv = await viewer.get('/api/v1/governance-groups?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="governance-groups.csv"');
    expect(csv.text.split('\r\n')[0]).toBe('name,description,created,id');
    const rows = csv.text.split('\r\n').slice(1, -1);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatch(/^'=Group 0,"line one\nline two",/);
    expect(rows.map((r) => r.split(',')[0])).toEqual(
      [0, 1, 2, 3, 4].map((i) => `'=Group ${String(i)}`),
    );
  });

  it('exports every source without its secret key', async () => {
    const csv = await viewer.get('/api/v1/sources?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="sources.csv"');
    expect(csv.text.split('\r\n')[0]).toBe(
      'name,type,owner,state,last_run_kind,last_run_status,last_run_finished,next_run,health,id',
    );
    const json = (await viewer.get('/api/v1/sources')).body as {
      sources: { id: string; name: string }[];
    };
    const rows = csvRows(csv.text);
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.slice(r.lastIndexOf(',') + 1))).toEqual(json.sources.map((s) => s.id));
    expect(rows.every((r) => /,(No stream synced yet|No account yet),[^,]+$/.test(r))).toBe(true);
    expect(rows[0]).toMatch(/^"Source, ""\d""",duo(-activity)?,Olga Owner,/);
    expect(csv.text).not.toContain(SECRET);
  });
});
