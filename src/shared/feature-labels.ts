/**
 * Plain-language labels of the model's feature names (the CLI's score table, explanations).
 * `rank_<name>` is the feature's rank among the day's assets; `has_<family>` says whether the
 * asset has that family of data. A name without a label reads as its words.
 */
const LABELS: Record<string, string> = {
  ret_7: '7-day return',
  ret_14: '14-day return',
  ret_30: '30-day return',
  ret_90: '90-day return',
  vol_30: '30-day volatility',
  drawdown_90: 'drawdown from 90-day high',
  log_mcap: 'market cap',
  volume_to_mcap: 'volume / market cap',
  volume_trend: 'volume trend',
  supply_growth_90: '90-day supply growth',
  log_tvl: 'TVL',
  tvl_change_30: '30-day TVL change',
  log_revenue_30: '30-day revenue',
  revenue_to_mcap: 'revenue / market cap',
  mcap_to_tvl: 'market cap / TVL',
  log_transfers_7: '7-day transfers',
  log_active_7: '7-day active addresses',
  active_growth_30: '30-day active-address growth',
  top10_share: 'top-10 holders share',
  commits_4w: 'commits, 4 weeks',
  commits_12w: 'commits, 12 weeks',
  authors_4w: 'developers, 4 weeks',
  authors_12w: 'developers, 12 weeks',
  commit_trend: 'commit trend',
  prs_12w: 'pull requests, 12 weeks',
  issues_12w: 'issues, 12 weeks',
  stars_12w: 'new stars, 12 weeks',
};

export function featureLabel(name: string): string {
  if (name.startsWith('rank_')) return `${featureLabel(name.slice('rank_'.length))} (rank)`;
  if (name.startsWith('has_')) return `has ${name.slice('has_'.length)} data`;
  return LABELS[name] ?? name.replace(/_/g, ' ');
}
