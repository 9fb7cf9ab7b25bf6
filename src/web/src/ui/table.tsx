/**
 * Tables with a CSV export: `columns` say how each cell renders and what goes in the CSV.
 * Reports pass `csvHref` (the server's `?format=csv`); other tables export the rows shown.
 *
 * @example <DataTable caption="Accounts" rows={accounts} columns={[{ label: 'User', value: (a) => a.username }]} />
 */
import type { ReactNode } from 'react';

export interface Column<T> {
  readonly label: string;
  /** Plain value: used for the CSV and, without `render`, for the cell. */
  readonly value: (row: T) => string | number | null | undefined;
  readonly render?: (row: T) => ReactNode;
  readonly align?: 'right';
  /** Hidden on narrow windows. */
  readonly optional?: boolean;
}

export function DataTable<T>({
  caption,
  rows,
  columns,
  rowKey,
  csvName,
  csvHref,
  empty,
  footer,
}: {
  caption: string;
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T, index: number) => string;
  /** File name of the CSV export (without `.csv`); omit to offer none. */
  csvName?: string;
  /** Server-side CSV of the whole result. */
  csvHref?: string;
  empty?: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <div className="table-block">
      {(csvName !== undefined || csvHref !== undefined) && rows.length > 0 && (
        <div className="table-tools">
          {csvHref !== undefined ? (
            <a className="button button-small" href={csvHref} download>
              Export CSV
            </a>
          ) : (
            <button
              type="button"
              className="button button-small"
              onClick={() => {
                downloadCsv(`${csvName ?? 'export'}.csv`, rows, columns);
              }}
            >
              Export CSV
            </button>
          )}
        </div>
      )}
      {rows.length === 0 ? (
        (empty ?? <p className="muted table-empty">Nothing to show.</p>)
      ) : (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              <tr>
                {columns.map((column) => (
                  <th
                    key={column.label}
                    scope="col"
                    className={`${column.align === 'right' ? 'num' : ''} ${column.optional ? 'optional' : ''}`}
                  >
                    {column.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => (
                <tr key={rowKey(row, index)}>
                  {columns.map((column) => (
                    <td
                      key={column.label}
                      className={`${column.align === 'right' ? 'num' : ''} ${column.optional ? 'optional' : ''}`}
                    >
                      {column.render ? column.render(row) : (column.value(row) ?? '—')}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {footer}
    </div>
  );
}

function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // A leading = + - @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const lines = [columns.map((c) => csvCell(c.label)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function downloadCsv<T>(
  fileName: string,
  rows: readonly T[],
  columns: readonly Column<T>[],
) {
  const blob = new Blob([toCsv(rows, columns)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 1000);
}
