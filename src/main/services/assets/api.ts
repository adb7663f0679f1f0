/**
 * What other domains may use from the assets domain (the UI's read models, the models' features,
 * alerts): asset lookups and the rules that pick one row among several sources of the same fact.
 * The fact tables (crypto_assets, financial_metrics, onchain_metrics, github_metrics,
 * smart_contracts, competitor_analysis) are the shared read model: any domain may read them;
 * the importer and the collectors write them (audit writes smart_contracts' audit columns).
 */
import type { LatestMarketFacts } from '../../../shared/contract/assets';
import { AppError } from '../../../shared/errors';
import type { CryptoAssetsTable } from '../storage/db-types';
import type { SqliteStore } from '../storage/sqlite';

/** Live market sources win over the bundled snapshot when both have a day (an ORDER BY term on `source`). */
export const MARKET_SOURCE_RANK = `CASE source WHEN 'bundled' THEN 1 ELSE 0 END`;
/** Live on-chain/TVL sources win over Token Terminal and bundled snapshots (an ORDER BY term on `source`). */
export const ONCHAIN_SOURCE_RANK = `CASE source WHEN 'tokenterminal' THEN 1 WHEN 'bundled' THEN 1 ELSE 0 END`;

/** The market facts read as the latest known value: a name for its CTEs, its value column, that value's own source column, and the day's column name. */
const LATEST_KNOWN = [
  { cte: 'mcap', value: 'market_cap', source: 'market_cap_source', day: 'market_cap_day' },
  { cte: 'vol', value: 'volume_usd', source: 'volume_source', day: 'volume_day' },
] as const;

/** The columns `latestMarketSql` selects. */
export interface LatestMarketRow {
  market_cap: number | null;
  market_cap_day: string | null;
  market_cap_source: string | null;
  volume_usd: number | null;
  volume_day: string | null;
  volume_source: string | null;
}

/**
 * SQL reading each asset's market cap and volume as the latest known value, each with its own
 * day and source: a source that stopped reporting them (prices go on from another) leaves an
 * older value, never a missing one. For a query over `crypto_assets a` with a CTE `last`
 * (asset_id, day: the asset's last priced day): `ctes` go after it in the WITH list, `joins`
 * after the FROM, `columns` in the SELECT list (a `LatestMarketRow`). Index lookups only: each
 * asset's (asset_id, day, source) key walked backwards from its last priced day.
 */
export function latestMarketSql(last: string): { ctes: string; columns: string; joins: string } {
  const ctes = LATEST_KNOWN.map(
    (k) => `${k.cte}_day AS (
         SELECT l.asset_id, (SELECT f.day FROM financial_metrics f WHERE f.asset_id = l.asset_id AND f.${k.value} IS NOT NULL AND f.day <= l.day ORDER BY f.day DESC LIMIT 1) AS day
         FROM ${last} l WHERE l.day IS NOT NULL
       ), ${k.cte}_pick AS (
         SELECT d.asset_id, d.day,
                (SELECT f.source FROM financial_metrics f WHERE f.asset_id = d.asset_id AND f.day = d.day AND f.${k.value} IS NOT NULL ORDER BY ${MARKET_SOURCE_RANK} LIMIT 1) AS source
         FROM ${k.cte}_day d WHERE d.day IS NOT NULL
       )`,
  ).join(', ');
  const columns = LATEST_KNOWN.map((k) => `${k.cte}.${k.value}, ${k.cte}_k.day AS ${k.day}, coalesce(${k.cte}.${k.source}, ${k.cte}.source) AS ${k.source}`).join(', ');
  const joins = LATEST_KNOWN.map(
    (k) => `LEFT JOIN ${k.cte}_pick ${k.cte}_k ON ${k.cte}_k.asset_id = a.asset_id
       LEFT JOIN financial_metrics ${k.cte} ON ${k.cte}.asset_id = ${k.cte}_k.asset_id AND ${k.cte}.day = ${k.cte}_k.day AND ${k.cte}.source = ${k.cte}_k.source`,
  ).join('\n       ');
  return { ctes, columns, joins };
}

/** A `LatestMarketRow` as the contract's facts, each marked stale by its own day. */
export function latestMarketFacts(r: LatestMarketRow, stale: (day: string | null) => boolean): LatestMarketFacts {
  return {
    marketCap: r.market_cap,
    marketCapDay: r.market_cap_day,
    marketCapSource: r.market_cap_source,
    marketCapStale: stale(r.market_cap_day),
    volume: r.volume_usd,
    volumeDay: r.volume_day,
    volumeSource: r.volume_source,
    volumeStale: stale(r.volume_day),
  };
}

const firstWord = (col: string): string => `lower(substr(${col}, 1, instr(${col} || ' ', ' ') - 1))`;
/**
 * Registry contracts carry a protocol name ('Aave v3', 'QuickSwap v2') rather than an asset id:
 * they belong to the asset whose name starts with the same word ('Aave', 'QuickSwap (QUICK new)').
 * A join condition between `smart_contracts c` and an asset `a` with a `name` column.
 */
export const PROTOCOL_MATCH = `c.protocol IS NOT NULL AND ${firstWord('c.protocol')} = ${firstWord('a.name')}`;

/** What other domains need to know of an asset to find its data and contracts. */
export type AssetRef = Pick<CryptoAssetsTable, 'chain_id' | 'address' | 'name'>;

export function findAsset(store: SqliteStore, assetId: string): AssetRef | null {
  return store.db.prepare<[string], AssetRef>('SELECT chain_id, address, name FROM crypto_assets WHERE asset_id = ?').get(assetId) ?? null;
}

/** As `findAsset`, or NOT_FOUND naming the asset. */
export function requireAsset(store: SqliteStore, assetId: string): AssetRef {
  const row = findAsset(store, assetId);
  if (!row) throw new AppError('NOT_FOUND', `no asset "${assetId}"`);
  return row;
}

/** Whether any asset is stored (an empty database has not been imported into yet). */
export function hasAssets(store: SqliteStore): boolean {
  return store.db.prepare<[], 1>('SELECT 1 FROM crypto_assets LIMIT 1').pluck().get() !== undefined;
}

/** The dataset's end: the latest day any asset has a price. Staleness is measured from it. */
export function dataEndOf(store: SqliteStore): string | null {
  return store.db.prepare<[], { d: string | null }>('SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL').get()?.d ?? null;
}
