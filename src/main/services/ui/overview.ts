/** Read models of the overview: one row per asset joining prices, TVL, development, scores, audits. */
import type { ContractRow, ModelView, OverviewRow } from '../../../shared/contract/ui';
import { dataEndOf, latestMarketFacts, latestMarketSql, MARKET_SOURCE_RANK, ONCHAIN_SOURCE_RANK, PROTOCOL_MATCH, requireAsset, type LatestMarketRow } from '../assets/api';
import { componentScore, headlineScores, latestPredictionPerVersion } from '../ml/api';
import { DEFAULT_STALE_AFTER_DAYS, isStale, weekEnd } from '../../../shared/freshness';
import type { CryptoAssetsTable } from '../storage/db-types';
import type { SqliteStore } from '../storage/sqlite';
import { dataVersionOf } from './read-cache';

type PriceRow = Pick<CryptoAssetsTable, 'asset_id' | 'symbol' | 'name' | 'category' | 'chain_id' | 'address' | 'ethereum_address'> &
  LatestMarketRow & {
    last_day: string | null;
    close: number | null;
    close_source: string | null;
    close_7: number | null;
    close_30: number | null;
  };

/** The close on the latest day at or before `offset` days back, within a week's tolerance. */
const closeBack = (offset: number): string => `(SELECT close FROM financial_metrics f WHERE f.asset_id = a.asset_id AND f.close IS NOT NULL
   AND f.day <= date(l.day, '-${offset} day') AND f.day >= date(l.day, '-${offset + 7} day')
   ORDER BY f.day DESC, ${MARKET_SOURCE_RANK} LIMIT 1)`;

/**
 * Per asset, index lookups only: the latest priced day by walking the (asset_id, day, source)
 * key backwards, then that day's preferred source. A GROUP BY over the whole table is ~10x slower.
 * Market cap and volume are each the latest known value with its own day and source (`latestMarketSql`).
 */
function priceRows(store: SqliteStore, where: string, params: string[]): PriceRow[] {
  const known = latestMarketSql('l');
  return store.db
    .prepare<string[], PriceRow>(
      `WITH l AS (
         SELECT a.asset_id, (SELECT f.day FROM financial_metrics f WHERE f.asset_id = a.asset_id AND f.close IS NOT NULL ORDER BY f.day DESC LIMIT 1) AS day
         FROM crypto_assets a
       ), pick AS (
         SELECT l.asset_id, l.day,
                (SELECT f.source FROM financial_metrics f WHERE f.asset_id = l.asset_id AND f.day = l.day AND f.close IS NOT NULL ORDER BY ${MARKET_SOURCE_RANK} LIMIT 1) AS source
         FROM l WHERE l.day IS NOT NULL
       ), ${known.ctes}
       SELECT a.asset_id, a.symbol, a.name, a.category, a.chain_id, a.address, a.ethereum_address,
              l.day AS last_day, p.close, coalesce(p.close_source, p.source) AS close_source,
              ${known.columns},
              ${closeBack(7)} AS close_7, ${closeBack(30)} AS close_30
       FROM crypto_assets a
       JOIN l ON l.asset_id = a.asset_id
       LEFT JOIN pick k ON k.asset_id = a.asset_id
       LEFT JOIN financial_metrics p ON p.asset_id = k.asset_id AND p.day = k.day AND p.source = k.source
       ${known.joins}
       ${where}
       ORDER BY a.symbol`,
    )
    .all(...params);
}

interface Extra {
  tvl: Map<string, { tvl: number; day: string; source: string; scope: string | null }>;
  revenue: Map<string, { revenue30d: number; day: string; source: string; kind: 'revenue' | 'fees' }>;
  dev: Map<string, { commits: number; week: string }>;
  scores: Map<string, { score: number | null; confidence: number | null; day: string }>;
  audits: Map<string, { score: number | null; contracts: number }>;
}

/** Sets each asset's value from `other` where it is of a later day than the one in `out`. */
function takeLater<V extends { day: string }>(out: Map<string, V>, other: Map<string, V>): Map<string, V> {
  for (const [id, v] of other) {
    const have = out.get(id);
    if (!have || v.day > have.day) out.set(id, v);
  }
  return out;
}

/**
 * Each asset's latest TVL with its day and source. Sources define TVL differently, so the
 * value is never combined across sources: it is the one source's number of the latest day.
 */
function latestTvl(store: SqliteStore): Extra['tvl'] {
  const rows = store.db
    .prepare<[], { asset_id: string; day: string; tvl: number; source: string }>(
      `SELECT x.asset_id, x.day, o.tvl, o.source
       FROM (
         SELECT a.asset_id, (SELECT o.day FROM onchain_metrics o WHERE o.asset_id = a.asset_id AND o.tvl IS NOT NULL ORDER BY o.day DESC LIMIT 1) AS day
         FROM crypto_assets a
       ) x JOIN onchain_metrics o ON o.asset_id = x.asset_id AND o.day = x.day AND o.tvl IS NOT NULL
       ORDER BY x.asset_id, ${ONCHAIN_SOURCE_RANK.replace(/source/g, 'o.source')}`,
    )
    .all();
  const out: Extra['tvl'] = new Map();
  for (const r of rows) if (!out.has(r.asset_id)) out.set(r.asset_id, { tvl: r.tvl, day: r.day, source: r.source, scope: null });
  return takeLater(out, defillamaTvl(store));
}

/**
 * Latest TVL of the bundled DefiLlama files: a protocol's own series (with its scope, e.g.
 * "aave-v3 only"), or the chain's TVL for a chain's token.
 */
function defillamaTvl(store: SqliteStore): Extra['tvl'] {
  const rows = store.db
    .prepare<[], { asset_id: string; day: string; tvl: number; source: string; scope: string }>(
      `SELECT asset_id, day, tvl, source, scope FROM (
         SELECT asset_id, day, tvl, source, scope, 0 AS pri, ROW_NUMBER() OVER (PARTITION BY asset_id ORDER BY day DESC, scope) AS rn
         FROM defillama_protocol_daily WHERE tvl IS NOT NULL
         UNION ALL
         SELECT asset_id, day, tvl, source, 'chain: ' || chain AS scope, 1 AS pri, ROW_NUMBER() OVER (PARTITION BY asset_id ORDER BY day DESC, chain) AS rn
         FROM defillama_chain_daily WHERE tvl IS NOT NULL AND asset_id IS NOT NULL
       ) WHERE rn = 1 ORDER BY asset_id, day DESC, pri`,
    )
    .all();
  const out: Extra['tvl'] = new Map();
  for (const r of rows) if (!out.has(r.asset_id)) out.set(r.asset_id, { tvl: r.tvl, day: r.day, source: r.source, scope: r.scope });
  return out;
}

/** 30-day revenue (or fees, where the file has no revenue) of the bundled DefiLlama series. */
function defillamaRevenue(store: SqliteStore): Extra['revenue'] {
  const rows = store.db
    .prepare<[], { asset_id: string; day: string; has_rev: number; source: string; total: number | null }>(
      `WITH last AS (
         SELECT asset_id, scope, MAX(day) AS day, MAX(revenue IS NOT NULL) AS has_rev FROM defillama_protocol_daily
         WHERE revenue IS NOT NULL OR fees IS NOT NULL GROUP BY asset_id, scope
       )
       SELECT l.asset_id, l.day, l.has_rev, (SELECT source FROM defillama_protocol_daily d WHERE d.asset_id = l.asset_id AND d.scope = l.scope AND d.day = l.day) AS source,
              (SELECT SUM(CASE WHEN l.has_rev THEN d.revenue ELSE d.fees END) FROM defillama_protocol_daily d
                WHERE d.asset_id = l.asset_id AND d.scope = l.scope AND d.day > date(l.day, '-30 day') AND d.day <= l.day) AS total
       FROM last l ORDER BY l.asset_id, l.day DESC`,
    )
    .all();
  const out: Extra['revenue'] = new Map();
  for (const r of rows) if (!out.has(r.asset_id) && r.total !== null) out.set(r.asset_id, { revenue30d: r.total, day: r.day, source: r.source, kind: r.has_rev ? 'revenue' : 'fees' });
  return out;
}

/** Revenue summed over the 30 days to each asset's latest revenue day, one source at a time. */
function latestRevenue(store: SqliteStore): Extra['revenue'] {
  const rows = store.db
    .prepare<[], { asset_id: string; source: string; day: string; revenue30d: number | null }>(
      `WITH last AS (SELECT asset_id, source, MAX(day) AS day FROM onchain_metrics WHERE revenue IS NOT NULL GROUP BY asset_id, source)
       SELECT l.asset_id, l.source, l.day,
              (SELECT SUM(o.revenue) FROM onchain_metrics o WHERE o.asset_id = l.asset_id AND o.source = l.source AND o.day > date(l.day, '-30 day') AND o.day <= l.day) AS revenue30d
       FROM last l ORDER BY l.asset_id, l.day DESC`,
    )
    .all();
  const out: Extra['revenue'] = new Map();
  for (const r of rows) if (!out.has(r.asset_id) && r.revenue30d !== null) out.set(r.asset_id, { revenue30d: r.revenue30d, day: r.day, source: r.source, kind: 'revenue' });
  return takeLater(out, defillamaRevenue(store));
}

/**
 * Commits in the 12 weeks to each asset's latest week. The per-token roll-up (repo '*')
 * de-duplicates commits across repositories, so it is used when present; otherwise repos are summed.
 */
function recentCommits(store: SqliteStore): Extra['dev'] {
  const rows = store.db
    .prepare<[], { asset_id: string; week: string; commits: number | null }>(
      `WITH pick AS (
         SELECT asset_id, MAX(CASE WHEN repo = '*' THEN 1 ELSE 0 END) AS rolled FROM github_metrics GROUP BY asset_id
       ), weekly AS (
         SELECT g.asset_id, g.week_start, SUM(g.commits) AS commits
         FROM github_metrics g JOIN pick p ON p.asset_id = g.asset_id
         WHERE (p.rolled = 1 AND g.repo = '*') OR (p.rolled = 0 AND g.repo <> '*')
         GROUP BY g.asset_id, g.week_start
       ), last AS (SELECT asset_id, MAX(week_start) AS week FROM weekly GROUP BY asset_id)
       SELECT w.asset_id, l.week, SUM(w.commits) AS commits
       FROM weekly w JOIN last l ON l.asset_id = w.asset_id
       WHERE w.week_start > date(l.week, '-84 day')
       GROUP BY w.asset_id, l.week`,
    )
    .all();
  return new Map(rows.map((r) => [r.asset_id, { commits: r.commits ?? 0, week: r.week }]));
}

/** Contracts belong to an asset by `asset_id`, by being its token address, or by its protocol's name. */
function contractStats(store: SqliteStore): Extra['audits'] {
  const rows = store.db
    .prepare<[], { asset_id: string; n: number; score: number | null }>(
      `SELECT a.asset_id, COUNT(c.address) AS n, MIN(c.audit_score) AS score
       FROM crypto_assets a JOIN smart_contracts c
         ON c.asset_id = a.asset_id OR (a.address IS NOT NULL AND c.chain_id = a.chain_id AND c.address = a.address)
            OR (c.asset_id IS NULL AND ${PROTOCOL_MATCH})
       GROUP BY a.asset_id`,
    )
    .all();
  return new Map(rows.map((r) => [r.asset_id, { score: r.score, contracts: r.n }]));
}

/** The staleness context of every row: the dataset's end and the threshold. */
export interface Freshness {
  dataEnd: string | null;
  staleAfterDays: number;
}


function toRow(r: PriceRow, x: Extra, fresh: Freshness): OverviewRow {
  const stale = (day: string | null | undefined): boolean => isStale(day, fresh.dataEnd, fresh.staleAfterDays);
  const ret = (back: number | null): number | null => (r.close !== null && back !== null && back > 0 ? r.close / back - 1 : null);
  const chains: string[] = [];
  if (r.chain_id === 137 && r.address) chains.push('polygon');
  if (r.ethereum_address) chains.push('ethereum');
  const tvl = x.tvl.get(r.asset_id);
  const revenue = x.revenue.get(r.asset_id);
  const dev = x.dev.get(r.asset_id);
  const score = x.scores.get(r.asset_id);
  const audit = x.audits.get(r.asset_id);
  return {
    assetId: r.asset_id,
    symbol: r.symbol,
    name: r.name,
    category: r.category,
    chains,
    lastDay: r.last_day,
    marketSource: r.close_source,
    staleSince: r.last_day !== null && stale(r.last_day) ? r.last_day : null,
    price: r.close,
    return7d: ret(r.close_7),
    return30d: ret(r.close_30),
    ...latestMarketFacts(r, stale),
    tvl: tvl?.tvl ?? null,
    tvlDay: tvl?.day ?? null,
    tvlSource: tvl?.source ?? null,
    tvlScope: tvl?.scope ?? null,
    tvlStale: stale(tvl?.day),
    revenue30d: revenue?.revenue30d ?? null,
    revenueDay: revenue?.day ?? null,
    revenueSource: revenue?.source ?? null,
    revenueKind: revenue?.kind ?? null,
    revenueStale: stale(revenue?.day),
    commits12w: dev?.commits ?? null,
    devWeek: dev?.week ?? null,
    devStale: dev ? stale(weekEnd(dev.week)) : false,
    score: score?.score ?? null,
    confidence: score?.confidence ?? null,
    scoreDay: score?.day ?? null,
    scoreStale: stale(score?.day),
    auditScore: audit?.score ?? null,
    contracts: audit?.contracts ?? 0,
  };
}

const extrasAt = new WeakMap<SqliteStore, { version: string; value: Extra }>();

/**
 * Every asset's latest TVL, revenue, commits, score and audits. Reading them scans every asset's
 * history, so they are kept per data version: the asset page's own row and its peers' rows reuse
 * them instead of scanning again for each.
 */
function extras(store: SqliteStore): Extra {
  const version = dataVersionOf(store);
  const kept = extrasAt.get(store);
  if (kept?.version === version) return kept.value;
  const value = { tvl: latestTvl(store), revenue: latestRevenue(store), dev: recentCommits(store), scores: headlineScores(store), audits: contractStats(store) };
  // Kept only if nothing was written meanwhile.
  if (dataVersionOf(store) === version) extrasAt.set(store, { version, value });
  return value;
}

export function overview(
  store: SqliteStore,
  q: { includeUnpriced: boolean; limit: number; offset: number; staleAfterDays?: number },
): { rows: OverviewRow[]; total: number; asOf: string | null; staleAfterDays: number; staleAssets: number; scored: boolean } {
  const x = extras(store);
  const fresh: Freshness = { dataEnd: dataEndOf(store), staleAfterDays: q.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS };
  const all = priceRows(store, q.includeUnpriced ? '' : 'WHERE l.day IS NOT NULL', []).map((r) => toRow(r, x, fresh));
  return {
    rows: all.slice(q.offset, q.offset + q.limit),
    total: all.length,
    asOf: fresh.dataEnd,
    staleAfterDays: fresh.staleAfterDays,
    staleAssets: all.filter((r) => r.staleSince !== null).length,
    scored: x.scores.size > 0,
  };
}

export function overviewRowsFor(store: SqliteStore, assetIds: readonly string[], staleAfterDays = DEFAULT_STALE_AFTER_DAYS): Map<string, OverviewRow> {
  if (assetIds.length === 0) return new Map();
  const x = extras(store);
  const fresh: Freshness = { dataEnd: dataEndOf(store), staleAfterDays };
  const rows = priceRows(store, `WHERE a.asset_id IN (${assetIds.map(() => '?').join(',')})`, [...assetIds]);
  return new Map(rows.map((r) => [r.asset_id, toRow(r, x, fresh)]));
}

/** The asset's token contract and the contracts of its protocol (matched by asset id). */
export function assetContracts(store: SqliteStore, assetId: string): ContractRow[] {
  const asset = requireAsset(store, assetId);
  const rows = store.db
    .prepare<[string, string, number, string], {
    chain_id: number;
    address: string;
    protocol: string | null;
    name: string | null;
    role: string | null;
    verified: number | null;
    is_proxy: number | null;
    implementation: string | null;
    audit_score: number | null;
    audited_at: string | null;
  }>(
      `SELECT chain_id, address, protocol, c.name, role, verified, is_proxy, implementation, audit_score, audited_at
       FROM smart_contracts c, (SELECT ? AS name) a
       WHERE c.asset_id = ? OR (c.chain_id = ? AND c.address = ?) OR (c.asset_id IS NULL AND ${PROTOCOL_MATCH})
       ORDER BY protocol, c.name, address`,
    )
    .all(asset.name, assetId, asset.chain_id ?? -1, asset.address ?? '');
  const bool = (v: number | null): boolean | null => (v === null ? null : v !== 0);
  return rows.map((r) => ({
    chainId: Number(r.chain_id),
    address: r.address,
    protocol: r.protocol,
    name: r.name,
    role: r.role,
    verified: bool(r.verified),
    isProxy: bool(r.is_proxy),
    implementation: r.implementation,
    auditScore: r.audit_score,
    auditedAt: r.audited_at,
  }));
}

/** Each model version's latest prediction for the asset. */
export function modelViews(store: SqliteStore, assetId: string): ModelView[] {
  requireAsset(store, assetId);
  // Each component model (ridge, forest, boosting, network) gets its own score: its prediction's percentile that day.
  return latestPredictionPerVersion(store, assetId).map((m) => (m.score === null ? { ...m, score: componentScore(store, m.modelVersion, m.day, m.prediction) } : m));
}
