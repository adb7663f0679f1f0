/**
 * Reduces a long series to at most `maxPoints` while keeping its shape: each bucket keeps its
 * first, minimum, maximum and last points (in time order), so spikes survive downsampling.
 */
export function downsampleMinMax<T>(points: readonly T[], maxPoints: number, value: (p: T) => number | null): T[] {
  if (points.length <= maxPoints || maxPoints < 4) return [...points];
  const buckets = Math.max(1, Math.floor(maxPoints / 4));
  const size = points.length / buckets;
  const out: T[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let minI = -1;
    let maxI = -1;
    for (let i = start; i < end; i++) {
      const v = value(points[i] as T);
      if (v === null || !Number.isFinite(v)) continue;
      if (minI < 0 || v < (value(points[minI] as T) as number)) minI = i;
      if (maxI < 0 || v > (value(points[maxI] as T) as number)) maxI = i;
    }
    const keep = [...new Set([start, minI, maxI, end - 1].filter((i) => i >= 0))].sort((x, y) => x - y);
    for (const i of keep) out.push(points[i] as T);
  }
  return out;
}
