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

export interface StoredContribution {
  feature: string;
  value: number | null;
  contribution: number;
}

/** The headline version's latest score of one asset with its feature values and contributions. */
export function headlineScoreOf(
  store: SqliteStore,
  assetId: string,
): { version: string; day: string; score: number | null; confidence: number | null; prediction: number | null; contributions: StoredContribution[]; models: Record<string, number | null> } | null {
  const version = headlineVersion(store);
  if (version === null) return null;
  const row = store.db
    .prepare<[string, string], { day: string; score: number | null; confidence: number | null; prediction: number | null; contributions: string | null }>(
      'SELECT day, score, confidence, prediction, contributions FROM ml_predictions WHERE model_version = ? AND asset_id = ? AND score IS NOT NULL ORDER BY day DESC LIMIT 1',
    )
    .get(version, assetId);
  if (!row) return null;
  let contributions: StoredContribution[] = [];
  try {
    const parsed: unknown = row.contributions ? JSON.parse(row.contributions) : [];
    if (Array.isArray(parsed)) {
      contributions = (parsed as Record<string, unknown>[]).flatMap((c) =>
        typeof c?.feature === 'string' && typeof c.contribution === 'number' ? [{ feature: c.feature, value: typeof c.value === 'number' ? c.value : null, contribution: c.contribution }] : [],
      );
    }
  } catch {
    /* unreadable contributions: the score stands without an explanation */
  }
  const models: Record<string, number | null> = {};
  const comps = store.db
    .prepare<[string, string, string], { model_version: string; prediction: number | null }>('SELECT model_version, prediction FROM ml_predictions WHERE model_version LIKE ? AND asset_id = ? AND day = ?')
    .all(`${version}:%`, assetId, row.day);
  for (const c of comps) models[c.model_version.slice(version.length + 1)] = c.prediction;
  return { version, day: row.day, score: row.score, confidence: row.confidence, prediction: row.prediction, contributions, models };
}

export interface HeadlineSkill {
  version: string;
  horizonDays: number;
  trainTo: string;
  /** Walk-forward (out-of-sample) skill of the ensemble. */
  ic: number | null;
  hitRate: number | null;
  quintileSpread: number | null;
  validationDays: number | null;
  /** Skill by confidence bucket over the validation: what "confidence" has meant. */
  reliability: { bucket: string; minConfidence: number | null; maxConfidence: number | null; ic: number | null; hitRate: number | null; quintileSpread: number | null }[];
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The headline version's out-of-sample skill, from its stored validation metrics. */
export function headlineSkill(store: SqliteStore): HeadlineSkill | null {
  const version = headlineVersion(store);
  if (version === null) return null;
  const row = store.db.prepare<[string], { horizon_days: number; train_to: string; metrics: string }>('SELECT horizon_days, train_to, metrics FROM ml_models WHERE version = ?').get(version);
  if (!row) return null;
  let m: { models?: { ensemble?: Record<string, unknown> }; reliability?: Record<string, unknown>[] } = {};
  try {
    m = JSON.parse(row.metrics) as typeof m;
  } catch {
    /* unreadable metrics: skill unknown */
  }
  const e = m.models?.ensemble ?? {};
  return {
    version,
    horizonDays: Number(row.horizon_days),
    trainTo: row.train_to,
    ic: finite(e.meanIc),
    hitRate: finite(e.hitRate),
    quintileSpread: finite(e.quintileSpread),
    validationDays: finite(e.dates),
    reliability: (m.reliability ?? []).map((r) => ({
      bucket: String(r.bucket),
      minConfidence: finite(r.minConfidence),
      maxConfidence: finite(r.maxConfidence),
      ic: finite(r.meanIc),
      hitRate: finite(r.hitRate),
      quintileSpread: finite(r.quintileSpread),
    })),
  };
}

/** The headline version's past (out-of-sample) scores of one asset, oldest first. */
export function headlineHistory(store: SqliteStore, assetId: string): { day: string; score: number }[] {
  const version = headlineVersion(store);
  if (version === null) return [];
  return store.db.prepare<[string, string], { day: string; score: number }>('SELECT day, score FROM ml_predictions WHERE model_version = ? AND asset_id = ? AND score IS NOT NULL ORDER BY day').all(version, assetId);
}

/**
 * A component model's own score: the percentile (0-100) of its prediction among that model's
 * predictions for every asset of the same day, as the ensemble's score is for the ensemble.
 */
export function componentScore(store: SqliteStore, modelVersion: string, day: string, prediction: number | null): number | null {
  if (prediction === null || !modelVersion.includes(':')) return null;
  const r = store.db
    .prepare<[number, number, string, string], { below: number; equal: number; n: number }>(
      'SELECT SUM(prediction < ?) AS below, SUM(prediction = ?) AS equal, COUNT(prediction) AS n FROM ml_predictions WHERE model_version = ? AND day = ?',
    )
    .get(prediction, prediction, modelVersion, day);
  if (!r || r.n < 2) return null;
  return Math.round(((r.below + Math.max(0, r.equal - 1) / 2) / (r.n - 1)) * 1000) / 10;
}
