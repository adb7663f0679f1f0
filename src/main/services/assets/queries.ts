/** Read models of assets and their market history from the local store. */
import type { AssetSummary, PricePoint } from '../../../shared/contract/assets';
import type { DataFamily } from '../../../shared/schemas';
import { downsampleMinMax } from '../../../shared/downsample';
import { AppError } from '../../../shared/errors';
import { isStale } from '../../../shared/freshness';
import type { SqliteStore } from '../storage/sqlite';
import { dataEndOf as dataEnd, latestMarketFacts, latestMarketSql, MARKET_SOURCE_RANK as SOURCE_RANK, requireAsset, type LatestMarketRow } from './api';

interface AssetRow extends LatestMarketRow {
  asset_id: string;
  symbol: string;
  name: string;
  category: string | null;
  address: string | null;
  chain_id: number | null;
  coingecko_id: string | null;
  defillama_slug: string | null;
  github_org: string | null;
  ethereum_address: string | null;
  decimals: number | null;
  notes: string | null;
  last_day: string | null;
  close: number | null;
  close_30: number | null;
}

/**
 * Asset rows with their latest market day, and market cap and volume each as the latest known
 * value with its own day and source (`latestMarketSql`); `assetId` reads one asset's rows only
 * (no scan of every asset's history).
 */
function assetRows(store: SqliteStore, where: string, params: unknown[], assetId?: string): AssetRow[] {
  const one = assetId === undefined ? '' : 'AND asset_id = ?';
  const known = latestMarketSql('last');
  return store.db
    .prepare<unknown[], AssetRow>(
      `WITH last AS (
         SELECT asset_id, MAX(day) AS day FROM financial_metrics WHERE close IS NOT NULL ${one} GROUP BY asset_id
       ), ${known.ctes}
       SELECT a.asset_id, a.symbol, a.name, a.category, a.address, a.chain_id, a.coingecko_id, a.defillama_slug,
              a.github_org, a.ethereum_address, a.decimals, a.notes, l.day AS last_day,
              (SELECT close FROM financial_metrics f WHERE f.asset_id = a.asset_id AND f.day = l.day AND f.close IS NOT NULL ORDER BY ${SOURCE_RANK} LIMIT 1) AS close,
              ${known.columns},
              (SELECT close FROM financial_metrics f WHERE f.asset_id = a.asset_id AND f.close IS NOT NULL
                  AND f.day <= date(l.day, '-30 day') AND f.day >= date(l.day, '-37 day')
                ORDER BY f.day DESC, ${SOURCE_RANK} LIMIT 1) AS close_30
       FROM crypto_assets a LEFT JOIN last l ON l.asset_id = a.asset_id
       ${known.joins}
       ${where}
       ORDER BY a.symbol`,
    )
    .all(...(assetId === undefined ? params : [assetId, ...params]));
}

/** The data families each asset has; with `assetId`, that asset's only (each table read through its asset_id key). */
function familiesByAsset(store: SqliteStore, assetId?: string): Map<string, DataFamily[]> {
  const map = new Map<string, DataFamily[]>();
  const add = (id: string, f: DataFamily): void => {
    const list = map.get(id) ?? [];
    list.push(f);
    map.set(id, list);
  };
  // One asset: the first matching row answers (LIMIT 1), not every row of the table. Every asset:
  // a table whose key leads with asset_id is asked per registered asset, where the first matching
  // row answers too (a DISTINCT over the whole table read every row: ~25-90 ms of `defimon
  // assets` on the bundled set); other tables are read whole.
  const q = (table: string, where: string): string[] => {
    const sql =
      assetId !== undefined
        ? `SELECT asset_id FROM ${table} WHERE asset_id = ? AND (${where}) LIMIT 1`
        : store.table(table).key[0] === 'asset_id'
          ? `SELECT a.asset_id FROM crypto_assets a WHERE EXISTS (SELECT 1 FROM ${table} x WHERE x.asset_id = a.asset_id AND (${where}))`
          : `SELECT DISTINCT asset_id FROM ${table} WHERE ${where}`;
    return store.db
      .prepare<unknown[], { asset_id: string }>(sql)
      .all(...(assetId === undefined ? [] : [assetId]))
      .map((r) => r.asset_id);
  };
  for (const id of q('financial_metrics', 'close IS NOT NULL')) add(id, 'market');
  for (const id of q('onchain_metrics', 'transfers IS NOT NULL OR active_addresses IS NOT NULL')) add(id, 'onchain');
  for (const id of q('onchain_metrics', 'tvl IS NOT NULL OR revenue IS NOT NULL')) add(id, 'tvl');
  for (const id of q('github_metrics', 'TRUE')) add(id, 'development');
  for (const id of q('smart_contracts', 'asset_id IS NOT NULL')) add(id, 'contracts');
  return map;
}

function toSummary(r: AssetRow, families: Map<string, DataFamily[]>, dataEnd: string | null): AssetSummary {
  const stale = (day: string | null): boolean => isStale(day, dataEnd);
  const ret = r.close !== null && r.close_30 !== null && r.close_30 > 0 ? r.close / r.close_30 - 1 : null;
  return {
    assetId: r.asset_id,
    symbol: r.symbol,
    name: r.name,
    category: r.category,
    polygonAddress: r.chain_id === 137 ? r.address : null,
    lastDay: r.last_day,
    staleSince: stale(r.last_day) ? r.last_day : null,
    price: r.close,
    return30d: ret,
    ...latestMarketFacts(r, stale),
    families: families.get(r.asset_id) ?? [],
  };
}

export function listAssets(store: SqliteStore, opts: { includeUnpriced?: boolean; search?: string | undefined; category?: string | undefined } = {}): AssetSummary[] {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (!opts.includeUnpriced) clauses.push('l.day IS NOT NULL');
  if (opts.search) {
    clauses.push(`(a.symbol LIKE ? ESCAPE '\\' OR a.name LIKE ? ESCAPE '\\' OR a.address LIKE ? ESCAPE '\\')`);
    const like = `%${opts.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    params.push(like, like, like);
  }
  if (opts.category) {
    clauses.push('a.category = ? COLLATE NOCASE');
    params.push(opts.category);
  }
  const families = familiesByAsset(store);
  const end = dataEnd(store);
  return assetRows(store, clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params).map((r) => toSummary(r, families, end));
}

export function getAsset(store: SqliteStore, assetId: string) {
  const row = assetRows(store, 'WHERE a.asset_id = ?', [assetId], assetId)[0];
  if (!row) throw new AppError('NOT_FOUND', `no asset "${assetId}"`);
  return {
    ...toSummary(row, familiesByAsset(store, assetId), dataEnd(store)),
    coingeckoId: row.coingecko_id,
    defillamaSlug: row.defillama_slug,
    githubOrg: row.github_org,
    ethereumAddress: row.ethereum_address,
    decimals: row.decimals,
    notes: row.notes,
  };
}

export function priceHistory(store: SqliteStore, q: { assetId: string; from?: string | undefined; to?: string | undefined; maxPoints?: number | undefined }): PricePoint[] {
  requireAsset(store, q.assetId);
  // One row per day: the preferred source of that day.
  const rows = store.db
    .prepare<unknown[], PricePoint>(
      `SELECT day, close, volume_usd AS volume, market_cap AS marketCap FROM (
         SELECT day, close, volume_usd, market_cap, ROW_NUMBER() OVER (PARTITION BY day ORDER BY ${SOURCE_RANK}) AS rn
         FROM financial_metrics WHERE asset_id = ? AND day >= ? AND day <= ?
       ) WHERE rn = 1 ORDER BY day`,
    )
    .all(q.assetId, q.from ?? '0000-00-00', q.to ?? '9999-99-99');
  return q.maxPoints ? downsampleMinMax(rows, q.maxPoints, (p) => p.close) : rows;
}
