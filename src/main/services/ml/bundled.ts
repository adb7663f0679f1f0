/**
 * The model shipped with the bundled dataset, so the first start shows scores at once instead of
 * after minutes of training. `npm run dataset` trains it on the bundled files and writes
 * `model.json.gz` beside them, naming the dataset fingerprint it was trained on. It is installed
 * only into a store whose bundled import has exactly that fingerprint: a model trained on other
 * data would show scores the data do not support.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { SqliteStore } from '../storage/sqlite';
import { getAb, setSetting, type ModelRow } from './registry';

export const BUNDLED_MODEL_FILE = 'model.json.gz';

const PREDICTION_COLUMNS = ['asset_id', 'day', 'model_version', 'score', 'confidence', 'prediction', 'contributions', 'created_at'] as const;

const BundledModel = z.object({
  format: z.literal(1),
  /** The import fingerprint of the dataset the model was trained on. */
  datasetFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  model: z.object({
    version: z.string().min(1),
    created_at: z.string(),
    status: z.string(),
    horizon_days: z.number(),
    data_from: z.string(),
    data_until: z.string(),
    train_from: z.string(),
    train_to: z.string(),
    train_rows: z.number(),
    features: z.string(),
    params: z.string(),
    metrics: z.string(),
    artefacts: z.string(),
    backend: z.string(),
    duration_ms: z.number(),
  }),
  /** Rows of ml_predictions, columnar: one array per row in PREDICTION_COLUMNS order. */
  predictions: z.array(z.tuple([z.string(), z.string(), z.string(), z.number().nullable(), z.number().nullable(), z.number().nullable(), z.string().nullable(), z.string()])),
});
export type BundledModel = z.infer<typeof BundledModel>;

/** Packs a stored version (its row and every prediction of it and its component models). */
export function exportModel(store: SqliteStore, version: string, datasetFingerprint: string): BundledModel {
  const model = store.db.prepare<[string], ModelRow>('SELECT * FROM ml_models WHERE version = ?').get(version);
  if (!model) throw new AppError('NOT_FOUND', `no model version "${version}"`);
  const rows = store.db
    .prepare<[string, string], BundledModel['predictions'][number]>(`SELECT ${PREDICTION_COLUMNS.join(', ')} FROM ml_predictions WHERE model_version = ? OR model_version LIKE ? ORDER BY model_version, day, asset_id`)
    .raw()
    .all(version, `${version}:%`);
  return { format: 1, datasetFingerprint, model: { ...model, horizon_days: Number(model.horizon_days), train_rows: Number(model.train_rows), duration_ms: Number(model.duration_ms) }, predictions: rows };
}

export function writeBundledModel(dir: string, bundle: BundledModel): string {
  const file = path.join(dir, BUNDLED_MODEL_FILE);
  writeFileSync(file, gzipSync(JSON.stringify(bundle), { level: 9 }));
  return file;
}

export type InstallResult = { installed: true; version: string; predictions: number } | { installed: false; reason: string };

/**
 * Installs the dataset's shipped model when the store's data came from that same dataset and no
 * model is installed under its version yet; it becomes the champion unless one is already set.
 */
export function installBundledModel(store: SqliteStore, dir: string, fingerprint: string | null): InstallResult {
  const file = path.join(dir, BUNDLED_MODEL_FILE);
  if (!existsSync(file)) return { installed: false, reason: 'the dataset ships no model' };
  let bundle: BundledModel;
  try {
    bundle = BundledModel.parse(JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')));
  } catch (err) {
    return { installed: false, reason: `the shipped model is unreadable (${(err as Error).message.slice(0, 200)})` };
  }
  if (fingerprint === null || bundle.datasetFingerprint !== fingerprint) {
    return { installed: false, reason: 'the shipped model was trained on a different dataset than the one imported' };
  }
  const version = bundle.model.version;
  if (store.db.prepare('SELECT 1 FROM ml_models WHERE version = ?').get(version)) return { installed: false, reason: `model ${version} is already installed` };
  store.transaction(() => {
    store.write('ml_models', [bundle.model], { origin: 'import' });
    const rows = bundle.predictions.map((p) => Object.fromEntries(PREDICTION_COLUMNS.map((c, i) => [c, p[i]])));
    store.write('ml_predictions', rows, { origin: 'import' });
    const ab = getAb(store);
    if (!ab.champion) setSetting(store, 'ab', { champion: version, challenger: ab.challenger });
  });
  return { installed: true, version, predictions: bundle.predictions.length };
}
