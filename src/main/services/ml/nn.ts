/**
 * The neural model: a small MLP (F -> 32 -> 16 -> 1, ReLU, L2) trained with TensorFlow.js.
 * Backend: tfjs-node when it is installed, else the WebAssembly backend loaded offline from
 * node_modules, else the pure-JS cpu backend. Weights are initialised and batches shuffled from
 * a seeded generator, so a fit is reproducible. Inference is a plain-JS forward pass, so scoring
 * never needs TensorFlow.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfModule from '@tensorflow/tfjs';
import type { Scalar, Tensor2D } from '@tensorflow/tfjs';
import { applyScaler, fitScaler, type Scaler } from './linear';
import { createRng, shuffleInPlace } from './math';

type Tf = typeof TfModule;

export interface NnParams {
  hidden: [number, number];
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export const DEFAULT_NN: NnParams = { hidden: [32, 16], epochs: 5, batchSize: 512, learningRate: 0.001, l2: 1e-4, seed: 3 };

export interface NnModel {
  scaler: Scaler;
  /** Row-major weight matrices and biases per layer. */
  layers: { w: number[]; b: number[]; inputs: number; outputs: number }[];
  /** Target scaling: the net learns (y - yMean) / yScale. */
  yMean: number;
  yScale: number;
  backend: string;
}

let tfPromise: Promise<{ tf: Tf; backend: string }> | null = null;

/** Loads TensorFlow.js once with the best available backend. */
export function loadTf(): Promise<{ tf: Tf; backend: string }> {
  tfPromise ??= (async () => {
    try {
      // Optional native bindings: much faster when present.
      const mod = '@tensorflow/tfjs-node';
      const tfn = (await import(/* @vite-ignore */ mod)) as Tf;
      return { tf: tfn, backend: 'tensorflow' };
    } catch {
      /* not installed: fall through */
    }
    const tf = await import('@tensorflow/tfjs');
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dir = path.join(path.dirname(createRequire(__filename).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
      wasm.setWasmPaths(dir);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, backend: 'wasm' };
      }
    } catch {
      /* wasm unavailable: cpu */
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return { tf, backend: 'cpu' };
  })();
  return tfPromise;
}

function glorot(inputs: number, outputs: number, rand: () => number): Float32Array {
  const limit = Math.sqrt(6 / (inputs + outputs));
  const w = new Float32Array(inputs * outputs);
  for (let i = 0; i < w.length; i++) w[i] = (rand() * 2 - 1) * limit;
  return w;
}

export async function fitNn(
  X: Float32Array,
  n: number,
  F: number,
  y: Float64Array,
  params: Partial<NnParams> = {},
  hooks: { onEpoch?: (epoch: number, loss: number) => void } = {},
): Promise<NnModel> {
  const p = { ...DEFAULT_NN, ...params };
  const { tf, backend } = await loadTf();
  const rand = createRng(p.seed);
  const scaler = fitScaler(X, n, F);
  const Z = applyScaler(scaler, X, n, F);
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += y[i]!;
  yMean /= n;
  let yVar = 0;
  for (let i = 0; i < n; i++) yVar += (y[i]! - yMean) ** 2;
  const yScale = Math.sqrt(yVar / n) || 1;
  const Y = new Float32Array(n);
  for (let i = 0; i < n; i++) Y[i] = (y[i]! - yMean) / yScale;

  const sizes = [F, p.hidden[0], p.hidden[1], 1];
  const vars = sizes.slice(0, -1).map((inputs, k) => {
    const outputs = sizes[k + 1]!;
    return { w: tf.variable(tf.tensor2d(glorot(inputs, outputs, rand), [inputs, outputs])), b: tf.variable(tf.zeros([outputs])), inputs, outputs };
  });
  const forward = (x: Tensor2D): Tensor2D => {
    let h = x;
    vars.forEach((v, k) => {
      h = tf.add(tf.matMul(h, v.w), v.b);
      if (k < vars.length - 1) h = tf.relu(h);
    });
    return h;
  };
  const optimizer = tf.train.adam(p.learningRate);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const xb = new Float32Array(p.batchSize * F);
  const yb = new Float32Array(p.batchSize);
  try {
    for (let epoch = 0; epoch < p.epochs; epoch++) {
      shuffleInPlace(order, rand);
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < n; start += p.batchSize) {
        const m = Math.min(p.batchSize, n - start);
        for (let k = 0; k < m; k++) {
          const i = order[start + k]!;
          xb.set(Z.subarray(i * F, i * F + F), k * F);
          yb[k] = Y[i]!;
        }
        const loss = tf.tidy(() => {
          const xt = tf.tensor2d(xb.subarray(0, m * F), [m, F]);
          const yt = tf.tensor2d(yb.subarray(0, m), [m, 1]);
          return optimizer.minimize(() => {
            const mse = tf.mean(tf.square(tf.sub(forward(xt), yt)));
            const reg = vars.reduce((acc, v) => tf.add(acc, tf.sum(tf.square(v.w))), tf.scalar(0));
            return tf.add(mse, tf.mul(reg, p.l2)) as Scalar;
          }, true) as Scalar;
        });
        lossSum += loss.dataSync()[0]!;
        loss.dispose();
        batches++;
      }
      hooks.onEpoch?.(epoch, lossSum / Math.max(1, batches));
    }
    const layers = vars.map((v) => ({ w: Array.from(v.w.dataSync()), b: Array.from(v.b.dataSync()), inputs: v.inputs, outputs: v.outputs }));
    return { scaler, layers, yMean, yScale, backend };
  } finally {
    for (const v of vars) {
      v.w.dispose();
      v.b.dispose();
    }
    optimizer.dispose();
  }
}

/**
 * One dense layer over a batch of `m` rows: out = in * W + b (W row-major inputs x outputs; ReLU
 * when `relu`). Per output the sum runs bias first, then the inputs in order.
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
