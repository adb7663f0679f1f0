/**
 * Row types of every table, generated from the migrated schema by `npx tsx scripts/schema-snapshot.ts`
 * (do not edit by hand). Type statements with them: `db.prepare<Params, Pick<XTable, ...>>(sql)`.
 */

export interface AlertRulesTable {
  rule_id: string;
  asset_id: string;
  kind: string;
  threshold: number | null;
  enabled: number;
  created_at: string;
  updated_at: string;
  hlc: string;
  deleted: number;
}

export interface AuditFindingsTable {
  chain_id: number;
  address: string;
  finding_key: string;
  detector: string;
  swc: string | null;
  category: string;
  severity: string;
  confidence: string;
  file: string | null;
  line: number | null;
  end_line: number | null;
  contract_name: string | null;
  function_name: string | null;
  title: string;
  description: string | null;
  recommendation: string | null;
  source_hash: string;
  detector_version: string;
  audited_at: string;
}

export interface AuditReportsTable {
  chain_id: number;
  address: string;
  source_hash: string;
  detector_version: string;
  score: number;
  report: string;
  audited_at: string;
}

export interface CollectorCheckpointsTable {
  collector: string;
  scope: string;
  state: string;
  updated_at: string;
}

export interface CollectorStatusTable {
  source: string;
  last_success_at: string | null;
  last_error_at: string | null;
  last_error_code: string | null;
  last_error: string | null;
  last_items: number | null;
  last_duration_ms: number | null;
  updated_at: string;
}

export interface CompetitorAnalysisTable {
  asset_id: string;
  competitor_id: string;
  method: string;
  similarity: number;
  computed_at: string;
}

export interface CryptoAssetsTable {
  asset_id: string;
  symbol: string;
  name: string;
  category: string | null;
  chain_id: number | null;
  address: string | null;
  ethereum_address: string | null;
  decimals: number | null;
  coingecko_id: string | null;
  defillama_slug: string | null;
  github_org: string | null;
  description: string | null;
  source: string;
  notes: string | null;
  updated_at: string;
  chains: string | null;
  defillama_category: string | null;
  description_source: string | null;
}

export interface DatasetImportsTable {
  source: string;
  fingerprint: string;
  summary: string;
  imported_at: string;
}

export interface DefillamaChainDailyTable {
  chain: string;
  day: string;
  asset_id: string | null;
  tvl: number | null;
  source: string;
  updated_at: string;
}

export interface DefillamaProtocolDailyTable {
  asset_id: string;
  day: string;
  scope: string;
  project: string | null;
  tvl: number | null;
  tvl_polygon: number | null;
  tvl_borrowed: number | null;
  revenue: number | null;
  fees: number | null;
  source: string;
  updated_at: string;
}

export interface FinancialMetricsTable {
  asset_id: string;
  day: string;
  source: string;
  close: number | null;
  close_source: string | null;
  volume_usd: number | null;
  volume_source: string | null;
  volume_usdt_binance: number | null;
  market_cap: number | null;
  market_cap_source: string | null;
  circulating_supply: number | null;
  updated_at: string;
  volatility_30d: number | null;
}

export interface GithubMetricsTable {
  asset_id: string;
  repo: string;
  week_start: string;
  source: string;
  commits: number | null;
  commits_first_parent: number | null;
  distinct_authors: number | null;
  prs_opened: number | null;
  prs_merged: number | null;
  issues_opened: number | null;
  issues_closed: number | null;
  stars: number | null;
  forks: number | null;
  contributors: number | null;
  updated_at: string;
}

export interface MlModelsTable {
  version: string;
  created_at: string;
  status: string;
  horizon_days: number;
  data_from: string;
  data_until: string;
  train_from: string;
  train_to: string;
  train_rows: number;
  features: string;
  params: string;
  metrics: string;
  artefacts: string;
  backend: string;
  duration_ms: number;
  prediction_rows: number | null;
}

export interface MlPredictionsTable {
  asset_id: string;
  day: string;
  model_version: string;
  score: number | null;
  confidence: number | null;
  prediction: number | null;
  contributions: string | null;
  created_at: string;
}

export interface MlRealisedIcTable {
  model_version: string;
  day: string;
  ic: number | null;
  spread: number | null;
  assets: number;
  computed_at: string;
}

export interface MlSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface NetworkMetricsTable {
  chain_id: number;
  day: string;
  source: string;
  blocks: number | null;
  transactions: number | null;
  gas_used: number | null;
  gas_limit: number | null;
  utilisation: number | null;
  median_gas_price_gwei: number | null;
  median_base_fee_gwei: number | null;
  updated_at: string;
}

export interface NotesTable {
  note_id: string;
  asset_id: string;
  body: string;
  created_at: string;
  updated_at: string;
  hlc: string;
  deleted: number;
}

export interface OnchainMetricsTable {
  asset_id: string;
  day: string;
  source: string;
  tvl: number | null;
  tvl_polygon: number | null;
  revenue: number | null;
  revenue_protocol: number | null;
  revenue_supply_side: number | null;
  gmv: number | null;
  token_incentives: number | null;
  transfers: number | null;
  volume_token: number | null;
  volume_usd: number | null;
  active_addresses: number | null;
  new_holders: number | null;
  holders: number | null;
  top10_share: number | null;
  updated_at: string;
}

export interface QualityFlagsTable {
  source: string;
  table_name: string;
  row_key: string;
  check_name: string;
  message: string;
  detected_at: string;
}

export interface SchemaMigrationsTable {
  id: string;
  checksum: string;
  applied_at: string;
}

export interface SmartContractsTable {
  chain_id: number;
  address: string;
  asset_id: string | null;
  protocol: string | null;
  name: string | null;
  role: string | null;
  verified: number | null;
  compiler_version: string | null;
  compiler_settings: string | null;
  source_format: string | null;
  source: string | null;
  abi: string | null;
  creator: string | null;
  creation_tx: string | null;
  is_proxy: number | null;
  implementation: string | null;
  audit_score: number | null;
  audited_at: string | null;
  source_ref: string | null;
  updated_at: string;
}

export interface SyncOutboxTable {
  seq: number;
  tbl: string;
  key: string;
  written_at: string;
}

export interface SyncRejectsTable {
  id: number;
  direction: string;
  tbl: string | null;
  seq: number | null;
  row_data: string | null;
  error: string;
  at: string;
}

export interface SyncStateTable {
  name: string;
  value: string;
}

export interface TextEmbeddingsTable {
  model: string;
  text_hash: string;
  vector: string;
  created_at: string;
}

export interface TokenBalancesTable {
  chain_id: number;
  token: string;
  holder: string;
  balance: string;
  first_day: string;
}

export interface TrackedTokensTable {
  chain_id: number;
  address: string;
  asset_id: string;
  symbol: string | null;
  decimals: number | null;
  start_block: number | null;
  added_at: string;
}

export interface WatchlistItemsTable {
  watchlist: string;
  asset_id: string;
  added_at: string;
  hlc: string;
  deleted: number;
}

/** Every table by name. */
export interface DB {
  alert_rules: AlertRulesTable;
  audit_findings: AuditFindingsTable;
  audit_reports: AuditReportsTable;
  collector_checkpoints: CollectorCheckpointsTable;
  collector_status: CollectorStatusTable;
  competitor_analysis: CompetitorAnalysisTable;
  crypto_assets: CryptoAssetsTable;
  dataset_imports: DatasetImportsTable;
  defillama_chain_daily: DefillamaChainDailyTable;
  defillama_protocol_daily: DefillamaProtocolDailyTable;
  financial_metrics: FinancialMetricsTable;
  github_metrics: GithubMetricsTable;
  ml_models: MlModelsTable;
  ml_predictions: MlPredictionsTable;
  ml_realised_ic: MlRealisedIcTable;
  ml_settings: MlSettingsTable;
  network_metrics: NetworkMetricsTable;
  notes: NotesTable;
  onchain_metrics: OnchainMetricsTable;
  quality_flags: QualityFlagsTable;
  schema_migrations: SchemaMigrationsTable;
  smart_contracts: SmartContractsTable;
  sync_outbox: SyncOutboxTable;
  sync_rejects: SyncRejectsTable;
  sync_state: SyncStateTable;
  text_embeddings: TextEmbeddingsTable;
  token_balances: TokenBalancesTable;
  tracked_tokens: TrackedTokensTable;
  watchlist_items: WatchlistItemsTable;
}

export type TableName = keyof DB;
