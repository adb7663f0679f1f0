/**
 * Realised skill of stored scores: for each day a version scored from the end of its data on,
 * once the horizon has passed, the rank IC between its predictions and what the assets then did
 * (relative to the day's median), and the top-minus-bottom quintile spread. This is the A/B
 * read-out: validation skill says what to expect, realised skill what happened.
 */
import type { SqliteStore } from '../storage/sqlite';
import { addDays, median } from './math';
import { getModelRow } from './registry';
import { dailySkill } from './validation';
import { MARKET_SOURCE_RANK as SOURCE_RANK } from '../assets/api';



function closesOn(store: SqliteStore, day: string): Map<string, number> {
  const rows = store.db.prepare<unknown[], { asset_id: string; close: number }>(`SELECT asset_id, close FROM financial_metrics WHERE day = ? AND close > 0 ORDER BY ${SOURCE_RANK} DESC`).all(day);
  // Ordered bundled first: a live value for the same asset overwrites it.
  return new Map(rows.map((r) => [r.asset_id, r.close]));
}

function lastCloseWithin(store: SqliteStore, from: string, to: string): Map<string, number> {
  const rows = store.db.prepare<unknown[], { asset_id: string; close: number }>(`SELECT asset_id, close FROM financial_metrics WHERE day BETWEEN ? AND ? AND close > 0 ORDER BY day ASC, ${SOURCE_RANK} DESC`).all(from, to);
  return new Map(rows.map((r) => [r.asset_id, r.close]));
}

/** Computes realised IC for every scored day of `version` whose horizon has passed; returns how many days were added. */
export function updateRealisedIc(store: SqliteStore, version: string): number {
  const model = getModelRow(store, version);
  const h = Number(model.horizon_days);
  const lastPrice = store.db.prepare<unknown[], { d: string | null }>('SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL').get()?.d ?? null;
  if (!lastPrice) return 0;
  const days = (
    store.db
      .prepare<unknown[], { day: string }>(
        `SELECT DISTINCT day FROM ml_predictions WHERE model_version = ? AND day >= ? AND day <= ?
         AND day NOT IN (SELECT day FROM ml_realised_ic WHERE model_version = ?) ORDER BY day`,
      )
      .all(version, model.data_until, addDays(lastPrice, -h), version)
  ).map((r) => r.day);
  const out: Record<string, unknown>[] = [];
  const now = new Date().toISOString();
  for (const day of days) {
    const preds = store.db.prepare<unknown[], { asset_id: string; prediction: number }>('SELECT asset_id, prediction FROM ml_predictions WHERE model_version = ? AND day = ? AND prediction IS NOT NULL').all(version, day);
    const start = closesOn(store, day);
    const end = lastCloseWithin(store, addDays(day, h - 3), addDays(day, h));
    const p: number[] = [];
    const t: number[] = [];
    for (const r of preds) {
      const a = start.get(r.asset_id);
      const b = end.get(r.asset_id);
      if (a === undefined || b === undefined) continue;
      p.push(r.prediction);
      t.push(Math.log(b / a));
    }
    const med = median(t);
    const rel = t.map((v) => v - med);
    const rows = p.map((_, i) => i);
    const { daily } = dailySkill(p, rel, rows, new Int32Array(rows.length));
    const d = daily[0];
    out.push({ model_version: version, day, ic: d ? d.ic : null, spread: d ? d.spread : null, assets: p.length, computed_at: now });
  }
  if (out.length) store.write('ml_realised_ic', out);
  return out.length;
}

export function realisedSeries(store: SqliteStore, version: string): { day: string; ic: number | null; spread: number | null; assets: number }[] {
  return store.db.prepare<unknown[], { day: string; ic: number | null; spread: number | null; assets: number }>('SELECT day, ic, spread, assets FROM ml_realised_ic WHERE model_version = ? ORDER BY day').all(version).map((r) => ({
    ...r,
    assets: Number(r.assets),
  }));
}
