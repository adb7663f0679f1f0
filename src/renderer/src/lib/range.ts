/** Chart ranges relative to the asset's latest day, as UTC calendar days. */
import type { SeriesFamily } from '../../../shared/contract/ui';

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

/** The range an asset page opens with. */
export const DEFAULT_RANGE: RangeId = '4y';

/** Points a chart asks the server for (it keeps each bucket's first, lowest, highest and last). */
export const CHART_POINTS = 2000;

/** The `ui.series` input of an asset's chart over a range: relative to the asset's last day, so it needs nothing else first. */
export function seriesInput(assetId: string, family: SeriesFamily, range: RangeId | number | undefined, maxPoints = CHART_POINTS): { assetId: string; family: SeriesFamily; maxPoints: number; lastDays?: number } {
  const days = typeof range === 'number' ? range : RANGES.find((r) => r.id === range)?.days;
  return { assetId, family, maxPoints, ...(days ? { lastDays: days } : {}) };
}
