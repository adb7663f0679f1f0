/**
 * What other domains may read from the models (the UI's read models, alerts): which version is
 * the headline one, and its stored scores. ml_predictions and ml_settings belong to this domain;
 * nobody else queries them or parses their JSON.
 */
import type { ModelView } from '../../../shared/contract/ui';
import type { SqliteStore } from '../storage/sqlite';
import { getAb, isCompleteVersion } from './registry';

/**
 * The version whose scores the product shows (overview, score charts, alerts, and
 * `ml.scoreHistory` when no version is named): the registry's champion when it has scores, else
 * the ensemble version (not a per-model component `<version>:<model>`) with the most recent scores.
 */
export function headlineVersion(store: SqliteStore): string | null {
  let champion: string | null = null;
  try {
    champion = getAb(store).champion;
  } catch {
    /* an unreadable A/B setting: fall back to the newest scores */
  }
  if (champion !== null && store.db.prepare<[string], 1>('SELECT 1 FROM ml_predictions WHERE model_version = ? AND score IS NOT NULL LIMIT 1').get(champion) !== undefined) return champion;
  const rows = store.db
    .prepare<[], { model_version: string }>(
      `SELECT model_version FROM ml_predictions WHERE score IS NOT NULL AND model_version NOT LIKE '%:%'
       GROUP BY model_version ORDER BY MAX(day) DESC, MAX(created_at) DESC`,
    )
    .all();
  // Only a version stored here with all its predictions: rows of a version still arriving from the
  // team (or whose push was cut off for good) are never shown.
  return rows.find((r) => isCompleteVersion(store, r.model_version))?.model_version ?? null;
}

export interface HeadlineScore {
  score: number | null;
  confidence: number | null;
  day: string;
}

/**
 * The headline version's scores on its latest scored day: a score is a percentile within one
 * day's cross-section, so an asset missing that day has no score rather than an older one.
 */
export function headlineScores(store: SqliteStore): Map<string, HeadlineScore> {
  const version = headlineVersion(store);
  if (version === null) return new Map();
  const rows = store.db
    .prepare<[string, string], HeadlineScore & { asset_id: string }>(
      `SELECT asset_id, day, score, confidence FROM ml_predictions
       WHERE model_version = ? AND score IS NOT NULL
         AND day = (SELECT MAX(day) FROM ml_predictions WHERE model_version = ? AND score IS NOT NULL)`,
    )
    .all(version, version);
  return new Map(rows.map((r) => [r.asset_id, { score: r.score, confidence: r.confidence, day: r.day }]));
}

/** The headline version's score history of one asset, oldest first (empty before any scores). */
export function headlineScoreHistory(store: SqliteStore, assetId: string, from: string, to: string): { day: string; score: number | null; confidence: number | null }[] {
  const version = headlineVersion(store);
  if (version === null) return [];
  return store.db
    .prepare<[string, string, string, string], { day: string; score: number | null; confidence: number | null }>(
      'SELECT day, score, confidence FROM ml_predictions WHERE asset_id = ? AND model_version = ? AND day >= ? AND day <= ? ORDER BY day',
    )
    .all(assetId, version, from, to);
}

/** A version's latest `n` scores of one asset, newest first. */
export function latestScores(store: SqliteStore, version: string, assetId: string, n: number): { day: string; score: number }[] {
  return store.db
    .prepare<[string, string, number], { day: string; score: number }>('SELECT day, score FROM ml_predictions WHERE asset_id = ? AND model_version = ? AND score IS NOT NULL ORDER BY day DESC LIMIT ?')
    .all(assetId, version, n);
}

/** Each version's (and component's) latest prediction for the asset. Unparseable contributions read as none. */
export function latestPredictionPerVersion(store: SqliteStore, assetId: string): ModelView[] {
  const rows = store.db
    .prepare<[string], { model_version: string; day: string; score: number | null; confidence: number | null; prediction: number | null; contributions: string | null }>(
      `SELECT model_version, day, score, confidence, prediction, contributions FROM (
         SELECT *, ROW_NUMBER() OVER (PARTITION BY model_version ORDER BY day DESC) AS rn FROM ml_predictions WHERE asset_id = ?
       ) WHERE rn = 1 ORDER BY model_version`,
    )
    .all(assetId);
  return rows.map((r) => ({
    modelVersion: r.model_version,
    day: r.day,
    score: r.score,
    confidence: r.confidence,
    prediction: r.prediction,
    contributions: parseContributions(r.contributions),
  }));
}

/** Contributions as stored: `{feature: value}` or a list of `{feature|name, contribution|value}`. */
export function parseContributions(text: string | null): Record<string, number> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    const out: Record<string, number> = {};
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) {
        if (typeof item !== 'object' || item === null) continue;
        const o = item as Record<string, unknown>;
        const name = o.feature ?? o.name;
        const v = o.contribution ?? o.value;
        if (typeof name === 'string' && typeof v === 'number' && Number.isFinite(v)) out[name] = v;
      }
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}

/** The model shipped with the bundled dataset, installed by the importer after a matching import. */
export { installBundledModel, type InstallResult } from './bundled';
