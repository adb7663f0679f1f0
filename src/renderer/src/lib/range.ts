/** Chart ranges relative to the asset's latest day, as UTC calendar days. */
export const RANGES = [
  { id: '3m', label: '3M', days: 91 },
  { id: '1y', label: '1Y', days: 365 },
  { id: '4y', label: '4Y', days: 4 * 365 + 1 },
  { id: 'all', label: 'All', days: null },
] as const;
export type RangeId = (typeof RANGES)[number]['id'];

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** The [from, to] of a range ending on `lastDay`; open ends when unknown or "all". */
export function rangeBounds(id: RangeId, lastDay: string | null): { from?: string; to?: string } {
  const r = RANGES.find((x) => x.id === id);
  if (!lastDay || !r || r.days === null) return {};
  return { from: addDays(lastDay, -(r.days - 1)), to: lastDay };
}
