import type { Migration } from './types';

/**
 * How many ml_predictions rows a model version was saved with. Sync moves a model's rows in
 * batches, so another client (or the team database) can hold a version's row before all of its
 * predictions: readers show a version only once that many have arrived. NULL (versions saved
 * before this column) counts as complete.
 */
export const m0502MlModelCompleteness: Migration = {
  id: '0502_ml_model_completeness',
  statements: ['ALTER TABLE ml_models ADD COLUMN prediction_rows BIGINT'],
};
