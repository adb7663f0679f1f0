import { describe, expect, it } from 'vitest';
import { dayDiff } from '../../src/main/services/ml/math';
import { parallelExecutor } from '../../src/main/services/ml/parallel';
import { runPipeline, scorePanel, sequentialExecutor, stepsInOrder, type FoldExecutor, type TrainParams } from '../../src/main/services/ml/pipeline';
import { syntheticPanel } from './synthetic';

const SMALL: Partial<TrainParams> = { horizon: 20, folds: 3, trainStride: 4, gbm: { iterations: 40, minSamplesLeaf: 50 }, rf: { trees: 12, minSamplesLeaf: 50 }, nn: { epochs: 3 } };

describe('training pipeline', () => {
  const panel = syntheticPanel({ assets: 40, days: 520, seed: 11 });

  it('finds a planted signal out of sample, beats momentum and chance, and purges between train and validation', async () => {
    const stages: string[] = [];
    const progress: number[] = [];
    const r = await runPipeline(panel, SMALL, { onStage: (s) => stages.push(s), progress: (d) => progress.push(d) });
    const m = r.metrics.models;
    expect(m.ensemble.meanIc).toBeGreaterThan(0.15);
    expect(m.gbm.meanIc).toBeGreaterThan(0.1);
    expect(m.ensemble.meanIc).toBeGreaterThan(m.momentum.meanIc);
    expect(m.ensemble.icT).toBeGreaterThan(3);
    expect(m.ensemble.quintileSpread).toBeGreaterThan(0);
    expect(Math.abs(r.metrics.chance.meanIc)).toBeLessThan(0.03);
    expect(m.ensemble.meanIc).toBeGreaterThan(r.metrics.chance.meanIc + 10 * r.metrics.chance.icSd);
    for (const f of r.metrics.folds) expect(dayDiff(f.trainEnd, f.valStart)).toBeGreaterThan(20);
    expect(r.metrics.folds).toHaveLength(3);
    // The planted driver is volume relative to market cap.
    const top = r.metrics.importance.gbm.slice(0, 3).map((x) => x.feature);
    expect(top.some((f) => f.includes('volume_to_mcap'))).toBe(true);
    expect(stages).toEqual(['features', 'model fits', 'metrics', 'scoring']);
    expect(progress[progress.length - 1]).toBe((3 + 1) * 4 + 1);
    // Weights from validation skill sum to one.
    expect(Object.values(r.metrics.weights).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
    // Scores: one per asset on the last day, a 0-100 percentile with confidence and explanations.
    expect(r.scores).toHaveLength(40);
    const scores = r.scores.map((s) => s.score).sort((a, b) => a - b);
    expect(scores[0]).toBe(0);
    expect(scores[scores.length - 1]).toBe(100);
    for (const s of r.scores) {
      expect(s.confidence).toBeGreaterThanOrEqual(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
      expect(s.contributions.length).toBeGreaterThan(0);
      const abs = s.contributions.map((c) => Math.abs(c.contribution));
      expect([...abs].sort((a, b) => b - a)).toEqual(abs);
    }
    // Higher scores go with higher predictions.
    const best = r.scores.reduce((a, b) => (b.score > a.score ? b : a));
    const worst = r.scores.reduce((a, b) => (b.score < a.score ? b : a));
    expect(best.prediction).toBeGreaterThan(worst.prediction);
    // Stored artefacts reproduce the pipeline's own scores.
    const again = scorePanel(panel, JSON.parse(JSON.stringify(r.artefacts)) as typeof r.artefacts);
    expect(again.map((s) => s.score)).toEqual(r.scores.map((s) => s.score));
  });

  it('scores a shuffled target (placebo) at an IC near zero', async () => {
    const r = await runPipeline(panel, { ...SMALL, placeboSeed: 5 });
    for (const name of ['ridge', 'gbm', 'rf', 'nn', 'ensemble'] as const) expect(Math.abs(r.metrics.models[name].meanIc)).toBeLessThan(0.05);
  });

  it('is reproducible: the same data and seeds give the same version, on one thread or several', async () => {
    const small = syntheticPanel({ assets: 20, days: 300, seed: 2 });
    const p: Partial<TrainParams> = { ...SMALL, folds: 2 };
    const a = await runPipeline(small, p);
    const b = await runPipeline(small, p);
    expect(JSON.stringify(b.artefacts)).toBe(JSON.stringify(a.artefacts));
    expect(b.metrics.models).toEqual(a.metrics.models);
    // Spread over this thread and two helper worker threads.
    const steps: string[] = [];
    const c = await runPipeline(small, p, { executor: parallelExecutor(3), progress: (_d, _t, m) => steps.push(m) });
    expect(JSON.stringify(c.artefacts)).toBe(JSON.stringify(a.artefacts));
    expect(c.metrics.models).toEqual(a.metrics.models);
    expect(steps.filter((m) => m.startsWith('fold')).length).toBe(2 * 4);
  });

  it('reports progress lines in order and counts up, however the fits finish', async () => {
    const small = syntheticPanel({ assets: 20, days: 300, seed: 3 });
    // Jobs finishing last-first, as side-by-side threads may.
    const reversed: FoldExecutor = async (data, cols, p, jobs, step, signal) => (await sequentialExecutor(data, cols, p, [...jobs].reverse(), step, signal)).reverse();
    const lines: { done: number; msg: string }[] = [];
    await runPipeline(small, { ...SMALL, folds: 2 }, { executor: reversed, progress: (done, _t, msg) => lines.push({ done, msg }) });
    const fits = lines.filter((l) => /^(final|fold)/.test(l.msg)).map((l) => l.msg);
    const models = ['ridge', 'gbm', 'rf', 'nn'];
    expect(fits).toEqual(['final', 'fold 1/2', 'fold 2/2'].flatMap((j) => models.map((m) => `${j}: ${m}`)));
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.done).toBeGreaterThan(lines[i - 1]!.done);
  });

  it('holds a step until the steps before it have arrived', () => {
    const out: string[] = [];
    const step = stepsInOrder(['a', 'b', 'c'], (m) => out.push(m));
    step('c');
    expect(out).toEqual([]);
    step('other');
    step('a');
    expect(out).toEqual(['other', 'a']);
    step('b');
    expect(out).toEqual(['other', 'a', 'b', 'c']);
  });
});
