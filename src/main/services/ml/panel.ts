/**
 * The raw panel: every asset's daily series on one calendar of days, as typed arrays with NaN
 * for "not known". Read straight from SQLite (the worker opens its own read-only connection).
 * Where a live source and the bundled snapshot both have a value for a day, the live one wins.
 *
 * DefiLlama's bundled protocol series are separate series, never spliced onto the Token Terminal
 * `tvl`: the two define TVL differently. Each comes with a key series naming what the day's
 * number covers (a hash of the DefiLlama scope), so a change is only ever taken between two
 * numbers that measure the same thing.
 */
import type Database from 'better-sqlite3';
import { addDays, dayDiff } from './math';

export const SERIES = [
  'close',
  'volume',
  'mcap',
  'supply',
  'tvl',
  'revenue',
  'transfers',
  'active',
  'top10',
  'commits',
  'authors',
  'prs',
  'issues',
  'stars',
  // DefiLlama protocol TVL and borrowed amount, with the hash of the scope each number covers.
  'dl_tvl',
  'dl_tvl_scope',
  'dl_borrowed',
  'dl_borrowed_scope',
] as const;
export type SeriesName = (typeof SERIES)[number];

export interface RawPanel {
  /** Every calendar day from the first to the last market day, oldest first. */
  days: string[];
  assets: string[];
  symbols: string[];
  /** series[name][assetIndex] is a Float64Array over `days`; NaN where nothing is known. */
  series: Record<SeriesName, Float64Array[]>;
  /**
   * Per asset, the day index of its first positive close ever: negative when it lies before
   * `days[0]`, NaN when there is none. Only set on a panel loaded from a lookback window, where
   * the first close in the window need not be the first ever.
   */
  firstClose?: Float64Array;
}

export function emptyPanel(days: string[], assets: string[], symbols: string[] = assets): RawPanel {
  const series = {} as Record<SeriesName, Float64Array[]>;
  for (const s of SERIES) series[s] = assets.map(() => new Float64Array(days.length).fill(NaN));
  return { days, assets, symbols, series };
}

export function dayRange(from: string, to: string): string[] {
  const n = dayDiff(from, to);
  const out: string[] = [];
  for (let i = 0; i <= n; i++) out.push(addDays(from, i));
  return out;
}

/** The live collector's source of DefiLlama protocol TVL in `onchain_metrics`. */
const LIVE_DEFILLAMA_SOURCE = 'defillama';

/** Live sources first in priority; anything not listed ranks after these. */
const LIVE_LAST = `CASE source WHEN 'bundled' THEN 0 WHEN 'tokenterminal' THEN 0 ELSE 1 END`;

/** FNV-1a of a string as an unsigned 32-bit integer: a key that is equal only for equal strings, in practice. */
export function keyOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : NaN;
}

/**
 * Loads the panel with data up to `until` (inclusive). Nothing after `until` is read, so a
 * model trained "as of" a day cannot see later values.
 */
export function loadPanel(db: Database.Database, opts: { until?: string | undefined; from?: string | undefined; minDays?: number } = {}): RawPanel {
  const until = opts.until ?? '9999-12-31';
  // Two walks along the day index (each stops at its first priced row) instead of a full scan.
  const edge = (dir: 'ASC' | 'DESC'): string | null => db.prepare<[string], string>(`SELECT day FROM financial_metrics WHERE day <= ? AND close IS NOT NULL ORDER BY day ${dir} LIMIT 1`).pluck().get(until) ?? null;
  const range = { lo: edge('ASC'), hi: edge('DESC') };
  if (!range.lo || !range.hi) return emptyPanel([], []);
  // A lookback window: only days from `from` on are read (the features of its last days need no more).
  const windowed = opts.from !== undefined && opts.from > range.lo;
  if (windowed) range.lo = opts.from as string;
  if (range.lo > range.hi) return emptyPanel([], []);
  const from = range.lo;
  const assetRows = db
    .prepare<[string], { asset_id: string; symbol: string }>(
      `SELECT a.asset_id, a.symbol FROM crypto_assets a
       WHERE EXISTS (SELECT 1 FROM financial_metrics f WHERE f.asset_id = a.asset_id AND f.close IS NOT NULL AND f.day <= ?)
       ORDER BY a.asset_id`,
    )
    .all(until);
  const days = dayRange(range.lo, range.hi);
  const panel = emptyPanel(
    days,
    assetRows.map((r) => r.asset_id),
    assetRows.map((r) => r.symbol),
  );
  const aIndex = new Map(panel.assets.map((a, i) => [a, i]));
  const dIndex = (day: string): number => dayDiff(from, day);
  const put = (name: SeriesName, a: number, d: number, v: unknown): void => {
    const x = num(v);
    if (!Number.isNaN(x) && d >= 0 && d < days.length) panel.series[name][a]![d] = x;
  };

  // Rows arrive bundled first, live last; a later non-null value overwrites an earlier one.
  const fin = db
    .prepare<[string, string], [string, string, unknown, unknown, unknown, unknown]>(`SELECT asset_id, day, close, volume_usd, market_cap, circulating_supply FROM financial_metrics WHERE day <= ? AND day >= ? ORDER BY ${LIVE_LAST}`)
    .raw()
    .iterate(until, from);
  for (const [id, day, close, vol, mcap, supply] of fin) {
    const a = aIndex.get(id);
    if (a === undefined) continue;
    const d = dIndex(day);
    // A non-positive price is a data error, not a price.
    if (num(close) > 0) put('close', a, d, close);
    put('volume', a, d, vol);
    if (num(mcap) > 0) put('mcap', a, d, mcap);
    if (num(supply) > 0) put('supply', a, d, supply);
  }

  // DefiLlama protocol series: a day may carry several scopes of one quantity (Aave V3 alone and
  // Aave over all versions); the broadest, i.e. the largest number, is the day's value.
  const llama = db
    .prepare<[string, string], [string, string, string, unknown, unknown]>('SELECT asset_id, day, scope, tvl, tvl_borrowed FROM defillama_protocol_daily WHERE day <= ? AND day >= ? ORDER BY asset_id, day, scope')
    .raw()
    .iterate(until, from);
  const putScoped = (name: 'dl_tvl' | 'dl_borrowed', a: number, d: number, v: unknown, scope: string): void => {
    const x = num(v);
    if (Number.isNaN(x) || x < 0 || d < 0 || d >= days.length) return;
    const prev = panel.series[name][a]![d]!;
    if (!Number.isNaN(prev) && (prev > x || (prev === x && panel.series[`${name}_scope`][a]![d]! <= keyOf(scope)))) return;
    panel.series[name][a]![d] = x;
    panel.series[`${name}_scope`][a]![d] = keyOf(scope);
  };
  for (const [id, day, scope, tvl, borrowed] of llama) {
    const a = aIndex.get(id);
    if (a === undefined) continue;
    const d = dIndex(day);
    putScoped('dl_tvl', a, d, tvl, scope);
    putScoped('dl_borrowed', a, d, borrowed, scope);
  }

  // A live DefiLlama TVL (the collector's `onchain_metrics` rows of source 'defillama': the
  // protocol's total over all its chains) is DefiLlama's, not Token Terminal's: it goes to the
  // DefiLlama series under its own scope, and beats a bundled DefiLlama number of the same day.
  const onchain = db
    .prepare<[string, string], [string, string, string, unknown, unknown, unknown, unknown, unknown]>(`SELECT asset_id, day, source, tvl, revenue, transfers, active_addresses, top10_share FROM onchain_metrics WHERE day <= ? AND day >= ? ORDER BY ${LIVE_LAST}`)
    .raw()
    .iterate(until, from);
  const liveLlama = keyOf(`${LIVE_DEFILLAMA_SOURCE}: protocol total`);
  for (const [id, day, source, tvl, revenue, transfers, active, top10] of onchain) {
    const a = aIndex.get(id);
    if (a === undefined) continue;
    const d = dIndex(day);
    if (source === LIVE_DEFILLAMA_SOURCE) {
      const x = num(tvl);
      if (x >= 0 && d >= 0 && d < days.length) {
        panel.series.dl_tvl[a]![d] = x;
        panel.series.dl_tvl_scope[a]![d] = liveLlama;
      }
    } else put('tvl', a, d, tvl);
    put('revenue', a, d, revenue);
    put('transfers', a, d, transfers);
    put('active', a, d, active);
    put('top10', a, d, top10);
  }

  // A week (Monday start) is known once its Sunday has closed: its values land on that Sunday,
  // so features of day t only ever sum weeks that ended on or before t.
  const dev = db
    .prepare<[string, string], [string, string, string, unknown, unknown, unknown, unknown, unknown]>(
      `SELECT asset_id, repo, week_start, commits, distinct_authors, prs_opened, issues_opened, stars FROM github_metrics
       WHERE week_start <= ? AND week_start >= ? ORDER BY ${LIVE_LAST}`,
    )
    .raw()
    .iterate(addDays(until, -6), addDays(from, -6));
  const rollup = new Map<string, { commits: number; authors: number }>();
  const perRepo = new Map<string, { commits: number; authors: number; prs: number; issues: number; stars: number }>();
  for (const [id, repo, week, commits, authors, prs, issues, stars] of dev) {
    if (!aIndex.has(id)) continue;
    const key = `${id}|${week}`;
    if (repo === '*') {
      rollup.set(key, { commits: num(commits), authors: num(authors) });
      continue;
    }
    const acc = perRepo.get(key) ?? { commits: NaN, authors: NaN, prs: NaN, issues: NaN, stars: NaN };
    const add = (prev: number, v: unknown): number => (Number.isNaN(num(v)) ? prev : (Number.isNaN(prev) ? 0 : prev) + num(v));
    acc.commits = add(acc.commits, commits);
    // Authors overlap across repos: the per-repo maximum is a lower bound that never double counts.
    acc.authors = Number.isNaN(num(authors)) ? acc.authors : Math.max(Number.isNaN(acc.authors) ? 0 : acc.authors, num(authors));
    acc.prs = add(acc.prs, prs);
    acc.issues = add(acc.issues, issues);
    acc.stars = add(acc.stars, stars);
    perRepo.set(key, acc);
  }
  const weekKeys = new Set([...rollup.keys(), ...perRepo.keys()]);
  for (const key of weekKeys) {
    const [id, week] = key.split('|') as [string, string];
    const a = aIndex.get(id) as number;
    const d = dIndex(addDays(week, 6));
    const r = rollup.get(key);
    const p = perRepo.get(key);
    // The de-duplicated roll-up beats a sum over repos for commits and authors.
    put('commits', a, d, r ? r.commits : p?.commits);
    put('authors', a, d, r ? r.authors : p?.authors);
    if (p) {
      put('prs', a, d, p.prs);
      put('issues', a, d, p.issues);
      put('stars', a, d, p.stars);
    }
  }
  if (windowed) {
    // Whether an asset has traded long enough depends on its first close ever, which may lie
    // before the window: one indexed look-up per asset.
    const first = db.prepare<[string, string], string>('SELECT day FROM financial_metrics WHERE asset_id = ? AND close > 0 AND day <= ? ORDER BY day LIMIT 1').pluck();
    panel.firstClose = Float64Array.from(panel.assets, (id) => {
      const day = first.get(id, until);
      return day === undefined ? Number.NaN : dIndex(day);
    });
  }
  return panel;
}

/**
 * A whole panel kept in memory between scoring calls, with what cutting a lookback window out of
 * it needs to give exactly the panel `loadPanel(db, { until, from })` reads.
 */
export interface WarmPanel {
  /** Every asset with a close, every day (`loadPanel(db)`). */
  panel: RawPanel;
  /** Days with any non-null close (of any asset), oldest first. */
  pricedDays: string[];
  /** Per asset of the panel: its first day with a non-null close, and with a positive one ('' if none). */
  firstAnyClose: string[];
  firstPositiveClose: string[];
}

export function loadWarmPanel(db: Database.Database): WarmPanel {
  const panel = loadPanel(db);
  const pricedDays = db.prepare<[], string>('SELECT DISTINCT day FROM financial_metrics WHERE close IS NOT NULL ORDER BY day').pluck().all();
  const firstOf = (where: string): string[] => {
    const m = new Map(db.prepare<[], [string, string]>(`SELECT asset_id, MIN(day) FROM financial_metrics WHERE ${where} GROUP BY asset_id`).raw().all());
    return panel.assets.map((id) => m.get(id) ?? '');
  };
  return { panel, pricedDays, firstAnyClose: firstOf('close IS NOT NULL'), firstPositiveClose: firstOf('close > 0') };
}

/** The last element of sorted `xs` that is <= x, or undefined. */
function lastAtOrBefore(xs: readonly string[], x: string): string | undefined {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? xs[lo - 1] : undefined;
}

/** What `loadPanel(db, { until, from })` reads, cut from a warm panel without reading the database. */
export function windowOf(w: WarmPanel, opts: { until: string; from?: string | undefined }): RawPanel {
  const full = w.panel;
  const first = w.pricedDays[0];
  const hi = lastAtOrBefore(w.pricedDays, opts.until);
  if (first === undefined || hi === undefined) return emptyPanel([], []);
  const windowed = opts.from !== undefined && opts.from > first;
  const lo = windowed ? (opts.from as string) : first;
  if (lo > hi) return emptyPanel([], []);
  const start = dayDiff(full.days[0]!, lo);
  const end = dayDiff(full.days[0]!, hi) + 1;
  const keep: number[] = [];
  full.assets.forEach((_, a) => {
    const day = w.firstAnyClose[a]!;
    if (day !== '' && day <= opts.until) keep.push(a);
  });
  const series = {} as Record<SeriesName, Float64Array[]>;
  for (const s of SERIES) series[s] = keep.map((a) => full.series[s][a]!.slice(start, end));
  const panel: RawPanel = { days: full.days.slice(start, end), assets: keep.map((a) => full.assets[a]!), symbols: keep.map((a) => full.symbols[a]!), series };
  if (windowed) {
    panel.firstClose = Float64Array.from(keep, (a) => {
      const day = w.firstPositiveClose[a]!;
      return day === '' || day > opts.until ? Number.NaN : dayDiff(lo, day);
    });
  }
  return panel;
}
