/** Row types of the tables, for Kysely. Domains extend this interface as they add tables. */
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
  /** DefiLlama's chain list, ';'-separated (static metadata, 0501). */
  chains: string | null;
  defillama_category: string | null;
  description_source: string | null;
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

export interface CompetitorAnalysisTable {
  asset_id: string;
  competitor_id: string;
  method: string;
  similarity: number;
  computed_at: string;
}

/** Bundled DefiLlama protocol series; `scope` says what each number covers (0501). */
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

/** Bundled DefiLlama chain TVL, tied to the chain's token where there is one (0501). */
export interface DefillamaChainDailyTable {
  chain: string;
  day: string;
  asset_id: string | null;
  tvl: number | null;
  source: string;
  updated_at: string;
}

export interface DatasetImportsTable {
  source: string;
  fingerprint: string;
  summary: string;
  imported_at: string;
}

export interface DB {
  crypto_assets: CryptoAssetsTable;
  financial_metrics: FinancialMetricsTable;
  onchain_metrics: OnchainMetricsTable;
  github_metrics: GithubMetricsTable;
  ml_predictions: MlPredictionsTable;
  smart_contracts: SmartContractsTable;
  competitor_analysis: CompetitorAnalysisTable;
  dataset_imports: DatasetImportsTable;
  defillama_protocol_daily: DefillamaProtocolDailyTable;
  defillama_chain_daily: DefillamaChainDailyTable;
}
