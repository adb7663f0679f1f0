/**
 * Data coverage: which data family runs from when to when, from which source, with how many rows,
 * and whether its latest day is stale against the dataset's end. Per asset (its page) or over the
 * whole store (the Data view, one run per family and source with the assets it covers).
 */
import type { CoverageFamily, CoverageResult, CoverageRun } from '../../../shared/contract/ui';
import { DEFAULT_STALE_AFTER_DAYS, isStale, sourceName, weekEnd } from '../../../shared/freshness';
import { dataEndOf, requireAsset } from '../assets/api';
import type { SqliteStore } from '../storage/sqlite';

interface Span {
  asset_id: string;
  source: string;
  scope: string | null;
  first: string;
  last: string;
  n: number;
}

interface FamilySpec {
  family: CoverageFamily;
  label: string;
  /** Rows of (asset, source, scope) with first and last day and row count; `where` narrows to one asset. */
  sql(where: string): string;
  /** Turns the stored last day into the last day the data covers (a week's last day for weekly counts). */
  lastDay?: (last: string) => string;
}

const span = (table: string, source: string, scope: string, dayCol: string, filter: string, where: string): string =>
  `SELECT asset_id, ${source} AS source, ${scope} AS scope, MIN(${dayCol}) AS first, MAX(${dayCol}) AS last, COUNT(*) AS n
   FROM ${table} WHERE (${filter}) ${where} GROUP BY 1, 2, 3`;

const FAMILIES: FamilySpec[] = [
  {
    family: 'market',
    label: 'Price, market cap and volume',
    sql: (w) => span('financial_metrics', 'coalesce(close_source, source)', 'NULL', 'day', 'close IS NOT NULL', w),
  },
  {
    family: 'tvl',
    label: 'TVL',
    sql: (w) =>
      `${span('onchain_metrics', 'source', 'NULL', 'day', 'tvl IS NOT NULL', w)}
       UNION ALL ${span('defillama_protocol_daily', 'source', 'scope', 'day', 'tvl IS NOT NULL', w)}`,
  },
  {
    family: 'revenue',
    label: 'Revenue and fees',
    sql: (w) =>
      `${span('onchain_metrics', 'source', 'NULL', 'day', 'revenue IS NOT NULL', w)}
       UNION ALL ${span('defillama_protocol_daily', 'source', 'scope', 'day', 'revenue IS NOT NULL OR fees IS NOT NULL', w)}`,
  },
  {
    family: 'development',
    label: 'Development activity (weekly)',
    sql: (w) => span('github_metrics', 'source', `CASE WHEN repo = '*' THEN 'per token, de-duplicated' ELSE 'per repository' END`, 'week_start', '1', w),
    lastDay: weekEnd,
  },
  {
    family: 'onchain',
    label: 'On-chain activity (Polygon)',
    sql: (w) => span('onchain_metrics', 'source', 'NULL', 'day', 'transfers IS NOT NULL OR active_addresses IS NOT NULL', w),
  },
  {
    family: 'chainTvl',
    label: 'Chain TVL (DefiLlama)',
    sql: (w) => span('defillama_chain_daily', 'source', "'chain: ' || chain", 'day', 'asset_id IS NOT NULL', w),
  },
];

/**
 * One asset's runs keep each stored source and scope apart (DefiLlama's "aave-v3 only" is not
 * Aave's total); the store-wide runs group by the source's name, counting the assets covered and
 * how many of them are stale.
 */
export function coverage(store: SqliteStore, q: { assetId?: string | undefined; staleAfterDays?: number | undefined }): CoverageResult {
  if (q.assetId !== undefined) requireAsset(store, q.assetId);
  const staleAfterDays = q.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS;
  const dataEnd = dataEndOf(store);
  const runs: CoverageRun[] = [];
  for (const spec of FAMILIES) {
    const { assetId } = q;
    const sql = spec.sql(assetId === undefined ? '' : 'AND asset_id = ?');
    const params = assetId === undefined ? [] : Array.from(sql.matchAll(/asset_id = \?/g), () => assetId);
    const byKey = new Map<string, CoverageRun & { lastByAsset: Map<string, string> }>();
    for (const s of store.db.prepare<string[], Span>(sql).all(...params)) {
      const name = sourceName(s.source, spec.family) ?? s.source;
      const key = q.assetId === undefined ? name : `${s.source}\u0000${s.scope ?? ''}`;
      const last = spec.lastDay ? spec.lastDay(s.last) : s.last;
      const run = byKey.get(key) ?? {
        family: spec.family,
        label: spec.label,
        source: name,
        sourceIds: [],
        scope: q.assetId === undefined ? null : s.scope,
        from: s.first,
        to: last,
        rows: 0,
        assets: 0,
        staleAssets: 0,
        stale: false,
        lastByAsset: new Map<string, string>(),
      };
      if (!run.sourceIds.includes(s.source)) run.sourceIds.push(s.source);
      if (s.first < run.from) run.from = s.first;
      if (last > run.to) run.to = last;
      run.rows += s.n;
      const had = run.lastByAsset.get(s.asset_id);
      if (had === undefined || last > had) run.lastByAsset.set(s.asset_id, last);
      byKey.set(key, run);
    }
    // An asset is stale in a run when its own latest day there is old: another asset's fresh day does not make it current.
    for (const { lastByAsset, ...run } of byKey.values()) {
      const staleAssets = [...lastByAsset.values()].filter((d) => isStale(d, dataEnd, staleAfterDays)).length;
      runs.push({ ...run, assets: lastByAsset.size, staleAssets, stale: isStale(run.to, dataEnd, staleAfterDays) });
    }
  }
  const order = new Map(FAMILIES.map((f, i) => [f.family, i]));
  runs.sort((a, b) => (order.get(a.family) ?? 0) - (order.get(b.family) ?? 0) || b.to.localeCompare(a.to) || a.source.localeCompare(b.source));
  return { assetId: q.assetId ?? null, dataEnd, staleAfterDays, runs };
}
