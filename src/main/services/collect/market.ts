/**
 * Market data from CoinGecko (`/coins/{id}/market_chart`, daily) into `financial_metrics`
 * (source 'coingecko'), and TVL from DefiLlama (`/protocol/{slug}`, total and Polygon) into
 * `onchain_metrics` (source 'defillama'). Volatility is computed here from the closes (30-day
 * annualised standard deviation of daily log returns), never fetched.
 *
 * Days: see `closingDayOf`, the one place where both providers' stamps become days.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import { isNoNetworkError } from '../kernel/retry';
import { eachDeferring, isDeferrable } from './defer';
import { stopsRun, type HttpClient } from './http';

const Series = z.array(z.tuple([z.number(), z.number().nullable()]));
export const MarketChart = z.object({ prices: Series, market_caps: Series, total_volumes: Series });

const TvlPoint = z.object({ date: z.number(), totalLiquidityUSD: z.number() });
/** Only what is read: the total series and Polygon's (a parent protocol's other keys are dropped unchecked). */
export const LlamaProtocol = z.object({
  name: z.string(),
  tvl: z.array(TvlPoint),
  chainTvls: z.object({ Polygon: z.object({ tvl: z.array(TvlPoint) }).optional() }),
});

const DAY_MS = 86_400_000;

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The one day convention of the market and TVL series: a day's value is its state at the close,
 * 24:00 UTC. Both providers stamp daily points at 00:00 UTC: CoinGecko's point at D 00:00 is the
 * close of D-1, and DefiLlama's point at D 00:00 is the TVL at the start of D, which is the same
 * instant as the end of D-1. So a point stamped D 00:00 belongs to day D-1, for both. A point not
 * at midnight is the running day (the series' "now") and is left out until the day closes.
 */
export function closingDayOf(ms: number): string | null {
  if (ms % DAY_MS !== 0) return null;
  return dayOf(ms - DAY_MS);
}

interface Asset {
  asset_id: string;
  coingecko_id: string | null;
  defillama_slug: string | null;
}

function assets(core: Core, column: 'coingecko_id' | 'defillama_slug', only?: readonly string[]): Asset[] {
  const rows = core.store.db.prepare<unknown[], Asset>(`SELECT asset_id, coingecko_id, defillama_slug FROM crypto_assets WHERE ${column} IS NOT NULL AND ${column} <> '' ORDER BY asset_id`).all();
  return only && only.length > 0 ? rows.filter((r) => only.includes(r.asset_id)) : rows;
}

/** Annualised 30-day volatility per day from a close series (oldest first). */
export function volatility30d(closes: { day: string; close: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  const rets: number[] = [];
  for (let i = 1; i < closes.length; i++) {
    const a = closes[i - 1] as { close: number };
    const b = closes[i] as { day: string; close: number };
    rets.push(a.close > 0 && b.close > 0 ? Math.log(b.close / a.close) : Number.NaN);
    if (rets.length >= 30) {
      const w = rets.slice(-30).filter((r) => Number.isFinite(r));
      if (w.length >= 20) {
        const mean = w.reduce((s, r) => s + r, 0) / w.length;
        const v = w.reduce((s, r) => s + (r - mean) ** 2, 0) / (w.length - 1);
        out.set(b.day, Math.sqrt(v) * Math.sqrt(365));
      }
    }
  }
  return out;
}

export async function collectMarket(args: { core: Core; client: HttpClient; assets?: readonly string[] | undefined; signal: AbortSignal; progress: (done: number, total: number | null, message?: string) => void; now?: number; maxWaitMs?: number }): Promise<{ items: number; details: Record<string, unknown> }> {
  const { core, client, signal } = args;
  const list = assets(args.core, 'coingecko_id', args.assets);
  const now = args.now ?? Date.now();
  const today = dayOf(now);
  let rowsWritten = 0;
  const failed: { assetId: string; code: string; message: string }[] = [];
  let done = 0;
  const { deferrals } = await eachDeferring(list, async (a) => {
    args.progress(done, list.length, a.asset_id);
    const last = core.store.db.prepare<unknown[], { d: string | null }>(`SELECT max(day) AS d FROM financial_metrics WHERE asset_id = ? AND source = 'coingecko'`).get(a.asset_id);
    // Incremental: from two days before the last stored day (the latest close may have been revised).
    const days = last?.d ? Math.min(365, Math.max(2, Math.ceil((now - Date.parse(`${last.d}T00:00:00Z`)) / DAY_MS) + 2)) : 365;
    const url = new URL(`${core.config.coingeckoBaseUrl.replace(/\/$/, '')}/coins/${encodeURIComponent(a.coingecko_id as string)}/market_chart`);
    url.searchParams.set('vs_currency', 'usd');
    url.searchParams.set('days', String(days));
    url.searchParams.set('interval', 'daily');
    const headers: Record<string, string> = core.config.coingeckoApiKey ? { 'x-cg-demo-api-key': core.config.coingeckoApiKey } : {};
    try {
      const res = await client.request({ url: url.toString(), headers, schema: MarketChart, signal, cacheTtlSec: 3600, what: `market_chart ${a.coingecko_id}` });
      const byDay = new Map<string, { close: number | null; market_cap: number | null; volume_usd: number | null }>();
      const put = (series: z.infer<typeof Series>, key: 'close' | 'market_cap' | 'volume_usd'): void => {
        for (const [ms, v] of series) {
          const day = closingDayOf(ms);
          if (day === null) continue; // the running day
          if (day >= today) continue;
          const r = byDay.get(day) ?? { close: null, market_cap: null, volume_usd: null };
          r[key] = v;
          byDay.set(day, r);
        }
      };
      put(res.data.prices, 'close');
      put(res.data.market_caps, 'market_cap');
      put(res.data.total_volumes, 'volume_usd');
      const stamp = new Date().toISOString();
      const rows = [...byDay.entries()]
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([day, r]) => ({ asset_id: a.asset_id, day, source: 'coingecko', close: r.close, close_source: 'coingecko', volume_usd: r.volume_usd, volume_source: 'coingecko', market_cap: r.market_cap, market_cap_source: 'coingecko', updated_at: stamp }));
      core.store.transaction(() => {
        core.store.write('financial_metrics', rows);
        // Volatility over the stored history (collected closes), so short incremental fetches still get a 30-day window.
        const hist = core.store.db.prepare<unknown[], { day: string; close: number }>(`SELECT day, close FROM financial_metrics WHERE asset_id = ? AND source = 'coingecko' AND close IS NOT NULL ORDER BY day`).all(a.asset_id);
        const vol = volatility30d(hist);
        const upd = core.store.db.prepare(`UPDATE financial_metrics SET volatility_30d = ? WHERE asset_id = ? AND day = ? AND source = 'coingecko'`);
        for (const r of rows) {
          const v = vol.get(r.day);
          if (v !== undefined) upd.run(v, a.asset_id, r.day);
        }
        fillVolumeUsd(core, a.asset_id);
      });
      rowsWritten += rows.length;
      done++;
    } catch (err) {
      // A rate limit or a wait is deferred (eachDeferring); the plan refusing us or no network ends the run.
      if (err instanceof AppError && (err.code === 'CANCELLED' || err.code === 'FORBIDDEN' || isDeferrable(err))) throw err;
      if (isNoNetworkError(err) || stopsRun(err)) throw err;
      // One asset's bad answer must not stop the others; it is reported.
      failed.push({ assetId: a.asset_id, code: err instanceof AppError ? err.code : 'INTERNAL', message: (err as Error).message });
      done++;
    }
  }, { signal, provider: 'coingecko', maxWaitMs: args.maxWaitMs, giveUp: (a, err) => failed.push({ assetId: a.asset_id, code: err.code, message: err.message }) });
  args.progress(list.length, list.length, 'done');
  if (failed.length > 0 && failed.length === list.length) throw new AppError(failed.every((f) => f.code === 'RATE_LIMITED') ? 'RATE_LIMITED' : 'UPSTREAM', `market: every asset failed; first: ${failed[0]?.message}`, { retryable: failed.every((f) => f.code === 'RATE_LIMITED'), details: { failed } });
  return { items: rowsWritten, details: { assets: list.length, failed, deferrals } };
}

/** Chain volume in USD for days whose price arrived after the chain rows were written. */
export function fillVolumeUsd(core: Core, assetId: string): void {
  core.store.db
    .prepare(
      `UPDATE onchain_metrics SET volume_usd = volume_token * (SELECT f.close FROM financial_metrics f WHERE f.asset_id = onchain_metrics.asset_id AND f.day = onchain_metrics.day AND f.close IS NOT NULL ORDER BY CASE f.source WHEN 'coingecko' THEN 0 ELSE 1 END LIMIT 1)
       WHERE asset_id = ? AND source = 'chain' AND volume_usd IS NULL AND volume_token IS NOT NULL`,
    )
    .run(assetId);
}

export async function collectTvl(args: { core: Core; client: HttpClient; assets?: readonly string[] | undefined; signal: AbortSignal; progress: (done: number, total: number | null, message?: string) => void; maxWaitMs?: number }): Promise<{ items: number; details: Record<string, unknown> }> {
  const { core, client, signal } = args;
  const list = assets(core, 'defillama_slug', args.assets);
  let rowsWritten = 0;
  let done = 0;
  const failed: { assetId: string; code: string; message: string }[] = [];
  const { deferrals } = await eachDeferring(
    list,
    async (a) => {
      args.progress(done, list.length, a.asset_id);
      const slug = a.defillama_slug as string;
      try {
        // Parent protocols (aave, uniswap...) answer with `id: "parent#..."` bodies of about 10 MB:
        // read bounded, validated only where read (other chains' series are not walked), not cached.
        const res = await client.request({ url: `${core.config.defillamaBaseUrl.replace(/\/$/, '')}/protocol/${encodeURIComponent(slug)}`, schema: LlamaProtocol, signal, maxBytes: 64 * 1024 * 1024, what: `protocol ${slug}` });
        const polygon = new Map<string, number>();
        for (const p of res.data.chainTvls.Polygon?.tvl ?? []) {
          const day = closingDayOf(p.date * 1000);
          if (day !== null) polygon.set(day, p.totalLiquidityUSD);
        }
        const byDay = new Map<string, { tvl: number; tvl_polygon: number | null }>();
        for (const p of res.data.tvl) {
          const day = closingDayOf(p.date * 1000);
          if (day !== null) byDay.set(day, { tvl: p.totalLiquidityUSD, tvl_polygon: polygon.get(day) ?? null });
        }
        const stamp = new Date().toISOString();
        const rows = [...byDay.entries()].map(([day, r]) => ({ asset_id: a.asset_id, day, source: 'defillama', tvl: r.tvl, tvl_polygon: r.tvl_polygon, updated_at: stamp }));
        core.store.write('onchain_metrics', rows);
        rowsWritten += rows.length;
      } catch (err) {
        if (err instanceof AppError && (err.code === 'CANCELLED' || isDeferrable(err))) throw err;
        if (isNoNetworkError(err) || stopsRun(err)) throw err;
        // An unknown slug (HTTP 400/404 "not in our database") is this asset's error only.
        const status = err instanceof AppError ? err.details?.status : undefined;
        const unknown = status === 400 || status === 404;
        failed.push({ assetId: a.asset_id, code: unknown ? 'NOT_FOUND' : err instanceof AppError ? err.code : 'INTERNAL', message: unknown ? `defillama: no protocol "${slug}" (HTTP ${String(status)}): check the asset's defillama_slug` : (err as Error).message });
      }
      done++;
    },
    { signal, provider: 'defillama', maxWaitMs: args.maxWaitMs, giveUp: (a, err) => failed.push({ assetId: a.asset_id, code: err.code, message: err.message }) },
  );
  args.progress(list.length, list.length, 'done');
  if (failed.length > 0 && failed.length === list.length) throw new AppError('UPSTREAM', `tvl: every asset failed; first: ${failed[0]?.message}`, { details: { failed } });
  return { items: rowsWritten, details: { assets: list.length, failed, deferrals } };
}
