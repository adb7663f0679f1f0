/** The ensemble's members and baselines as an analyst reads them; unknown keys pass through. */
const MODEL_NAMES: Record<string, string> = {
  ridge: 'Ridge regression',
  rf: 'Random forest',
  gbm: 'Gradient boosting',
  nn: 'Neural network',
  ensemble: 'Ensemble',
  momentum: 'Momentum (baseline)',
  chance: 'Chance (shuffled baseline)',
};

/** "gbm" → "Gradient boosting". */
export function modelName(key: string): string {
  return MODEL_NAMES[key] ?? key;
}
