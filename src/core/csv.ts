/**
 * CSV export of report rows (RFC 4180: quoted when needed, CRLF lines). Cells that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) are prefixed with `'`.
 *
 * @example reply.type('text/csv').send(toCsv(rows, [{ header: 'username', value: (r) => r.username }]));
 */
export interface CsvColumn<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | boolean | null | undefined;
}

const FORMULA = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  // A number or a boolean holds no quote, comma or line break, and is never taken for a formula.
  if (typeof value !== 'string') return String(value);
  const text = FORMULA.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv<T>(rows: readonly T[], columns: readonly CsvColumn<T>[]): string {
  const lines = [columns.map((c) => cell(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The same CSV written page by page as the pages arrive (the header first), so an export of
 * any size holds every row without the whole table in memory.
 *
 * @example reply.send(Readable.from(csvPages(pagesOfRows(), columns)));
 */
export async function* csvPages<T>(
  pages: AsyncIterable<readonly T[]>,
  columns: readonly CsvColumn<T>[],
): AsyncGenerator<string> {
  yield `${columns.map((c) => cell(c.header)).join(',')}\r\n`;
  for await (const rows of pages) {
    if (rows.length === 0) continue;
    yield `${rows.map((row) => columns.map((c) => cell(c.value(row))).join(',')).join('\r\n')}\r\n`;
  }
}

/** ISO time of epoch ms, or empty. */
export function csvTime(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : new Date(value).toISOString();
}
