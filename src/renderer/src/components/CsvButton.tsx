/** CSV export for the small tables that are not DataTables (their rows are built by the caller). */
import { downloadCsv, type CsvCell } from '../lib/csv';

export function CsvButton({ name, header, rows }: { name: string; header: readonly string[]; rows: () => readonly (readonly CsvCell[])[] }) {
  return (
    <button type="button" className="csv-button" onClick={() => downloadCsv(`${name}.csv`, header, rows())} title="Export this table as CSV">
      CSV
    </button>
  );
}
