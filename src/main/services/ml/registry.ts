/**
 * The model registry in the local store: versions with params, features, data range, metrics and
 * artefacts (ml_models); their predictions (ml_predictions: the ensemble under the version id,
 * each model under `<version>:<model>`); realised skill per day (ml_realised_ic); settings.
 * Every write goes through store.write so the sync outbox sees it.
 */
import { randomBytes } from 'node:crypto';
import type { ModelDetail, ModelSummary } from '../../../shared/contract/ml';
import { AppError } from '../../../shared/errors';
import type { MlModelsTable } from '../storage/db-types';
import type { SqliteStore } from '../storage/sqlite';
import { MODEL_NAMES, type Artefacts, type ScoredAsset, type TrainResult } from './pipeline';

/** A stored score: completeness is not kept in the table. */
export type StoredScore = Omit<ScoredAsset, 'completeness'> & { completeness: number | null };

/** A stored version: the `ml_models` row. */
export type ModelRow = MlModelsTable;

export function newVersionId(now = new Date()): string {
  const iso = now.toISOString();
  return `m${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`;
}

export function componentVersion(version: string, model: string): string {
  return `${version}:${model}`;
}

export function getSetting<T>(store: SqliteStore, key: string): T | null {
  const row = store.db.prepare<unknown[], { value: string }>('SELECT value FROM ml_settings WHERE key = ?').get(key);
  return row ? (JSON.parse(row.value) as T) : null;
}

export function setSetting(store: SqliteStore, key: string, value: unknown): void {
  store.write('ml_settings', [{ key, value: JSON.stringify(value), updated_at: new Date().toISOString() }]);
}

export interface AbPair {
  champion: string | null;
  challenger: string | null;
}

/** The A/B pair; a version not (yet completely) stored here counts as none. */
export function getAb(store: SqliteStore): AbPair {
  const ab = getSetting<AbPair>(store, 'ab') ?? { champion: null, challenger: null };
  return {
    champion: ab.champion && isCompleteVersion(store, ab.champion) ? ab.champion : null,
    challenger: ab.challenger && isCompleteVersion(store, ab.challenger) ? ab.challenger : null,
  };
}

function predictionRows(version: string, scores: ScoredAsset[], createdAt: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const s of scores) {
    rows.push({ asset_id: s.assetId, day: s.day, model_version: version, score: s.score, confidence: s.confidence, prediction: s.prediction, contributions: JSON.stringify(s.contributions), created_at: createdAt });
    for (const m of MODEL_NAMES) rows.push({ asset_id: s.assetId, day: s.day, model_version: componentVersion(version, m), score: null, confidence: null, prediction: s.models[m], contributions: null, created_at: createdAt });
  }
  return rows;
}

/**
 * Stores a trained version, its out-of-sample history, its scores and its A/B role, in one
 * transaction: a kill at any point leaves either nothing or a complete version with its role.
 *
 * Children before the parent: the predictions are written first, then the version row (with how
 * many predictions it holds), then the A/B setting. The sync outbox keeps that order, so however
 * sync batches split the rows and whenever it is killed, the team database receives a version's
 * row only after all its predictions, and the role last; readers elsewhere also check the count
 * (see COMPLETE), whatever order rows arrive in.
 */
export function saveTrainedModel(store: SqliteStore, version: string, r: TrainResult, durationMs: number, role: 'champion' | 'challenger' | null = null): void {
  const createdAt = new Date().toISOString();
  store.transaction(() => {
    store.write(
      'ml_predictions',
      r.history.map((h) => ({ asset_id: h.assetId, day: h.day, model_version: version, score: h.score, confidence: h.confidence, prediction: h.prediction, contributions: null, created_at: createdAt })),
    );
    // Scores of a day inside the training data would be in-sample: only later days are stored.
    savePredictions(store, version, r.scores.filter((s) => s.day > r.trainTo));
    store.write('ml_models', [
      {
        version,
        created_at: createdAt,
        status: 'ready',
        horizon_days: r.horizon,
        data_from: r.dataFrom,
        data_until: r.dataUntil,
        train_from: r.trainFrom,
        train_to: r.trainTo,
        train_rows: r.trainRows,
        features: JSON.stringify(r.features),
        params: JSON.stringify(r.params),
        metrics: JSON.stringify(r.metrics),
        artefacts: JSON.stringify(r.artefacts),
        backend: r.metrics.backend,
        duration_ms: Math.round(durationMs),
        prediction_rows: predictionCount(store, version),
      },
    ]);
    if (role !== null) {
      const ab = getAb(store);
      setSetting(store, 'ab', role === 'champion' ? { champion: version, challenger: ab.challenger === version ? null : ab.challenger } : { champion: ab.champion, challenger: version });
    }
  });
}

/** Predictions stored under a version: the ensemble's and each component model's (`<version>:<model>`). */
export function predictionCount(store: SqliteStore, version: string): number {
  // Two index range reads on (model_version, day): ':' < ';' bounds every `<version>:...`.
  return (
    store.db
      .prepare<[string, string, string], { n: number }>(
        `SELECT (SELECT count(*) FROM ml_predictions WHERE model_version = ?) + (SELECT count(*) FROM ml_predictions WHERE model_version > ? AND model_version < ?) AS n`,
      )
      .get(version, `${version}:`, `${version};`)?.n ?? 0
  );
}

/**
 * A model row `m` whose predictions have all arrived. Sync can deliver a version's row before its
 * last predictions (another client's push cut between batches, read elsewhere): until they are
 * all here the version is not listed, not the default and not the champion.
 */
const COMPLETE = `(m.prediction_rows IS NULL OR
  (SELECT count(*) FROM ml_predictions WHERE model_version = m.version) +
  (SELECT count(*) FROM ml_predictions WHERE model_version > m.version || ':' AND model_version < m.version || ';') >= m.prediction_rows)`;

/** Whether a version is stored here with all of its predictions. */
export function isCompleteVersion(store: SqliteStore, version: string): boolean {
  return store.db.prepare(`SELECT 1 FROM ml_models m WHERE m.version = ? AND ${COMPLETE}`).get(version) !== undefined;
}

export function savePredictions(store: SqliteStore, version: string, scores: ScoredAsset[]): void {
  if (scores.length) store.write('ml_predictions', predictionRows(version, scores, new Date().toISOString()));
}

export function getModelRow(store: SqliteStore, version: string): ModelRow {
  const row = store.db.prepare<unknown[], ModelRow & { prediction_rows: number | null }>('SELECT * FROM ml_models WHERE version = ?').get(version);
  if (!row) throw new AppError('NOT_FOUND', `no model version "${version}"`);
  if (!isCompleteVersion(store, version)) {
    throw new AppError('NOT_FOUND', `model version "${version}" is still arriving from the team database (${predictionCount(store, version)} of its ${row.prediction_rows} predictions so far); sync again, or use another version`, { retryable: true });
  }
  return row;
}

export function listModelRows(store: SqliteStore): Omit<ModelRow, 'artefacts'>[] {
  return store.db
    .prepare<unknown[], Omit<ModelRow, 'artefacts'>>(
      `SELECT version, created_at, status, horizon_days, data_from, data_until, train_from, train_to, train_rows, features, params, metrics, backend, duration_ms FROM ml_models m
       WHERE ${COMPLETE} ORDER BY created_at DESC, version DESC`,
    )
    .all();
}

export function getArtefacts(store: SqliteStore, version: string): Artefacts {
  return JSON.parse(getModelRow(store, version).artefacts) as Artefacts;
}

/** The version to use when none is named: the champion, else the newest. */
export function defaultVersion(store: SqliteStore): string {
  const ab = getAb(store);
  if (ab.champion) return ab.champion;
  const row = store.db.prepare<unknown[], { version: string }>(`SELECT version FROM ml_models m WHERE ${COMPLETE} ORDER BY created_at DESC, version DESC LIMIT 1`).get();
  if (!row) throw new AppError('NOT_FOUND', 'no trained model yet: run `defimon train` (or ml.train) first');
  return row.version;
}

export function toSummary(row: Omit<ModelRow, 'artefacts'>, ab: AbPair): ModelSummary {
  const m = JSON.parse(row.metrics) as { models: ModelSummary['metrics']; chance: ModelSummary['chance']; weights: ModelSummary['weights'] };
  return {
    version: row.version,
    createdAt: row.created_at,
    status: row.status,
    role: ab.champion === row.version ? 'champion' : ab.challenger === row.version ? 'challenger' : null,
    horizonDays: Number(row.horizon_days),
    dataFrom: row.data_from,
    dataUntil: row.data_until,
    trainFrom: row.train_from,
    trainTo: row.train_to,
    trainRows: Number(row.train_rows),
    features: JSON.parse(row.features) as string[],
    backend: row.backend,
    durationMs: Number(row.duration_ms),
    params: JSON.parse(row.params) as Record<string, unknown>,
    metrics: m.models,
    chance: m.chance,
    weights: m.weights,
  };
}

export function toDetail(row: Omit<ModelRow, 'artefacts'>, ab: AbPair): ModelDetail {
  const m = JSON.parse(row.metrics) as Pick<ModelDetail, 'icSeries' | 'folds' | 'reliability' | 'importance' | 'dropped' | 'stages'>;
  return { ...toSummary(row, ab), icSeries: m.icSeries, folds: m.folds, reliability: m.reliability, importance: m.importance, dropped: m.dropped, stages: m.stages };
}

/** Stored ensemble scores of one day for a version, with each model's prediction. */
export function storedScores(store: SqliteStore, version: string, day: string): StoredScore[] | null {
  const rows = store.db
    .prepare<unknown[], { asset_id: string; symbol: string; score: number; confidence: number; prediction: number; contributions: string }>(
      `SELECT p.asset_id, a.symbol, p.score, p.confidence, p.prediction, p.contributions FROM ml_predictions p JOIN crypto_assets a ON a.asset_id = p.asset_id
       WHERE p.model_version = ? AND p.day = ? AND p.contributions IS NOT NULL ORDER BY p.score DESC, p.asset_id`,
    )
    .all(version, day);
  if (rows.length === 0) return null;
  const comp = store.db.prepare<unknown[], {
    asset_id: string;
    model_version: string;
    prediction: number;
  }>('SELECT asset_id, model_version, prediction FROM ml_predictions WHERE day = ? AND model_version IN (?, ?, ?, ?)').all(day, ...MODEL_NAMES.map((m) => componentVersion(version, m)));
  const byAsset = new Map<string, Record<string, number>>();
  for (const c of comp) {
    const m = byAsset.get(c.asset_id) ?? {};
    m[c.model_version.slice(version.length + 1)] = c.prediction;
    byAsset.set(c.asset_id, m);
  }
  return rows.map((r) => {
    const models = byAsset.get(r.asset_id) ?? {};
    const contributions = JSON.parse(r.contributions) as ScoredAsset['contributions'];
    const completeness = null;
    return {
      assetId: r.asset_id,
      symbol: r.symbol,
      day,
      score: r.score,
      confidence: r.confidence,
      prediction: r.prediction,
      models: { ridge: models.ridge ?? NaN, gbm: models.gbm ?? NaN, rf: models.rf ?? NaN, nn: models.nn ?? NaN },
      completeness,
      contributions,
    };
  });
}
