/**
 * Features per (asset, day) from the raw panel, using only values known on that day, plus the
 * forward-return target. Every window looks backwards from t; the only forward look is the
 * target, which is never a feature. A family an asset lacks stays NaN (with an indicator), never
 * zero: the models handle missing values explicitly.
 *
 * The DefiLlama family is kept apart from the Token Terminal `tvl` family (the two define TVL
 * differently). Its changes compare two numbers of the same scope only, and a number older than `DEFILLAMA_STALE_DAYS` is not known: a series that ended (the
 * bundled one ends in 2023-07) turns missing a week later instead of being carried forward.
 */
import { median, percentileRanks } from './math';
import type { RawPanel } from './panel';

export const FEATURE_FAMILIES = {
  market: ['ret_7', 'ret_14', 'ret_30', 'ret_90', 'vol_30', 'drawdown_90', 'log_mcap', 'volume_to_mcap', 'volume_trend', 'supply_growth_90'],
  tvl: ['log_tvl', 'tvl_change_30', 'log_revenue_30', 'revenue_to_mcap', 'mcap_to_tvl'],
  chain: ['log_transfers_7', 'log_active_7', 'active_growth_30', 'top10_share'],
  development: ['commits_4w', 'commits_12w', 'authors_4w', 'authors_12w', 'commit_trend', 'prs_12w', 'issues_12w', 'stars_12w'],
  defillama: ['dl_tvl_change_30', 'dl_borrowed_change_30'],
} as const;
export type FeatureFamily = keyof typeof FEATURE_FAMILIES;

export const BASE_FEATURES: string[] = Object.values(FEATURE_FAMILIES).flat();
/** One indicator per family that an asset may lack (every asset has market data). */
const INDICATOR_FAMILIES = (Object.keys(FEATURE_FAMILIES) as FeatureFamily[]).filter((f) => f !== 'market');
export const INDICATORS = INDICATOR_FAMILIES.map((f) => `has_${f}`);
const FEATURE_INDEX = new Map(BASE_FEATURES.map((name, j) => [name, j]));
export const MOMENTUM_FEATURE = 'ret_30';

export interface FeatureSet {
  /** Feature names, in column order: base features, their cross-sectional ranks, indicators. */
  names: string[];
  nRows: number;
  nFeat: number;
  /** Row-major nRows x nFeat; NaN = missing. */
  X: Float32Array;
  rowAsset: Int32Array;
  /** Index into `days`. Rows are sorted by day, then asset. */
  rowDay: Int32Array;
  /** Forward log return over the horizon minus that day's cross-sectional median; NaN if unknown. */
  target: Float64Array;
  /** Share of base features present for the row (0-1). */
  completeness: Float32Array;
  days: string[];
  assets: string[];
  symbols: string[];
  horizon: number;
}

/** Prefix sums of values and counts over non-NaN entries, for O(1) window sums. */
function prefix(xs: Float64Array): { s: Float64Array; c: Float64Array } {
  const s = new Float64Array(xs.length + 1);
  const c = new Float64Array(xs.length + 1);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    const ok = !Number.isNaN(v);
    s[i + 1] = s[i]! + (ok ? v : 0);
    c[i + 1] = c[i]! + (ok ? 1 : 0);
  }
  return { s, c };
}

/** Sum and count of the window (t-w, t]. */
function windowAt(p: { s: Float64Array; c: Float64Array }, t: number, w: number): [number, number] {
  const lo = Math.max(0, t + 1 - w);
  return [p.s[t + 1]! - p.s[lo]!, p.c[t + 1]! - p.c[lo]!];
}

/** The last value within `tol` days at or before t (NaN otherwise). */
function lastKnown(xs: Float64Array, t: number, tol: number): number {
  if (t < 0) return NaN;
  for (let k = t; k >= Math.max(0, t - tol); k--) if (!Number.isNaN(xs[k]!)) return xs[k]!;
  return NaN;
}

const logRatio = (a: number, b: number): number => (a > 0 && b > 0 ? Math.log(a / b) : NaN);

/**
 * How old a DefiLlama number may be and still count as known on a day. The bundled series are
 * daily with gaps of at most a week; a series that stopped is missing once this has passed.
 */
export const DEFILLAMA_STALE_DAYS = 7;

/** Index of the last value within `tol` days at or before t, or -1. */
function lastKnownIndex(xs: Float64Array, t: number, tol: number): number {
  for (let k = Math.min(t, xs.length - 1); k >= Math.max(0, t - tol); k--) if (!Number.isNaN(xs[k]!)) return k;
  return -1;
}

/**
 * Log change over `w` days of a series whose every value carries the key of what it measures:
 * both ends known within `tol` days and measuring the same thing, else NaN (never a splice).
 */
function keyedChange(xs: Float64Array, key: Float64Array, t: number, w: number, tol: number): number {
  const now = lastKnownIndex(xs, t, tol);
  const before = lastKnownIndex(xs, t - w, tol);
  if (now < 0 || before < 0 || key[now] !== key[before]) return NaN;
  return logRatio(xs[now]!, xs[before]!);
}

/**
 * How many days before t the features of day t read: the longest is supply_growth_90 (the
 * supply 90 days back, known within 35 days before that). A panel from t - LOOKBACK to t gives
 * day t the same features as the whole history (a test checks this against full panels).
 */
export const FEATURE_LOOKBACK_DAYS = 90 + 35;

export interface FeatureOptions {
  horizon: number;
  minHistoryDays?: number;
  /** Only rows of these day indexes (inclusive), e.g. the one day being scored. @default every day */
  days?: { from: number; to: number };
}

export function computeFeatures(panel: RawPanel, opts: FeatureOptions): FeatureSet {
  const { days, assets } = panel;
  const nDays = days.length;
  const h = opts.horizon;
  const minHistory = opts.minHistoryDays ?? 30;
  const nBase = BASE_FEATURES.length;
  const names = [...BASE_FEATURES, ...BASE_FEATURES.map((f) => `rank_${f}`), ...INDICATORS];
  const nFeat = names.length;
  const S = panel.series;

  // Per asset, per day base features; then rows are gathered day by day.
  const base: Float32Array[][] = assets.map(() => BASE_FEATURES.map(() => new Float32Array(nDays).fill(NaN)));
  const fwd: Float64Array[] = assets.map(() => new Float64Array(nDays).fill(NaN));
  const eligible: Uint8Array[] = assets.map(() => new Uint8Array(nDays));
  const tFrom = Math.max(0, opts.days?.from ?? 0);
  const tTo = Math.min(nDays - 1, opts.days?.to ?? nDays - 1);

  for (let a = 0; a < assets.length; a++) {
    const close = S.close[a]!;
    const logRet = new Float64Array(nDays).fill(NaN);
    for (let t = 1; t < nDays; t++) logRet[t] = logRatio(close[t]!, close[t - 1]!);
    const pRet = prefix(logRet);
    const pRet2 = prefix(logRet.map((v) => v * v));
    const pVol = prefix(S.volume[a]!);
    const pRev = prefix(S.revenue[a]!);
    const pTransfers = prefix(S.transfers[a]!);
    const pActive = prefix(S.active[a]!);
    const pCommits = prefix(S.commits[a]!);
    const pAuthors = prefix(S.authors[a]!);
    const pPrs = prefix(S.prs[a]!);
    const pIssues = prefix(S.issues[a]!);
    const pStars = prefix(S.stars[a]!);
    const f = base[a]!;
    const set = (name: string, t: number, v: number): void => {
      f[FEATURE_INDEX.get(name)!]![t] = Number.isFinite(v) ? v : NaN;
    };
    const mean = (p: { s: Float64Array; c: Float64Array }, t: number, w: number, minN: number): number => {
      const [s, c] = windowAt(p, t, w);
      return c >= minN ? s / c : NaN;
    };
    const sum = (p: { s: Float64Array; c: Float64Array }, t: number, w: number): number => {
      const [s, c] = windowAt(p, t, w);
      return c > 0 ? s : NaN;
    };
    // The first close ever: known from the panel itself unless it was loaded from a window.
    let firstClose = Number.NaN;
    const known = panel.firstClose?.[a];
    if (known !== undefined) firstClose = known;
    else
      for (let t = 0; t < nDays; t++)
        if (!Number.isNaN(close[t]!)) {
          firstClose = t;
          break;
        }
    for (let t = tFrom; t <= tTo; t++) {
      const c = close[t]!;
      if (Number.isNaN(c) || Number.isNaN(firstClose) || t - firstClose < minHistory) continue;
      eligible[a]![t] = 1;
      for (const k of [7, 14, 30, 90]) set(`ret_${k}`, t, logRatio(c, lastKnown(close, t - k, 3)));
      const [rs, rn] = windowAt(pRet, t, 30);
      const [rs2] = windowAt(pRet2, t, 30);
      if (rn >= 20) set('vol_30', t, Math.sqrt(Math.max(0, (rs2 - (rs * rs) / rn) / (rn - 1))));
      let hi = 0;
      for (let k = Math.max(0, t - 89); k <= t; k++) if (close[k]! > hi) hi = close[k]!;
      set('drawdown_90', t, c / hi - 1);
      const mcap = lastKnown(S.mcap[a]!, t, 3);
      set('log_mcap', t, mcap > 0 ? Math.log(mcap) : NaN);
      const vol7 = mean(pVol, t, 7, 4);
      const vol30 = mean(pVol, t, 30, 15);
      set('volume_to_mcap', t, logRatio(vol7, mcap));
      set('volume_trend', t, logRatio(vol7, vol30));
      set('supply_growth_90', t, logRatio(lastKnown(S.supply[a]!, t, 35), lastKnown(S.supply[a]!, t - 90, 35)));

      const tvl = lastKnown(S.tvl[a]!, t, 3);
      set('log_tvl', t, tvl >= 0 ? Math.log1p(tvl) : NaN);
      set('tvl_change_30', t, logRatio(tvl, lastKnown(S.tvl[a]!, t - 30, 3)));
      const rev30 = mean(pRev, t, 30, 20);
      set('log_revenue_30', t, rev30 >= 0 ? Math.log1p(rev30 * 30) : NaN);
      set('revenue_to_mcap', t, rev30 >= 0 && mcap > 0 ? Math.log1p(rev30 * 365) - Math.log(mcap) : NaN);
      set('mcap_to_tvl', t, logRatio(mcap, tvl));

      const tr7 = mean(pTransfers, t, 7, 4);
      const ac7 = mean(pActive, t, 7, 4);
      set('log_transfers_7', t, tr7 >= 0 ? Math.log1p(tr7) : NaN);
      set('log_active_7', t, ac7 >= 0 ? Math.log1p(ac7) : NaN);
      const ac7Before = mean(pActive, t - 30, 7, 4);
      set('active_growth_30', t, ac7 >= 0 && ac7Before >= 0 ? Math.log1p(ac7) - Math.log1p(ac7Before) : NaN);
      set('top10_share', t, lastKnown(S.top10[a]!, t, 7));

      const stale = DEFILLAMA_STALE_DAYS;
      set('dl_tvl_change_30', t, keyedChange(S.dl_tvl[a]!, S.dl_tvl_scope[a]!, t, 30, stale));
      set('dl_borrowed_change_30', t, keyedChange(S.dl_borrowed[a]!, S.dl_borrowed_scope[a]!, t, 30, stale));

      const c4 = sum(pCommits, t, 28);
      const c12 = sum(pCommits, t, 84);
      set('commits_4w', t, Math.log1p(c4));
      set('commits_12w', t, Math.log1p(c12));
      set('authors_4w', t, Math.log1p(mean(pAuthors, t, 28, 1)));
      set('authors_12w', t, Math.log1p(mean(pAuthors, t, 84, 1)));
      set('commit_trend', t, Math.log1p(c4) - Math.log1p(c12 / 3));
      set('prs_12w', t, Math.log1p(sum(pPrs, t, 84)));
      set('issues_12w', t, Math.log1p(sum(pIssues, t, 84)));
      set('stars_12w', t, Math.log1p(sum(pStars, t, 84)));

      // Target: the asset must still trade at the horizon's end (a close within 3 days before it).
      if (t + h < nDays) {
        const end = lastKnown(close, t + h, 3);
        fwd[a]![t] = logRatio(end, c);
      }
    }
  }

  // Gather rows, day-major.
  let nRows = 0;
  for (let a = 0; a < assets.length; a++) for (let t = 0; t < nDays; t++) nRows += eligible[a]![t]!;
  const X = new Float32Array(nRows * nFeat).fill(NaN);
  const rowAsset = new Int32Array(nRows);
  const rowDay = new Int32Array(nRows);
  const target = new Float64Array(nRows).fill(NaN);
  const completeness = new Float32Array(nRows);
  const famIdx = (fam: FeatureFamily): number[] => (FEATURE_FAMILIES[fam] as readonly string[]).map((n) => BASE_FEATURES.indexOf(n));
  const indicatorCols = INDICATOR_FAMILIES.map(famIdx);
  let r = 0;
  for (let t = 0; t < nDays; t++) {
    const start = r;
    const dayFwd: number[] = [];
    for (let a = 0; a < assets.length; a++) {
      if (!eligible[a]![t]) continue;
      rowAsset[r] = a;
      rowDay[r] = t;
      const off = r * nFeat;
      let present = 0;
      for (let j = 0; j < nBase; j++) {
        const v = base[a]![j]![t]!;
        X[off + j] = v;
        if (!Number.isNaN(v)) present++;
      }
      completeness[r] = present / nBase;
      const any = (cols: number[]): number => (cols.some((j) => !Number.isNaN(X[off + j]!)) ? 1 : 0);
      indicatorCols.forEach((cols, k) => (X[off + 2 * nBase + k] = any(cols)));
      const y = fwd[a]![t]!;
      target[r] = y;
      if (Number.isFinite(y)) dayFwd.push(y);
      r++;
    }
    // Cross-sectional ranks and the relative target, within the day.
    const n = r - start;
    if (n === 0) continue;
    const col = new Float64Array(n);
    for (let j = 0; j < nBase; j++) {
      for (let i = 0; i < n; i++) col[i] = X[(start + i) * nFeat + j]!;
      const pr = percentileRanks(col);
      for (let i = 0; i < n; i++) X[(start + i) * nFeat + nBase + j] = pr[i]!;
    }
    const med = median(dayFwd);
    for (let i = start; i < r; i++) target[i] = target[i]! - med;
  }
  return { names, nRows, nFeat, X, rowAsset, rowDay, target, completeness, days, assets, symbols: panel.symbols, horizon: h };
}

/** Row offsets per day: rows of day-index d are [dayStart[d], dayStart[d+1]). */
export function rowsByDay(fs: FeatureSet): Int32Array {
  const out = new Int32Array(fs.days.length + 1);
  for (let i = 0; i < fs.nRows; i++) {
    const k = fs.rowDay[i]! + 1;
    out[k] = out[k]! + 1;
  }
  for (let d = 0; d < fs.days.length; d++) out[d + 1] = out[d + 1]! + out[d]!;
  return out;
}
