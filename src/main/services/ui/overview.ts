/** Read models of the overview: one row per asset joining prices, TVL, development, scores, audits. */
import type { ContractRow, ModelView, OverviewRow } from '../../../shared/contract/ui';
import { MARKET_SOURCE_RANK, ONCHAIN_SOURCE_RANK, PROTOCOL_MATCH, requireAsset } from '../assets/api';
import { headlineScores, latestPredictionPerVersion } from '../ml/api';
import type { SqliteStore } from '../storage/sqlite';

interface PriceRow {
  asset_id: string;
  symbol: string;
  name: string;
  category: string | null;
  chain_id: number | null;
  address: string | null;
  ethereum_address: string | null;
  last_day: string | null;
  close: number | null;
  market_cap: number | null;
  volume_usd: number | null;
  close_7: number | null;
  close_30: number | null;
}

/** The close on the latest day at or before `offset` days back, within a week's tolerance. */
const closeBack = (offset: number): string => `(SELECT close FROM financial_metrics f WHERE f.asset_id = a.asset_id AND f.close IS NOT NULL
   AND f.day <= date(l.day, '-${offset} day') AND f.day >= date(l.day, '-${offset + 7} day')
   ORDER BY f.day DESC, ${MARKET_SOURCE_RANK} LIMIT 1)`;

/**
 * Per asset, index lookups only: the latest priced day by walking the (asset_id, day, source)
 * key backwards, then that day's preferred source. A GROUP BY over the whole table is ~10x slower.
 */
function priceRows(store: SqliteStore, where: string, params: unknown[]): PriceRow[] {
  return store.db
    .prepare(
      `WITH l AS (
         SELECT a.asset_id, (SELECT f.day FROM financial_metrics f WHERE f.asset_id = a.asset_id AND f.close IS NOT NULL ORDER BY f.day DESC LIMIT 1) AS day
         FROM crypto_assets a
       ), pick AS (
         SELECT l.asset_id, l.day,
                (SELECT f.source FROM financial_metrics f WHERE f.asset_id = l.asset_id AND f.day = l.day AND f.close IS NOT NULL ORDER BY ${MARKET_SOURCE_RANK} LIMIT 1) AS source
         FROM l WHERE l.day IS NOT NULL
       )
       SELECT a.asset_id, a.symbol, a.name, a.category, a.chain_id, a.address, a.ethereum_address,
              l.day AS last_day, p.close, p.market_cap, p.volume_usd, ${closeBack(7)} AS close_7, ${closeBack(30)} AS close_30
       FROM crypto_assets a
       JOIN l ON l.asset_id = a.asset_id
       LEFT JOIN pick k ON k.asset_id = a.asset_id
       LEFT JOIN financial_metrics p ON p.asset_id = k.asset_id AND p.day = k.day AND p.source = k.source
       ${where}
       ORDER BY a.symbol`,
    )
    .all(...params) as PriceRow[];
}

interface Extra {
  tvl: Map<string, { tvl: number; day: string }>;
  dev: Map<string, { commits: number; week: string }>;
  scores: Map<string, { score: number | null; confidence: number | null; day: string }>;
  audits: Map<string, { score: number | null; contracts: number }>;
}

function latestTvl(store: SqliteStore): Extra['tvl'] {
  const rows = store.db
    .prepare(
      `SELECT x.asset_id, x.day,
              (SELECT o.tvl FROM onchain_metrics o WHERE o.asset_id = x.asset_id AND o.day = x.day AND o.tvl IS NOT NULL ORDER BY ${ONCHAIN_SOURCE_RANK} LIMIT 1) AS tvl
       FROM (
         SELECT a.asset_id, (SELECT o.day FROM onchain_metrics o WHERE o.asset_id = a.asset_id AND o.tvl IS NOT NULL ORDER BY o.day DESC LIMIT 1) AS day
         FROM crypto_assets a
       ) x WHERE x.day IS NOT NULL`,
    )
    .all() as { asset_id: string; day: string; tvl: number }[];
  return new Map(rows.map((r) => [r.asset_id, { tvl: r.tvl, day: r.day }]));
}

/**
 * Commits in the 12 weeks to each asset's latest week. The per-token roll-up (repo '*')
 * de-duplicates commits across repositories, so it is used when present; otherwise repos are summed.
 */
function recentCommits(store: SqliteStore): Extra['dev'] {
  const rows = store.db
    .prepare(
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
    .all() as { asset_id: string; week: string; commits: number | null }[];
  return new Map(rows.map((r) => [r.asset_id, { commits: r.commits ?? 0, week: r.week }]));
}

/** Contracts belong to an asset by `asset_id`, by being its token address, or by its protocol's name. */
function contractStats(store: SqliteStore): Extra['audits'] {
  const rows = store.db
    .prepare(
      `SELECT a.asset_id, COUNT(c.address) AS n, MIN(c.audit_score) AS score
       FROM crypto_assets a JOIN smart_contracts c
         ON c.asset_id = a.asset_id OR (a.address IS NOT NULL AND c.chain_id = a.chain_id AND c.address = a.address)
            OR (c.asset_id IS NULL AND ${PROTOCOL_MATCH})
       GROUP BY a.asset_id`,
    )
    .all() as { asset_id: string; n: number; score: number | null }[];
  return new Map(rows.map((r) => [r.asset_id, { score: r.score, contracts: r.n }]));
}

function toRow(r: PriceRow, x: Extra): OverviewRow {
  const ret = (back: number | null): number | null => (r.close !== null && back !== null && back > 0 ? r.close / back - 1 : null);
  const chains: string[] = [];
  if (r.chain_id === 137 && r.address) chains.push('polygon');
  if (r.ethereum_address) chains.push('ethereum');
  const tvl = x.tvl.get(r.asset_id);
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
    price: r.close,
    return7d: ret(r.close_7),
    return30d: ret(r.close_30),
    marketCap: r.market_cap,
    volume: r.volume_usd,
    tvl: tvl?.tvl ?? null,
    tvlDay: tvl?.day ?? null,
    commits12w: dev?.commits ?? null,
    devWeek: dev?.week ?? null,
    score: score?.score ?? null,
    confidence: score?.confidence ?? null,
    scoreDay: score?.day ?? null,
    auditScore: audit?.score ?? null,
    contracts: audit?.contracts ?? 0,
  };
}

function extras(store: SqliteStore): Extra {
  return { tvl: latestTvl(store), dev: recentCommits(store), scores: headlineScores(store), audits: contractStats(store) };
}

export function overview(store: SqliteStore, q: { includeUnpriced: boolean; limit: number; offset: number }): { rows: OverviewRow[]; total: number; asOf: string | null; scored: boolean } {
  const x = extras(store);
  const all = priceRows(store, q.includeUnpriced ? '' : 'WHERE l.day IS NOT NULL', []).map((r) => toRow(r, x));
  const asOf = all.reduce<string | null>((m, r) => (r.lastDay !== null && (m === null || r.lastDay > m) ? r.lastDay : m), null);
  return { rows: all.slice(q.offset, q.offset + q.limit), total: all.length, asOf, scored: x.scores.size > 0 };
}

export function overviewRowsFor(store: SqliteStore, assetIds: readonly string[]): Map<string, OverviewRow> {
  if (assetIds.length === 0) return new Map();
  const x = extras(store);
  const rows = priceRows(store, `WHERE a.asset_id IN (${assetIds.map(() => '?').join(',')})`, [...assetIds]);
  return new Map(rows.map((r) => [r.asset_id, toRow(r, x)]));
}

export function competitors(store: SqliteStore, assetId: string, limit: number): { similarity: number; method: string; row: OverviewRow }[] {
  requireAsset(store, assetId);
  const rows = store.db
    .prepare(
      `SELECT competitor_id, method, MAX(similarity) AS similarity FROM competitor_analysis
       WHERE asset_id = ? AND competitor_id <> ? GROUP BY competitor_id ORDER BY similarity DESC LIMIT ?`,
    )
    .all(assetId, assetId, limit) as { competitor_id: string; method: string; similarity: number }[];
  const metrics = overviewRowsFor(store, rows.map((r) => r.competitor_id));
  return rows.flatMap((r) => {
    const row = metrics.get(r.competitor_id);
    return row ? [{ similarity: r.similarity, method: r.method, row }] : [];
  });
}

/** The asset's token contract and the contracts of its protocol (matched by asset id). */
export function assetContracts(store: SqliteStore, assetId: string): ContractRow[] {
  const asset = requireAsset(store, assetId);
  const rows = store.db
    .prepare(
      `SELECT chain_id, address, protocol, c.name, role, verified, is_proxy, implementation, audit_score, audited_at
       FROM smart_contracts c, (SELECT ? AS name) a
       WHERE c.asset_id = ? OR (c.chain_id = ? AND c.address = ?) OR (c.asset_id IS NULL AND ${PROTOCOL_MATCH})
       ORDER BY protocol, c.name, address`,
    )
    .all(asset.name, assetId, asset.chain_id ?? -1, asset.address ?? '') as {
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
  }[];
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
  return latestPredictionPerVersion(store, assetId);
}
