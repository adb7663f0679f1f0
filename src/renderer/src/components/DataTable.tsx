/**
 * A sortable, virtualised table (TanStack Table + Virtual): only the visible rows are in the DOM,
 * so thousands of rows scroll smoothly. Keyboard: arrows/PageUp/PageDown/Home/End move the
 * active row, Enter opens it; headers sort with Enter or Space. CSV exports every row, sorted.
 */
import { flexRender, getCoreRowModel, getSortedRowModel, useReactTable, type ColumnDef, type SortingState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { downloadCsv } from '../lib/csv';

export interface Column<T> {
  id: string;
  header: string;
  /** The sort and CSV value; null sorts last. */
  value: (row: T) => string | number | null;
  render?: (row: T) => ReactNode;
  align?: 'left' | 'right' | 'center';
  sortable?: boolean;
  width?: number;
  title?: string;
  /** The value's own as-of day: CSV exports add it as a "<header> as of" column beside the value. */
  asOf?: (row: T) => string | null;
}

const ROW_HEIGHT = 30;

export function DataTable<T>({
  rows,
  columns,
  rowId,
  testId,
  csvName,
  initialSort = [],
  onOpen,
  maxHeight = 520,
  toolbar,
  selectedId,
  rowClassName,
}: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowId: (row: T) => string;
  testId: string;
  csvName: string;
  initialSort?: SortingState;
  onOpen?: (row: T) => void;
  maxHeight?: number;
  toolbar?: ReactNode;
  selectedId?: string | null;
  /** Extra classes of a row (e.g. "stale" greys a delisted asset). */
  rowClassName?: (row: T) => string;
}) {
  const [sorting, setSorting] = useState<SortingState>(initialSort);
  const [active, setActive] = useState(0);
  const scrollRef = useRef<HTMLDivElement>(null);

  const defs = useMemo<ColumnDef<T>[]>(
    () =>
      columns.map((c) => ({
        id: c.id,
        header: c.header,
        accessorFn: (row: T) => c.value(row) ?? undefined,
        cell: (ctx) => (c.render ? c.render(ctx.row.original) : (c.value(ctx.row.original) ?? '—')),
        enableSorting: c.sortable ?? true,
        sortUndefined: 'last',
        sortDescFirst: true,
      })),
    [columns],
  );
  const data = useMemo(() => [...rows], [rows]);
  const table = useReactTable({ data, columns: defs, state: { sorting }, onSortingChange: setSorting, getCoreRowModel: getCoreRowModel(), getSortedRowModel: getSortedRowModel(), getRowId: (r) => rowId(r) });
  const sorted = table.getRowModel().rows;
  const virtual = useVirtualizer({ count: sorted.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtual.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = items.length ? virtual.getTotalSize() - (items[items.length - 1]?.end ?? 0) : 0;
  const activeIndex = Math.min(active, Math.max(0, sorted.length - 1));

  const move = (to: number): void => {
    const i = Math.max(0, Math.min(sorted.length - 1, to));
    setActive(i);
    virtual.scrollToIndex(i, { align: 'auto' });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const page = Math.max(1, Math.floor(maxHeight / ROW_HEIGHT) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(activeIndex + 1),
      ArrowUp: () => move(activeIndex - 1),
      PageDown: () => move(activeIndex + page),
      PageUp: () => move(activeIndex - page),
      Home: () => move(0),
      End: () => move(sorted.length - 1),
      Enter: () => {
        const row = sorted[activeIndex];
        if (row && onOpen) onOpen(row.original);
      },
    };
    const fn = keys[e.key];
    if (fn && (e.target as HTMLElement).tagName !== 'BUTTON' && (e.target as HTMLElement).tagName !== 'INPUT') {
      e.preventDefault();
      fn();
    }
  };

  const exportCsv = (): void =>
    downloadCsv(
      `${csvName}.csv`,
      columns.flatMap((c) => (c.asOf ? [c.header, `${c.header} as of`] : [c.header])),
      sorted.map((r) => columns.flatMap((c) => (c.asOf ? [c.value(r.original), c.asOf(r.original)] : [c.value(r.original)]))),
    );

  return (
    <div className="data-table">
      <div className="toolbar">
        {toolbar}
        <span className="spacer" />
        <span className="muted" data-testid={`${testId}-count`}>
          {rows.length} rows
        </span>
        <button type="button" onClick={exportCsv} title="Export every row as CSV">
          CSV
        </button>
      </div>
      <div ref={scrollRef} className="table-scroll" style={{ maxHeight }} tabIndex={0} onKeyDown={onKeyDown} role="region" aria-label={`${csvName} table; arrows move, Enter opens`}>
        <table data-testid={testId}>
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => {
                  const col = columns.find((c) => c.id === h.column.id);
                  const dir = h.column.getIsSorted();
                  return (
                    <th
                      key={h.id}
                      data-col={h.column.id}
                      className={`${h.column.getCanSort() ? 'sortable' : ''} ${col?.align ?? 'right'}`}
                      style={col?.width ? { width: col.width } : undefined}
                      title={col?.title}
                      tabIndex={h.column.getCanSort() ? 0 : -1}
                      aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}
                      onClick={h.column.getToggleSortingHandler()}
                      onKeyDown={(e) => {
                        if ((e.key === 'Enter' || e.key === ' ') && h.column.getCanSort()) {
                          e.preventDefault();
                          e.stopPropagation();
                          h.column.toggleSorting();
                        }
                      }}
                    >
                      {flexRender(h.column.columnDef.header, h.getContext())}
                      {dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : ''}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {padTop > 0 && (
              <tr className="pad" style={{ height: padTop }}>
                <td colSpan={columns.length} />
              </tr>
            )}
            {items.map((vi) => {
              const row = sorted[vi.index];
              if (!row) return null;
              const id = rowId(row.original);
              return (
                <tr
                  key={row.id}
                  data-row-id={id}
                  data-index={vi.index}
                  style={{ height: ROW_HEIGHT }}
                  className={`${vi.index === activeIndex ? 'active' : ''} ${selectedId === id ? 'selected' : ''} ${rowClassName?.(row.original) ?? ''}`}
                  onClick={() => {
                    setActive(vi.index);
                    onOpen?.(row.original);
                  }}
                >
                  {row.getVisibleCells().map((cell) => {
                    const col = columns.find((c) => c.id === cell.column.id);
                    return (
                      <td key={cell.id} className={col?.align ?? 'right'} data-col={cell.column.id}>
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
            {padBottom > 0 && (
              <tr className="pad" style={{ height: padBottom }}>
                <td colSpan={columns.length} />
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
