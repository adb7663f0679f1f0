/**
 * The backtest has no look-ahead, on a small real slice of the bundled data: after changing
 * every price after a scored day D, every score the backtest gave up to D is identical (the model
 * in force was trained on data up to its retrain date, and D's features are D's), while the
 * scores after the next retrain date do change (so the comparison can fail). The report has the
 * documented shape, and the service refuses a window whose returns are not in the data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/services';
import { backtestPlan, runBacktest } from '../../src/main/services/ml/backtest';
import { trainInWorker } from '../../src/main/services/ml/jobs';
import { addDays } from '../../src/main/services/ml/math';
import { scoreDayFromDb, type Artefacts } from '../../src/main/services/ml/pipeline';
import { createTestServices } from '../helpers/app';

const SMALL = { horizon: 30, folds: 2, trainStride: 10, gbm: { iterations: 15 }, rf: { trees: 6 }, nn: { epochs: 1 } };
// The slice: 18 months of the bundled market data, every asset.
const SLICE = { from: '2021-07-01', to: '2022-12-31' };
const OPTIONS = { from: '2022-05-01', to: '2022-08-29', every: 30, retrainEvery: 60, horizon: 30 };

describe('point-in-time backtest', () => {
  let services: Services;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ services, cleanup } = await createTestServices());
    const db = services.core.store.db;
    db.prepare('DELETE FROM financial_metrics WHERE day < ? OR day > ?').run(SLICE.from, SLICE.to);
  }, 300_000);
  afterAll(async () => {
    await cleanup();
  });

  /** Runs the backtest through the ml domain's own training and scoring, keeping every day's predictions. */
  async function backtest(): Promise<{ report: Awaited<ReturnType<typeof runBacktest>>; scores: Map<string, Map<string, number>> }> {
    const store = services.core.store;
    const scores = new Map<string, Map<string, number>>();
    const report = await runBacktest({
      db: store.db,
      options: OPTIONS,
      train: async (until, signal) => {
        const art: Artefacts = (await trainInWorker({ dbPath: store.path, until, params: SMALL, threads: 1 }, { signal })).artefacts;
        // Record what the backtest's scoring sees on each planned day, with this model.
        for (const p of backtestPlan(OPTIONS).filter((x) => x.retrain === until)) scores.set(p.day, new Map(scoreDayFromDb(store.db, art, p.day, 0).map((a) => [a.assetId, a.prediction])));
        return art;
      },
      signal: new AbortController().signal,
      progress: () => {},
    });
    return { report, scores };
  }

  it('changing every price after a scored day changes no score up to that day, only later ones', async () => {
    const plan = backtestPlan(OPTIONS);
    const retrains = [...new Set(plan.map((p) => p.retrain))];
    expect(retrains.length).toBeGreaterThanOrEqual(2);
    // The last scored day before the second retrain date.
    const cut = plan.filter((p) => p.day < retrains[1]!).at(-1)!.day;

    const before = await backtest();
    expect(before.report.dates.map((d) => d.day)).toEqual(plan.map((p) => p.day));
    for (const d of before.report.dates) {
      expect(d.trainedUntil <= d.day).toBe(true);
      expect(d.ic).not.toBeNull();
      expect(Math.abs(d.ic!)).toBeLessThanOrEqual(1);
    }

    // Rewrite history after the cut: every close moves by a different factor.
    const changed = services.core.store.db.prepare("UPDATE financial_metrics SET close = close * (1.5 + (abs(random()) % 1000) / 1000.0) WHERE day > ? AND close IS NOT NULL").run(cut).changes;
    expect(changed).toBeGreaterThan(1000);
    const after = await backtest();

    for (const p of plan) {
      const a = before.scores.get(p.day)!;
      const b = after.scores.get(p.day)!;
      expect(a.size).toBeGreaterThan(20);
      if (p.day <= cut) {
        // Trained up to a retrain date <= cut and scored from data <= the day: untouched.
        expect([...b], p.day).toEqual([...a]);
      }
    }
    // After the next retrain the model has seen the rewritten prices: its scores differ.
    const later = plan.filter((p) => p.day > cut);
    expect(later.some((p) => [...after.scores.get(p.day)!].some(([id, v]) => before.scores.get(p.day)!.get(id) !== v))).toBe(true);
  }, 900_000);

  it('ml.backtest answers the documented document and refuses a window whose returns are not in the data', async () => {
    const last = (services.core.store.db.prepare('SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL').get() as { d: string }).d;
    await expect(services.client.call('ml.backtest', { from: '2022-06-01', to: addDays(last, -10) })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/end by \d{4}-\d\d-\d\d/) });
    const report = await services.client.call('ml.backtest', { from: '2022-06-01', to: '2022-07-01', every: 30, retrainEvery: 90, folds: 2, trainStride: 10, gbmIterations: 15, rfTrees: 6, nnEpochs: 1 });
    expect(Object.keys(report).sort()).toEqual(['dates', 'summary']);
    expect(report.dates.map((d) => Object.keys(d).sort())).toEqual(report.dates.map(() => ['day', 'hitRate', 'ic', 'modelVersion', 'momentumIc', 'spread', 'trainedUntil']));
    expect(Object.keys(report.summary).sort()).toEqual(['cumulativeSpread', 'icT', 'meanIc', 'meanSpread', 'positiveShare']);
    expect(report.dates.map((d) => d.day)).toEqual(['2022-06-01', '2022-07-01']);
    expect(report.dates.every((d) => d.trainedUntil === '2022-06-01')).toBe(true);
  }, 600_000);
});
