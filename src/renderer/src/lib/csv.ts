/** CSV export of any table: RFC 4180 quoting, and a download through a blob link. */
export type CsvCell = string | number | boolean | null | undefined;

function cell(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  // Quote what would break a field. A text cell starting with = + - @ TAB or CR is prefixed with
  // ' so a spreadsheet shows it as text instead of running it as a formula (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v !== 'number' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Saves `href` (a blob or data URL) as `filename` through a temporary link. */
function saveLink(filename: string, href: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  saveLink(filename, url);
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadCsv(filename: string, header: readonly string[], rows: readonly (readonly CsvCell[])[]): void {
  downloadBlob(filename, new Blob([toCsv(header, rows)], { type: 'text/csv;charset=utf-8' }));
}

export function downloadDataUrl(filename: string, dataUrl: string): void {
  saveLink(filename, dataUrl);
}
