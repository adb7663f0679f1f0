/** Small numeric helpers shared by the feature pipeline, the models and the metrics. */

/** Seeded PRNG (mulberry32): every random choice in training goes through one of these. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle in place with a seeded generator. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(arr: T, rand: () => number): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

export function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (Number.isFinite(v)) {
      s += (v - m) ** 2;
      n++;
    }
  }
  return n < 2 ? NaN : Math.sqrt(s / (n - 1));
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Average ranks (ties share their mean rank), 0-based; NaN stays NaN. */
export function ranks(xs: ArrayLike<number>): Float64Array {
  const idx: number[] = [];
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]!)) idx.push(i);
  idx.sort((a, b) => xs[a]! - xs[b]!);
  const out = new Float64Array(xs.length).fill(NaN);
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]!] === xs[idx[i]!]) j++;
    const r = (i + j) / 2;
    for (let k = i; k <= j; k++) out[idx[k]!] = r;
    i = j + 1;
  }
  return out;
}

/** Percentile ranks in [0, 1] (0 = lowest); a single value gets 0.5. */
export function percentileRanks(xs: ArrayLike<number>): Float64Array {
  const r = ranks(xs);
  let n = 0;
  for (let i = 0; i < r.length; i++) if (Number.isFinite(r[i]!)) n++;
  for (let i = 0; i < r.length; i++) if (Number.isFinite(r[i]!)) r[i] = n > 1 ? r[i]! / (n - 1) : 0.5;
  return r;
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) continue;
    sa += a[i]!;
    sb += b[i]!;
    n++;
  }
  if (n < 3) return NaN;
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) continue;
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va === 0 || vb === 0 ? NaN : cov / Math.sqrt(va * vb);
}

/** Spearman rank correlation over the pairs where both values are finite. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ka: number[] = [];
  const kb: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) {
      ka.push(a[i]!);
      kb.push(b[i]!);
    }
  }
  if (ka.length < 3) return NaN;
  return pearson(ranks(ka), ranks(kb));
}

/**
 * t-statistic of a mean of a daily series whose neighbours overlap (forward returns over a
 * horizon share most of their window): Newey-West standard error with `lag` lags.
 */
export function neweyWestT(xs: number[], lag: number): number {
  const n = xs.length;
  if (n < 3) return NaN;
  const m = xs.reduce((s, v) => s + v, 0) / n;
  const d = xs.map((v) => v - m);
  let s = d.reduce((acc, v) => acc + v * v, 0) / n;
  const L = Math.min(lag, n - 1);
  for (let k = 1; k <= L; k++) {
    let g = 0;
    for (let i = k; i < n; i++) g += d[i]! * d[i - k]!;
    s += 2 * (1 - k / (L + 1)) * (g / n);
  }
  const se = Math.sqrt(Math.max(s, 0) / n);
  return se === 0 ? NaN : m / se;
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export function dayDiff(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}
