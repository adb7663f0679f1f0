/**
 * Shared bench helpers: the machine's load, medians, and a figure printed as a ratio beside the
 * absolute times of ours and the anchor measured in the same run (the machine may be shared, so
 * only same-run ratios compare across runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices, findBundledDataset } from '../src/main/services';
import { loadConfig } from '../src/main/services/config/config';
import { importDataset } from '../src/main/services/importer/importer';
import { createLogger } from '../src/main/services/log/logger';

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

type BenchServices = Awaited<ReturnType<typeof createServices>>;

/**
 * Runs fn on services over a fresh temporary data directory into which the bundled dataset was
 * imported; closes the services and removes the directory afterwards.
 */
export async function withBundledServices<T>(prefix: string, fn: (services: BenchServices, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `defimon-bench-${prefix}-`));
  const config = loadConfig({ overrides: { dataDir: dir, logLevel: 'silent', autoImport: false }, env: {} });
  const services = await createServices(config, { logger: createLogger({ dataDir: dir, level: 'silent', toStderr: false }) });
  try {
    const dataset = findBundledDataset(__dirname);
    if (!dataset) throw new Error('resources/dataset is missing');
    importDataset({ store: services.core.store, dir: dataset, source: 'bundled' });
    return await fn(services, dir);
  } finally {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
