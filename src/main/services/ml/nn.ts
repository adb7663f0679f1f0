/**
 * The neural model: a small MLP (F -> 32 -> 16 -> 1, ReLU, L2 on the weights) trained with Adam on
 * mini-batches of the squared error, in plain typed arrays (float64). Weights are initialised
 * (Glorot uniform, zero biases) and batches shuffled from a seeded generator, and every sum runs
 * in a fixed order, so a fit is identical for a seed on any machine. The net is small enough that
 * one batch's forward and backward passes are a few thousand multiply-adds per row: loops over
 * contiguous rows of the weight matrices beat dispatching tensor operations by far.
 */
import { applyScaler, fitScaler, type Scaler } from './linear';
import { createRng, shuffleInPlace } from './math';

export interface NnParams {
  hidden: [number, number];
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export const DEFAULT_NN: NnParams = { hidden: [32, 16], epochs: 5, batchSize: 512, learningRate: 0.001, l2: 1e-4, seed: 3 };

/** Adam's moment decay rates and the denominator's guard (the usual defaults). */
const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Row-major weights (inputs x outputs) and biases of one dense layer. */
export interface DenseLayer {
  w: ArrayLike<number>;
  b: ArrayLike<number>;
  inputs: number;
  outputs: number;
}

export interface NnModel {
  scaler: Scaler;
  /** Row-major weight matrices and biases per layer. */
  layers: { w: number[]; b: number[]; inputs: number; outputs: number }[];
  /** Target scaling: the net learns (y - yMean) / yScale. */
  yMean: number;
  yScale: number;
  /** How the net was trained (recorded with the model version). */
  backend: string;
}

/** The implementation recorded as the model's backend. */
export const NN_BACKEND = 'js-float64';

interface Layer {
  w: Float64Array;
  b: Float64Array;
  inputs: number;
  outputs: number;
}

function glorot(inputs: number, outputs: number, rand: () => number): Float64Array {
  const limit = Math.sqrt(6 / (inputs + outputs));
  const w = new Float64Array(inputs * outputs);
  for (let i = 0; i < w.length; i++) w[i] = (rand() * 2 - 1) * limit;
  return w;
}

/**
 * Buffers of one batch, unit-major (a unit's values for the batch's rows are contiguous, row i of
 * unit u at u * rows + i): activations per layer (act[0] is the input) and the loss gradient with
 * respect to each layer's output (delta[k] belongs to layer k).
 */
interface Workspace {
  act: Float64Array[];
  delta: Float64Array[];
}

function workspace(sizes: number[], rows: number): Workspace {
  return { act: sizes.map((u) => new Float64Array(rows * u)), delta: sizes.slice(1).map((u) => new Float64Array(rows * u)) };
}

/**
 * out = in * W + b over `m` unit-major rows (W row-major inputs x outputs), ReLU when `relu`.
 * Blocked two outputs by four inputs: one pass over the rows does eight multiply-adds per two
 * output values loaded and stored.
 */
function forwardLayer(inp: Float64Array, m: number, l: Layer, relu: boolean, out: Float64Array): void {
  const { w: W, b, inputs: I, outputs: O } = l;
  let o = 0;
  for (; o + 2 <= O; o += 2) {
    const p = o * m;
    const q = p + m;
    out.fill(b[o]!, p, p + m);
    out.fill(b[o + 1]!, q, q + m);
    let j = 0;
    for (; j + 4 <= I; j += 4) {
      const r = j * O + o;
      const w0 = W[r]!;
      const w1 = W[r + O]!;
      const w2 = W[r + 2 * O]!;
      const w3 = W[r + 3 * O]!;
      const v0 = W[r + 1]!;
      const v1 = W[r + O + 1]!;
      const v2 = W[r + 2 * O + 1]!;
      const v3 = W[r + 3 * O + 1]!;
      const a0 = j * m;
      const a1 = a0 + m;
      const a2 = a1 + m;
      const a3 = a2 + m;
      for (let i = 0; i < m; i++) {
        const x0 = inp[a0 + i]!;
        const x1 = inp[a1 + i]!;
        const x2 = inp[a2 + i]!;
        const x3 = inp[a3 + i]!;
        out[p + i] = out[p + i]! + w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3;
        out[q + i] = out[q + i]! + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3;
      }
    }
    for (; j < I; j++) {
      const w = W[j * O + o]!;
      const v = W[j * O + o + 1]!;
      const a0 = j * m;
      for (let i = 0; i < m; i++) {
        const x = inp[a0 + i]!;
        out[p + i] = out[p + i]! + w * x;
        out[q + i] = out[q + i]! + v * x;
      }
    }
  }
  for (; o < O; o++) {
    const p = o * m;
    out.fill(b[o]!, p, p + m);
    let j = 0;
    for (; j + 4 <= I; j += 4) {
      const r = j * O + o;
      const w0 = W[r]!;
      const w1 = W[r + O]!;
      const w2 = W[r + 2 * O]!;
      const w3 = W[r + 3 * O]!;
      const a0 = j * m;
      const a1 = a0 + m;
      const a2 = a1 + m;
      const a3 = a2 + m;
      for (let i = 0; i < m; i++) out[p + i] = out[p + i]! + w0 * inp[a0 + i]! + w1 * inp[a1 + i]! + w2 * inp[a2 + i]! + w3 * inp[a3 + i]!;
    }
    for (; j < I; j++) {
      const w = W[j * O + o]!;
      const a0 = j * m;
      for (let i = 0; i < m; i++) out[p + i] = out[p + i]! + w * inp[a0 + i]!;
    }
  }
  if (relu) for (let i = 0; i < O * m; i++) if (out[i]! < 0) out[i] = 0;
}

/** Adds to gW[j0.. ][o0..o0+3] (and row j1 when j1 >= 0) the sums over rows of a_j * d_o. */
function gradientBlock(a: Float64Array, d: Float64Array, m: number, O: number, j0: number, j1: number, o0: number, gW: Float64Array): void {
  const x = j0 * m;
  const y = j1 * m;
  const d0 = o0 * m;
  const d1 = d0 + m;
  const d2 = d1 + m;
  const d3 = d2 + m;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  if (j1 >= 0) {
    for (let i = 0; i < m; i++) {
      const e0 = d[d0 + i]!;
      const e1 = d[d1 + i]!;
      const e2 = d[d2 + i]!;
      const e3 = d[d3 + i]!;
      const u = a[x + i]!;
      const v = a[y + i]!;
      s0 += u * e0;
      s1 += u * e1;
      s2 += u * e2;
      s3 += u * e3;
      t0 += v * e0;
      t1 += v * e1;
      t2 += v * e2;
      t3 += v * e3;
    }
    const r = j1 * O + o0;
    gW[r] = gW[r]! + t0;
    gW[r + 1] = gW[r + 1]! + t1;
    gW[r + 2] = gW[r + 2]! + t2;
    gW[r + 3] = gW[r + 3]! + t3;
  } else {
    for (let i = 0; i < m; i++) {
      const u = a[x + i]!;
      s0 += u * d[d0 + i]!;
      s1 += u * d[d1 + i]!;
      s2 += u * d[d2 + i]!;
      s3 += u * d[d3 + i]!;
    }
  }
  const r = j0 * O + o0;
  gW[r] = gW[r]! + s0;
  gW[r + 1] = gW[r + 1]! + s1;
  gW[r + 2] = gW[r + 2]! + s2;
  gW[r + 3] = gW[r + 3]! + s3;
}

/**
 * The gradients of one layer from the gradient `d` at its output (unit-major, `m` rows) and its
 * input activations `a`: gW = a' d + 2 l2 W, gb = column sums of d. Blocked two inputs by four
 * outputs: eight running sums per pass over the rows.
 */
function layerGradients(a: Float64Array, d: Float64Array, m: number, l: Layer, l2: number, gW: Float64Array, gB: Float64Array): void {
  const { w: W, inputs: I, outputs: O } = l;
  for (let o = 0; o < O; o++) {
    let s = 0;
    for (let i = o * m; i < (o + 1) * m; i++) s += d[i]!;
    gB[o] = s;
  }
  for (let q = 0; q < W.length; q++) gW[q] = 2 * l2 * W[q]!;
  let o = 0;
  for (; o + 4 <= O; o += 4) {
    let j = 0;
    for (; j + 2 <= I; j += 2) gradientBlock(a, d, m, O, j, j + 1, o, gW);
    if (j < I) gradientBlock(a, d, m, O, j, -1, o, gW);
  }
  for (; o < O; o++) {
    const d0 = o * m;
    for (let j = 0; j < I; j++) {
      const x = j * m;
      let s = 0;
      for (let i = 0; i < m; i++) s += a[x + i]! * d[d0 + i]!;
      gW[j * O + o] = gW[j * O + o]! + s;
    }
  }
}

/**
 * The gradient at the layer's input, dPrev = d W', through the ReLU that produced the input `a`
 * (zero where it was cut). Blocked two inputs by four outputs.
 */
function backwardLayer(a: Float64Array, d: Float64Array, m: number, l: Layer, dPrev: Float64Array): void {
  const { w: W, inputs: I, outputs: O } = l;
  dPrev.fill(0, 0, I * m);
  for (let j = 0; j < I; j += 2) {
    const pair = j + 1 < I;
    const p = j * m;
    const q = p + m;
    let o = 0;
    for (; o + 4 <= O; o += 4) {
      const r = j * O + o;
      const w0 = W[r]!;
      const w1 = W[r + 1]!;
      const w2 = W[r + 2]!;
      const w3 = W[r + 3]!;
      const d0 = o * m;
      const d1 = d0 + m;
      const d2 = d1 + m;
      const d3 = d2 + m;
      if (pair) {
        const v0 = W[r + O]!;
        const v1 = W[r + O + 1]!;
        const v2 = W[r + O + 2]!;
        const v3 = W[r + O + 3]!;
        for (let i = 0; i < m; i++) {
          const e0 = d[d0 + i]!;
          const e1 = d[d1 + i]!;
          const e2 = d[d2 + i]!;
          const e3 = d[d3 + i]!;
          dPrev[p + i] = dPrev[p + i]! + w0 * e0 + w1 * e1 + w2 * e2 + w3 * e3;
          dPrev[q + i] = dPrev[q + i]! + v0 * e0 + v1 * e1 + v2 * e2 + v3 * e3;
        }
      } else {
        for (let i = 0; i < m; i++) dPrev[p + i] = dPrev[p + i]! + w0 * d[d0 + i]! + w1 * d[d1 + i]! + w2 * d[d2 + i]! + w3 * d[d3 + i]!;
      }
    }
    for (; o < O; o++) {
      const d0 = o * m;
      const w = W[j * O + o]!;
      for (let i = 0; i < m; i++) dPrev[p + i] = dPrev[p + i]! + w * d[d0 + i]!;
      if (pair) {
        const v = W[(j + 1) * O + o]!;
        for (let i = 0; i < m; i++) dPrev[q + i] = dPrev[q + i]! + v * d[d0 + i]!;
      }
    }
  }
  for (let i = 0; i < I * m; i++) if (!(a[i]! > 0)) dPrev[i] = 0;
}

/**
 * Loss of a batch (mean squared error + l2 x the sum of squared weights) and its gradient with
 * respect to every weight and bias, by backpropagation. `ws.act[0]` holds the batch's `m` input
 * rows (unit-major); the gradients are written into `gw`/`gb` (same shapes as the layers).
 */
function lossAndGradients(layers: Layer[], ws: Workspace, y: ArrayLike<number>, m: number, l2: number, gw: Float64Array[], gb: Float64Array[]): number {
  const last = layers.length - 1;
  layers.forEach((l, k) => forwardLayer(ws.act[k]!, m, l, k < last, ws.act[k + 1]!));
  // One output unit: d(mean (out - y)^2)/d out = 2 (out - y) / m.
  const out = ws.act[last + 1]!;
  const dOut = ws.delta[last]!;
  let sse = 0;
  for (let i = 0; i < m; i++) {
    const e = out[i]! - y[i]!;
    sse += e * e;
    dOut[i] = (2 * e) / m;
  }
  let reg = 0;
  for (let k = last; k >= 0; k--) {
    const l = layers[k]!;
    for (let q = 0; q < l.w.length; q++) reg += l.w[q]! * l.w[q]!;
    layerGradients(ws.act[k]!, ws.delta[k]!, m, l, l2, gw[k]!, gb[k]!);
    if (k > 0) backwardLayer(ws.act[k]!, ws.delta[k]!, m, l, ws.delta[k - 1]!);
  }
  return sse / m + l2 * reg;
}

/**
 * The loss of a batch of `m` rows (row-major X) and its gradients for given layers, in a fresh
 * workspace: for checking the backpropagation against finite differences.
 */
export function nnLossAndGradients(layers: DenseLayer[], X: ArrayLike<number>, y: ArrayLike<number>, m: number, l2: number): { loss: number; w: Float64Array[]; b: Float64Array[] } {
  const ls: Layer[] = layers.map((l) => ({ w: Float64Array.from(l.w), b: Float64Array.from(l.b), inputs: l.inputs, outputs: l.outputs }));
  const sizes = [ls[0]!.inputs, ...ls.map((l) => l.outputs)];
  if (sizes[sizes.length - 1] !== 1) throw new Error('the network must end in one output');
  const F = sizes[0]!;
  const ws = workspace(sizes, m);
  for (let i = 0; i < m; i++) for (let f = 0; f < F; f++) ws.act[0]![f * m + i] = X[i * F + f]!;
  const w = ls.map((l) => new Float64Array(l.w.length));
  const b = ls.map((l) => new Float64Array(l.b.length));
  const loss = lossAndGradients(ls, ws, y, m, l2, w, b);
  return { loss, w, b };
}

/** Adam's state for one parameter array: first and second moments. */
interface Moments {
  m: Float64Array;
  v: Float64Array;
}

function adamStep(param: Float64Array, grad: Float64Array, s: Moments, lr: number, c1: number, c2: number): void {
  const { beta1, beta2, epsilon } = ADAM;
  for (let q = 0; q < param.length; q++) {
    const g = grad[q]!;
    const m = beta1 * s.m[q]! + (1 - beta1) * g;
    const v = beta2 * s.v[q]! + (1 - beta2) * g * g;
    s.m[q] = m;
    s.v[q] = v;
    param[q] = param[q]! - (lr * (m / c1)) / (Math.sqrt(v / c2) + epsilon);
  }
}

export function fitNn(
  X: Float32Array,
  n: number,
  F: number,
  y: Float64Array,
  params: Partial<NnParams> = {},
  hooks: { onEpoch?: (epoch: number, loss: number) => void } = {},
): NnModel {
  const p = { ...DEFAULT_NN, ...params };
  if (n < 1) throw new Error('the network needs at least one training row');
  if (!(p.batchSize >= 1) || !Number.isInteger(p.batchSize)) throw new Error(`batch size must be a positive integer (got ${p.batchSize})`);
  const rand = createRng(p.seed);
  const scaler = fitScaler(X, n, F);
  const Z = applyScaler(scaler, X, n, F);
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += y[i]!;
  yMean /= n;
  let yVar = 0;
  for (let i = 0; i < n; i++) yVar += (y[i]! - yMean) ** 2;
  const yScale = Math.sqrt(yVar / n) || 1;
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) Y[i] = (y[i]! - yMean) / yScale;

  const sizes = [F, ...p.hidden, 1];
  const layers: Layer[] = sizes.slice(0, -1).map((inputs, k) => {
    const outputs = sizes[k + 1]!;
    return { w: glorot(inputs, outputs, rand), b: new Float64Array(outputs), inputs, outputs };
  });
  const gw = layers.map((l) => new Float64Array(l.w.length));
  const gb = layers.map((l) => new Float64Array(l.b.length));
  const mw = layers.map((l) => ({ m: new Float64Array(l.w.length), v: new Float64Array(l.w.length) }));
  const mb = layers.map((l) => ({ m: new Float64Array(l.b.length), v: new Float64Array(l.b.length) }));
  const batch = Math.min(p.batchSize, n);
  const ws = workspace(sizes, batch);
  const yb = new Float64Array(batch);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let step = 0;
  for (let epoch = 0; epoch < p.epochs; epoch++) {
    shuffleInPlace(order, rand);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < n; start += batch) {
      const m = Math.min(batch, n - start);
      const x0 = ws.act[0]!;
      for (let k = 0; k < m; k++) {
        const i = order[start + k]!;
        for (let f = 0; f < F; f++) x0[f * m + k] = Z[i * F + f]!;
        yb[k] = Y[i]!;
      }
      lossSum += lossAndGradients(layers, ws, yb, m, p.l2, gw, gb);
      step++;
      const c1 = 1 - ADAM.beta1 ** step;
      const c2 = 1 - ADAM.beta2 ** step;
      layers.forEach((l, k) => {
        adamStep(l.w, gw[k]!, mw[k]!, p.learningRate, c1, c2);
        adamStep(l.b, gb[k]!, mb[k]!, p.learningRate, c1, c2);
      });
      batches++;
    }
    hooks.onEpoch?.(epoch, lossSum / batches);
  }
  return { scaler, layers: layers.map((l) => ({ w: Array.from(l.w), b: Array.from(l.b), inputs: l.inputs, outputs: l.outputs })), yMean, yScale, backend: NN_BACKEND };
}
/**
 * One dense layer over a batch of `m` rows for inference: out = in * W + b (row-major rows, W
 * row-major inputs x outputs; ReLU when `relu`). Per output the sum runs bias first, then the
 * inputs in order.
 */
function dense(inp: Float64Array, m: number, inputs: number, W: ArrayLike<number>, b: ArrayLike<number>, outputs: number, relu: boolean, out: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const ob = i * outputs;
    const ib = i * inputs;
    for (let o = 0; o < outputs; o++) {
      let s = b[o]!;
      for (let j = 0; j < inputs; j++) s += inp[ib + j]! * W[j * outputs + o]!;
      out[ob + o] = relu && s < 0 ? 0 : s;
    }
  }
}

/** Forward pass over already standardised rows, a block of rows at a time (nothing allocated per row). */
function forwardJs(m: NnModel, Z: Float32Array, n: number, F: number): Float64Array {
  const out = new Float64Array(n);
  const block = 256;
  const act = [F, ...m.layers.map((l) => l.outputs)].map((units) => new Float64Array(block * units));
  const last = m.layers.length;
  for (let start = 0; start < n; start += block) {
    const rows = Math.min(block, n - start);
    const x0 = act[0]!;
    for (let q = 0; q < rows * F; q++) x0[q] = Z[start * F + q]!;
    m.layers.forEach((layer, k) => dense(act[k]!, rows, layer.inputs, layer.w, layer.b, layer.outputs, k < last - 1, act[k + 1]!));
    const y = act[last]!;
    for (let i = 0; i < rows; i++) out[start + i] = y[i]! * m.yScale + m.yMean;
  }
  return out;
}

export function predictNn(m: NnModel, X: Float32Array, n: number, F: number): Float64Array {
  return forwardJs(m, applyScaler(m.scaler, X, n, F), n, F);
}

/**
 * Occlusion contributions: the change in prediction when a feature is set to its training mean
 * (0 after scaling). Not exactly additive, but honest about what each input does to this row.
 * The first layer's sums are computed once; occluding feature f only takes its term out of them
 * (a row whose feature is already at the mean contributes exactly 0).
 */
export function nnContributions(m: NnModel, X: Float32Array, n: number, F: number): Float64Array {
  const Z = applyScaler(m.scaler, X, n, F);
  const full = forwardJs(m, Z, n, F);
  const out = new Float64Array(n * F);
  const [first, ...rest] = m.layers;
  if (!first) return out;
  const h = first.outputs;
  // First-layer sums before the ReLU, per row.
  const pre = new Float64Array(n * h);
  const asRows = new Float64Array(n * F);
  for (let q = 0; q < n * F; q++) asRows[q] = Z[q]!;
  dense(asRows, n, F, first.w, first.b, h, false, pre);
  const act = [h, ...rest.map((l) => l.outputs)].map((units) => new Float64Array(units));
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) {
      const z = Z[i * F + f]!;
      if (z === 0) continue;
      const a0 = act[0]!;
      for (let o = 0; o < h; o++) {
        const v = pre[i * h + o]! - z * first.w[f * h + o]!;
        a0[o] = rest.length > 0 && v < 0 ? 0 : v;
      }
      rest.forEach((layer, k) => dense(act[k]!, 1, layer.inputs, layer.w, layer.b, layer.outputs, k < rest.length - 1, act[k + 1]!));
      out[i * F + f] = full[i]! - (act[rest.length]![0]! * m.yScale + m.yMean);
    }
  }
  return out;
}

export function nnImportance(m: NnModel, X: Float32Array, n: number, F: number): Float64Array {
  const c = nnContributions(m, X, n, F);
  const imp = new Float64Array(F);
  for (let i = 0; i < n * F; i++) imp[i % F] = imp[i % F]! + Math.abs(c[i]!);
  const total = imp.reduce((s, v) => s + v, 0);
  if (total > 0) for (let f = 0; f < F; f++) imp[f] = imp[f]! / total;
  return imp;
}
