import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import BetterSqlite3 from 'better-sqlite3';
import { StatementCache, dialectOf, openDatabase, parseDatabaseUrl } from './dialect.js';

describe('database URLs', () => {
  it('choose PostgreSQL for postgres:// and SQLite for sqlite: or a plain path', () => {
    expect(parseDatabaseUrl('postgres://u@h:5432/db')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@h:5432/db',
    });
    expect(parseDatabaseUrl('postgresql://h/db').kind).toBe('postgres');
    expect(parseDatabaseUrl('sqlite:./data/duo-insights.db')).toEqual({
      kind: 'sqlite',
      path: './data/duo-insights.db',
    });
    expect(parseDatabaseUrl('sqlite:///var/lib/di.db')).toEqual({
      kind: 'sqlite',
      path: '/var/lib/di.db',
    });
    expect(parseDatabaseUrl('/tmp/x.db')).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
  });
});

describeEachDatabase('dialect', (t) => {
  it('returns 64-bit integers and sums as numbers without touching pg’s global parsers', async () => {
    const row = await sql<{ big: unknown; total: unknown }>`
      select cast(1750000000123 as bigint) as big, sum(cast(2 as bigint)) as total`.execute(t.db);
    expect(row.rows[0]).toEqual({ big: 1750000000123, total: 2 });
    const globalInt8 = pg.types.getTypeParser(pg.types.builtins.INT8) as (text: string) => unknown;
    expect(globalInt8('5')).toBe('5');
  });

  it('tells the time in epoch milliseconds from the database clock', async () => {
    const before = Date.now();
    const row = await sql<{ now: number }>`select ${dialectOf(t.db).now()} as now`.execute(t.db);
    const now = row.rows[0]?.now ?? 0;
    expect(now).toBeGreaterThanOrEqual(before - 2000);
    expect(now).toBeLessThanOrEqual(Date.now() + 2000);
    expect(Number.isInteger(now)).toBe(true);
  });

  it('matches ids against a list of any length, none included', async () => {
    const ids = (list: readonly number[]) =>
      sql<{
        n: number;
      }>`select n from (select 1 as n union all select 2 union all select 30000) as t
        where ${dialectOf(t.db).idIn('n', list)} order by n`
        .execute(t.db)
        .then((r) => r.rows.map((row) => row.n));
    expect(await ids([])).toEqual([]);
    expect(await ids([2])).toEqual([2]);
    expect(await ids([30000, 1, 7])).toEqual([1, 30000]);
    const many = Array.from({ length: 20_000 }, (_, i) => i * 3);
    expect(await ids(many)).toEqual([30000]);
  });

  it('enforces foreign keys', async () => {
    await expect(
      t.db
        .insertInto('streams')
        .values({
          source_id: 'no-such-source',
          stream: 'authentication',
          state: 'idle',
          pages: 0,
          rate_limited: 0,
          updated_at: 0,
          cursor: null,
          last_success_at: null,
          last_error: null,
        })
        .execute(),
    ).rejects.toThrow();
  });
});

describe('SQLite', () => {
  it('opens a new file in WAL mode with synchronous=NORMAL, foreign keys and a busy timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'di-dialect-'));
    const db = openDatabase(`sqlite:${join(dir, 'nested', 'duo-insights.db')}`);
    try {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
      const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db);
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      expect(sync.rows[0]?.synchronous).toBe(1);
      expect(busy.rows[0]?.timeout).toBeGreaterThan(0);
      expect(fk.rows[0]?.foreign_keys).toBe(1);
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reuses prepared statements: the same query after a stream left early sees the rows as they are', async () => {
    const db = openDatabase('sqlite::memory:');
    try {
      await sql`create table t (n integer)`.execute(db);
      const insert = db.insertInto('t' as never).values({ n: 1 });
      for (let i = 0; i < 3; i++) await insert.execute();
      const all = db.selectFrom('t' as never).select(sql<number>`n`.as('n'));
      for await (const row of all.stream()) {
        expect(row.n).toBe(1);
        break;
      }
      expect(await all.execute()).toHaveLength(3);
      await insert.execute();
      expect(await all.execute()).toHaveLength(4);
      let streamed = 0;
      for await (const row of all.stream()) streamed += row.n;
      expect(streamed).toBe(4);
    } finally {
      await db.destroy();
    }
  });

  it('keeps a statement from its second use, so texts run once never push the repeated ones out', () => {
    const cache = new StatementCache(new BetterSqlite3(':memory:'), 2);
    try {
      const text = 'select 1 as one';
      const first = cache.prepare(text);
      expect(cache.size).toBe(0);
      const second = cache.prepare(text);
      expect(second).not.toBe(first);
      expect(cache.prepare(text)).toBe(second);
      for (let i = 0; i < 10; i++) cache.prepare(`select ${String(i)} as n`);
      expect(cache.prepare(text)).toBe(second);
      expect(cache.size).toBe(1);
      expect(second.all([])).toEqual([{ one: 1 }]);
    } finally {
      cache.close();
    }
  });

  it('bounds the kept statements by the total length of their texts (SQLite memory grows with it)', () => {
    // Texts of 55 characters: a budget of 120 holds two of them.
    const values = (first: number) =>
      `select ${Array.from({ length: 10 }, (_, i) => String(first + i)).join(', ')}`;
    const cache = new StatementCache(new BetterSqlite3(':memory:'), 64, 120);
    try {
      const [a, b, c] = [values(100), values(200), values(300)];
      for (const text of [a, a, b, b]) cache.prepare(text);
      expect(cache.size).toBe(2);
      const keptB = cache.prepare(b);
      expect(cache.prepare(b)).toBe(keptB);
      cache.prepare(c);
      cache.prepare(c);
      // c pushed out the least recently used (a), not b.
      expect(cache.size).toBe(2);
      expect(cache.textChars).toBe(b.length + c.length);
      expect(cache.textChars).toBeLessThanOrEqual(120);
      expect(cache.prepare(b)).toBe(keptB);
      expect(cache.prepare(b).raw().get([])).toEqual([
        200, 201, 202, 203, 204, 205, 206, 207, 208, 209,
      ]);
      // A text longer than the whole budget is prepared for each use and never kept.
      const long = values(1_000_000_000);
      expect(long.length).toBeGreaterThan(120);
      expect(cache.prepare(long)).not.toBe(cache.prepare(long));
      expect(cache.size).toBe(2);
      expect(cache.prepare(b)).toBe(keptB);
    } finally {
      cache.close();
    }
  });
});
