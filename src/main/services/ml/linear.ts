/**
 * Dense preprocessing for the linear and neural models (standardise with training statistics,
 * missing = the training mean, i.e. 0 after scaling; the indicators carry the missingness) and
 * the ridge regression baseline solved in closed form.
 */

export interface Scaler {
  mean: number[];
  scale: number[];
}

export function fitScaler(X: Float32Array, n: number, F: number): Scaler {
  const mean = new Array<number>(F).fill(0);
  const scale = new Array<number>(F).fill(1);
  // One pass over the rows in memory order; per feature the sums still run over rows in order.
  const s = new Float64Array(F);
  const s2 = new Float64Array(F);
  const c = new Float64Array(F);
  for (let i = 0; i < n; i++) {
    const o = i * F;
    for (let f = 0; f < F; f++) {
      const v = X[o + f]!;
      if (Number.isNaN(v)) continue;
      s[f] = s[f]! + v;
      s2[f] = s2[f]! + v * v;
      c[f] = c[f]! + 1;
    }
  }
  for (let f = 0; f < F; f++) {
    if (c[f] === 0) continue;
    const m = s[f]! / c[f]!;
    const sd = Math.sqrt(Math.max(0, s2[f]! / c[f]! - m * m));
    mean[f] = m;
    // A constant (or absent) column contributes nothing instead of dividing by zero.
    scale[f] = sd > 1e-12 ? sd : 0;
  }
  return { mean, scale };
}

export function applyScaler(s: Scaler, X: Float32Array, n: number, F: number): Float32Array {
  const out = new Float32Array(n * F);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) {
      const v = X[i * F + f]!;
      const sc = s.scale[f]!;
      // Clipped at 5 sd: crypto features have heavy tails that would dominate a linear fit.
      out[i * F + f] = Number.isNaN(v) || sc === 0 ? 0 : Math.max(-5, Math.min(5, (v - s.mean[f]!) / sc));
    }
  }
  return out;
}

export interface RidgeModel {
  scaler: Scaler;
  coef: number[];
  intercept: number;
  alpha: number;
}

/** Solves (Z'Z + alpha*n*I) w = Z'y on standardised Z by Cholesky; alpha is per-row. */
export function fitRidge(X: Float32Array, n: number, F: number, y: Float64Array, alpha = 0.05): RidgeModel {
  const scaler = fitScaler(X, n, F);
  const Z = applyScaler(scaler, X, n, F);
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i]!;
  ym /= n;
  // Column-major copy: each entry of Z'Z and Z'y is then a dot product of two contiguous
  // columns, four entries per pass over the rows.
  const C = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) C[f * n + i] = Z[i * F + f]!;
  const yc = new Float64Array(n);
  for (let i = 0; i < n; i++) yc[i] = y[i]! - ym;
  const A = new Float64Array(F * F);
  const b = new Float64Array(F);
  for (let p = 0; p < F; p++) {
    const cp = p * n;
    let q = p;
    for (; q + 4 <= F; q += 4) {
      const c0 = q * n;
      const c1 = c0 + n;
      const c2 = c1 + n;
      const c3 = c2 + n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < n; i++) {
        const z = C[cp + i]!;
        s0 += z * C[c0 + i]!;
        s1 += z * C[c1 + i]!;
        s2 += z * C[c2 + i]!;
        s3 += z * C[c3 + i]!;
      }
      A[p * F + q] = s0;
      A[p * F + q + 1] = s1;
      A[p * F + q + 2] = s2;
      A[p * F + q + 3] = s3;
    }
    for (; q < F; q++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += C[cp + i]! * C[q * n + i]!;
      A[p * F + q] = s;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += C[cp + i]! * yc[i]!;
    b[p] = s;
  }
  for (let p = 0; p < F; p++) {
    for (let q = 0; q < p; q++) A[p * F + q] = A[q * F + p]!;
    A[p * F + p] = A[p * F + p]! + alpha * n;
  }
  // Cholesky A = L L'.
  const L = new Float64Array(F * F);
  for (let i = 0; i < F; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * F + j]!;
      for (let k = 0; k < j; k++) s -= L[i * F + k]! * L[j * F + k]!;
      L[i * F + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * F + j]!;
    }
  }
  const z = new Float64Array(F);
  for (let i = 0; i < F; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * F + k]! * z[k]!;
    z[i] = s / L[i * F + i]!;
  }
  const w = new Float64Array(F);
  for (let i = F - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < F; k++) s -= L[k * F + i]! * w[k]!;
    w[i] = s / L[i * F + i]!;
  }
  return { scaler, coef: Array.from(w), intercept: ym, alpha };
}

export function predictRidge(m: RidgeModel, X: Float32Array, n: number, F: number): Float64Array {
  const Z = applyScaler(m.scaler, X, n, F);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = m.intercept;
    for (let f = 0; f < F; f++) s += m.coef[f]! * Z[i * F + f]!;
    out[i] = s;
  }
  return out;
}

/** Exact additive contributions: coefficient times the standardised value. */
export function ridgeContributions(m: RidgeModel, X: Float32Array, n: number, F: number): Float64Array {
  const Z = applyScaler(m.scaler, X, n, F);
  const out = new Float64Array(n * F);
  for (let i = 0; i < n * F; i++) out[i] = m.coef[i % F]! * Z[i]!;
  return out;
}

export function ridgeImportance(m: RidgeModel): Float64Array {
  const abs = m.coef.map(Math.abs);
  const total = abs.reduce((s, v) => s + v, 0);
  return Float64Array.from(abs, (v) => (total > 0 ? v / total : 0));
}
