import { sql, type Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { canonicalBatches, runBatches, type BatchStatement } from './batch.js';
import { dialectOf } from './dialect.js';

interface Row {
  key: string;
  value: string;
}

const insertSettings: BatchStatement<Row, { key: string }> = {
  name: 'test insert settings',
  columns: ['key', 'value'],
  build: (db, rows) =>
    db
      .insertInto('settings')
      .values(rows.map((r) => ({ key: r.key, value: r.value })))
      .returning(['key']),
};

describeEachDatabase('batched statements', (t) => {
  it('split rows into a few fixed shapes', () => {
    const sizes = canonicalBatches(t.db, Array.from({ length: 1000 }), 16).map((b) => b.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(new Set(sizes).size).toBeLessThanOrEqual(6);
  });

  it('write every row, reusing the compiled statement with new values', async () => {
    const prefix = `batch-${String(Math.random())}`;
    const rows = (n: number, tag: string): Row[] =>
      Array.from({ length: n }, (_, i) => ({ key: `${prefix}-${tag}-${String(i)}`, value: tag }));
    const first = await runBatches(t.db, insertSettings, rows(300, 'a'));
    const second = await runBatches(t.db, insertSettings, rows(300, 'b'));
    expect(first).toHaveLength(300);
    expect(second.map((r) => r.key)).toEqual(rows(300, 'b').map((r) => r.key));
    const stored = await t.db
      .selectFrom('settings')
      .select(['value', (eb) => eb.fn.countAll<number>().as('n')])
      .where('key', 'like', `${prefix}%`)
      .groupBy('value')
      .orderBy('value')
      .execute();
    expect(stored).toEqual([
      { value: 'a', n: 300 },
      { value: 'b', n: 300 },
    ]);
  });

  it('refuse a statement whose declared columns do not match what Kysely binds', async () => {
    const wrong: BatchStatement<Row, { key: string }> = {
      ...insertSettings,
      name: 'test insert settings (wrong order)',
      columns: ['value', 'key'],
    };
    await expect(
      runBatches(t.db, wrong, [{ key: `k-${String(Math.random())}`, value: 'v' }]),
    ).rejects.toThrow(/parameters differ/);
  });
});

interface Mixed {
  id: number;
  count: number | null;
  label: string | null;
  bytes: Buffer | null;
}

const MIXED_COLUMNS = ['id', 'count', 'label', 'bytes'] as const;

/** One array per column on PostgreSQL; `values` lists on SQLite. */
const upsertMixed: BatchStatement<Mixed, { id: number }> = {
  name: 'test upsert batch_mixed',
  columns: MIXED_COLUMNS,
  arrayTypes: { id: 'bigint', count: 'bigint', label: 'text', bytes: 'bytea' },
  build: (db, rows) =>
    (db as unknown as Kysely<{ batch_mixed: Mixed }>)
      .insertInto('batch_mixed')
      .values(rows.map((r) => ({ id: r.id, count: r.count, label: r.label, bytes: r.bytes })))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          count: eb('batch_mixed.count', '+', eb.ref('excluded.count')),
        })),
      )
      .returning(['id']),
};

describeEachDatabase('batched statements over column arrays', (t) => {
  it('write every row and value exactly (nulls, signs, big integers, unicode, binary), upserting', async () => {
    const d = dialectOf(t.db);
    await sql`create table batch_mixed (id ${sql.raw(d.bigint)} primary key, count ${sql.raw(d.bigint)},
      label text, bytes ${sql.raw(d.blob)})`.execute(t.db);
    const edge: Mixed[] = [
      { id: 1, count: null, label: null, bytes: null },
      { id: 2, count: -1, label: '', bytes: Buffer.alloc(0) },
      {
        id: 3,
        count: Number.MAX_SAFE_INTEGER,
        label: 'é "quoted" \\ {braces}, comma',
        bytes: Buffer.from([0, 255, 92, 34]),
      },
      { id: 4, count: -(2 ** 40) - 7, label: '日本語 🙂', bytes: Buffer.from('x'.repeat(3000)) },
    ];
    const many: Mixed[] = Array.from({ length: 5000 }, (_, i) => ({
      id: 100 + i,
      count: i * 4_294_967_297,
      label: `row ${String(i)}`,
      bytes: Buffer.from([i % 256]),
    }));
    const written = await runBatches(t.db, upsertMixed, [...edge, ...many]);
    expect(written).toHaveLength(edge.length + many.length);
    // Replayed with counts: the conflict adds them.
    await runBatches(t.db, upsertMixed, [{ id: 2, count: 10, label: null, bytes: null }]);
    const rows = await (t.db as unknown as Kysely<{ batch_mixed: Mixed }>)
      .selectFrom('batch_mixed')
      .selectAll()
      .orderBy('id')
      .execute();
    const plain = (r: Mixed) => ({ ...r, bytes: r.bytes === null ? null : Buffer.from(r.bytes) });
    expect(rows.slice(0, 4).map(plain)).toEqual([
      edge[0],
      { ...edge[1], count: 9 },
      edge[2],
      edge[3],
    ]);
    expect(rows.slice(4).map(plain)).toEqual(many);
  });

  it('refuse a value its column type cannot hold, naming the element (PostgreSQL arrays)', async () => {
    if (t.kind !== 'postgres') return;
    const rows = [
      { id: 7, count: 1, label: 'x', bytes: null },
      { id: 0.5, count: 1, label: 'x', bytes: null },
    ];
    await expect(runBatches(t.db, upsertMixed, rows)).rejects.toThrow(
      /element 1 of a bigint array is the number 0.5/,
    );
  });
});
