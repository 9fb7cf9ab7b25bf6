import { describe, expect, it } from 'vitest';
import { csvPages, csvTime, toCsv, type CsvColumn } from './csv.js';

interface Row {
  readonly name: string | null;
  readonly count: number | undefined;
  readonly active: boolean;
}

const COLUMNS: readonly CsvColumn<Row>[] = [
  { header: 'name', value: (r) => r.name },
  { header: 'count', value: (r) => r.count },
  { header: 'active', value: (r) => r.active },
];

async function written(pages: readonly (readonly Row[])[]): Promise<string> {
  async function* source() {
    for (const page of pages) {
      await Promise.resolve();
      yield page;
    }
  }
  let text = '';
  for await (const chunk of csvPages(source(), COLUMNS)) text += chunk;
  return text;
}

describe('CSV', () => {
  it('quotes what would break a cell and keeps spreadsheets from running formulas', () => {
    const rows: Row[] = [
      { name: 'Ann, "the admin"', count: 3, active: true },
      { name: 'two\r\nlines', count: -2, active: false },
      { name: '=HYPERLINK("x")', count: undefined, active: true },
      { name: '-1+2', count: 0, active: true },
      { name: '@sum', count: 1.5, active: true },
      { name: null, count: 7, active: false },
    ];
    expect(toCsv(rows, COLUMNS)).toBe(
      [
        'name,count,active',
        '"Ann, ""the admin""",3,true',
        '"two\r\nlines",-2,false',
        '"\'=HYPERLINK(""x"")",,true',
        "'-1+2,0,true",
        "'@sum,1.5,true",
        ',7,false',
        '',
      ].join('\r\n'),
    );
  });

  it('writes page by page exactly the file of the whole table, empty pages skipped', async () => {
    const rows: Row[] = Array.from({ length: 7 }, (_, i) => ({
      name: i % 2 === 0 ? `user,${String(i)}` : `+${String(i)}`,
      count: i,
      active: i % 3 === 0,
    }));
    expect(await written([rows.slice(0, 3), [], rows.slice(3, 4), rows.slice(4)])).toBe(
      toCsv(rows, COLUMNS),
    );
    expect(await written([])).toBe('name,count,active\r\n');
  });

  it('writes times as ISO 8601 in UTC, and nothing for none', () => {
    expect(csvTime(Date.UTC(2025, 0, 6, 9, 30))).toBe('2025-01-06T09:30:00.000Z');
    expect(csvTime(null)).toBe('');
    expect(csvTime(undefined)).toBe('');
  });
});
