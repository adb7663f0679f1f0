/**
 * As-of and staleness rules shared by the read models, the CLI and the renderer. A value is
 * stale when its as-of day is more than `staleAfterDays` before the dataset's end (the latest
 * market day of the store), so "current" aggregates never mix a 2022 TVL into a 2024 ranking.
 * Source ids stored with rows are turned into the names an analyst knows.
 */

/** @default 30 days: a month behind the dataset's end is no longer "current". */
export const DEFAULT_STALE_AFTER_DAYS = 30;

const DAY_MS = 86_400_000;

/** Whole days from `from` to `to` (both YYYY-MM-DD); positive when `to` is later. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** True when `asOf` lies more than `staleAfterDays` before `dataEnd`; an unknown day is not stale (it is missing). */
export function isStale(asOf: string | null | undefined, dataEnd: string | null | undefined, staleAfterDays = DEFAULT_STALE_AFTER_DAYS): boolean {
  if (!asOf || !dataEnd) return false;
  return daysBetween(asOf.slice(0, 10), dataEnd.slice(0, 10)) > staleAfterDays;
}

/** The last day of a Monday-start week: a week's count is known once its Sunday closes. */
export function weekEnd(weekStart: string): string {
  return new Date(Date.parse(`${weekStart}T00:00:00Z`) + 6 * DAY_MS).toISOString().slice(0, 10);
}

const SOURCE_NAMES: Record<string, string> = {
  tokenterminal: 'Token Terminal',
  defillama: 'DefiLlama',
  'defillama-bundled': 'DefiLlama (bundled)',
  'defillama-chain-bundled': 'DefiLlama chain TVL (bundled)',
  coingecko: 'CoinGecko',
  binance: 'Binance',
  'binance-daily': 'Binance',
  'binance-hourly': 'Binance',
  yahoo: 'Yahoo Finance',
  coinmarketcap: 'CoinMarketCap',
  github: 'GitHub',
  chain: 'Polygon chain',
  bundled: 'bundled dataset',
  // Close times the latest monthly circulating supply CoinMarketCap knew that day.
  'derived:close_x_cmc_monthly_circ_supply': 'close × CoinMarketCap circulating supply',
  model: 'DEFIMON models',
};

/**
 * Names that depend on what the rows hold: the bundle's weekly development counts were counted
 * from the projects' public git history (data README), not taken from a provider.
 */
const FAMILY_SOURCE_NAMES: Record<string, Record<string, string>> = {
  development: { bundled: 'public git history (bundled)' },
};

/**
 * A source id as an analyst reads it ("tokenterminal" → "Token Terminal"); unknown ids pass
 * through. `family` names what the rows hold where that decides the name.
 */
export function sourceName(source: string | null | undefined, family?: string): string | null {
  if (!source) return null;
  const byFamily = family === undefined ? undefined : FAMILY_SOURCE_NAMES[family]?.[source.toLowerCase()];
  if (byFamily) return byFamily;
  const exact = SOURCE_NAMES[source.toLowerCase()];
  if (exact) return exact;
  const head = source.toLowerCase().split(/[:_]/)[0] ?? '';
  return SOURCE_NAMES[head] ?? source;
}
