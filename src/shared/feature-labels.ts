/**
 * Plain-language labels of the model's feature names (the CLI's score table, explanations).
 * `rank_<name>` is the feature's rank among the day's assets; `has_<family>` says whether the
 * asset has that family of data. A name without a label reads as its words.
 */
import { formatCompact } from './number-format';

const LABELS: Record<string, string> = {
  ret_7: '7-day return',
  ret_14: '14-day return',
  ret_30: '30-day return',
  ret_90: '90-day return',
  vol_30: '30-day volatility',
  drawdown_90: 'drawdown from 90-day high',
  log_mcap: 'market cap',
  volume_to_mcap: 'volume / market cap',
  volume_trend: 'volume trend',
  supply_growth_90: '90-day supply growth',
  log_tvl: 'TVL',
  tvl_change_30: '30-day TVL change',
  log_revenue_30: '30-day revenue',
  revenue_to_mcap: 'revenue / market cap',
  mcap_to_tvl: 'market cap / TVL',
  log_transfers_7: '7-day transfers',
  log_active_7: '7-day active addresses',
  active_growth_30: '30-day active-address growth',
  top10_share: 'top-10 holders share',
  commits_4w: 'commits, 4 weeks',
  commits_12w: 'commits, 12 weeks',
  authors_4w: 'developers, 4 weeks',
  authors_12w: 'developers, 12 weeks',
  commit_trend: 'commit trend',
  prs_12w: 'pull requests, 12 weeks',
  issues_12w: 'issues, 12 weeks',
  stars_12w: 'new stars, 12 weeks',
  dl_tvl_change_30: '30-day TVL change (DefiLlama)',
  dl_borrowed_change_30: '30-day borrowed change (DefiLlama)',
};

export function featureLabel(name: string): string {
  if (name.startsWith('rank_')) return `${featureLabel(name.slice('rank_'.length))} (rank)`;
  if (name.startsWith('has_')) return `has ${name.slice('has_'.length)} data`;
  return LABELS[name] ?? name.replace(/_/g, ' ');
}

/*
 * The same features with units: the stored (often log-scaled) value turned back into the number
 * the label promises, for the asset page and `defimon asset` (`readFeature`).
 */
type Kind = 'logReturn' | 'fraction' | 'dailyVol' | 'logUsd' | 'log1pUsd' | 'log1pCount' | 'log1pPerWeek' | 'logMultiple' | 'logShareOfMcap' | 'logYield';

const BASE: Record<string, { label: string; kind: Kind }> = {
  ret_7: { label: '7-day return', kind: 'logReturn' },
  ret_14: { label: '14-day return', kind: 'logReturn' },
  ret_30: { label: '30-day return', kind: 'logReturn' },
  ret_90: { label: '90-day return', kind: 'logReturn' },
  vol_30: { label: '30-day volatility (daily)', kind: 'dailyVol' },
  drawdown_90: { label: 'Drawdown from the 90-day high', kind: 'fraction' },
  log_mcap: { label: 'Market cap', kind: 'logUsd' },
  volume_to_mcap: { label: '7-day average volume as a share of market cap', kind: 'logShareOfMcap' },
  volume_trend: { label: 'Volume trend (7-day vs 30-day average)', kind: 'logReturn' },
  supply_growth_90: { label: 'Circulating supply growth, 90 days', kind: 'logReturn' },
  log_tvl: { label: 'TVL', kind: 'log1pUsd' },
  tvl_change_30: { label: 'TVL change, 30 days', kind: 'logReturn' },
  log_revenue_30: { label: 'Revenue, last 30 days', kind: 'log1pUsd' },
  revenue_to_mcap: { label: 'Annualised revenue / market cap', kind: 'logYield' },
  mcap_to_tvl: { label: 'Market cap / TVL', kind: 'logMultiple' },
  log_transfers_7: { label: 'Token transfers per day (7-day average)', kind: 'log1pCount' },
  log_active_7: { label: 'Active addresses per day (7-day average)', kind: 'log1pCount' },
  active_growth_30: { label: 'Active addresses growth, 30 days', kind: 'logReturn' },
  top10_share: { label: 'Top-10 holders’ share of supply', kind: 'fraction' },
  commits_4w: { label: 'Commits, last 4 weeks', kind: 'log1pCount' },
  commits_12w: { label: 'Commits, last 12 weeks', kind: 'log1pCount' },
  authors_4w: { label: 'Developers per week (4-week average)', kind: 'log1pPerWeek' },
  authors_12w: { label: 'Developers per week (12-week average)', kind: 'log1pPerWeek' },
  commit_trend: { label: 'Commit trend (last 4 weeks vs 12-week pace)', kind: 'logReturn' },
  prs_12w: { label: 'Pull requests, last 12 weeks', kind: 'log1pCount' },
  issues_12w: { label: 'Issues opened, last 12 weeks', kind: 'log1pCount' },
  stars_12w: { label: 'New GitHub stars, last 12 weeks', kind: 'log1pCount' },
  dl_tvl_change_30: { label: 'TVL change, 30 days (DefiLlama)', kind: 'logReturn' },
  dl_borrowed_change_30: { label: 'Amount borrowed change, 30 days (DefiLlama)', kind: 'logReturn' },
};

const INDICATOR: Record<string, string> = {
  has_tvl: 'TVL / revenue data known',
  has_chain: 'On-chain activity known',
  has_development: 'Development activity known',
  has_defillama: 'DefiLlama TVL data known',
};

const pct = (f: number, digits = 1): string => `${f > 0 ? '+' : ''}${(f * 100).toFixed(digits)}%`;

function formatKind(kind: Kind, v: number): string {
  switch (kind) {
    case 'logReturn':
      return pct(Math.expm1(v));
    case 'fraction':
      return `${(v * 100).toFixed(1)}%`;
    case 'dailyVol':
      return `${(v * 100).toFixed(1)}% a day`;
    case 'logUsd':
      return `$${formatCompact(Math.exp(v))}`;
    case 'log1pUsd':
      return `$${formatCompact(Math.expm1(v))}`;
    case 'log1pCount':
      return formatCompact(Math.round(Math.expm1(v)));
    case 'log1pPerWeek':
      return `${Math.expm1(v).toFixed(1)} a week`;
    case 'logMultiple':
      return `${Math.exp(v).toFixed(2)}×`;
    case 'logShareOfMcap':
      return `${(Math.exp(v) * 100).toFixed(2)}% a day`;
    case 'logYield':
      return `${(Math.expm1(v) * 100).toFixed(1)}% a year`;
  }
}

/** Where a universe percentile (0 lowest .. 1 highest) puts the asset, in words. */
export function percentileWords(p: number): string {
  if (p >= 0.5) return `top ${Math.max(1, Math.round((1 - p) * 100))}% of the universe`;
  return `bottom ${Math.max(1, Math.round(p * 100))}% of the universe`;
}

export interface FeatureReading {
  /** The base feature the item speaks of ("ret_30" for both ret_30 and rank_ret_30). */
  base: string;
  label: string;
  /** The value in the label's unit, or the asset's standing for a rank feature. */
  text: string;
}

/** A feature key and its stored value as the analyst reads it; unknown keys keep their name. */
export function readFeature(feature: string, value: number | null): FeatureReading {
  if (feature in INDICATOR) return { base: feature, label: INDICATOR[feature]!, text: value === null ? 'unknown' : value > 0.5 ? 'yes' : 'no' };
  const isRank = feature.startsWith('rank_');
  const base = isRank ? feature.slice(5) : feature;
  const spec = BASE[base];
  const label = spec?.label ?? base.replace(/_/g, ' ');
  if (value === null || !Number.isFinite(value)) return { base, label: isRank ? `${label} (standing in the universe)` : label, text: 'not known' };
  if (isRank) return { base, label: `${label} (standing in the universe)`, text: percentileWords(value) };
  return { base, label, text: spec ? formatKind(spec.kind, value) : String(value) };
}

/** True when a string is a feature key this module can label (no raw key reaches the reader). */
export function isKnownFeature(feature: string): boolean {
  return feature in INDICATOR || (feature.startsWith('rank_') ? feature.slice(5) : feature) in BASE;
}
