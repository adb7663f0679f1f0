/**
 * The asset page's read models: peers (similar descriptions and the same category), the asset's
 * values each with its as-of day, staleness and source, the score in plain words beside the
 * model's out-of-sample skill, and what happened after past scores.
 */
import type { AsOfValue, AssetPage, OverviewRow, Peer, ScoreOutcome } from '../../../shared/contract/ui';
import { AppError } from '../../../shared/errors';
import { readFeature, percentileWords } from '../../../shared/feature-labels';
import { DEFAULT_STALE_AFTER_DAYS, isStale, weekEnd } from '../../../shared/freshness';
import { dataEndOf, requireAsset } from '../assets/api';
import { headlineHistory, headlineScoreOf, headlineSkill, type HeadlineSkill, type StoredContribution } from '../ml/api';
import type { SqliteStore } from '../storage/sqlite';
import { overviewRowsFor } from './overview';

interface Meta {
  asset_id: string;
  category: string | null;
  defillama_category: string | null;
  chains: string | null;
}

const chainsOf = (m: Meta | undefined): string[] => (m?.chains ? m.chains.split(';').map((c) => c.trim()).filter(Boolean) : []);
const categoryOf = (m: Meta | undefined): string | null => m?.defillama_category ?? m?.category ?? null;

/** P/S (or P/F for fees) at the revenue's own day: market cap of that day over annualised 30-day revenue. */
function ratioOf(store: SqliteStore, row: OverviewRow): Peer['ratio'] {
  if (row.revenue30d === null || row.revenue30d <= 0 || row.revenueDay === null) return null;
  const cap = store.db
    .prepare<[string, string, string], { market_cap: number }>(
      `SELECT market_cap FROM financial_metrics WHERE asset_id = ? AND market_cap IS NOT NULL AND day <= ? AND day >= date(?, '-7 day') ORDER BY day DESC LIMIT 1`,
    )
    .get(row.assetId, row.revenueDay, row.revenueDay)?.market_cap;
  if (cap === undefined || cap <= 0) return null;
  return { kind: row.revenueKind === 'fees' ? 'P/F' : 'P/S', value: cap / ((row.revenue30d * 365) / 30), asOf: row.revenueDay, stale: row.revenueStale };
}

/**
 * Peers of an asset: the projects whose descriptions are most similar (whatever method computed
 * them) and the projects of its category. Same-category peers come first, by similarity then
 * market cap; then the text-only ones.
 */
export function peersOf(store: SqliteStore, assetId: string, limit: number, staleAfterDays = DEFAULT_STALE_AFTER_DAYS): Peer[] {
  requireAsset(store, assetId);
  const metas = new Map(store.db.prepare<[], Meta>('SELECT asset_id, category, defillama_category, chains FROM crypto_assets').all().map((m) => [m.asset_id, m]));
  const own = categoryOf(metas.get(assetId));
  const similar = store.db
    .prepare<[string, string], { competitor_id: string; method: string; similarity: number }>(
      `SELECT competitor_id, method, MAX(similarity) AS similarity FROM competitor_analysis WHERE asset_id = ? AND competitor_id <> ? GROUP BY competitor_id`,
    )
    .all(assetId, assetId);
  const found = new Map<string, { similarity: number | null; method: string }>(similar.map((r) => [r.competitor_id, { similarity: r.similarity, method: r.method }]));
  if (own !== null) for (const [id, m] of metas) if (id !== assetId && categoryOf(m) === own && !found.has(id)) found.set(id, { similarity: null, method: 'category' });
  const rows = overviewRowsFor(store, [...found.keys()], staleAfterDays);
  const peers: Peer[] = [];
  for (const [id, f] of found) {
    const row = rows.get(id);
    if (!row) continue; // never priced: nothing to compare
    const meta = metas.get(id);
    const category = categoryOf(meta);
    peers.push({ ...f, category, sameCategory: own !== null && category === own, chains: chainsOf(meta), ratio: ratioOf(store, row), row });
  }
  peers.sort(
    (a, b) =>
      Number(b.sameCategory) - Number(a.sameCategory) ||
      Number(a.row.staleSince !== null) - Number(b.row.staleSince !== null) ||
      (b.similarity ?? -1) - (a.similarity ?? -1) ||
      (b.row.marketCap ?? -1) - (a.row.marketCap ?? -1),
  );
  return peers.slice(0, limit);
}

/** An asset id, or a ticker in any case ("aave" → "AAVE"). */
export function resolveAsset(store: SqliteStore, asset: string): string {
  const exact = store.db.prepare<[string], { asset_id: string }>('SELECT asset_id FROM crypto_assets WHERE asset_id = ?').get(asset);
  if (exact) return exact.asset_id;
  const bySymbol = store.db.prepare<[string], { asset_id: string }>('SELECT asset_id FROM crypto_assets WHERE upper(symbol) = upper(?) ORDER BY asset_id LIMIT 1').get(asset);
  if (bySymbol) return bySymbol.asset_id;
  throw new AppError('NOT_FOUND', `no asset "${asset}" (a ticker such as AAVE, or chainId:0xaddress)`);
}

interface Driver {
  label: string;
  value: string;
  effect: number;
}

/**
 * Feature contributions as drivers: a feature and its universe standing (rank_<feature>) are one
 * driver, their effects summed, the value in the label's unit with the standing beside it.
 */
export function driversOf(contributions: StoredContribution[]): Driver[] {
  const byBase = new Map<string, { label: string; text: string | null; standing: string | null; effect: number }>();
  for (const c of contributions) {
    const r = readFeature(c.feature, c.value);
    const isRank = c.feature.startsWith('rank_');
    const d = byBase.get(r.base) ?? { label: readFeature(r.base, null).label, text: null, standing: null, effect: 0 };
    d.effect += c.contribution;
    if (isRank) d.standing = c.value === null ? null : percentileWords(c.value);
    else d.text = r.text;
    byBase.set(r.base, d);
  }
  return [...byBase.values()]
    .map((d) => ({ label: d.label, value: [d.text, d.standing].filter((x): x is string => x !== null).join(', ') || 'not known', effect: Math.round(d.effect * 1e6) / 1e6 }))
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect));
}

const pp = (f: number): string => `${f >= 0 ? '+' : '−'}${Math.abs(f * 100).toFixed(1)} pp`;

/** One sentence: the score's standing and the drivers that move it most each way. */
export function scoreSummary(score: number | null, day: string | null, drivers: Driver[], horizonDays: number): string {
  if (score === null) return 'No model has scored this asset on the latest day (it is delisted, too new, or no model has been trained).';
  const up = drivers.filter((d) => d.effect > 0).slice(0, 2);
  const down = drivers.filter((d) => d.effect < 0).slice(0, 1);
  const part = (ds: Driver[]): string => ds.map((d) => `${d.label.toLowerCase()} (${d.value}; ${pp(d.effect)})`).join(' and ');
  const why = [up.length ? `lifted by ${part(up)}` : null, down.length ? `held back by ${part(down)}` : null].filter(Boolean).join(', ');
  return `Score ${score.toFixed(0)} of 100 on ${day}: the models expect ${score >= 50 ? 'a better' : 'a worse'} ${horizonDays}-day return than the median asset, ${why || 'with no single driver standing out'}.`;
}

function confidenceMeant(skill: HeadlineSkill | null, confidence: number | null): string | null {
  if (!skill || confidence === null) return null;
  const bucket = skill.reliability.find((r) => r.minConfidence !== null && r.maxConfidence !== null && confidence >= r.minConfidence && confidence <= r.maxConfidence) ?? null;
  if (!bucket || bucket.ic === null) return null;
  return `Out of sample, scores with confidence like this (${bucket.bucket}) had a rank IC of ${bucket.ic.toFixed(3)}${bucket.hitRate !== null ? ` and picked the right side of the median ${(bucket.hitRate * 100).toFixed(0)}% of the time` : ''}.`;
}

export function assetPage(store: SqliteStore, asset: string, staleAfterDays = DEFAULT_STALE_AFTER_DAYS): AssetPage {
  const assetId = resolveAsset(store, asset);
  const meta = store.db.prepare<[string], { symbol: string; name: string; category: string | null; defillama_category: string | null }>('SELECT symbol, name, category, defillama_category FROM crypto_assets WHERE asset_id = ?').get(assetId)!;
  const dataEnd = dataEndOf(store);
  const row = overviewRowsFor(store, [assetId], staleAfterDays).get(assetId) ?? null;
  // A missing value has no day and no source: it is not known, not "known as of".
  const v = (value: number | null | undefined, asOf: string | null | undefined, stale: boolean, source: string | null | undefined): AsOfValue =>
    value === null || value === undefined ? { value: null, asOf: null, stale: false, source: null } : { value, asOf: asOf ?? null, stale, source: source ?? null };
  const marketStale = row?.staleSince !== null && row?.staleSince !== undefined;
  const devEnd = row?.devWeek ? weekEnd(row.devWeek) : null;
  const values: AssetPage['values'] = {
    price: v(row?.price, row?.lastDay, marketStale, row?.marketSource),
    marketCap: v(row?.marketCap, row?.marketCapDay, row?.marketCapStale ?? false, row?.marketCapSource),
    volume24h: v(row?.volume, row?.volumeDay, row?.volumeStale ?? false, row?.volumeSource),
    tvl: v(row?.tvl, row?.tvlDay, row?.tvlStale ?? false, row?.tvlSource),
    revenue30d: v(row?.revenue30d, row?.revenueDay, row?.revenueStale ?? false, row?.revenueSource),
    commits12w: v(row?.commits12w, devEnd, isStale(devEnd, dataEnd, staleAfterDays), row?.commits12w === null || row?.commits12w === undefined ? null : 'github'),
  };
  // Only the headline day's score is the asset's score: an older one would be another cross-section.
  const scored = row?.score !== null && row?.score !== undefined ? headlineScoreOf(store, assetId) : null;
  const skill = headlineSkill(store);
  const drivers = scored ? driversOf(scored.contributions) : [];
  const score: AssetPage['score'] = {
    value: scored?.score ?? null,
    confidence: scored?.confidence ?? null,
    asOf: scored?.day ?? null,
    summary: scoreSummary(scored?.score ?? null, scored?.day ?? null, drivers, skill?.horizonDays ?? 30),
    explanation: drivers,
    skill: {
      model: skill?.version ?? null,
      horizonDays: skill?.horizonDays ?? null,
      ic: skill?.ic ?? null,
      hitRate: skill?.hitRate ?? null,
      topMinusBottom: skill?.quintileSpread ?? null,
      validationDays: skill?.validationDays ?? null,
      confidenceMeant: confidenceMeant(skill, scored?.confidence ?? null),
    },
  };
  const peers = peersOf(store, assetId, 10, staleAfterDays).map(({ row, similarity, category }) => ({
    symbol: row.symbol,
    similarity,
    category,
    marketCap: row.marketCap,
    marketCapAsOf: row.marketCapDay,
    marketCapStale: row.marketCapStale,
    tvl: row.tvl,
    tvlAsOf: row.tvlDay,
    tvlStale: row.tvlStale,
    score: row.score,
  }));
  return { symbol: meta.symbol, name: meta.name, category: meta.defillama_category ?? meta.category, dataEnd, values, score, peers };
}

/**
 * Past out-of-sample scores of the asset beside what followed: its simple return over the
 * horizon minus the median return of every asset priced on both days. A score whose horizon has
 * not ended yet has no outcome (null).
 */
export function scoreOutcomes(store: SqliteStore, assetId: string): { horizonDays: number | null; points: ScoreOutcome[] } {
  requireAsset(store, assetId);
  const skill = headlineSkill(store);
  const history = headlineHistory(store, assetId);
  if (!skill || history.length === 0) return { horizonDays: skill?.horizonDays ?? null, points: [] };
  const h = skill.horizonDays;
  const plus = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + h * 86_400_000).toISOString().slice(0, 10);
  const days = [...new Set(history.flatMap((p) => [p.day, plus(p.day)]))];
  const closes = new Map<string, Map<string, number>>();
  const stmt = store.db.prepare<[string], { asset_id: string; close: number }>(`SELECT asset_id, close FROM financial_metrics WHERE day = ? AND close > 0 ORDER BY asset_id, CASE source WHEN 'bundled' THEN 1 ELSE 0 END`);
  for (const d of days) {
    const m = new Map<string, number>();
    for (const r of stmt.all(d)) if (!m.has(r.asset_id)) m.set(r.asset_id, r.close);
    closes.set(d, m);
  }
  const points = history.map((p) => {
    const a = closes.get(p.day)!;
    const b = closes.get(plus(p.day))!;
    const own = a.has(assetId) && b.has(assetId) ? b.get(assetId)! / a.get(assetId)! - 1 : null;
    if (own === null) return { day: p.day, score: p.score, relativeReturn: null };
    const all = [...a.keys()].filter((id) => b.has(id)).map((id) => b.get(id)! / a.get(id)! - 1).sort((x, y) => x - y);
    const mid = all.length % 2 ? all[(all.length - 1) / 2]! : (all[all.length / 2 - 1]! + all[all.length / 2]!) / 2;
    return { day: p.day, score: p.score, relativeReturn: Math.round((own - mid) * 1e6) / 1e6 };
  });
  return { horizonDays: h, points };
}
