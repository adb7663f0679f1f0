/**
 * Which domain owns each table. The owner alone queries and writes a private table; other domains
 * call its `api.ts`. The fact tables (the seed's market, on-chain, development and contract
 * tables) are the shared read model: any domain reads them, the listed producers write them.
 * test/foundation/domain-boundaries.test.ts checks the SQL of every domain against this map, and
 * that every table the ledger creates is listed here.
 */
export type TableOwner = 'assets' | 'audit' | 'collect' | 'importer' | 'ml' | 'settings' | 'sync' | 'system' | 'ui' | 'storage';

export interface TableOwnership {
  readonly owner: TableOwner;
  /** Domains other than the owner that write it (producers of shared facts). */
  readonly writers?: readonly TableOwner[];
  /** Every domain may read it. */
  readonly readByAll?: boolean;
}

const fact = (writers: readonly TableOwner[]): TableOwnership => ({ owner: 'assets', writers, readByAll: true });

export const TABLES: Readonly<Record<string, TableOwnership>> = {
  crypto_assets: fact(['importer', 'collect']),
  financial_metrics: fact(['importer', 'collect']),
  onchain_metrics: fact(['importer', 'collect']),
  github_metrics: fact(['importer', 'collect']),
  // Audits record their score on the contract row.
  smart_contracts: fact(['importer', 'collect', 'audit']),
  competitor_analysis: fact(['importer', 'collect']),
  // Bundled DefiLlama series, kept apart from Token Terminal's onchain_metrics (0501).
  defillama_protocol_daily: fact(['importer']),
  defillama_chain_daily: fact(['importer']),
  dataset_imports: { owner: 'importer' },
  collector_checkpoints: { owner: 'collect' },
  collector_status: { owner: 'collect' },
  token_balances: { owner: 'collect' },
  network_metrics: { owner: 'collect' },
  tracked_tokens: { owner: 'collect' },
  quality_flags: { owner: 'collect' },
  text_embeddings: { owner: 'collect' },
  ml_models: { owner: 'ml' },
  ml_predictions: { owner: 'ml' },
  ml_realised_ic: { owner: 'ml' },
  ml_settings: { owner: 'ml' },
  audit_reports: { owner: 'audit' },
  audit_findings: { owner: 'audit' },
  sync_outbox: { owner: 'sync' },
  sync_state: { owner: 'sync' },
  sync_rejects: { owner: 'sync' },
  sync_clients: { owner: 'sync' },
  sync_changes: { owner: 'sync' },
  watchlist_items: { owner: 'ui' },
  notes: { owner: 'ui' },
  alert_rules: { owner: 'ui' },
  schema_migrations: { owner: 'storage', readByAll: true },
};

/**
 * The sync domain replicates every table by name (outbox, push, pull), so it is the one domain
 * that may touch any table; it does so generically, never by a table's meaning.
 */
export const REPLICATES_EVERY_TABLE: TableOwner = 'sync';
