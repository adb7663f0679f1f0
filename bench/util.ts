/**
 * Shared bench helpers: the machine's load, medians, and a figure printed as a ratio beside the
 * absolute times of ours and the anchor measured in the same run (the machine may be shared, so
 * only same-run ratios compare across runs).
 */
import os from 'node:os';

export const loadAverage = (): string => os.loadavg().map((v) => v.toFixed(1)).join(' ');

export function machineLine(): string {
  return `machine: ${os.cpus().length} cores, load average ${loadAverage()}`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function ms(v: number): string {
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`;
}

/**
 * Prints `label: ours X vs anchor Y = ratio R (target T)` with the load average at the time.
 * Times are medians of the runs given.
 */
export function ratioLine(label: string, ours: number[], anchor: number[], anchorName: string, target?: number): number {
  const o = median(ours);
  const a = median(anchor);
  const r = o / a;
  const verdict = target === undefined ? '' : r <= target ? ` [target <= ${target}x: met]` : ` [target <= ${target}x: NOT met]`;
  const runs = ours.length > 1 ? ` (median of ${ours.length} alternating runs)` : '';
  console.log(`RATIO ${label}: ${r.toFixed(2)}x — ours ${ms(o)} vs ${anchorName} ${ms(a)}${runs}; load ${loadAverage()}${verdict}`);
  return r;
}

/** Runs `ours` and `anchor` alternately `rounds` times (so load changes hit both alike); returns their times. */
export async function alternate(rounds: number, ours: () => Promise<number> | number, anchor: () => Promise<number> | number): Promise<{ ours: number[]; anchor: number[] }> {
  const out = { ours: [] as number[], anchor: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    out.anchor.push(await anchor());
    out.ours.push(await ours());
  }
  return out;
}
