import type { Migration } from './types';

/**
 * The model registry: every trained version with its parameters, features, data range, metrics
 * and artefacts; realised skill per version and day (A/B tracking); the A/B pair and the ml
 * settings (retraining schedule). Predictions go to the foundation's ml_predictions table.
 */
export const m0200MlRegistry: Migration = {
  id: '0200_ml_registry',
  statements: [
    `CREATE TABLE ml_models (
      version TEXT NOT NULL PRIMARY KEY,
      created_at TEXT NOT NULL,
      status TEXT NOT NULL,
      horizon_days BIGINT NOT NULL,
      data_from TEXT NOT NULL,
      data_until TEXT NOT NULL,
      train_from TEXT NOT NULL,
      train_to TEXT NOT NULL,
      train_rows BIGINT NOT NULL,
      features TEXT NOT NULL,
      params TEXT NOT NULL,
      metrics TEXT NOT NULL,
      artefacts TEXT NOT NULL,
      backend TEXT NOT NULL,
      duration_ms DOUBLE PRECISION NOT NULL
    )`,
    `CREATE TABLE ml_realised_ic (
      model_version TEXT NOT NULL,
      day TEXT NOT NULL,
      ic DOUBLE PRECISION,
      spread DOUBLE PRECISION,
      assets BIGINT NOT NULL,
      computed_at TEXT NOT NULL,
      PRIMARY KEY (model_version, day)
    )`,
    `CREATE TABLE ml_settings (
      key TEXT NOT NULL PRIMARY KEY,
      value TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
    `CREATE INDEX ml_predictions_version_day ON ml_predictions (model_version, day)`,
  ],
};
