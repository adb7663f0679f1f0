/** Number and date formatting for analysts: compact USD, signed percentages, UTC dates. */
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });

export function formatUsd(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 1000) return `$${compact.format(n)}`;
  if (abs >= 1) return `$${n.toFixed(2)}`;
  if (abs === 0) return '$0';
  return `$${n.toPrecision(3)}`;
}

export function formatPct(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const v = n * 100;
  return `${v > 0 ? '+' : ''}${v.toFixed(digits)}%`;
}

export function formatDay(day: string | null | undefined): string {
  return day ?? '—';
}
