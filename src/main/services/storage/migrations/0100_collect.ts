import type { Migration } from './types';

/**
 * Collector state: checkpoints (per collector and scope, JSON state), last success/error per
 * source, the incrementally maintained token balance table behind holder counts, network
 * activity per day, user-tracked tokens, data-quality flags and cached text embeddings.
 * Also adds `volatility_30d` to financial_metrics. Balances are decimal strings: they exceed 2^63 for 18-decimal tokens.
 */
export const m0100Collect: Migration = {
  id: '0100_collect',
  statements: [
    `CREATE TABLE collector_checkpoints (
      collector TEXT NOT NULL,
      scope TEXT NOT NULL,
      state TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (collector, scope)
    )`,
    `CREATE TABLE collector_status (
      source TEXT NOT NULL PRIMARY KEY,
      last_success_at TEXT,
      last_error_at TEXT,
      last_error_code TEXT,
      last_error TEXT,
      last_items BIGINT,
      last_duration_ms BIGINT,
      updated_at TEXT NOT NULL
    )`,
    `CREATE TABLE token_balances (
      chain_id BIGINT NOT NULL,
      token TEXT NOT NULL,
      holder TEXT NOT NULL,
      balance TEXT NOT NULL,
      first_day TEXT NOT NULL,
      PRIMARY KEY (chain_id, token, holder)
    )`,
    `CREATE TABLE network_metrics (
      chain_id BIGINT NOT NULL,
      day TEXT NOT NULL,
      source TEXT NOT NULL,
      blocks BIGINT,
      transactions BIGINT,
      gas_used DOUBLE PRECISION,
      gas_limit DOUBLE PRECISION,
      utilisation DOUBLE PRECISION,
      median_gas_price_gwei DOUBLE PRECISION,
      median_base_fee_gwei DOUBLE PRECISION,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (chain_id, day, source)
    )`,
    `CREATE TABLE tracked_tokens (
      chain_id BIGINT NOT NULL,
      address TEXT NOT NULL,
      asset_id TEXT NOT NULL,
      symbol TEXT,
      decimals BIGINT,
      start_block BIGINT,
      added_at TEXT NOT NULL,
      PRIMARY KEY (chain_id, address)
    )`,
    `CREATE TABLE quality_flags (
      source TEXT NOT NULL,
      table_name TEXT NOT NULL,
      row_key TEXT NOT NULL,
      check_name TEXT NOT NULL,
      message TEXT NOT NULL,
      detected_at TEXT NOT NULL,
      PRIMARY KEY (source, table_name, row_key, check_name)
    )`,
    // Computed from collected closes by the market collector, never fetched.
    `ALTER TABLE financial_metrics ADD COLUMN volatility_30d DOUBLE PRECISION`,
    `CREATE TABLE text_embeddings (
      model TEXT NOT NULL,
      text_hash TEXT NOT NULL,
      vector TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (model, text_hash)
    )`,
  ],
};
