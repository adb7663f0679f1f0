import type { Migration } from './types';

/**
 * The bundled DefiLlama files and project metadata. DefiLlama and Token Terminal define TVL
 * differently (DefiLlama leaves outstanding loans out, for one), so their rows live in their own
 * tables with the source and the scope of every number, never spliced onto Token Terminal's
 * `onchain_metrics` rows. Project descriptions, DefiLlama categories and chain lists are static
 * metadata of the asset (written years after much of the history), never a feature of a past day.
 */
export const m0501AssetsDefillamaBundled: Migration = {
  id: '0501_assets_defillama_bundled',
  statements: [
    `CREATE TABLE defillama_protocol_daily (
      asset_id TEXT NOT NULL,
      day TEXT NOT NULL,
      scope TEXT NOT NULL,
      project TEXT,
      tvl DOUBLE PRECISION,
      tvl_polygon DOUBLE PRECISION,
      tvl_borrowed DOUBLE PRECISION,
      revenue DOUBLE PRECISION,
      fees DOUBLE PRECISION,
      source TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (asset_id, day, scope)
    )`,
    `CREATE INDEX defillama_protocol_daily_day ON defillama_protocol_daily (day)`,
    `CREATE TABLE defillama_chain_daily (
      chain TEXT NOT NULL,
      day TEXT NOT NULL,
      asset_id TEXT,
      tvl DOUBLE PRECISION,
      source TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (chain, day)
    )`,
    `CREATE INDEX defillama_chain_daily_asset ON defillama_chain_daily (asset_id, day)`,
    `ALTER TABLE crypto_assets ADD COLUMN chains TEXT`,
    `ALTER TABLE crypto_assets ADD COLUMN defillama_category TEXT`,
    `ALTER TABLE crypto_assets ADD COLUMN description_source TEXT`,
  ],
};
