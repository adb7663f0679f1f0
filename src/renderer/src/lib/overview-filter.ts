/** The overview's filter state and what it keeps; pure so the table logic is tested on its own. */
import type { OverviewRow } from '../../../shared/contract/ui';

export interface OverviewFilters {
  search: string;
  category: string;
  chain: string;
  /** Minimum market cap in USD; 0 means no minimum. */
  minMarketCap: number;
  hasAudit: boolean;
  watchedOnly: boolean;
  /** Also list assets whose market data ended before the current window (delisted or no longer collected). */
  includeStale: boolean;
}

export const NO_FILTERS: OverviewFilters = { search: '', category: '', chain: '', minMarketCap: 0, hasAudit: false, watchedOnly: false, includeStale: false };

export function filterOverview(rows: readonly OverviewRow[], f: OverviewFilters, watched: ReadonlySet<string>): OverviewRow[] {
  const q = f.search.trim().toLowerCase();
  return rows.filter((r) => {
    if (!f.includeStale && r.staleSince !== null) return false;
    if (q && !r.symbol.toLowerCase().includes(q) && !r.name.toLowerCase().includes(q)) return false;
    if (f.category && (r.category ?? '') !== f.category) return false;
    if (f.chain && !r.chains.includes(f.chain)) return false;
    if (f.minMarketCap > 0 && (r.marketCap === null || r.marketCap < f.minMarketCap)) return false;
    if (f.hasAudit && r.auditScore === null) return false;
    if (f.watchedOnly && !watched.has(r.assetId)) return false;
    return true;
  });
}

export function categoriesOf(rows: readonly OverviewRow[]): string[] {
  return [...new Set(rows.map((r) => r.category).filter((c): c is string => c !== null))].sort();
}

/** The biggest 7-day risers and fallers among current assets priced on the latest day. */
export function topMovers(rows: readonly OverviewRow[], asOf: string | null, n = 5): { up: OverviewRow[]; down: OverviewRow[] } {
  const fresh = rows.filter((r) => r.return7d !== null && r.staleSince === null && (asOf === null || r.lastDay === asOf));
  const sorted = [...fresh].sort((a, b) => (b.return7d as number) - (a.return7d as number));
  return {
    up: sorted.filter((r) => (r.return7d as number) > 0).slice(0, n),
    down: sorted.filter((r) => (r.return7d as number) < 0).reverse().slice(0, n),
  };
}

/** Parses "1.5B", "250m", "10k", "1e9" or a plain number of USD; null when unreadable. */
export function parseUsdAmount(text: string): number | null {
  const m = /^\s*\$?\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmbt]?)\s*$/i.exec(text);
  if (!m) return text.trim() === '' ? 0 : null;
  const mult = { '': 1, k: 1e3, m: 1e6, b: 1e9, t: 1e12 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'b' | 't'];
  return Number(m[1]) * mult;
}

/** The span of "stale since" days among stale rows: [earliest, latest], or null when none is stale. */
export function staleSpan(rows: readonly OverviewRow[]): { count: number; from: string; to: string } | null {
  const days = rows.map((r) => r.staleSince).filter((d): d is string => d !== null).sort();
  return days.length === 0 ? null : { count: days.length, from: days[0]!, to: days[days.length - 1]! };
}

/** Scores that belong in the current distribution: current assets with a current score. */
export function currentScores(rows: readonly OverviewRow[]): (number | null)[] {
  return rows.filter((r) => r.staleSince === null && !r.scoreStale).map((r) => r.score);
}
