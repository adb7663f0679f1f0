/**
 * Data validation after each collection: values that cannot be right are flagged (table
 * `quality_flags`), not silently dropped, so the analyst sees them in the Data view and the
 * models can exclude them. Checks: negative prices or volumes, days in the future, and
 * cumulative counters (stars, contributors, holders-from-genesis supply) that go backwards.
 */
import type { QualityFlag } from '../../../shared/contract/collect';
import type { Core } from '../core';

interface Flag {
  table: string;
  rowKey: string;
  check: string;
  message: string;
}

function tomorrow(): string {
  return new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
}

export function runQualityChecks(core: Core, source: string): number {
  const db = core.store.db;
  const flags: Flag[] = [];
  const future = tomorrow();
  for (const r of db.prepare<unknown[], { asset_id: string; day: string; close: number | null; volume_usd: number | null; market_cap: number | null }>(`SELECT asset_id, day, close, volume_usd, market_cap FROM financial_metrics WHERE source = ? AND (close < 0 OR volume_usd < 0 OR market_cap < 0 OR day >= ?)`).all(source, future)) {
    const key = `${r.asset_id}|${r.day}`;
    if (r.day >= future) flags.push({ table: 'financial_metrics', rowKey: key, check: 'future_date', message: `day ${r.day} is in the future` });
    if ((r.close ?? 0) < 0) flags.push({ table: 'financial_metrics', rowKey: key, check: 'negative_price', message: `close ${r.close} is negative` });
    if ((r.volume_usd ?? 0) < 0 || (r.market_cap ?? 0) < 0) flags.push({ table: 'financial_metrics', rowKey: key, check: 'negative_value', message: 'negative volume or market cap' });
  }
  for (const r of db.prepare<unknown[], { asset_id: string; day: string; tvl: number | null; volume_token: number | null }>(`SELECT asset_id, day, tvl, volume_token FROM onchain_metrics WHERE source = ? AND (tvl < 0 OR volume_token < 0 OR day >= ?)`).all(source, future)) {
    const key = `${r.asset_id}|${r.day}`;
    if (r.day >= future) flags.push({ table: 'onchain_metrics', rowKey: key, check: 'future_date', message: `day ${r.day} is in the future` });
    else flags.push({ table: 'onchain_metrics', rowKey: key, check: 'negative_value', message: `negative TVL or volume (${r.tvl ?? r.volume_token})` });
  }
  // Cumulative counters: a later week with fewer stars/contributors than an earlier one.
  const gh = db
    .prepare<unknown[], { asset_id: string; repo: string; week_start: string; stars: number | null; contributors: number | null }>(`SELECT asset_id, repo, week_start, stars, contributors FROM github_metrics WHERE source = ? AND (stars IS NOT NULL OR contributors IS NOT NULL) ORDER BY asset_id, repo, week_start`)
    .all(source);
  for (let i = 1; i < gh.length; i++) {
    const a = gh[i - 1];
    const b = gh[i];
    if (!a || !b || a.asset_id !== b.asset_id || a.repo !== b.repo) continue;
    for (const col of ['stars', 'contributors'] as const) {
      const x = a[col];
      const y = b[col];
      if (x !== null && y !== null && y < x) flags.push({ table: 'github_metrics', rowKey: `${b.asset_id}|${b.repo}|${b.week_start}`, check: `monotonic_${col}`, message: `${col} fell from ${x} to ${y}` });
    }
  }
  for (const r of db.prepare<unknown[], { asset_id: string; week_start: string }>(`SELECT asset_id, week_start FROM github_metrics WHERE source = ? AND week_start >= ?`).all(source, future)) {
    flags.push({ table: 'github_metrics', rowKey: `${r.asset_id}|${r.week_start}`, check: 'future_date', message: `week ${r.week_start} is in the future` });
  }
  if (flags.length > 0) {
    const at = new Date().toISOString();
    core.store.write(
      'quality_flags',
      flags.map((f) => ({ source, table_name: f.table, row_key: f.rowKey, check_name: f.check, message: f.message, detected_at: at })),
    );
  }
  return flags.length;
}

export function listQualityFlags(core: Core, limit: number): QualityFlag[] {
  const rows = core.store.db.prepare<unknown[], { source: string; table_name: string; row_key: string; check_name: string; message: string; detected_at: string }>('SELECT * FROM quality_flags ORDER BY detected_at DESC LIMIT ?').all(limit);
  return rows.map((r) => ({ source: r.source, table: r.table_name, rowKey: r.row_key, check: r.check_name, message: r.message, detectedAt: r.detected_at }));
}
