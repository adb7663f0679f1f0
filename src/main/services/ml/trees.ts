/**
 * Histogram-based regression trees over typed arrays (the LightGBM / HistGradientBoosting
 * approach): each feature is cut into at most 255 quantile bins once, a node's split search is a
 * pass over a per-feature histogram instead of a sort, and a child's histogram is its parent's
 * minus its sibling's. Missing values get their own bin and each split learns which side they go.
 * Used by both gradient boosting and the random forest (bagged deep trees, features sampled per node).
 */
import { createRng } from './math';

const MAX_BINS = 255;

export interface Binned {
  /** Row-major n x F bin codes; 0 = missing, 1..k+1 otherwise. */
  codes: Uint8Array;
  /** Per feature: ascending cut points; bin b (>=1) holds values <= edges[b-1] and > edges[b-2]. */
  edges: Float64Array[];
  n: number;
  F: number;
}

export function binFeatures(X: Float32Array, n: number, F: number, seed = 1): Binned {
  const rand = createRng(seed);
  const sampleN = Math.min(n, 100_000);
  const sample = new Uint32Array(sampleN);
  for (let i = 0; i < sampleN; i++) sample[i] = sampleN === n ? i : Math.floor(rand() * n);
  const edges: Float64Array[] = [];
  const vals = new Float64Array(sampleN);
  for (let f = 0; f < F; f++) {
    let m = 0;
    for (let i = 0; i < sampleN; i++) {
      const v = X[sample[i]! * F + f]!;
      if (!Number.isNaN(v)) vals[m++] = v;
    }
    const sorted = vals.subarray(0, m).sort();
    const distinct: number[] = [];
    for (let i = 0; i < m; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
    const cuts: number[] = [];
    if (distinct.length <= MAX_BINS) {
      for (let i = 0; i + 1 < distinct.length; i++) cuts.push((distinct[i]! + distinct[i + 1]!) / 2);
    } else {
      for (let b = 1; b < MAX_BINS; b++) {
        const v = sorted[Math.floor((b / MAX_BINS) * (m - 1))]!;
        if (cuts.length === 0 || v > cuts[cuts.length - 1]!) cuts.push(v);
      }
    }
    edges.push(Float64Array.from(cuts));
  }
  const codes = new Uint8Array(n * F);
  for (let f = 0; f < F; f++) {
    const e = edges[f]!;
    for (let i = 0; i < n; i++) {
      const v = X[i * F + f]!;
      if (Number.isNaN(v)) continue;
      let lo = 0;
      let hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (e[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      codes[i * F + f] = lo + 1;
    }
  }
  return { codes, edges, n, F };
}

// Histograms are large (features x 256 bins x 2) and short-lived: recycle them instead of
// leaving thousands per fit to the garbage collector.
const histPool = new Map<number, Float64Array[]>();
function takeHist(size: number): Float64Array {
  const h = histPool.get(size)?.pop();
  return h ? h.fill(0) : new Float64Array(size);
}
function releaseHist(h: Float64Array): void {
  const list = histPool.get(h.length) ?? [];
  if (list.length < 64) list.push(h);
  histPool.set(h.length, list);
}

export interface TreeParams {
  maxLeaves: number;
  maxDepth: number;
  minSamplesLeaf: number;
  /** L2 penalty on leaf values. */
  lambda: number;
  /** Share of features considered at each node (random forest); 1 = all. */
  featureFraction: number;
}

/** A fitted tree as flat arrays; leaves have feature -1. `value` is set on every node. */
export interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  bin: Int32Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  gain: Float64Array;
}

export interface TreeJson {
  feature: number[];
  threshold: number[];
  missingLeft: number[];
  left: number[];
  right: number[];
  value: number[];
}

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
}

interface Node {
  id: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  C: number;
  hist: Float64Array;
  split: Split | null;
}

/**
 * Grows one tree best-first on `idx` (rows, duplicates allowed for bootstraps) minimising squared
 * error given gradients (hessian 1): a leaf's value is -sum(g) / (count + lambda).
 */
export function growTree(b: Binned, grad: Float64Array, idx: Uint32Array, p: TreeParams, rand: () => number): Tree {
  const { codes, F } = b;
  const W = MAX_BINS + 1;
  const W2 = W * 2;
  const nodes = { feature: [] as number[], threshold: [] as number[], bin: [] as number[], missingLeft: [] as number[], left: [] as number[], right: [] as number[], value: [] as number[], gain: [] as number[] };
  const newNode = (G: number, C: number): number => {
    nodes.feature.push(-1);
    nodes.threshold.push(NaN);
    nodes.bin.push(0);
    nodes.missingLeft.push(0);
    nodes.left.push(-1);
    nodes.right.push(-1);
    nodes.value.push(-G / (C + p.lambda));
    nodes.gain.push(0);
    return nodes.feature.length - 1;
  };
  const used = new Set<Float64Array>();
  // Offsets of the bins a small node's rows touched: its sibling's histogram is the parent's
  // minus only those (every other bin of the small one is exactly zero).
  const touched = new Int32Array(F * W);
  let nTouched = -1;
  const buildHist = (start: number, end: number, sparse: boolean): Float64Array => {
    const h = takeHist(F * W2);
    used.add(h);
    nTouched = -1;
    if (sparse) {
      let nt = 0;
      for (let k = start; k < end; k++) {
        const i = idx[k]!;
        const g = grad[i]!;
        const base = i * F;
        for (let f = 0, fo = 0; f < F; f++, fo += W2) {
          const o = fo + (codes[base + f]! << 1);
          const c = h[o + 1]!;
          if (c === 0) touched[nt++] = o;
          h[o] = h[o]! + g;
          h[o + 1] = c + 1;
        }
      }
      nTouched = nt;
      return h;
    }
    // The hot loop of training: one pass over the node's rows, every feature's bin at once; two
    // rows per step (each bin still adds its rows in order).
    let k = start;
    for (; k + 1 < end; k += 2) {
      const i1 = idx[k]!;
      const i2 = idx[k + 1]!;
      const g1 = grad[i1]!;
      const g2 = grad[i2]!;
      const b1 = i1 * F;
      const b2 = i2 * F;
      for (let f = 0, fo = 0; f < F; f++, fo += W2) {
        const o1 = fo + (codes[b1 + f]! << 1);
        h[o1] = h[o1]! + g1;
        h[o1 + 1] = h[o1 + 1]! + 1;
        const o2 = fo + (codes[b2 + f]! << 1);
        h[o2] = h[o2]! + g2;
        h[o2 + 1] = h[o2 + 1]! + 1;
      }
    }
    for (; k < end; k++) {
      const i = idx[k]!;
      const g = grad[i]!;
      const base = i * F;
      for (let f = 0, fo = 0; f < F; f++, fo += W2) {
        const o = fo + (codes[base + f]! << 1);
        h[o] = h[o]! + g;
        h[o + 1] = h[o + 1]! + 1;
      }
    }
    return h;
  };
  /** A node that will never be split gives its histogram back at once. */
  const settle = (node: Node): void => {
    if (node.split !== null || !used.delete(node.hist)) return;
    releaseHist(node.hist);
  };
  const bestSplit = (node: Node): Split | null => {
    if (node.depth >= p.maxDepth || node.C < 2 * p.minSamplesLeaf) return null;
    const parentScore = (node.G * node.G) / (node.C + p.lambda);
    let best: Split | null = null;
    const h = node.hist;
    for (let f = 0; f < F; f++) {
      if (p.featureFraction < 1 && rand() >= p.featureFraction) continue;
      const nb = b.edges[f]!.length + 1;
      if (nb < 2) continue;
      const o = f * W * 2;
      const mg = h[o]!;
      const mc = h[o + 1]!;
      let gl = 0;
      let cl = 0;
      for (let bin = 1; bin < nb; bin++) {
        const bg = h[o + bin * 2]!;
        const bc = h[o + bin * 2 + 1]!;
        // An empty bin leaves both sides as they were: its candidates equal the previous bin's,
        // which can never win over them (a win needs a strictly larger gain).
        if (bc === 0 && bg === 0 && bin > 1) continue;
        gl += bg;
        cl += bc;
        // The right side only shrinks from here on, with or without the missing rows on the left.
        if (node.C - cl < p.minSamplesLeaf) break;
        for (let ml = 0; ml < 2; ml++) {
          if (ml === 1 && mc === 0) break;
          const GL = gl + (ml ? mg : 0);
          const CL = cl + (ml ? mc : 0);
          const CR = node.C - CL;
          if (CL < p.minSamplesLeaf || CR < p.minSamplesLeaf) continue;
          const GR = node.G - GL;
          const gain = (GL * GL) / (CL + p.lambda) + (GR * GR) / (CR + p.lambda) - parentScore;
          if (gain > 1e-12 && (best === null || gain > best.gain)) best = { gain, feature: f, bin, missingLeft: ml === 1 };
        }
      }
    }
    return best;
  };

  let G0 = 0;
  for (let k = 0; k < idx.length; k++) G0 += grad[idx[k]!]!;
  const root: Node = { id: newNode(G0, idx.length), start: 0, end: idx.length, depth: 0, G: G0, C: idx.length, hist: buildHist(0, idx.length, false), split: null };
  root.split = bestSplit(root);
  settle(root);
  const open: Node[] = [root];
  let leaves = 1;
  const scratch = new Uint32Array(idx.length);
  while (leaves < p.maxLeaves) {
    let pick = -1;
    for (let i = 0; i < open.length; i++) {
      const s = open[i]!.split;
      if (s && (pick < 0 || s.gain > open[pick]!.split!.gain)) pick = i;
    }
    if (pick < 0) break;
    const node = open[pick]!;
    open.splice(pick, 1);
    const s = node.split!;
    // Stable partition of the node's rows: left side first.
    let l = node.start;
    let r = 0;
    for (let k = node.start; k < node.end; k++) {
      const i = idx[k]!;
      const code = codes[i * F + s.feature]!;
      const goLeft = code === 0 ? s.missingLeft : code <= s.bin;
      if (goLeft) idx[l++] = i;
      else scratch[r++] = i;
    }
    idx.set(scratch.subarray(0, r), l);
    let GL = 0;
    for (let k = node.start; k < l; k++) GL += grad[idx[k]!]!;
    const CL = l - node.start;
    const GR = node.G - GL;
    const CR = node.end - l;
    const smallLeft = CL <= CR;
    // Below this many rows a small node touches fewer bins than a whole histogram holds.
    const sparse = Math.min(CL, CR) * 2 < W;
    const small = smallLeft ? buildHist(node.start, l, sparse) : buildHist(l, node.end, sparse);
    const large = node.hist;
    if (nTouched >= 0) {
      for (let t = 0; t < nTouched; t++) {
        const o = touched[t]!;
        large[o] = large[o]! - small[o]!;
        large[o + 1] = large[o + 1]! - small[o + 1]!;
      }
    } else {
      for (let q = 0; q < large.length; q++) large[q] = large[q]! - small[q]!;
    }
    const leftNode: Node = { id: newNode(GL, CL), start: node.start, end: l, depth: node.depth + 1, G: GL, C: CL, hist: smallLeft ? small : large, split: null };
    const rightNode: Node = { id: newNode(GR, CR), start: l, end: node.end, depth: node.depth + 1, G: GR, C: CR, hist: smallLeft ? large : small, split: null };
    nodes.feature[node.id] = s.feature;
    nodes.bin[node.id] = s.bin;
    nodes.threshold[node.id] = b.edges[s.feature]![s.bin - 1] ?? Infinity;
    nodes.missingLeft[node.id] = s.missingLeft ? 1 : 0;
    nodes.left[node.id] = leftNode.id;
    nodes.right[node.id] = rightNode.id;
    nodes.gain[node.id] = s.gain;
    leftNode.split = bestSplit(leftNode);
    rightNode.split = bestSplit(rightNode);
    settle(leftNode);
    settle(rightNode);
    open.push(leftNode, rightNode);
    leaves++;
  }
  for (const h of used) releaseHist(h);
  return {
    feature: Int32Array.from(nodes.feature),
    threshold: Float64Array.from(nodes.threshold),
    bin: Int32Array.from(nodes.bin),
    missingLeft: Uint8Array.from(nodes.missingLeft),
    left: Int32Array.from(nodes.left),
    right: Int32Array.from(nodes.right),
    value: Float64Array.from(nodes.value),
    gain: Float64Array.from(nodes.gain),
  };
}

function leafOfBinned(t: Tree, codes: Uint8Array, base: number): number {
  let n = 0;
  while (t.feature[n]! >= 0) {
    const code = codes[base + t.feature[n]!]!;
    const left = code === 0 ? t.missingLeft[n] === 1 : code <= t.bin[n]!;
    n = left ? t.left[n]! : t.right[n]!;
  }
  return n;
}

/** Walks raw values; calls `visit(feature, delta)` per split taken when given (path contributions). */
function walk(t: Tree, X: Float32Array, base: number, visit?: (feature: number, delta: number) => void): number {
  let n = 0;
  while (t.feature[n]! >= 0) {
    const f = t.feature[n]!;
    const v = X[base + f]!;
    const left = Number.isNaN(v) ? t.missingLeft[n] === 1 : v <= t.threshold[n]!;
    const next = left ? t.left[n]! : t.right[n]!;
    if (visit) visit(f, t.value[next]! - t.value[n]!);
    n = next;
  }
  return t.value[n]!;
}

function scaleTree(t: Tree, k: number): void {
  for (let i = 0; i < t.value.length; i++) t.value[i] = t.value[i]! * k;
}

export function treeToJson(t: Tree): TreeJson {
  const round = (v: number): number => Number(v.toPrecision(9));
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold, (v) => (Number.isFinite(v) ? v : 1e308)),
    missingLeft: Array.from(t.missingLeft),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from(t.value, round),
  };
}

export function treeFromJson(j: TreeJson): Tree {
  return {
    feature: Int32Array.from(j.feature),
    threshold: Float64Array.from(j.threshold),
    bin: new Int32Array(j.feature.length),
    missingLeft: Uint8Array.from(j.missingLeft),
    left: Int32Array.from(j.left),
    right: Int32Array.from(j.right),
    value: Float64Array.from(j.value),
    gain: new Float64Array(j.feature.length),
  };
}

export interface EnsembleOfTrees {
  kind: 'gbm' | 'rf';
  base: number;
  trees: Tree[];
  /** rf averages its trees; gbm sums them. */
  average: boolean;
  importance: Float64Array;
}

export function predictTrees(m: EnsembleOfTrees, X: Float32Array, n: number, F: number): Float64Array {
  const out = new Float64Array(n);
  const k = m.average ? 1 / m.trees.length : 1;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const t of m.trees) s += walk(t, X, i * F);
    out[i] = m.base + s * k;
  }
  return out;
}

/** Path contributions (Saabas): per row, per feature, summing to prediction minus the root values. */
export function treeContributions(m: EnsembleOfTrees, X: Float32Array, n: number, F: number): Float64Array {
  const out = new Float64Array(n * F);
  const k = m.average ? 1 / m.trees.length : 1;
  for (let i = 0; i < n; i++) {
    const visit = (f: number, d: number): void => {
      out[i * F + f] = out[i * F + f]! + d * k;
    };
    for (const t of m.trees) walk(t, X, i * F, visit);
  }
  return out;
}

function gainImportance(trees: Tree[], F: number): Float64Array {
  const imp = new Float64Array(F);
  for (const t of trees) for (let i = 0; i < t.feature.length; i++) if (t.feature[i]! >= 0) imp[t.feature[i]!] = imp[t.feature[i]!]! + t.gain[i]!;
  const total = imp.reduce((s, v) => s + v, 0);
  if (total > 0) for (let f = 0; f < F; f++) imp[f] = imp[f]! / total;
  return imp;
}

export interface GbmParams extends TreeParams {
  iterations: number;
  learningRate: number;
  /** Rows sampled (without replacement) per tree. */
  subsample: number;
  seed: number;
}

export const DEFAULT_GBM: GbmParams = { iterations: 120, learningRate: 0.06, maxLeaves: 15, maxDepth: 6, minSamplesLeaf: 200, lambda: 10, featureFraction: 1, subsample: 0.5, seed: 7 };

export function fitGbm(X: Float32Array, n: number, F: number, y: Float64Array, params: Partial<GbmParams> = {}, hooks: { binned?: Binned; onIteration?: (i: number) => void } = {}): EnsembleOfTrees {
  const p = { ...DEFAULT_GBM, ...params };
  const rand = createRng(p.seed);
  const b = hooks.binned ?? binFeatures(X, n, F, p.seed);
  let base = 0;
  for (let i = 0; i < n; i++) base += y[i]!;
  base /= n;
  const pred = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const trees: Tree[] = [];
  const m = Math.max(1, Math.floor(n * p.subsample));
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  for (let it = 0; it < p.iterations; it++) {
    for (let i = 0; i < n; i++) grad[i] = pred[i]! - y[i]!;
    // Partial Fisher-Yates: the first m entries are a uniform sample without replacement.
    for (let i = 0; i < m; i++) {
      const j = i + Math.floor(rand() * (n - i));
      const tmp = all[i]!;
      all[i] = all[j]!;
      all[j] = tmp;
    }
    const idx = all.slice(0, m);
    const tree = growTree(b, grad, idx, p, rand);
    scaleTree(tree, p.learningRate);
    for (let i = 0; i < n; i++) pred[i] = pred[i]! + tree.value[leafOfBinned(tree, b.codes, i * F)]!;
    trees.push(tree);
    hooks.onIteration?.(it);
  }
  return { kind: 'gbm', base, trees, average: false, importance: gainImportance(trees, F) };
}

export interface RfParams extends TreeParams {
  trees: number;
  /** Rows drawn with replacement per tree, as a share of n. */
  sampleFraction: number;
  seed: number;
}

export const DEFAULT_RF: RfParams = { trees: 50, maxLeaves: 256, maxDepth: 12, minSamplesLeaf: 100, lambda: 0, featureFraction: 0.33, sampleFraction: 0.4, seed: 11 };

export function fitRandomForest(X: Float32Array, n: number, F: number, y: Float64Array, params: Partial<RfParams> = {}, hooks: { binned?: Binned; onTree?: (i: number) => void } = {}): EnsembleOfTrees {
  const p = { ...DEFAULT_RF, ...params };
  const rand = createRng(p.seed);
  const b = hooks.binned ?? binFeatures(X, n, F, p.seed);
  const grad = new Float64Array(n);
  for (let i = 0; i < n; i++) grad[i] = -y[i]!;
  const m = Math.max(1, Math.floor(n * p.sampleFraction));
  const trees: Tree[] = [];
  for (let t = 0; t < p.trees; t++) {
    const idx = new Uint32Array(m);
    for (let k = 0; k < m; k++) idx[k] = Math.floor(rand() * n);
    trees.push(growTree(b, grad, idx, p, rand));
    hooks.onTree?.(t);
  }
  return { kind: 'rf', base: 0, trees, average: true, importance: gainImportance(trees, F) };
}

export function treesToJson(m: EnsembleOfTrees): { kind: 'gbm' | 'rf'; base: number; average: boolean; importance: number[]; trees: TreeJson[] } {
  return { kind: m.kind, base: m.base, average: m.average, importance: Array.from(m.importance), trees: m.trees.map(treeToJson) };
}

export function treesFromJson(j: ReturnType<typeof treesToJson>): EnsembleOfTrees {
  return { kind: j.kind, base: j.base, average: j.average, importance: Float64Array.from(j.importance), trees: j.trees.map(treeFromJson) };
}
