/**
 * What other domains may use from the assets domain (the UI's read models, the models' features,
 * alerts): asset lookups and the rules that pick one row among several sources of the same fact.
 * The fact tables (crypto_assets, financial_metrics, onchain_metrics, github_metrics,
 * smart_contracts, competitor_analysis) are the shared read model: any domain may read them;
 * the importer and the collectors write them (audit writes smart_contracts' audit columns).
 */
import { AppError } from '../../../shared/errors';
import type { CryptoAssetsTable } from '../storage/db-types';
import type { SqliteStore } from '../storage/sqlite';

/** Live market sources win over the bundled snapshot when both have a day (an ORDER BY term on `source`). */
export const MARKET_SOURCE_RANK = `CASE source WHEN 'bundled' THEN 1 ELSE 0 END`;
/** Live on-chain/TVL sources win over Token Terminal and bundled snapshots (an ORDER BY term on `source`). */
export const ONCHAIN_SOURCE_RANK = `CASE source WHEN 'tokenterminal' THEN 1 WHEN 'bundled' THEN 1 ELSE 0 END`;

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
