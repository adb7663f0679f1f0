import type { Migration } from './types';

/**
 * Each asset's latest known market cap and volume (`latestMarketSql`) walk back from its last
 * priced day; a source that stopped reporting them leaves years of rows without them, and each
 * step of that walk was a table lookup. These partial indexes hold only rows that carry the
 * value, so the walk is one index seek per asset. SQLite only: the team database is not read
 * this way, and its pushes would pay for two more indexes.
 */
export const m0503MarketLatestKnown: Migration = {
  id: '0503_market_latest_known',
  statements: [],
  sqlite: [
    'CREATE INDEX financial_metrics_known_market_cap ON financial_metrics (asset_id, day) WHERE market_cap IS NOT NULL',
    'CREATE INDEX financial_metrics_known_volume ON financial_metrics (asset_id, day) WHERE volume_usd IS NOT NULL',
  ],
};
