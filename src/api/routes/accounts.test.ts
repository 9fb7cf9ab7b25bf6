/**
 * A source's accounts sorted on the server (every column both ways, paged without losing or
 * repeating a row), counted (`total`, whatever the page) and exported as CSV (every matching
 * account, more than one export page, in the list's order), on SQLite and on PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ms } from '../../domain/time.js';
import { upsertAccounts } from '../../store/accounts.js';
import { newSource } from '../../../test/support/activity-fixtures.js';
import { startTestApi, errorOf, type Client, type TestApi } from '../../../test/support/api.js';
import { describeEachDatabase } from '../../../test/support/db.js';

const ACCOUNTS = 1_250;
const START = Date.UTC(2025, 0, 6);
const STATUSES = ['active', 'disabled', 'locked out', 'bypass'];
/** Every fourth account, from the third, is locked out. */
const LOCKED_OUT = Math.ceil((ACCOUNTS - 2) / 4);

interface Row {
  id: number;
  username: string;
  email: string | null;
  status: string;
  lastLoginMs: number | null;
}
interface List {
  accounts: Row[];
  total: number;
  next: string | null;
}

/** CSV data lines (the header dropped), split on the CRLF that ends each record. */
function csvRows(text: string): string[] {
  return text.split('\r\n').slice(1, -1);
}

describeEachDatabase('account lists', (t) => {
  let api: TestApi;
  let admin: Client;
  let sourceId = '';

  /** Every page of a list, followed to the end. */
  async function all(query: string, limit = 300): Promise<{ rows: Row[]; totals: number[] }> {
    const rows: Row[] = [];
    const totals: number[] = [];
    let cursor: string | null = null;
    do {
      const answer = await admin.get(
        `/api/v1/sources/${sourceId}/accounts?limit=${String(limit)}&${query}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(answer.status).toBe(200);
      const page = answer.body as List;
      rows.push(...page.accounts);
      totals.push(page.total);
      cursor = page.next;
    } while (cursor);
    return { rows, totals };
  }

  beforeAll(async () => {
    api = await startTestApi({}, { databaseUrl: t.url });
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
    ({ sourceId } = await newSource(api.app.db, 'duo'));
    await upsertAccounts(api.app.db, {
      sourceId,
      runId: 'r1',
      now: ms(START),
      accounts: Array.from({ length: ACCOUNTS }, (_, i) => ({
        duoUserId: `DU${String(i).padStart(18, '0')}`,
        // Mixed case and an order unlike the ids: the sort, not the insertion, orders them.
        username: `${i % 2 === 0 ? 'User' : 'user'}${String((i * 7919) % ACCOUNTS).padStart(5, '0')}`,
        email: i % 5 === 0 ? null : `u${String(i)}@example.com`,
        status: STATUSES[i % STATUSES.length] ?? 'active',
        lastLoginMs: i % 3 === 0 ? null : ms(START + ((i * 104_729) % 100_000) * 1000),
        groups: [{ duoGroupId: 'DG-everyone', name: 'Everyone' }],
      })),
    });
  }, 120_000);

  afterAll(async () => {
    await api.close();
  });

  it('sorts by user name both ways across pages, each account once, and counts every match', async () => {
    const up = await all('sort=username&order=asc');
    expect(up.rows).toHaveLength(ACCOUNTS);
    expect(new Set(up.rows.map((r) => r.id)).size).toBe(ACCOUNTS);
    expect(up.totals.every((n) => n === ACCOUNTS)).toBe(true);
    const names = up.rows.map((r) => r.username.toLowerCase());
    expect(names).toEqual([...names].sort());
    const down = await all('sort=username&order=desc');
    expect(down.rows.map((r) => r.id)).toEqual([...up.rows.map((r) => r.id)].reverse());
  });

  it('sorts by last login both ways with the accounts that never logged in last', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const { rows } = await all(`sort=lastLogin&order=${order}`);
      const known = rows.filter((r) => r.lastLoginMs !== null).map((r) => r.lastLoginMs ?? 0);
      expect(known).toEqual([...known].sort((a, b) => (order === 'asc' ? a - b : b - a)));
      const firstNull = rows.findIndex((r) => r.lastLoginMs === null);
      expect(rows.slice(firstNull).every((r) => r.lastLoginMs === null)).toBe(true);
      expect(firstNull).toBe(known.length);
    }
  });

  it('counts the accounts a filter matches on every page', async () => {
    const { rows, totals } = await all('status=locked%20out&sort=email&order=desc', 100);
    expect(rows).toHaveLength(LOCKED_OUT);
    expect(totals.every((n) => n === rows.length)).toBe(true);
    expect(rows.every((r) => r.status === 'locked out')).toBe(true);
  });

  it('refuses an unknown sort column or order with a message naming the choices', async () => {
    const sort = await admin.get(`/api/v1/sources/${sourceId}/accounts?sort=password`);
    expect(sort.status).toBe(400);
    expect(errorOf(sort.body)).toMatchObject({
      code: 'validation_failed',
      details: [
        {
          field: 'sort',
          message: expect.stringContaining(
            'username, kind, realname, email, status, correlation, lastLogin',
          ) as unknown,
        },
      ],
    });
    const order = await admin.get(`/api/v1/sources/${sourceId}/accounts?order=up`);
    expect(order.status).toBe(400);
    expect(errorOf(order.body)).toMatchObject({
      details: [{ field: 'order', message: 'order must be asc or desc' }],
    });
  });

  it('exports every matching account as CSV, in the order asked for', async () => {
    const csv = await admin.get(`/api/v1/sources/${sourceId}/accounts?format=csv&sort=username`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename=".+-accounts\.csv"$/);
    const rows = csvRows(csv.text);
    expect(rows).toHaveLength(ACCOUNTS);
    const { rows: listed } = await all('sort=username');
    expect(rows.map((r) => r.split(',')[0])).toEqual(listed.map((r) => r.username));

    const locked = csvRows(
      (await admin.get(`/api/v1/sources/${sourceId}/accounts?format=csv&status=locked%20out`)).text,
    );
    expect(locked).toHaveLength(LOCKED_OUT);
    expect(locked.every((r) => r.includes(',locked out,'))).toBe(true);
  });
});
