/**
 * The training pipeline, free of storage and threads so it runs the same in the worker, the
 * bench and the tests: features -> walk-forward validation of every model (with the ensemble,
 * a momentum baseline and chance) -> final fit on all labelled rows -> scores for a day.
 */
import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { AppError } from '../../../shared/errors';
import { BASE_FEATURES, computeFeatures, FEATURE_LOOKBACK_DAYS, MOMENTUM_FEATURE, rowsByDay, type FeatureSet } from './features';
import { fitRidge, predictRidge, ridgeContributions, ridgeImportance, type RidgeModel } from './linear';
import { addDays, clamp, createRng, mean, percentileRanks, quantile, shuffleInPlace } from './math';
import { DEFAULT_NN, fitNn, nnContributions, nnImportance, predictNn, type NnModel, type NnParams } from './nn';
import { loadPanel, windowOf, type RawPanel, type WarmPanel } from './panel';
import { binFeatures, DEFAULT_GBM, DEFAULT_RF, fitGbm, fitRandomForest, predictTrees, treeContributions, treesFromJson, treesToJson, type EnsembleOfTrees, type GbmParams, type RfParams } from './trees';
import { chanceMetrics, evaluate, walkForwardSplits, type DailyIc, type Metrics } from './validation';

export const MODEL_NAMES = ['ridge', 'gbm', 'rf', 'nn'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface TrainParams {
  horizon: number;
  folds: number;
  /** Train on every n-th day: neighbouring days share most of their forward window, so they add little. */
  trainStride: number;
  /** Days with fewer labelled assets are not used for training or validation. */
  minAssetsPerDay: number;
  /** A feature present in less than this share of labelled rows is dropped (e.g. a family not collected). */
  minCoverage: number;
  ridgeAlpha: number;
  gbm: Partial<GbmParams>;
  rf: Partial<RfParams>;
  nn: Partial<NnParams>;
  /** Out-of-sample scores kept for score history, every n-th validation day. */
  historyStride: number;
  /** Feature contributions kept per asset. */
  topContributions: number;
  /**
   * Placebo check: when set, targets are permuted among each day's assets (with this seed)
   * before anything is fitted, so every model and the ensemble should score an IC near zero.
   */
  placeboSeed: number | null;
}

export const DEFAULT_TRAIN_PARAMS: TrainParams = {
  horizon: 30,
  folds: 6,
  trainStride: 3,
  minAssetsPerDay: 10,
  minCoverage: 0.01,
  ridgeAlpha: 0.05,
  gbm: {},
  rf: {},
  nn: {},
  historyStride: 7,
  topContributions: 12,
  placeboSeed: null,
};

export interface Artefacts {
  features: string[];
  horizon: number;
  weights: Record<ModelName, number>;
  /** Out-of-sample ensemble IC; part of every score's confidence. */
  skill: number;
  ridge: RidgeModel;
  gbm: ReturnType<typeof treesToJson>;
  rf: ReturnType<typeof treesToJson>;
  nn: NnModel;
}

export interface Contribution {
  feature: string;
  value: number | null;
  contribution: number;
}

export interface ScoredAsset {
  assetId: string;
  symbol: string;
  day: string;
  score: number;
  confidence: number;
  prediction: number;
  models: Record<ModelName, number>;
  completeness: number;
  contributions: Contribution[];
}

export interface ReliabilityRow {
  bucket: 'low' | 'mid' | 'high';
  minConfidence: number;
  maxConfidence: number;
  rows: number;
  meanIc: number;
  quintileSpread: number;
  hitRate: number;
}

export interface TrainMetrics {
  models: Record<ModelName | 'ensemble' | 'momentum', Metrics>;
  chance: Metrics & { icSd: number };
  folds: { fold: number; trainEnd: string; valStart: string; valEnd: string; trainRows: number; valRows: number; ic: Record<ModelName | 'ensemble' | 'momentum', number> }[];
  icSeries: Record<ModelName | 'ensemble' | 'momentum', { day: string; ic: number; spread: number }[]>;
  reliability: ReliabilityRow[];
  importance: Record<ModelName | 'ensemble', { feature: string; importance: number }[]>;
  weights: Record<ModelName, number>;
  dropped: string[];
  backend: string;
  stages: { stage: string; ms: number; rssMb: number }[];
}

export interface TrainResult {
  horizon: number;
  dataFrom: string;
  dataUntil: string;
  trainFrom: string;
  trainTo: string;
  trainRows: number;
  features: string[];
  params: TrainParams;
  metrics: TrainMetrics;
  artefacts: Artefacts;
  history: { assetId: string; day: string; score: number; confidence: number; prediction: number }[];
  scores: ScoredAsset[];
}

export interface PipelineHooks {
  progress?: (done: number, total: number, message: string) => void;
  signal?: AbortSignal;
  /** Stage timings; peak RSS so far (the process's high-water mark). */
  onStage?: (stage: string, ms: number, rssMb: number) => void;
  /** Runs the model fits. @default one after another on this thread */
  executor?: FoldExecutor;
}

type Preds = Record<ModelName, Float64Array>;

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function gather(fs: FitData, rows: ArrayLike<number>, cols: number[]): Float32Array {
  const F = cols.length;
  const out = new Float32Array(rows.length * F);
  for (let k = 0; k < rows.length; k++) {
    const o = rows[k]! * fs.nFeat;
    for (let j = 0; j < F; j++) out[k * F + j] = fs.X[o + cols[j]!]!;
  }
  return out;
}

function winsorised(y: Float64Array): Float64Array {
  const sorted = Float64Array.from(y).sort();
  const lo = quantile(sorted, 0.01);
  const hi = quantile(sorted, 0.99);
  return y.map((v) => clamp(v, lo, hi));
}

export function skillWeights(ics: Record<ModelName, number>): Record<ModelName, number> {
  const raw = MODEL_NAMES.map((m) => (Number.isFinite(ics[m]) ? Math.max(0, ics[m]) : 0));
  const total = raw.reduce((s, v) => s + v, 0);
  const out = {} as Record<ModelName, number>;
  // No model beats chance: fall back to equal weights rather than trusting noise.
  MODEL_NAMES.forEach((m, k) => (out[m] = total > 0 ? raw[k]! / total : 1 / MODEL_NAMES.length));
  return out;
}

interface FittedSet {
  ridge: RidgeModel;
  gbm: ReturnType<typeof fitGbm>;
  rf: ReturnType<typeof fitRandomForest>;
  nn: NnModel;
}

/** The fits of one job, in the order `fitAll` reports them. */
const FIT_STEPS = ['ridge', 'gbm', 'rf', 'nn'] as const;

/**
 * Progress steps that may arrive in any order, passed on in `expected` order: a step waits until
 * every step before it has arrived. A step not in `expected` goes out at once.
 */
export function stepsInOrder(expected: readonly string[], emit: (msg: string) => void): (msg: string) => void {
  const arrived = new Set<string>();
  const known = new Set(expected);
  let next = 0;
  return (msg) => {
    if (!known.has(msg)) return emit(msg);
    arrived.add(msg);
    while (next < expected.length && arrived.has(expected[next]!)) emit(expected[next++]!);
  };
}

/**
 * CPU time the calling thread has used, in ms, where the system tells it per thread (Linux's
 * /proc/thread-self/schedstat, in ns); null elsewhere. On a busy machine a fit's wall time
 * includes waiting for a core; this does not.
 */
export function threadCpuMs(): number | null {
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** How long each model's fit took on the thread that ran it: wall time, and CPU time where known. */
export interface FitTimes {
  wallMs: Record<ModelName, number>;
  cpuMs: Record<ModelName, number> | null;
}

/** When and where a fold job ran: the thread's id and its start and end (ms since the epoch). */
export interface JobSpan {
  thread: number;
  from: number;
  to: number;
}

function fitAll(fs: FitData, rows: number[], cols: number[], p: TrainParams, step: (msg: string) => void, signal?: AbortSignal): { models: FittedSet; times: FitTimes } {
  const F = cols.length;
  const X = gather(fs, rows, cols);
  const y = winsorised(Float64Array.from(rows, (r) => fs.target[r]!));
  const n = rows.length;
  const wallMs = {} as Record<ModelName, number>;
  let cpuMs: Record<ModelName, number> | null = {} as Record<ModelName, number>;
  // Each model is timed, reported, and a cancel honoured between models.
  const fit = <T>(name: ModelName, run: () => T): T => {
    const t0 = performance.now();
    const c0 = threadCpuMs();
    const model = run();
    const c1 = threadCpuMs();
    wallMs[name] = performance.now() - t0;
    if (cpuMs && c0 !== null && c1 !== null) cpuMs[name] = c1 - c0;
    else cpuMs = null;
    step(name);
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
    return model;
  };
  const ridge = fit('ridge', () => fitRidge(X, n, F, y, p.ridgeAlpha));
  const binned = binFeatures(X, n, F, 1);
  const gbm = fit('gbm', () => fitGbm(X, n, F, y, p.gbm, { binned }));
  const rf = fit('rf', () => fitRandomForest(X, n, F, y, p.rf, { binned }));
  const nn = fit('nn', () => fitNn(X, n, F, y, p.nn));
  return { models: { ridge, gbm, rf, nn }, times: { wallMs, cpuMs } };
}

function predictAll(m: FittedSet, X: Float32Array, n: number, F: number): Preds {
  return { ridge: predictRidge(m.ridge, X, n, F), gbm: predictTrees(m.gbm, X, n, F), rf: predictTrees(m.rf, X, n, F), nn: predictNn(m.nn, X, n, F) };
}

/** What fitting needs of a feature set; small enough to hand to another thread. */
export type FitData = Pick<FeatureSet, 'X' | 'nFeat' | 'target'>;

/** One fit of all four models: a validation fold (predicting its rows) or the final fit. */
export interface FoldJob {
  id: number;
  label: string;
  trainRows: Int32Array;
  predictRows: Int32Array;
  /** Keep the fitted models (the final fit) instead of only their predictions. */
  keepModels: boolean;
}

export interface FoldOutput {
  id: number;
  preds: Preds;
  times: FitTimes;
  span: JobSpan;
  models: { ridge: RidgeModel; gbm: ReturnType<typeof treesToJson>; rf: ReturnType<typeof treesToJson>; nn: NnModel } | null;
}

/** Runs fold jobs; the worker supplies one that spreads them over threads. */
export type FoldExecutor = (data: FitData, cols: number[], p: TrainParams, jobs: FoldJob[], step: (msg: string) => void, signal?: AbortSignal) => Promise<FoldOutput[]>;

export function runFoldJob(data: FitData, cols: number[], p: TrainParams, job: FoldJob, step: (msg: string) => void, signal?: AbortSignal): FoldOutput {
  const from = performance.timeOrigin + performance.now();
  const { models, times } = fitAll(data, Array.from(job.trainRows), cols, p, (m) => step(`${job.label}: ${m}`), signal);
  const X = gather(data, job.predictRows, cols);
  const preds = predictAll(models, X, job.predictRows.length, cols.length);
  return {
    id: job.id,
    preds,
    times,
    span: { thread: threadId, from, to: performance.timeOrigin + performance.now() },
    models: job.keepModels ? { ridge: models.ridge, gbm: treesToJson(models.gbm), rf: treesToJson(models.rf), nn: models.nn } : null,
  };
}

export const sequentialExecutor: FoldExecutor = async (data, cols, p, jobs, step, signal) => {
  const out: FoldOutput[] = [];
  for (const job of jobs) out.push(runFoldJob(data, cols, p, job, step, signal));
  return out;
};

/**
 * Combines model predictions of one day's rows: each model's predictions are standardised across
 * the day's assets and weighted, so no model dominates by scale; the score is the percentile.
 * Confidence = 0.5 agreement (spread of the models' percentile ranks) + 0.25 validation skill +
 * 0.25 data completeness.
 */
export function combineDay(preds: Preds, weights: Record<ModelName, number>, completeness: ArrayLike<number>, skill: number): { z: Float64Array; prediction: Float64Array; score: Float64Array; confidence: Float64Array } {
  const n = preds.ridge.length;
  const z = new Float64Array(n);
  const prediction = new Float64Array(n);
  const pr: Float64Array[] = [];
  for (const m of MODEL_NAMES) {
    const p = preds[m];
    const mu = mean(p);
    let sd = 0;
    for (let i = 0; i < n; i++) sd += (p[i]! - mu) ** 2;
    sd = Math.sqrt(sd / Math.max(1, n - 1)) || 1;
    for (let i = 0; i < n; i++) {
      z[i] = z[i]! + (weights[m] * (p[i]! - mu)) / sd;
      prediction[i] = prediction[i]! + weights[m] * p[i]!;
    }
    pr.push(percentileRanks(p));
  }
  const score = percentileRanks(z).map((v) => Math.round(v * 1000) / 10);
  const skillPart = clamp(skill / 0.1, 0, 1);
  const confidence = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ranksI = pr.map((r) => r[i]!);
    const mu = mean(ranksI);
    const sd = Math.sqrt(ranksI.reduce((s, v) => s + (v - mu) ** 2, 0) / ranksI.length);
    // The spread of values in [0, 1] is at most 0.5.
    const agreement = clamp(1 - sd / 0.5, 0, 1);
    confidence[i] = Math.round((0.5 * agreement + 0.25 * skillPart + 0.25 * clamp(completeness[i]!, 0, 1)) * 1000) / 1000;
  }
  return { z, prediction, score, confidence };
}

function importanceList(names: string[], imp: ArrayLike<number>): { feature: string; importance: number }[] {
  return names.map((feature, j) => ({ feature, importance: Math.round(imp[j]! * 1e5) / 1e5 })).sort((a, b) => b.importance - a.importance);
}

export async function runPipeline(panel: RawPanel, params: Partial<TrainParams> = {}, hooks: PipelineHooks = {}): Promise<TrainResult> {
  const p: TrainParams = { ...DEFAULT_TRAIN_PARAMS, ...params, gbm: { ...params.gbm }, rf: { ...params.rf }, nn: { ...params.nn } };
  const stages: TrainMetrics['stages'] = [];
  let t0 = performance.now();
  const stage = (name: string): void => {
    const ms = Math.round(performance.now() - t0);
    const rssMb = peakRssMb();
    stages.push({ stage: name, ms, rssMb });
    hooks.onStage?.(name, ms, rssMb);
    t0 = performance.now();
  };
  const check = (): void => {
    if (hooks.signal?.aborted) throw hooks.signal.reason instanceof Error ? hooks.signal.reason : new Error('cancelled');
  };

  const fs = computeFeatures(panel, { horizon: p.horizon });
  const dayRows = rowsByDay(fs);
  if (p.placeboSeed !== null) permuteWithinDays(fs, dayRows, p.placeboSeed);
  stage('features');

  // Labelled days: enough assets with a known forward return.
  const labelledDays: number[] = [];
  for (let d = 0; d < fs.days.length; d++) {
    let k = 0;
    for (let r = dayRows[d]!; r < dayRows[d + 1]!; r++) if (Number.isFinite(fs.target[r]!)) k++;
    if (k >= p.minAssetsPerDay) labelledDays.push(d);
  }
  const splits = walkForwardSplits(labelledDays, { horizon: p.horizon, folds: p.folds });
  if (splits.length === 0) throw new AppError('INVALID_INPUT', `not enough history to validate: ${labelledDays.length} labelled days for horizon ${p.horizon} and ${p.folds} folds`);
  const isLabelledDay = new Uint8Array(fs.days.length);
  for (const d of labelledDays) isLabelledDay[d] = 1;
  const labelledRows: number[] = [];
  for (let r = 0; r < fs.nRows; r++) if (isLabelledDay[fs.rowDay[r]!] && Number.isFinite(fs.target[r]!)) labelledRows.push(r);

  // Drop features nobody has (e.g. the on-chain family before any chain collection).
  const cols: number[] = [];
  const dropped: string[] = [];
  for (let j = 0; j < fs.nFeat; j++) {
    let present = 0;
    for (const r of labelledRows) if (!Number.isNaN(fs.X[r * fs.nFeat + j]!)) present++;
    if (present / Math.max(1, labelledRows.length) >= p.minCoverage) cols.push(j);
    else dropped.push(fs.names[j]!);
  }
  const names = cols.map((j) => fs.names[j]!);
  const F = cols.length;
  const momCol = BASE_FEATURES.indexOf(MOMENTUM_FEATURE);

  const totalSteps = (splits.length + 1) * 4 + 1;
  let done = 0;
  const step = (msg: string): void => {
    done++;
    hooks.progress?.(done, totalSteps, msg);
  };
  hooks.progress?.(0, totalSteps, 'features ready');

  // Out-of-sample predictions, per row.
  const oos: Preds = { ridge: new Float64Array(fs.nRows).fill(NaN), gbm: new Float64Array(fs.nRows).fill(NaN), rf: new Float64Array(fs.nRows).fill(NaN), nn: new Float64Array(fs.nRows).fill(NaN) };
  const ens = { z: new Float64Array(fs.nRows).fill(NaN), prediction: new Float64Array(fs.nRows).fill(NaN), score: new Float64Array(fs.nRows).fill(NaN), confidence: new Float64Array(fs.nRows).fill(NaN) };
  const momentum = new Float64Array(fs.nRows).fill(NaN);
  const momentumFit = new Float64Array(fs.nRows).fill(NaN);
  const valRowsAll: number[] = [];
  const foldInfo: TrainMetrics['folds'] = [];
  const priorDaily: Record<ModelName | 'ensemble', DailyIc[]> = { ridge: [], gbm: [], rf: [], nn: [], ensemble: [] };

  // Every fit (each fold, and the final fit on all labelled rows) is independent: they run
  // through the executor, possibly side by side; the ensemble is then built fold by fold.
  const foldRows = splits.map((split) => ({
    split,
    trainRows: labelledRows.filter((r) => fs.rowDay[r]! <= split.trainEnd && fs.rowDay[r]! % p.trainStride === 0),
    valRows: labelledRows.filter((r) => fs.rowDay[r]! >= split.valStart && fs.rowDay[r]! <= split.valEnd),
  }));
  const allTrain = labelledRows.filter((r) => fs.rowDay[r]! % p.trainStride === 0);
  const FINAL = -1;
  const jobs: FoldJob[] = [
    { id: FINAL, label: 'final', trainRows: Int32Array.from(allTrain), predictRows: new Int32Array(0), keepModels: true },
    ...foldRows.map((f) => ({ id: f.split.fold, label: `fold ${f.split.fold + 1}/${splits.length}`, trainRows: Int32Array.from(f.trainRows), predictRows: Int32Array.from(f.valRows), keepModels: false })),
  ];
  // Fits run side by side and finish in any order; progress lines go out in the jobs' order.
  const fitSteps = stepsInOrder(
    jobs.flatMap((j) => FIT_STEPS.map((m) => `${j.label}: ${m}`)),
    step,
  );
  const outputs = await (hooks.executor ?? sequentialExecutor)({ X: fs.X, nFeat: fs.nFeat, target: fs.target }, cols, p, jobs, fitSteps, hooks.signal);
  const byId = new Map(outputs.map((o) => [o.id, o]));
  stage('model fits');

  for (const { split, trainRows, valRows } of foldRows) {
    check();
    const out = byId.get(split.fold);
    if (!out) throw new AppError('INTERNAL', `fold ${split.fold} produced no predictions`);
    valRows.forEach((r, k) => MODEL_NAMES.forEach((m) => (oos[m][r] = out.preds[m][k]!)));

    // Ensemble weights and skill from what was known before this block: validation days of
    // earlier folds whose targets had been realised by this fold's training end.
    const known = (daily: DailyIc[]): number => {
      const xs = daily.filter((d) => d.day <= split.trainEnd).map((d) => d.ic);
      return xs.length ? mean(xs) : NaN;
    };
    const weights = skillWeights({ ridge: known(priorDaily.ridge), gbm: known(priorDaily.gbm), rf: known(priorDaily.rf), nn: known(priorDaily.nn) });
    const skill = known(priorDaily.ensemble);
    for (let d = split.valStart; d <= split.valEnd; d++) {
      const rows = valRows.filter((r) => fs.rowDay[r] === d);
      if (rows.length === 0) continue;
      const dayPreds = {} as Preds;
      for (const m of MODEL_NAMES) dayPreds[m] = Float64Array.from(rows, (r) => oos[m][r]!);
      const c = combineDay(dayPreds, weights, Float64Array.from(rows, (r) => fs.completeness[r]!), Number.isFinite(skill) ? skill : 0);
      rows.forEach((r, k) => {
        ens.z[r] = c.z[k]!;
        ens.prediction[r] = c.prediction[k]!;
        ens.score[r] = c.score[k]!;
        ens.confidence[r] = c.confidence[k]!;
      });
    }

    // Momentum: the 30-day return ranks assets; a one-variable fit on the training rows gives it an RMSE.
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    let nm = 0;
    for (const r of trainRows) {
      const x = fs.X[r * fs.nFeat + momCol]!;
      if (Number.isNaN(x)) continue;
      const yv = fs.target[r]!;
      sx += x;
      sy += yv;
      sxx += x * x;
      sxy += x * yv;
      nm++;
    }
    const slope = nm > 1 && sxx - (sx * sx) / nm > 0 ? (sxy - (sx * sy) / nm) / (sxx - (sx * sx) / nm) : 0;
    const icpt = nm > 0 ? (sy - slope * sx) / nm : 0;
    for (const r of valRows) {
      const x = fs.X[r * fs.nFeat + momCol]!;
      momentum[r] = x;
      momentumFit[r] = Number.isNaN(x) ? NaN : icpt + slope * x;
    }

    const foldIc = {} as Record<ModelName | 'ensemble' | 'momentum', number>;
    for (const m of MODEL_NAMES) {
      const ev = evaluate(oos[m], fs.target, valRows, fs.rowDay, p.horizon, { rmse: false });
      priorDaily[m].push(...ev.daily);
      foldIc[m] = ev.metrics.meanIc;
    }
    const evEns = evaluate(ens.z, fs.target, valRows, fs.rowDay, p.horizon, { rmse: false });
    priorDaily.ensemble.push(...evEns.daily);
    foldIc.ensemble = evEns.metrics.meanIc;
    foldIc.momentum = evaluate(momentum, fs.target, valRows, fs.rowDay, p.horizon, { rmse: false }).metrics.meanIc;
    foldInfo.push({ fold: split.fold, trainEnd: fs.days[split.trainEnd]!, valStart: fs.days[split.valStart]!, valEnd: fs.days[split.valEnd]!, trainRows: trainRows.length, valRows: valRows.length, ic: foldIc });
    valRowsAll.push(...valRows);
  }

  // Whole-period metrics over every validation row.
  const models = {} as TrainMetrics['models'];
  const icSeries = {} as TrainMetrics['icSeries'];
  const toSeries = (daily: DailyIc[]): { day: string; ic: number; spread: number }[] => daily.map((d) => ({ day: fs.days[d.day]!, ic: Math.round(d.ic * 1e4) / 1e4, spread: Math.round(d.spread * 1e4) / 1e4 }));
  for (const m of MODEL_NAMES) {
    const ev = evaluate(oos[m], fs.target, valRowsAll, fs.rowDay, p.horizon);
    models[m] = ev.metrics;
    icSeries[m] = toSeries(ev.daily);
  }
  const evEns = evaluate(ens.z, fs.target, valRowsAll, fs.rowDay, p.horizon, { rmse: false });
  models.ensemble = { ...evEns.metrics, rmse: evaluate(ens.prediction, fs.target, valRowsAll, fs.rowDay, p.horizon).metrics.rmse };
  icSeries.ensemble = toSeries(evEns.daily);
  const evMom = evaluate(momentum, fs.target, valRowsAll, fs.rowDay, p.horizon, { rmse: false });
  models.momentum = { ...evMom.metrics, rmse: evaluate(momentumFit, fs.target, valRowsAll, fs.rowDay, p.horizon).metrics.rmse };
  icSeries.momentum = toSeries(evMom.daily);
  const ch = chanceMetrics(ens.z, fs.target, valRowsAll, fs.rowDay, p.horizon);
  let zeroSe = 0;
  for (const r of valRowsAll) zeroSe += fs.target[r]! ** 2;
  const chance = { ...ch.metrics, rmse: Math.sqrt(zeroSe / Math.max(1, valRowsAll.length)), icSd: ch.icSd };

  // Reliability: does higher confidence come with more realised skill?
  const confSorted = Float64Array.from(valRowsAll, (r) => ens.confidence[r]!).sort();
  const cuts = [quantile(confSorted, 1 / 3), quantile(confSorted, 2 / 3)];
  const reliability: ReliabilityRow[] = (['low', 'mid', 'high'] as const).map((bucket, b) => {
    const lo = b === 0 ? -Infinity : cuts[b - 1]!;
    const hi = b === 2 ? Infinity : cuts[b]!;
    const rows = valRowsAll.filter((r) => ens.confidence[r]! > lo && ens.confidence[r]! <= hi);
    const ev = evaluate(ens.z, fs.target, rows, fs.rowDay, p.horizon, { rmse: false }).metrics;
    const inBucket = Float64Array.from(rows, (r) => ens.confidence[r]!);
    return { bucket, minConfidence: rows.length ? Math.min(...inBucket) : NaN, maxConfidence: rows.length ? Math.max(...inBucket) : NaN, rows: rows.length, meanIc: ev.meanIc, quintileSpread: ev.quintileSpread, hitRate: ev.hitRate };
  });
  stage('metrics');

  // The final fit (all labelled rows) scores from now on; weights and skill from the whole validation.
  const final = byId.get(FINAL)?.models;
  if (!final) throw new AppError('INTERNAL', 'the final fit produced no models');
  const weights = skillWeights({ ridge: models.ridge.meanIc, gbm: models.gbm.meanIc, rf: models.rf.meanIc, nn: models.nn.meanIc });
  const skill = Number.isFinite(models.ensemble.meanIc) ? models.ensemble.meanIc : 0;

  const artefacts: Artefacts = { features: names, horizon: p.horizon, weights, skill, ridge: final.ridge, gbm: final.gbm, rf: final.rf, nn: final.nn };
  const sampleX = gather(fs, allTrain.filter((_, k) => k % 20 === 0), cols);
  const nnImp = nnImportance(final.nn, sampleX, sampleX.length / F, F);
  const impByModel: Record<ModelName, ArrayLike<number>> = { ridge: ridgeImportance(final.ridge), gbm: final.gbm.importance, rf: final.rf.importance, nn: nnImp };
  const ensImp = new Float64Array(F);
  for (const m of MODEL_NAMES) for (let j = 0; j < F; j++) ensImp[j] = ensImp[j]! + weights[m] * impByModel[m][j]!;
  const importance = {} as TrainMetrics['importance'];
  for (const m of MODEL_NAMES) importance[m] = importanceList(names, impByModel[m]);
  importance.ensemble = importanceList(names, ensImp);

  // Out-of-sample score history for every validation week.
  const history: TrainResult['history'] = [];
  const firstVal = splits[0]!.valStart;
  for (const r of valRowsAll) {
    if ((fs.rowDay[r]! - firstVal) % p.historyStride !== 0) continue;
    history.push({ assetId: fs.assets[fs.rowAsset[r]!]!, day: fs.days[fs.rowDay[r]!]!, score: ens.score[r]!, confidence: ens.confidence[r]!, prediction: ens.prediction[r]! });
  }

  const lastDay = lastScorableDay(fs, dayRows, p.minAssetsPerDay);
  const scores = lastDay < 0 ? [] : scoreRows(fs, dayRows, lastDay, artefacts, p.topContributions);
  step('scored');
  stage('scoring');

  const labelledFrom = labelledDays[0]!;
  const labelledTo = labelledDays[labelledDays.length - 1]!;
  return {
    horizon: p.horizon,
    dataFrom: fs.days[0]!,
    dataUntil: fs.days[fs.days.length - 1]!,
    trainFrom: fs.days[labelledFrom]!,
    trainTo: fs.days[labelledTo]!,
    trainRows: allTrain.length,
    features: names,
    params: p,
    metrics: { models, chance, folds: foldInfo, icSeries, reliability, importance, weights, dropped, backend: final.nn.backend, stages },
    artefacts,
    history,
    scores,
  };
}

/** Shuffles the known targets among the rows of each day (the placebo check). */
export function permuteWithinDays(fs: FeatureSet, dayRows: Int32Array, seed: number): void {
  const rand = createRng(seed);
  for (let d = 0; d < fs.days.length; d++) {
    const rows: number[] = [];
    for (let r = dayRows[d]!; r < dayRows[d + 1]!; r++) if (Number.isFinite(fs.target[r]!)) rows.push(r);
    const vals = shuffleInPlace(rows.map((r) => fs.target[r]!), rand);
    rows.forEach((r, k) => (fs.target[r] = vals[k]!));
  }
}

export function lastScorableDay(fs: FeatureSet, dayRows: Int32Array, minAssets: number): number {
  for (let d = fs.days.length - 1; d >= 0; d--) if (dayRows[d + 1]! - dayRows[d]! >= minAssets) return d;
  return -1;
}

/** A version's trees rebuilt from their JSON once per artefacts object, not on every scored day. */
const parsedTrees = new WeakMap<Artefacts, { gbm: EnsembleOfTrees; rf: EnsembleOfTrees }>();
function treesOf(art: Artefacts): { gbm: EnsembleOfTrees; rf: EnsembleOfTrees } {
  let t = parsedTrees.get(art);
  if (!t) parsedTrees.set(art, (t = { gbm: treesFromJson(art.gbm), rf: treesFromJson(art.rf) }));
  return t;
}

/** Scores the assets of one day with a trained version's artefacts. */
export function scoreRows(fs: FeatureSet, dayRows: Int32Array, day: number, art: Artefacts, top = 12): ScoredAsset[] {
  const rows: number[] = [];
  for (let r = dayRows[day]!; r < dayRows[day + 1]!; r++) rows.push(r);
  if (rows.length === 0) return [];
  const colOf = new Map(fs.names.map((n, j) => [n, j]));
  const cols = art.features.map((f) => {
    const j = colOf.get(f);
    if (j === undefined) throw new AppError('CONFLICT', `the model needs feature ${f}, which this build does not compute`);
    return j;
  });
  const F = cols.length;
  const n = rows.length;
  const X = gather(fs, rows, cols);
  const { gbm, rf } = treesOf(art);
  const fitted: FittedSet = { ridge: art.ridge, gbm, rf, nn: art.nn };
  const preds = predictAll(fitted, X, n, F);
  const completeness = Float64Array.from(rows, (r) => fs.completeness[r]!);
  const c = combineDay(preds, art.weights, completeness, art.skill);
  const contrib: Record<ModelName, Float64Array> = {
    ridge: ridgeContributions(art.ridge, X, n, F),
    gbm: treeContributions(gbm, X, n, F),
    rf: treeContributions(rf, X, n, F),
    nn: nnContributions(art.nn, X, n, F),
  };
  // Ensemble contribution in return units, relative to the day's average asset.
  const ensC = new Float64Array(n * F);
  for (const m of MODEL_NAMES) {
    const w = art.weights[m];
    if (w === 0) continue;
    const cm = contrib[m];
    for (let j = 0; j < F; j++) {
      let mu = 0;
      for (let i = 0; i < n; i++) mu += cm[i * F + j]!;
      mu /= n;
      for (let i = 0; i < n; i++) ensC[i * F + j] = ensC[i * F + j]! + w * (cm[i * F + j]! - mu);
    }
  }
  const round = (v: number, k = 1e6): number => Math.round(v * k) / k;
  return rows.map((r, i) => {
    const list: Contribution[] = [];
    for (let j = 0; j < F; j++) {
      const v = X[i * F + j]!;
      list.push({ feature: art.features[j]!, value: Number.isNaN(v) ? null : round(v), contribution: round(ensC[i * F + j]!) });
    }
    list.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
    const models = {} as Record<ModelName, number>;
    for (const m of MODEL_NAMES) models[m] = round(preds[m][i]!);
    return {
      assetId: fs.assets[fs.rowAsset[r]!]!,
      symbol: fs.symbols[fs.rowAsset[r]!]!,
      day: fs.days[day]!,
      score: c.score[i]!,
      confidence: c.confidence[i]!,
      prediction: round(c.prediction[i]!),
      models,
      completeness: round(completeness[i]!, 1e3),
      contributions: list.slice(0, top),
    };
  });
}

/**
 * Scores one day (default: the latest with any asset) of a panel with stored artefacts. A named
 * day gets features for that day only; the panel may be a lookback window ending on it.
 */
export function scorePanel(panel: RawPanel, art: Artefacts, day?: string, top = 12): ScoredAsset[] {
  const only = day === undefined ? undefined : panel.days.indexOf(day);
  if (only === -1) return [];
  const fs = computeFeatures(panel, only === undefined ? { horizon: art.horizon } : { horizon: art.horizon, days: { from: only, to: only } });
  const dayRows = rowsByDay(fs);
  const d = only ?? lastScorableDay(fs, dayRows, 1);
  if (d < 0) return [];
  return scoreRows(fs, dayRows, d, art, top);
}

/** The lookback window a day's features need. */
export const lookbackWindow = (day: string): { until: string; from: string } => ({ until: day, from: addDays(day, -FEATURE_LOOKBACK_DAYS) });

/** Reads just the lookback window a day's features need and scores that day. */
export function scoreDayFromDb(db: Database.Database, art: Artefacts, day: string, top = 12): ScoredAsset[] {
  return scorePanel(loadPanel(db, lookbackWindow(day)), art, day, top);
}

/** Scores a day from a panel kept in memory: the same window, without reading the database. */
export function scoreDayFromWarm(warm: WarmPanel, art: Artefacts, day: string, top = 12): ScoredAsset[] {
  return scorePanel(windowOf(warm, lookbackWindow(day)), art, day, top);
}

export { DEFAULT_GBM, DEFAULT_NN, DEFAULT_RF };
