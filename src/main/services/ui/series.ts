/** Time series of one data family of an asset, columnar and downsampled for charts. */
import type { Series, SeriesFamily, SeriesResult } from '../../../shared/contract/ui';
import { downsampleMinMax } from '../../../shared/downsample';
import type { SqliteStore } from '../storage/sqlite';
import { MARKET_SOURCE_RANK, ONCHAIN_SOURCE_RANK, requireAsset } from '../assets/api';
import { headlineScoreHistory } from '../ml/api';

type Row = Record<string, unknown>;
type Field = { key: string; label: string; unit: Series['unit'] };

interface FamilySpec {
  fields: Field[];
  /** The value whose extremes downsampling keeps. @default the first field */
  shape?: (row: Row) => number | null;
  rows(store: SqliteStore, assetId: string, from: string, to: string): Row[];
}

/** Chart fields of one unit, as [key, label] pairs. */
const fieldsOf = (unit: Series['unit'], ...pairs: [key: string, label: string][]): Field[] => pairs.map(([key, label]) => ({ key, label, unit }));

/** One asset's rows between two days: `sql` takes the asset id, the first and the last day. */
const between = (store: SqliteStore, sql: string, assetId: string, from: string, to: string): Row[] => store.db.prepare<[string, string, string], Row>(sql).all(assetId, from, to);

const FAMILIES: Record<SeriesFamily, FamilySpec> = {
  market: {
    fields: fieldsOf('usd', ['close', 'Price'], ['volume', 'Volume 24h'], ['marketCap', 'Market cap']),
    rows: (store, assetId, from, to) =>
      between(
        store,
        `SELECT day, close, volume_usd AS volume, market_cap AS marketCap
         FROM financial_metrics WHERE asset_id = ? AND day >= ? AND day <= ? ORDER BY day, ${MARKET_SOURCE_RANK}`,
        assetId,
        from,
        to,
      ),
  },
  // Token Terminal (or live) and DefiLlama define TVL differently: each source is its own series, never spliced.
  tvl: {
    fields: fieldsOf(
      'usd',
      ['tvl', 'TVL (Token Terminal / live)'],
      ['revenue', 'Revenue (Token Terminal / live)'],
      ['fees', 'Supply-side revenue (Token Terminal)'],
      ['tvlDefillama', 'TVL (DefiLlama)'],
      ['chainTvl', 'Chain TVL (DefiLlama)'],
      ['revenueDefillama', 'Revenue (DefiLlama)'],
      ['feesDefillama', 'Fees (DefiLlama)'],
      ['borrowedDefillama', 'Borrowed (DefiLlama)'],
    ),
    shape: (r) => num(r.tvl) ?? num(r.tvlDefillama) ?? num(r.chainTvl) ?? num(r.revenue) ?? num(r.feesDefillama),
    rows: (store, assetId, from, to) => {
      const own = firstPerDay(
        between(
          store,
          `SELECT day, tvl, revenue, revenue_supply_side AS fees
           FROM onchain_metrics WHERE asset_id = ? AND day >= ? AND day <= ? AND (tvl IS NOT NULL OR revenue IS NOT NULL)
           ORDER BY day, ${ONCHAIN_SOURCE_RANK}`,
          assetId,
          from,
          to,
        ),
      );
      // One DefiLlama row per day: its scopes (e.g. "aave-v3 only" TVL, parent fees, borrowed) are different measures.
      const llama = between(
        store,
        `SELECT day, MAX(tvl) AS tvlDefillama, MAX(revenue) AS revenueDefillama, MAX(fees) AS feesDefillama, MAX(tvl_borrowed) AS borrowedDefillama
         FROM defillama_protocol_daily WHERE asset_id = ? AND day >= ? AND day <= ? GROUP BY day`,
        assetId,
        from,
        to,
      );
      const chain = between(store, `SELECT day, SUM(tvl) AS chainTvl FROM defillama_chain_daily WHERE asset_id = ? AND day >= ? AND day <= ? GROUP BY day`, assetId, from, to);
      const byDay = new Map<string, Row>();
      for (const list of [own, llama, chain]) for (const r of list) byDay.set(String(r.day), { ...byDay.get(String(r.day)), ...r });
      return [...byDay.values()].sort((a, b) => (String(a.day) < String(b.day) ? -1 : 1));
    },
  },
  onchain: {
    fields: [...fieldsOf('count', ['transfers', 'Transfers'], ['activeAddresses', 'Active addresses'], ['newHolders', 'New holders']), ...fieldsOf('usd', ['volumeUsd', 'Transfer volume']), ...fieldsOf('ratio', ['top10Share', 'Top-10 holder share'])],
    rows: (store, assetId, from, to) =>
      between(
        store,
        `SELECT day, transfers, active_addresses AS activeAddresses, new_holders AS newHolders, volume_usd AS volumeUsd, top10_share AS top10Share
         FROM onchain_metrics WHERE asset_id = ? AND day >= ? AND day <= ? AND (transfers IS NOT NULL OR active_addresses IS NOT NULL)
         ORDER BY day, ${ONCHAIN_SOURCE_RANK}`,
        assetId,
        from,
        to,
      ),
  },
  development: {
    fields: fieldsOf('count', ['commits', 'Commits / week'], ['authors', 'Distinct authors']),
    // The per-token roll-up (repo '*') de-duplicates commits across repos; without it, sum repos.
    rows: (store, assetId, from, to) => {
      const rolled = store.db.prepare<[string], 1>(`SELECT 1 FROM github_metrics WHERE asset_id = ? AND repo = '*' LIMIT 1`).pluck().get(assetId) !== undefined;
      return between(
        store,
        `SELECT week_start AS day, SUM(commits) AS commits, ${rolled ? 'SUM(distinct_authors)' : 'MAX(distinct_authors)'} AS authors
         FROM github_metrics WHERE asset_id = ? AND ${rolled ? "repo = '*'" : "repo <> '*'"} AND week_start >= ? AND week_start <= ?
         GROUP BY week_start ORDER BY week_start`,
        assetId,
        from,
        to,
      );
    },
  },
  score: {
    fields: [...fieldsOf('score', ['score', 'Score']), ...fieldsOf('ratio', ['confidence', 'Confidence'])],
    rows: (store, assetId, from, to) => headlineScoreHistory(store, assetId, from, to),
  },
};

/**
 * Rows come ordered by day, then preferred source first: keep the first of each day. Cheaper than
 * a window function, which matters on long series (100,000 days in ~100 ms instead of ~1 s).
 */
function firstPerDay(rows: Row[]): Row[] {
  const out: Row[] = [];
  let last: unknown = undefined;
  for (const r of rows) {
    if (r.day === last) continue;
    last = r.day;
    out.push(r);
  }
  return out;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null);

/** `lastDays` days ending on the asset's latest market day; open when the asset has no price. */
function lastDaysRange(store: SqliteStore, assetId: string, lastDays: number): { from?: string; to?: string } {
  const last = store.db.prepare<[string], { d: string | null }>('SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = ? AND close IS NOT NULL').get(assetId)?.d ?? null;
  if (!last) return {};
  return { from: new Date(Date.parse(`${last}T00:00:00Z`) - (lastDays - 1) * 86_400_000).toISOString().slice(0, 10), to: last };
}

export function seriesOf(
  store: SqliteStore,
  q: { assetId: string; family: SeriesFamily; from?: string | undefined; to?: string | undefined; lastDays?: number | undefined; maxPoints: number },
): SeriesResult {
  requireAsset(store, q.assetId);
  const spec = FAMILIES[q.family];
  const { from, to } = q.lastDays !== undefined ? lastDaysRange(store, q.assetId, q.lastDays) : q;
  const all = firstPerDay(spec.rows(store, q.assetId, from ?? '0000-00-00', to ?? '9999-99-99'));
  // The first field (price, TVL, commits...) decides which points keep the series' shape.
  const first = spec.fields[0]?.key ?? '';
  const kept = downsampleMinMax(all, q.maxPoints, spec.shape ?? ((r) => num(r[first])));
  return {
    assetId: q.assetId,
    family: q.family,
    days: kept.map((r) => String(r.day)),
    series: spec.fields.map((f) => ({ ...f, values: kept.map((r) => num(r[f.key])) })),
    from: from ?? null,
    to: to ?? null,
    total: all.length,
    downsampled: kept.length < all.length,
  };
}
