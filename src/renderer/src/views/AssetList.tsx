import { useQuery } from '@tanstack/react-query';
import { createColumnHelper, flexRender, getCoreRowModel, getSortedRowModel, useReactTable, type SortingState } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import type { AssetSummary } from '../../../shared/contract/assets';
import { client } from '../lib/client';
import { formatDay, formatPct, formatUsd } from '../lib/format';

const col = createColumnHelper<AssetSummary>();

export function AssetList({ selected, onSelect }: { selected: string | null; onSelect: (id: string) => void }) {
  const [search, setSearch] = useState('');
  const [sorting, setSorting] = useState<SortingState>([{ id: 'marketCap', desc: true }]);
  const query = useQuery({ queryKey: ['assets.list'], queryFn: () => client.call('assets.list', {}) });
  const rows = useMemo(() => {
    const q = search.trim().toLowerCase();
    const all = query.data ?? [];
    return q ? all.filter((a) => a.symbol.toLowerCase().includes(q) || a.name.toLowerCase().includes(q)) : all;
  }, [query.data, search]);
  const columns = useMemo(
    () => [
      col.accessor('symbol', { header: 'Symbol' }),
      col.accessor('name', { header: 'Name' }),
      col.accessor('category', { header: 'Category', cell: (c) => c.getValue() ?? '—' }),
      col.accessor('price', { header: 'Price', cell: (c) => formatUsd(c.getValue()), sortUndefined: 'last' }),
      col.accessor('return30d', { header: '30d', cell: (c) => formatPct(c.getValue()) }),
      col.accessor('marketCap', { header: 'Market cap', cell: (c) => formatUsd(c.getValue()) }),
      col.accessor('volume', { header: 'Volume 24h', cell: (c) => formatUsd(c.getValue()) }),
      col.accessor('lastDay', { header: 'As of (UTC)', cell: (c) => formatDay(c.getValue()) }),
      col.accessor((a) => a.families.join(', '), { id: 'families', header: 'Data', enableSorting: false }),
    ],
    [],
  );
  const table = useReactTable({ data: rows, columns, state: { sorting }, onSortingChange: setSorting, getCoreRowModel: getCoreRowModel(), getSortedRowModel: getSortedRowModel() });

  if (query.isLoading) return <p className="state">Loading assets…</p>;
  if (query.isError) return <p className="state error" role="alert">Could not load assets: {query.error.message}</p>;
  if ((query.data ?? []).length === 0) return <p className="state">No assets yet. Run <code>defimon import</code> to load the bundled dataset.</p>;

  return (
    <section className="asset-list">
      <div className="toolbar">
        <input aria-label="Search assets" placeholder="Search symbol or name" value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="muted">{rows.length} assets</span>
      </div>
      <div className="table-wrap">
        <table data-testid="asset-table">
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => (
                  <th key={h.id} onClick={h.column.getToggleSortingHandler()} aria-sort={h.column.getIsSorted() === 'asc' ? 'ascending' : h.column.getIsSorted() === 'desc' ? 'descending' : 'none'} className={h.column.getCanSort() ? 'sortable' : ''}>
                    {flexRender(h.column.columnDef.header, h.getContext())}
                    {h.column.getIsSorted() === 'asc' ? ' ▲' : h.column.getIsSorted() === 'desc' ? ' ▼' : ''}
                  </th>
                ))}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((r) => (
              <tr key={r.id} data-asset={r.original.assetId} className={r.original.assetId === selected ? 'selected' : ''} onClick={() => onSelect(r.original.assetId)} tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && onSelect(r.original.assetId)}>
                {r.getVisibleCells().map((c) => (
                  <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
