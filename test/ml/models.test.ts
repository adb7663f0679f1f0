import { describe, expect, it } from 'vitest';
import { fitRidge, predictRidge, ridgeContributions } from '../../src/main/services/ml/linear';
import { createRng } from '../../src/main/services/ml/math';
import { fitNn, NN_BACKEND, nnLossAndGradients, predictNn } from '../../src/main/services/ml/nn';
import { binFeatures, fitGbm, fitRandomForest, growTree, predictTrees, treeContributions, treesFromJson, treesToJson } from '../../src/main/services/ml/trees';

/** y = sin(3 x0) + step(x1) + (x2 missing ? 1 : 0.2 x2) + noise; x3..x5 are noise. */
function dataset(n: number, seed: number): { X: Float32Array; y: Float64Array; F: number } {
  const F = 6;
  const rand = createRng(seed);
  const X = new Float32Array(n * F);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) X[i * F + f] = rand() * 2 - 1;
    const missing = rand() < 0.3;
    if (missing) X[i * F + 2] = NaN;
    y[i] = Math.sin(3 * X[i * F]!) + (X[i * F + 1]! > 0.2 ? 1 : 0) + (missing ? 1 : 0.2 * X[i * F + 2]!) + 0.1 * (rand() - 0.5);
  }
  return { X, y, F };
}

/** n rows of F features drawn uniform in [-1, 1), each labelled by `target` (reads the row's features). */
function uniformRows(n: number, F: number, seed: number, target: (x: (f: number) => number) => number): { X: Float32Array; y: Float64Array } {
  const rand = createRng(seed);
  const X = new Float32Array(n * F);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) X[i * F + f] = rand() * 2 - 1;
    y[i] = target((f) => X[i * F + f]!);
  }
  return { X, y };
}

function r2(pred: Float64Array, y: Float64Array): number {
  let m = 0;
  for (const v of y) m += v;
  m /= y.length;
  let ss = 0;
  let st = 0;
  for (let i = 0; i < y.length; i++) {
    ss += (y[i]! - pred[i]!) ** 2;
    st += (y[i]! - m) ** 2;
  }
  return 1 - ss / st;
}

describe('tree models', () => {
  const train = dataset(6000, 1);
  const test = dataset(2000, 2);

  it('gradient boosting learns a non-linear function with missing values, beyond a linear fit', () => {
    const gbm = fitGbm(train.X, 6000, train.F, train.y, { iterations: 200, learningRate: 0.1, minSamplesLeaf: 20, lambda: 1, maxLeaves: 31, subsample: 0.8 });
    const ridge = fitRidge(train.X, 6000, train.F, train.y, 0.001);
    const gbmR2 = r2(predictTrees(gbm, test.X, 2000, test.F), test.y);
    const ridgeR2 = r2(predictRidge(ridge, test.X, 2000, test.F), test.y);
    expect(gbmR2).toBeGreaterThan(0.95);
    expect(gbmR2).toBeGreaterThan(ridgeR2 + 0.2);
    // The informative features carry the gain; noise features almost none.
    expect(gbm.importance[0]! + gbm.importance[1]! + gbm.importance[2]!).toBeGreaterThan(0.9);
  });

  it('random forest learns it too', () => {
    const rf = fitRandomForest(train.X, 6000, train.F, train.y, { trees: 40, minSamplesLeaf: 10, featureFraction: 0.6, sampleFraction: 0.6 });
    expect(r2(predictTrees(rf, test.X, 2000, test.F), test.y)).toBeGreaterThan(0.85);
  });

  it('is reproducible from its seed and survives serialisation', () => {
    const a = fitGbm(train.X, 6000, train.F, train.y, { iterations: 30, seed: 3 });
    const b = fitGbm(train.X, 6000, train.F, train.y, { iterations: 30, seed: 3 });
    const c = fitGbm(train.X, 6000, train.F, train.y, { iterations: 30, seed: 4 });
    const pa = predictTrees(a, test.X, 2000, test.F);
    expect(predictTrees(b, test.X, 2000, test.F)).toEqual(pa);
    expect(predictTrees(c, test.X, 2000, test.F)).not.toEqual(pa);
    const back = treesFromJson(JSON.parse(JSON.stringify(treesToJson(a))) as ReturnType<typeof treesToJson>);
    const pb = predictTrees(back, test.X, 2000, test.F);
    for (let i = 0; i < 2000; i++) expect(pb[i]).toBeCloseTo(pa[i]!, 6);
  });

  it('every split is the best one the rows reaching its node allow (histograms recycled, small nodes subtracted sparsely)', () => {
    const n = 3000;
    const b = binFeatures(train.X, n, train.F, 1);
    const grad = Float64Array.from(train.y.subarray(0, n), (v) => -v);
    const params = { maxLeaves: 120, maxDepth: 12, minSamplesLeaf: 8, lambda: 0.5, featureFraction: 1 };
    const rand = createRng(5);
    for (let t = 0; t < 3; t++) {
      // A bootstrap (rows repeat), as the forest draws them; the fit reorders its index.
      const idx = Uint32Array.from({ length: 2000 }, () => Math.floor(rand() * n));
      const rows = Array.from(idx);
      const tree = growTree(b, grad, idx, params, rand);
      const reach = new Map<number, number[]>();
      for (const i of rows) {
        let node = 0;
        for (;;) {
          reach.set(node, [...(reach.get(node) ?? []), i]);
          const f = tree.feature[node]!;
          if (f < 0) break;
          const code = b.codes[i * train.F + f]!;
          node = (code === 0 ? tree.missingLeft[node] === 1 : code <= tree.bin[node]!) ? tree.left[node]! : tree.right[node]!;
        }
      }
      let internal = 0;
      for (const [node, at] of reach) {
        if (tree.feature[node]! < 0) continue;
        internal++;
        const G = at.reduce((s, i) => s + grad[i]!, 0);
        const C = at.length;
        let best = -Infinity;
        for (let f = 0; f < train.F; f++) {
          const nb = b.edges[f]!.length + 1;
          const g = new Float64Array(nb + 1);
          const c = new Float64Array(nb + 1);
          for (const i of at) {
            const code = b.codes[i * train.F + f]!;
            g[code] = g[code]! + grad[i]!;
            c[code] = c[code]! + 1;
          }
          let gl = 0;
          let cl = 0;
          for (let bin = 1; bin < nb; bin++) {
            gl += g[bin]!;
            cl += c[bin]!;
            for (const [GL, CL] of [[gl, cl], [gl + g[0]!, cl + c[0]!]] as const) {
              if (CL < params.minSamplesLeaf || C - CL < params.minSamplesLeaf) continue;
              best = Math.max(best, (GL * GL) / (CL + params.lambda) + ((G - GL) * (G - GL)) / (C - CL + params.lambda) - (G * G) / (C + params.lambda));
            }
          }
        }
        expect(Math.abs(tree.gain[node]! - best)).toBeLessThan(1e-9 * Math.max(1, Math.abs(best)));
      }
      expect(internal).toBeGreaterThan(50);
    }
  });

  it('path contributions explain the difference between two predictions exactly', () => {
    for (const m of [fitGbm(train.X, 6000, train.F, train.y, { iterations: 40 }), fitRandomForest(train.X, 6000, train.F, train.y, { trees: 10 })]) {
      const p = predictTrees(m, test.X, 50, test.F);
      const c = treeContributions(m, test.X, 50, test.F);
      const sum = (i: number): number => c.slice(i * test.F, (i + 1) * test.F).reduce((s, v) => s + v, 0);
      for (let i = 1; i < 50; i++) expect(sum(i) - sum(0)).toBeCloseTo(p[i]! - p[0]!, 8);
    }
  });
});

describe('ridge', () => {
  it('recovers linear coefficients and its contributions add up to the prediction', () => {
    const n = 3000;
    const F = 3;
    const { X, y } = uniformRows(n, F, 9, (x) => 2 * x(0) - x(1) + 0.5);
    const m = fitRidge(X, n, F, y, 1e-6);
    const p = predictRidge(m, X, n, F);
    for (let i = 0; i < 20; i++) expect(p[i]).toBeCloseTo(y[i]!, 3);
    const c = ridgeContributions(m, X, 5, F);
    for (let i = 0; i < 5; i++) expect(m.intercept + c[i * F]! + c[i * F + 1]! + c[i * F + 2]!).toBeCloseTo(p[i]!, 9);
  });
});

describe('neural network', () => {
  const target = (x: (f: number) => number): number => x(0) * x(0) + 0.5 * x(1) - 0.8 * Math.abs(x(2));
  const train = uniformRows(3000, 4, 5, target);
  const test = uniformRows(1000, 4, 6, target);
  const params = { epochs: 30, batchSize: 128, learningRate: 0.01, seed: 1 };

  it('learns a non-linear function far beyond a linear fit, its training loss falling', () => {
    const losses: number[] = [];
    const nn = fitNn(train.X, 3000, 4, train.y, params, { onEpoch: (_, loss) => losses.push(loss) });
    expect(nn.backend).toBe(NN_BACKEND);
    expect(losses).toHaveLength(params.epochs);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 3);
    const nnR2 = r2(predictNn(nn, test.X, 1000, 4), test.y);
    const ridgeR2 = r2(predictRidge(fitRidge(train.X, 3000, 4, train.y, 1e-6), test.X, 1000, 4), test.y);
    expect(nnR2).toBeGreaterThan(0.9);
    expect(nnR2).toBeGreaterThan(ridgeR2 + 0.4);
  });

  it('is identical for a seed and differs across seeds', () => {
    const pa = predictNn(fitNn(train.X, 3000, 4, train.y, { ...params, epochs: 3 }), test.X, 1000, 4);
    expect(predictNn(fitNn(train.X, 3000, 4, train.y, { ...params, epochs: 3 }), test.X, 1000, 4)).toEqual(pa);
    expect(predictNn(fitNn(train.X, 3000, 4, train.y, { ...params, epochs: 3, seed: 2 }), test.X, 1000, 4)).not.toEqual(pa);
  });

  it('backpropagates the exact gradient of its loss (checked against central differences)', () => {
    const rand = createRng(11);
    const sizes = [3, 5, 4, 1];
    const layers = sizes.slice(0, -1).map((inputs, k) => ({
      inputs,
      outputs: sizes[k + 1]!,
      w: Array.from({ length: inputs * sizes[k + 1]! }, () => rand() * 2 - 1),
      b: Array.from({ length: sizes[k + 1]! }, () => rand() - 0.5),
    }));
    const m = 7;
    const X = Array.from({ length: m * 3 }, () => rand() * 4 - 2);
    const y = Array.from({ length: m }, () => rand() * 2 - 1);
    const l2 = 0.03;
    const { loss, w, b } = nnLossAndGradients(layers, X, y, m, l2);
    // The loss itself, computed independently: mean squared error of a plain forward pass + l2 * sum w^2.
    let sse = 0;
    for (let i = 0; i < m; i++) {
      let h = X.slice(i * 3, i * 3 + 3);
      layers.forEach((l, k) => {
        h = Array.from({ length: l.outputs }, (_, o) => {
          const s = h.reduce((acc, v, j) => acc + v * l.w[j * l.outputs + o]!, l.b[o]!);
          return k < layers.length - 1 ? Math.max(0, s) : s;
        });
      });
      sse += (h[0]! - y[i]!) ** 2;
    }
    const reg = layers.reduce((acc, l) => acc + l.w.reduce((s, v) => s + v * v, 0), 0);
    expect(loss).toBeCloseTo(sse / m + l2 * reg, 12);
    const eps = 1e-6;
    let checked = 0;
    layers.forEach((l, k) => {
      for (const [arr, grad] of [[l.w, w[k]!], [l.b, b[k]!]] as const) {
        for (let q = 0; q < arr.length; q++) {
          const keep = arr[q]!;
          arr[q] = keep + eps;
          const up = nnLossAndGradients(layers, X, y, m, l2).loss;
          arr[q] = keep - eps;
          const down = nnLossAndGradients(layers, X, y, m, l2).loss;
          arr[q] = keep;
          const numeric = (up - down) / (2 * eps);
          expect(Math.abs(grad[q]! - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
          checked++;
        }
      }
    });
    expect(checked).toBe(3 * 5 + 5 + 5 * 4 + 4 + 4 + 1);
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => fitNn(train.X, 3000, 4, train.y, { batchSize: 0 })).toThrow(/batch size/);
    expect(() => fitNn(train.X, 3000, 4, train.y, { batchSize: 2.5 })).toThrow(/batch size/);
  });
});
