/**
 * Tables on @tanstack/react-table: every column sorts (a click or Enter/Space on its header;
 * `aria-sort` says how), a count line says how many rows there are ("1,234 accounts", from
 * the server's `total` where the list is paged), an optional text filter narrows the rows, and
 * a CSV export. `columns` say how each cell renders and what it sorts and filters on.
 *
 * Sorting is honest about paging: a table given `sort` and `onSortChange` is sorted by the
 * server (columns name the server's column in `sortKey`; one without cannot sort); otherwise
 * the rows given are sorted here, and a table of `partial` rows says the sort covers the rows
 * loaded so far. `csvHref` downloads the server's CSV of every row matching the page's filters
 * (not only the rows loaded).
 *
 * @example <DataTable caption="Accounts" rows={accounts} total={total} noun={['account', 'accounts']} columns={[{ label: 'User', value: (a) => a.username, sortKey: 'username' }]} />
 */
import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from '@tanstack/react-table';
import { useMemo, useState, type ReactNode } from 'react';
import './table.css';

type Plain = string | number | null | undefined;

export interface Column<T> {
  readonly label: string;
  /** Plain value: used for the filter, the sort and, without `render`, for the cell. */
  readonly value: (row: T) => Plain;
  readonly render?: (row: T) => ReactNode;
  /** What the column sorts on when `value` would sort wrongly (a formatted date: its epoch ms). */
  readonly sortValue?: (row: T) => Plain;
  /** A server-sorted table: the API's name of this column's sort; absent: it cannot sort. */
  readonly sortKey?: string;
  readonly align?: 'right';
  /** Hidden on narrow windows. */
  readonly optional?: boolean;
}

/** A server-side sort: the API's column name and the order. */
export interface TableSort {
  readonly column: string;
  readonly order: 'asc' | 'desc';
}

const numbers = new Intl.NumberFormat('en-GB');

/** Missing values last whichever way; numbers as numbers; text by locale, case-insensitive. */
function compare(a: Plain, b: Plain): number {
  const aMissing = a === null || a === undefined || a === '';
  const bMissing = b === null || b === undefined || b === '';
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

export function DataTable<T>({
  caption,
  rows,
  columns,
  rowKey,
  csvHref,
  empty,
  footer,
  total,
  noun = ['row', 'rows'],
  partial = false,
  sort,
  onSortChange,
  filter = false,
}: {
  caption: string;
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T, index: number) => string;
  /** The server's CSV of every matching row (the API route with `format=csv`); omit to offer none. */
  csvHref?: string;
  empty?: ReactNode;
  footer?: ReactNode;
  /** How many rows match in all (the server's count of a paged list); default: the rows given. */
  total?: number;
  /** The words of the count line: one, several (`['account', 'accounts']`). */
  noun?: readonly [string, string];
  /** The rows are the first pages of a longer list, sorted here: the count line says so. */
  partial?: boolean;
  /** Sorted by the server: the current sort (`null`: the list's own order)… */
  sort?: TableSort | null;
  /** …and what to do when a header asks for another. */
  onSortChange?: (sort: TableSort | null) => void;
  /** A text box that narrows the rows shown to those with a value containing it. */
  filter?: boolean;
}) {
  const server = onSortChange !== undefined;
  const [localSorting, setLocalSorting] = useState<SortingState>([]);
  const [query, setQuery] = useState('');

  const definitions = useMemo<ColumnDef<T, Plain>[]>(
    () =>
      columns.map((column) => ({
        id: column.label,
        header: column.label,
        accessorFn: (row: T) => (column.sortValue ?? column.value)(row),
        sortingFn: (a, b, id) => compare(a.getValue<Plain>(id), b.getValue<Plain>(id)),
        enableSorting: !server || column.sortKey !== undefined,
        sortDescFirst: false,
      })),
    [columns, server],
  );

  const sorting: SortingState = server
    ? (() => {
        const active = columns.find((c) => c.sortKey !== undefined && c.sortKey === sort?.column);
        return active && sort ? [{ id: active.label, desc: sort.order === 'desc' }] : [];
      })()
    : localSorting;

  const table = useReactTable<T>({
    data: rows as T[],
    columns: definitions,
    state: { sorting, globalFilter: query },
    manualSorting: server,
    onSortingChange: (updater) => {
      const nextSorting = typeof updater === 'function' ? updater(sorting) : updater;
      if (!server) {
        setLocalSorting(nextSorting);
        return;
      }
      const [first] = nextSorting;
      const column = first && columns.find((c) => c.label === first.id);
      onSortChange(
        first && column?.sortKey
          ? { column: column.sortKey, order: first.desc ? 'desc' : 'asc' }
          : null,
      );
    },
    globalFilterFn: (row, _id, text: string) => {
      const needle = text.trim().toLowerCase();
      return columns.some((c) =>
        String(c.value(row.original) ?? '')
          .toLowerCase()
          .includes(needle),
      );
    },
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
    getRowId: (row, index) => rowKey(row, index),
  });

  const shown = table.getRowModel().rows;
  const all = total ?? rows.length;
  const word = (n: number) => (n === 1 ? noun[0] : noun[1]);
  const filtered = query.trim() !== '' && shown.length !== rows.length;
  const count = filtered
    ? `${numbers.format(shown.length)} of ${numbers.format(all)} ${word(all)}`
    : `${numbers.format(all)} ${word(all)}`;
  const sortedHere = !server && sorting.length > 0;
  // Rows of a longer list: say how many are loaded, and that a sort here covers only those.
  const loaded = partial && (total === undefined || rows.length < total);
  const loadedNote = !loaded
    ? ''
    : `${total === undefined ? ' loaded, more to load' : ` · ${numbers.format(rows.length)} loaded`}${
        sortedHere ? ' · sorted among the loaded rows' : ''
      }`;
  const csv = csvHref !== undefined && rows.length > 0;

  return (
    <div className="table-block">
      {rows.length > 0 && (
        <div className="table-bar">
          <p className="table-count muted" aria-live="polite" data-table-count>
            {count}
            {loadedNote}
          </p>
          {filter && (
            <label className="table-filter">
              <span className="visually-hidden">Filter {caption.toLowerCase()}</span>
              <input
                type="search"
                value={query}
                placeholder="Filter…"
                onChange={(event) => {
                  setQuery(event.target.value);
                }}
              />
            </label>
          )}
          {csv && (
            <a className="button button-small" href={csvHref} download>
              Export CSV
            </a>
          )}
        </div>
      )}
      {rows.length === 0 ? (
        (empty ?? <p className="muted table-empty">Nothing to show.</p>)
      ) : shown.length === 0 ? (
        <p className="muted table-empty">No row matches “{query.trim()}”.</p>
      ) : (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              {table.getHeaderGroups().map((group) => (
                <tr key={group.id}>
                  {group.headers.map((header, index) => {
                    const column = columns[index];
                    const direction = header.column.getIsSorted();
                    const className = `${column?.align === 'right' ? 'num' : ''} ${column?.optional ? 'optional' : ''}`;
                    return (
                      <th
                        key={header.id}
                        scope="col"
                        className={className}
                        aria-sort={
                          direction === 'asc'
                            ? 'ascending'
                            : direction === 'desc'
                              ? 'descending'
                              : header.column.getCanSort()
                                ? 'none'
                                : undefined
                        }
                      >
                        {header.column.getCanSort() ? (
                          <button
                            type="button"
                            className="th-sort"
                            onClick={header.column.getToggleSortingHandler()}
                          >
                            {flexRender(header.column.columnDef.header, header.getContext())}
                            {/* The mark is drawn by CSS: the header's text stays its label. */}
                            <span className="th-sort-mark" aria-hidden="true" />
                          </button>
                        ) : (
                          flexRender(header.column.columnDef.header, header.getContext())
                        )}
                      </th>
                    );
                  })}
                </tr>
              ))}
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={row.id}>
                  {row.getVisibleCells().map((cell, index) => {
                    // The cell is called here, not given to flexRender as the column's `cell`:
                    // flexRender renders a function as a component, and the columns are new on
                    // every render, so every render would mount every cell anew (a click
                    // between its mousedown and mouseup lost, focus dropped to the page).
                    const column = columns[index];
                    return (
                      <td
                        key={cell.id}
                        className={`${column?.align === 'right' ? 'num' : ''} ${column?.optional ? 'optional' : ''}`}
                      >
                        {column === undefined
                          ? null
                          : column.render
                            ? column.render(row.original)
                            : (column.value(row.original) ?? '—')}
                      </td>
                    );
                  })}
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
