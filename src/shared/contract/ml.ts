// Contract methods and events of the ml domain: training, scoring, the model registry and A/B.
import { z } from 'zod';
import { AssetId, Day, Empty } from '../schemas';
import { method, type MethodMap } from './define';

export const ModelName = z.enum(['ridge', 'gbm', 'rf', 'nn']);
export type ModelName = z.infer<typeof ModelName>;

/** A model version id, e.g. `m20240630-101500-3f2a`. */
export const ModelVersion = z.string().regex(/^[a-z0-9][a-z0-9-]{2,63}$/, 'expected a model version id');

/** NaN (no data) crosses the boundary as null. */
const Num = z.number().nullable();

export const ValidationMetrics = z.object({
  /** Mean over validation dates of the Spearman rank IC (prediction vs realised relative return). */
  meanIc: Num,
  /** t-statistic of meanIc (Newey-West, horizon - 1 lags: daily ICs overlap). */
  icT: Num,
  /** Share of validation dates with a positive IC. */
  positiveShare: Num,
  /** Mean over dates of top-minus-bottom quintile realised relative return. */
  quintileSpread: Num,
  /** Share of assets where the prediction's side of the day's median matches the realised sign. */
  hitRate: Num,
  /** Of the predicted relative log return; for chance: of predicting zero. */
  rmse: Num,
  dates: z.number().int(),
  rows: z.number().int(),
});
export type ValidationMetrics = z.infer<typeof ValidationMetrics>;

const Scores = z.object({ ridge: ValidationMetrics, gbm: ValidationMetrics, rf: ValidationMetrics, nn: ValidationMetrics, ensemble: ValidationMetrics, momentum: ValidationMetrics });
export const Weights = z.object({ ridge: z.number(), gbm: z.number(), rf: z.number(), nn: z.number() });

export const ModelSummary = z.object({
  version: ModelVersion,
  createdAt: z.string(),
  status: z.string(),
  /** champion = scored by default; challenger = scored beside it for A/B. */
  role: z.enum(['champion', 'challenger']).nullable(),
  horizonDays: z.number().int(),
  dataFrom: Day,
  dataUntil: Day,
  trainFrom: Day,
  trainTo: Day,
  trainRows: z.number().int(),
  features: z.array(z.string()),
  backend: z.string(),
  durationMs: z.number(),
  params: z.record(z.string(), z.unknown()),
  /** Walk-forward validation, out of sample: each model, the ensemble and the momentum baseline. */
  metrics: Scores,
  /** The ensemble's predictions shuffled among each date's assets; icSd = spread of the mean IC over shuffles. */
  chance: ValidationMetrics.extend({ icSd: Num }),
  weights: Weights,
});
export type ModelSummary = z.infer<typeof ModelSummary>;

const IcPoint = z.object({ day: Day, ic: z.number(), spread: z.number() });

export const ModelDetail = ModelSummary.extend({
  /** IC and quintile spread per validation date, per model. */
  icSeries: z.object({ ridge: z.array(IcPoint), gbm: z.array(IcPoint), rf: z.array(IcPoint), nn: z.array(IcPoint), ensemble: z.array(IcPoint), momentum: z.array(IcPoint) }),
  folds: z.array(
    z.object({
      fold: z.number().int(),
      trainEnd: Day,
      valStart: Day,
      valEnd: Day,
      trainRows: z.number().int(),
      valRows: z.number().int(),
      ic: z.object({ ridge: Num, gbm: Num, rf: Num, nn: Num, ensemble: Num, momentum: Num }),
    }),
  ),
  /** Realised skill of the ensemble by confidence tercile (calibration). */
  reliability: z.array(z.object({ bucket: z.enum(['low', 'mid', 'high']), minConfidence: Num, maxConfidence: Num, rows: z.number().int(), meanIc: Num, quintileSpread: Num, hitRate: Num })),
  importance: z.object({
    ridge: z.array(z.object({ feature: z.string(), importance: z.number() })),
    gbm: z.array(z.object({ feature: z.string(), importance: z.number() })),
    rf: z.array(z.object({ feature: z.string(), importance: z.number() })),
    nn: z.array(z.object({ feature: z.string(), importance: z.number() })),
    ensemble: z.array(z.object({ feature: z.string(), importance: z.number() })),
  }),
  /** Features dropped because (almost) no asset had them in the training data. */
  dropped: z.array(z.string()),
  stages: z.array(z.object({ stage: z.string(), ms: z.number(), rssMb: z.number() })),
});
export type ModelDetail = z.infer<typeof ModelDetail>;

export const Contribution = z.object({ feature: z.string(), value: z.number().nullable(), contribution: z.number() });

export const ScoredAsset = z.object({
  assetId: AssetId,
  symbol: z.string(),
  /** 0-100: the asset's percentile in that day's cross-section by the ensemble. */
  score: z.number().min(0).max(100),
  /** 0-1: model agreement, validation skill and data completeness. */
  confidence: z.number().min(0).max(1),
  /** Expected log return over the horizon relative to the day's median asset. */
  prediction: z.number(),
  models: z.object({ ridge: z.number(), gbm: z.number(), rf: z.number(), nn: z.number() }),
  /** Share of features with data (0-1); null when read back from stored scores. */
  completeness: z.number().nullable(),
  /** Largest feature contributions to the prediction, relative to the day's average asset. */
  contributions: z.array(Contribution),
});
export type ScoredAsset = z.infer<typeof ScoredAsset>;

export const ScoreResult = z.object({
  modelVersion: ModelVersion,
  day: Day,
  horizonDays: z.number().int(),
  /** The day is inside the version's training data: these scores are in-sample and not stored. */
  inSample: z.boolean(),
  assets: z.array(ScoredAsset),
});
export type ScoreResult = z.infer<typeof ScoreResult>;

export const RealisedPoint = z.object({ day: Day, ic: Num, spread: Num, assets: z.number().int() });

export const AbStatus = z.object({
  champion: ModelVersion.nullable(),
  challenger: ModelVersion.nullable(),
  versions: z.array(
    z.object({
      version: ModelVersion,
      role: z.enum(['champion', 'challenger']),
      validationIc: Num,
      /** Realised skill of scores made after the version's training data ended. */
      realised: z.object({ days: z.number().int(), meanIc: Num, meanSpread: Num, series: z.array(RealisedPoint) }),
    }),
  ),
});
export type AbStatus = z.infer<typeof AbStatus>;

/** The training options a call to ml.train and a scheduled retrain share (omitted = the default). */
const trainingOptions = {
  /** Forward-return horizon in days. @default config horizonDays (30) */
  horizon: z.number().int().min(5).max(180).optional(),
  folds: z.number().int().min(2).max(12).optional(),
  /** Train on every n-th day. @default 3 */
  trainStride: z.number().int().min(1).max(30).optional(),
  gbmIterations: z.number().int().min(1).max(2000).optional(),
  rfTrees: z.number().int().min(1).max(1000).optional(),
  nnEpochs: z.number().int().min(1).max(200).optional(),
};

/** Training options a scheduled retrain uses (the defaults when empty). */
export const RetrainOptions = z.object(trainingOptions).strict();

export const Schedule = z.object({
  /** Retrain when the newest version is older than this; null = only on demand. */
  intervalHours: z.number().nullable(),
  options: RetrainOptions,
  lastTrainedAt: z.string().nullable(),
  nextDueAt: z.string().nullable(),
  running: z.boolean(),
});
export type Schedule = z.infer<typeof Schedule>;

export const TrainInput = z
  .object({
    /** Train on data up to and including this day (default: all data). */
    until: Day.optional(),
    ...trainingOptions,
    /** Make the new version the champion at once instead of the A/B challenger. */
    promote: z.boolean().default(false),
  })
  .strict()
  .default({ promote: false });

export const BacktestInput = z
  .object({
    /** First scored day and first retrain date. */
    from: Day,
    /** Last scored day (its return over the horizon must be in the data). */
    to: Day,
    /** Score every n days. @default 30 */
    every: z.number().int().min(1).max(365).default(30),
    /** Retrain every n days, each time on the data known then. @default 90 */
    retrainEvery: z.number().int().min(1).max(3650).default(90),
    horizon: TrainInput.unwrap().shape.horizon,
    folds: TrainInput.unwrap().shape.folds,
    trainStride: TrainInput.unwrap().shape.trainStride,
    gbmIterations: TrainInput.unwrap().shape.gbmIterations,
    rfTrees: TrainInput.unwrap().shape.rfTrees,
    nnEpochs: TrainInput.unwrap().shape.nnEpochs,
  })
  .strict();

/** One scored day of a backtest; metrics are null where the day had too few assets to judge. */
export const BacktestDate = z.object({
  day: Day,
  modelVersion: z.string(),
  /** The model was trained on data up to this day only. */
  trainedUntil: Day,
  ic: Num,
  spread: Num,
  hitRate: Num,
  momentumIc: Num,
});

export const BacktestReport = z.object({
  dates: z.array(BacktestDate),
  summary: z.object({ meanIc: Num, icT: Num, positiveShare: Num, meanSpread: Num, cumulativeSpread: Num }),
});
export type BacktestReport = z.infer<typeof BacktestReport>;

export const mlMethods = {
  'ml.backtest': method({
    description:
      'Walk-forward point-in-time backtest: retrains every retrainEvery days on the data known then, scores every `every` days, and judges each scored day by the returns that followed (rank IC, top-minus-bottom quintile, hit rate, momentum baseline). Progress events; cancel with tasks.cancel.',
    long: true,
    input: BacktestInput,
    output: BacktestReport,
  }),
  'ml.train': method({
    description: 'Trains a new model version off the main thread (progress events; cancel with tasks.cancel), validates it walk-forward, stores it and scores its last day.',
    long: true,
    input: TrainInput,
    output: ModelSummary,
  }),
  'ml.score': method({
    description: 'Investment scores of every asset on a day (default: the latest) by a version (default: the champion), with per-model predictions and feature contributions.',
    long: true,
    input: z.object({ day: Day.optional(), modelVersion: ModelVersion.optional(), limit: z.number().int().min(1).max(10_000).optional() }).strict().default({}),
    output: ScoreResult,
  }),
  'ml.scoreHistory': method({
    description: "One asset's stored scores over time for a version (default: the champion): out-of-sample validation weeks and later scored days.",
    input: z.object({ assetId: AssetId, modelVersion: ModelVersion.optional() }).strict(),
    output: z.object({
      modelVersion: ModelVersion,
      trainTo: Day,
      points: z.array(z.object({ day: Day, score: z.number(), confidence: z.number().nullable(), prediction: z.number().nullable(), kind: z.enum(['validation', 'live']) })),
    }),
  }),
  'ml.models': method({
    description: 'Every stored model version with its validation metrics, newest first.',
    input: Empty,
    output: z.array(ModelSummary),
  }),
  'ml.model': method({
    description: 'One version in full: IC per validation date, folds, calibration, feature importance, stage times.',
    input: z.object({ version: ModelVersion }).strict(),
    output: ModelDetail,
  }),
  'ml.abStatus': method({
    description: 'The A/B pair and each version’s realised IC on scored days whose horizon has passed.',
    input: Empty,
    output: AbStatus,
  }),
  'ml.abSet': method({
    description: 'Sets the champion (scored by default) and the challenger (scored beside it), or ends the test with challenger null.',
    input: z.object({ champion: ModelVersion, challenger: ModelVersion.nullable().default(null) }).strict(),
    output: AbStatus,
  }),
  'ml.schedule': method({
    description: 'Reads, or with intervalHours sets, the retraining schedule.',
    input: z.object({ intervalHours: z.number().min(1).max(24 * 365).nullable().optional(), options: RetrainOptions.optional() }).strict().default({}),
    output: Schedule,
  }),
} satisfies MethodMap;

export const mlEvents = {
  /** A new version was trained and stored. */
  'ml.trained': z.object({ version: ModelVersion, role: z.enum(['champion', 'challenger']), ensembleIc: Num }),
};
