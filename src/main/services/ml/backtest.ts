/**
 * An honest point-in-time backtest. Walking forward from `from` to `to`: at each retrain date R
 * a model is trained on the data up to R only (the panel read stops at R, so every training
 * target is a return that ended by R: labels end one horizon before R); from R it scores every
 * `every` days until the next retrain date, each day from the data known that day. Each scored
 * day is then judged against the returns that followed (known now, never to the model): rank
 * IC, top-minus-bottom quintile return, hit rate, beside the momentum baseline on the same assets.
 *
 * Training and scoring are the ml domain's own (the training worker, scoreDayFromDb), so the
 * backtest measures exactly what `train` and `score` do.
 */
import type Database from 'better-sqlite3';
import { AppError } from '../../../shared/errors';
import { computeFeatures, MOMENTUM_FEATURE } from './features';
import { addDays, dayDiff, mean, neweyWestT } from './math';
import { loadPanel } from './panel';
import { scoreDayFromDb, type Artefacts } from './pipeline';
import { dailySkill } from './validation';

export interface BacktestOptions {
  from: string;
  to: string;
  every: number;
  retrainEvery: number;
  horizon: number;
}

export interface BacktestDate {
  day: string;
  modelVersion: string;
  trainedUntil: string;
  ic: number | null;
  spread: number | null;
  hitRate: number | null;
  momentumIc: number | null;
}

export interface BacktestReport {
  dates: BacktestDate[];
  summary: { meanIc: number | null; icT: number | null; positiveShare: number | null; meanSpread: number | null; cumulativeSpread: number | null };
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The retrain date in force on each scored day, and the scored days, from `from` to `to`. */
export function backtestPlan(o: Pick<BacktestOptions, 'from' | 'to' | 'every' | 'retrainEvery'>): { day: string; retrain: string }[] {
  const plan: { day: string; retrain: string }[] = [];
  for (let day = o.from; day <= o.to; day = addDays(day, o.every)) {
    const k = Math.floor(dayDiff(o.from, day) / o.retrainEvery);
    plan.push({ day, retrain: addDays(o.from, k * o.retrainEvery) });
  }
  return plan;
}

export async function runBacktest(o: {
  db: Database.Database;
  options: BacktestOptions;
  /** Trains on the data up to `until` (inclusive) and returns the model's artefacts. */
  train: (until: string, signal: AbortSignal) => Promise<Artefacts>;
  signal: AbortSignal;
  progress: (done: number, total: number, message: string) => void;
}): Promise<BacktestReport> {
  const { db, options: opt } = o;
  const range = db.prepare<[], { lo: string | null; hi: string | null }>('SELECT MIN(day) AS lo, MAX(day) AS hi FROM financial_metrics WHERE close IS NOT NULL').get()!;
  if (!range.lo || !range.hi) throw new AppError('NOT_FOUND', 'no market data to backtest on');
  // A scored day is judged by the return over the following horizon, which must be in the data.
  const lastJudged = addDays(range.hi, -opt.horizon);
  if (opt.from > opt.to) throw new AppError('INVALID_INPUT', `from ${opt.from} is after to ${opt.to}`);
  if (opt.from <= range.lo || opt.to > lastJudged) {
    throw new AppError('INVALID_INPUT', `the backtest must lie after ${range.lo} (the first day of data, nothing to train on before it) and end by ${lastJudged} (the data's last day ${range.hi} minus the ${opt.horizon}-day horizon over which a score is judged); asked ${opt.from} to ${opt.to}`);
  }
  const plan = backtestPlan(opt);
  const retrains = [...new Set(plan.map((p) => p.retrain))];
  const total = retrains.length + plan.length + 1;
  let done = 0;
  const step = (message: string): void => o.progress(++done, total, message);

  // What happened after each scored day (the judge, never shown to the models): forward returns
  // relative to the day's median, and the momentum feature, from the whole data.
  const panel = loadPanel(db, { from: addDays(opt.from, -200), until: addDays(opt.to, opt.horizon) });
  const fs = computeFeatures(panel, { horizon: opt.horizon });
  const rowOf = new Map<string, number>();
  for (let r = 0; r < fs.nRows; r++) rowOf.set(`${fs.assets[fs.rowAsset[r]!]}|${fs.days[fs.rowDay[r]!]}`, r);
  const momentumCol = fs.names.indexOf(MOMENTUM_FEATURE);
  step('realised returns');

  const models = new Map<string, Artefacts>();
  const dates: BacktestDate[] = [];
  for (const p of plan) {
    if (o.signal.aborted) throw new AppError('CANCELLED', 'the backtest was cancelled');
    let art = models.get(p.retrain);
    if (!art) {
      art = await o.train(p.retrain, o.signal);
      models.set(p.retrain, art);
      step(`trained on data to ${p.retrain}`);
    }
    const scored = scoreDayFromDb(db, art, p.day, 0);
    const pred: number[] = [];
    const mom: number[] = [];
    const target: number[] = [];
    for (const a of scored) {
      const r = rowOf.get(`${a.assetId}|${p.day}`);
      if (r === undefined || !Number.isFinite(fs.target[r]!)) continue;
      pred.push(a.prediction);
      mom.push(momentumCol >= 0 ? fs.X[r * fs.nFeat + momentumCol]! : Number.NaN);
      target.push(fs.target[r]!);
    }
    const rows = pred.map((_, i) => i);
    const sameDay = new Int32Array(pred.length);
    const model = dailySkill(pred, target, rows, sameDay);
    const momentum = dailySkill(mom, target, rows, sameDay);
    dates.push({
      day: p.day,
      modelVersion: `backtest-${p.retrain}`,
      trainedUntil: p.retrain,
      ic: model.daily[0] ? finite(model.daily[0].ic) : null,
      spread: model.daily[0] ? finite(model.daily[0].spread) : null,
      hitRate: model.hitN > 0 ? model.hits / model.hitN : null,
      momentumIc: momentum.daily[0] ? finite(momentum.daily[0].ic) : null,
    });
    step(`scored ${p.day}`);
  }

  const ics = dates.map((d) => d.ic).filter((v): v is number => v !== null);
  const spreads = dates.map((d) => d.spread).filter((v): v is number => v !== null);
  // Holding each date's top-minus-bottom quintile for one horizon: when dates are closer than the
  // horizon the holdings overlap, so each counts for its share (every/horizon) of the book.
  const weight = Math.min(1, opt.every / opt.horizon);
  return {
    dates,
    summary: {
      meanIc: ics.length ? mean(ics) : null,
      icT: ics.length > 1 ? finite(neweyWestT(ics, Math.max(0, Math.ceil(opt.horizon / opt.every) - 1))) : null,
      positiveShare: ics.length ? ics.filter((v) => v > 0).length / ics.length : null,
      meanSpread: spreads.length ? mean(spreads) : null,
      cumulativeSpread: spreads.length ? Math.expm1(spreads.reduce((s, v) => s + v * weight, 0)) : null,
    },
  };
}
