import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { canonicalBatches, runBatches, type BatchStatement } from './batch.js';

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
