import { describe, expect, it } from 'vitest';
import { createRng, neweyWestT, spearman } from '../../src/main/services/ml/math';
import { chanceMetrics, evaluate, walkForwardSplits } from '../../src/main/services/ml/validation';

describe('walkForwardSplits', () => {
  it('leaves a purge gap of one horizon between training and validation', () => {
    const days = Array.from({ length: 1000 }, (_, i) => i);
    for (const horizon of [7, 30, 90]) {
      const splits = walkForwardSplits(days, { horizon, folds: 5 });
      expect(splits).toHaveLength(5);
      let prevEnd = -1;
      for (const s of splits) {
        // The last training target ends at trainEnd + horizon, strictly before validation starts.
        expect(s.trainEnd + horizon).toBeLessThan(s.valStart);
        expect(s.valStart).toBeGreaterThan(prevEnd);
        expect(s.valEnd).toBeGreaterThanOrEqual(s.valStart);
        prevEnd = s.valEnd;
      }
      expect(splits[splits.length - 1]!.valEnd).toBe(999);
      // Expanding window: later folds train on more.
      expect(splits[4]!.trainEnd).toBeGreaterThan(splits[0]!.trainEnd);
    }
  });

  it('returns no split when there is too little history', () => {
    expect(walkForwardSplits([0, 1, 2], { horizon: 30, folds: 5 })).toEqual([]);
    expect(walkForwardSplits([], { horizon: 30, folds: 5 })).toEqual([]);
  });
});

describe('metrics', () => {
  const rand = createRng(3);
  const days = 200;
  const per = 30;
  const rowDay = new Int32Array(days * per);
  const target = new Float64Array(days * per);
  for (let d = 0; d < days; d++) for (let a = 0; a < per; a++) {
    rowDay[d * per + a] = d;
    target[d * per + a] = rand() - 0.5;
  }
  const rows = Array.from({ length: days * per }, (_, i) => i);

  it('scores perfect, inverted and noisy predictions as they are', () => {
    const perfect = evaluate(target, target, rows, rowDay, 30).metrics;
    expect(perfect.meanIc).toBeCloseTo(1, 10);
    expect(perfect.positiveShare).toBe(1);
    expect(perfect.quintileSpread).toBeGreaterThan(0.5);
    expect(perfect.hitRate).toBeGreaterThan(0.9);
    expect(perfect.rmse).toBe(0);
    expect(evaluate(target.map((v) => -v), target, rows, rowDay, 30).metrics.meanIc).toBeCloseTo(-1, 10);
    const noisy = target.map((v) => v + (rand() - 0.5) * 2);
    const m = evaluate(noisy, target, rows, rowDay, 30).metrics;
    expect(m.meanIc).toBeGreaterThan(0.2);
    expect(m.meanIc).toBeLessThan(0.6);
    expect(m.dates).toBe(days);
  });

  it('gives chance an IC near zero even for a perfect predictor', () => {
    const { metrics, icSd } = chanceMetrics(target, target, rows, rowDay, 30, 20, 7);
    expect(Math.abs(metrics.meanIc)).toBeLessThan(0.03);
    expect(icSd).toBeLessThan(0.03);
    expect(metrics.hitRate).toBeGreaterThan(0.45);
    expect(metrics.hitRate).toBeLessThan(0.55);
  });

  it('computes Spearman on ranks and a Newey-West t that shrinks with overlap', () => {
    expect(spearman([1, 2, 3, 4, 5], [10, 20, 30, 40, 1000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])).toBeCloseTo(-1, 12);
    const xs = Array.from({ length: 300 }, (_, i) => 0.05 + 0.1 * Math.sin(i / 10));
    expect(neweyWestT(xs, 29)).toBeLessThan(neweyWestT(xs, 0));
  });
});
