/**
 * Walk-forward validation and the skill metrics. Splits are expanding windows in time; between
 * the last training day and the first validation day lies a purge gap of one horizon, so no
 * training target (which looks `horizon` days ahead) overlaps the validation period.
 */
import { createRng, mean, neweyWestT, spearman } from './math';

export interface Split {
  fold: number;
  /** Training rows are those with day index <= trainEnd (and a known target). */
  trainEnd: number;
  /** Validation day indexes, inclusive. */
  valStart: number;
  valEnd: number;
}

/**
 * Splits labelled day indexes (ascending) into `folds` consecutive validation blocks after an
 * initial training share; each block's training set ends `horizon` days before it starts.
 */
export function walkForwardSplits(labelledDays: number[], opts: { horizon: number; folds: number; initialTrainShare?: number }): Split[] {
  const share = opts.initialTrainShare ?? 0.4;
  if (labelledDays.length === 0) return [];
  const first = labelledDays[0]!;
  const last = labelledDays[labelledDays.length - 1]!;
  const span = last - first + 1;
  const valFrom = first + Math.floor(span * share);
  const block = Math.floor((last - valFrom + 1) / opts.folds);
  if (block < 1) return [];
  const splits: Split[] = [];
  for (let k = 0; k < opts.folds; k++) {
    const valStart = valFrom + k * block;
    const valEnd = k === opts.folds - 1 ? last : valStart + block - 1;
    // Purge: a training target ends at day + horizon, which must fall before valStart.
    const trainEnd = valStart - opts.horizon - 1;
    if (trainEnd < first) continue;
    splits.push({ fold: k, trainEnd, valStart, valEnd });
  }
  return splits;
}

export interface Metrics {
  /** Mean over validation dates of the Spearman rank IC between prediction and realised target. */
  meanIc: number;
  /** t-statistic of meanIc, Newey-West with horizon-1 lags (daily ICs overlap). */
  icT: number;
  /** Share of dates with positive IC. */
  positiveShare: number;
  /** Mean over dates of the top-minus-bottom quintile mean realised target. */
  quintileSpread: number;
  /** Share of rows where the sign of (prediction - date median) matches the sign of the target. */
  hitRate: number;
  rmse: number | null;
  dates: number;
  rows: number;
}

export interface DailyIc {
  day: number;
  ic: number;
  spread: number;
}

/** Per-date skill of `pred` against `target` over rows grouped by `rowDay` (rows sorted by day). */
export function dailySkill(pred: ArrayLike<number>, target: ArrayLike<number>, rows: number[], rowDay: ArrayLike<number>, minRows = 5): { daily: DailyIc[]; hits: number; hitN: number } {
  const daily: DailyIc[] = [];
  let hits = 0;
  let hitN = 0;
  let i = 0;
  while (i < rows.length) {
    const d = rowDay[rows[i]!]!;
    let j = i;
    while (j < rows.length && rowDay[rows[j]!] === d) j++;
    const p: number[] = [];
    const t: number[] = [];
    for (let k = i; k < j; k++) {
      const r = rows[k]!;
      if (Number.isFinite(pred[r]!) && Number.isFinite(target[r]!)) {
        p.push(pred[r]!);
        t.push(target[r]!);
      }
    }
    if (p.length >= minRows) {
      const ic = spearman(p, t);
      const order = p.map((_, k) => k).sort((a, b) => p[a]! - p[b]!);
      const q = Math.max(1, Math.floor(p.length / 5));
      let lo = 0;
      let hi = 0;
      for (let k = 0; k < q; k++) {
        lo += t[order[k]!]!;
        hi += t[order[order.length - 1 - k]!]!;
      }
      const sorted = [...p].sort((a, b) => a - b);
      const med = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
      for (let k = 0; k < p.length; k++) {
        const s = Math.sign(p[k]! - med);
        if (s === 0 || t[k] === 0) continue;
        hitN++;
        if (s === Math.sign(t[k]!)) hits++;
      }
      if (Number.isFinite(ic)) daily.push({ day: d, ic, spread: (hi - lo) / q });
    }
    i = j;
  }
  return { daily, hits, hitN };
}

export function evaluate(pred: ArrayLike<number>, target: ArrayLike<number>, rows: number[], rowDay: ArrayLike<number>, horizon: number, opts: { rmse?: boolean } = {}): { metrics: Metrics; daily: DailyIc[] } {
  const { daily, hits, hitN } = dailySkill(pred, target, rows, rowDay);
  const ics = daily.map((d) => d.ic);
  let se = 0;
  let n = 0;
  if (opts.rmse !== false) {
    for (const r of rows) {
      if (Number.isFinite(pred[r]!) && Number.isFinite(target[r]!)) {
        se += (pred[r]! - target[r]!) ** 2;
        n++;
      }
    }
  }
  return {
    metrics: {
      meanIc: ics.length ? mean(ics) : NaN,
      icT: neweyWestT(ics, Math.max(0, horizon - 1)),
      positiveShare: ics.length ? ics.filter((v) => v > 0).length / ics.length : NaN,
      quintileSpread: daily.length ? mean(daily.map((d) => d.spread)) : NaN,
      hitRate: hitN ? hits / hitN : NaN,
      rmse: opts.rmse === false || n === 0 ? null : Math.sqrt(se / n),
      dates: daily.length,
      rows: rows.length,
    },
    daily,
  };
}

/**
 * Chance: the same predictions shuffled among the assets of each date, `repeats` times. The
 * average metrics say what "no skill" looks like on exactly these dates; icSd is the spread of
 * the mean IC across shuffles (how far from zero luck alone gets).
 */
export function chanceMetrics(pred: ArrayLike<number>, target: ArrayLike<number>, rows: number[], rowDay: ArrayLike<number>, horizon: number, repeats = 20, seed = 99): { metrics: Metrics; icSd: number } {
  const rand = createRng(seed);
  const runs: Metrics[] = [];
  const shuffled = Float64Array.from(pred as ArrayLike<number>);
  for (let rep = 0; rep < repeats; rep++) {
    let i = 0;
    while (i < rows.length) {
      const d = rowDay[rows[i]!];
      let j = i;
      while (j < rows.length && rowDay[rows[j]!] === d) j++;
      for (let k = j - 1; k > i; k--) {
        const m = i + Math.floor(rand() * (k - i + 1));
        const a = rows[k]!;
        const b = rows[m]!;
        const tmp = shuffled[a]!;
        shuffled[a] = shuffled[b]!;
        shuffled[b] = tmp;
      }
      i = j;
    }
    runs.push(evaluate(shuffled, target, rows, rowDay, horizon, { rmse: false }).metrics);
  }
  const avg = (k: keyof Metrics): number => mean(runs.map((r) => r[k] as number));
  const ics = runs.map((r) => r.meanIc);
  const m = mean(ics);
  return {
    metrics: { meanIc: m, icT: avg('icT'), positiveShare: avg('positiveShare'), quintileSpread: avg('quintileSpread'), hitRate: avg('hitRate'), rmse: null, dates: runs[0]?.dates ?? 0, rows: rows.length },
    icSd: Math.sqrt(ics.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, ics.length - 1)),
  };
}
