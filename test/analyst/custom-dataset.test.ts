/**
 * A dataset of one's own: a CSV directory whose fingerprint the shipped model does not match.
 * After its import the app trains in the background (an `ml.train` task with progress events),
 * so the overview has scores without anyone pressing "Retrain". Bounded in time: a slice of the
 * bundled CSVs (some assets, three years) trains in well under the test's limit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/services';
import { findBundledDataset } from '../../src/main/services';
import { createTestServices } from '../helpers/app';

const bundled = findBundledDataset(__dirname)!;
const csv = (name: string): string[] => gunzipSync(readFileSync(path.join(bundled, `${name}.gz`))).toString('utf8').split('\n').filter((l) => l.length > 0);
let dir: string;
let services: Services;
let cleanup: () => Promise<void>;
const progress: { kind: string; done: number; total: number | null; finished: boolean }[] = [];

beforeAll(async () => {
  // The 30 assets with the most market rows since 2021-06, and only those rows.
  dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-custom-csv-'));
  const [head, ...rows] = csv('market_daily.csv');
  const cols = head!.split(',');
  const [iDate, iSym] = [cols.indexOf('date'), cols.indexOf('symbol')];
  const recent = rows.filter((r) => r.split(',')[iDate]! >= '2021-06-01');
  const counts = new Map<string, number>();
  for (const r of recent) counts.set(r.split(',')[iSym]!, (counts.get(r.split(',')[iSym]!) ?? 0) + 1);
  const keep = new Set([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 30).map(([s]) => s));
  writeFileSync(path.join(dir, 'market_daily.csv'), [head, ...recent.filter((r) => keep.has(r.split(',')[iSym]!))].join('\n'));
  writeFileSync(path.join(dir, 'assets.csv'), csv('assets.csv').join('\n'));
  ({ services, cleanup } = await createTestServices({ mode: 'web', autoImport: false, bundledModel: true }));
  services.client.on('progress', (p) => progress.push(p));
}, 120_000);
afterAll(async () => {
  await cleanup?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('a custom CSV directory', () => {
  it('is trained on in the background after its import, with progress, and scored without pressing anything', async () => {
    const summary = await services.client.call('dataset.import', { dir });
    expect(summary.financialRows).toBeGreaterThan(10_000);
    expect((await services.client.call('ui.overview', {})).scored).toBe(false);
    // The training runs as a task the views list, with progress events.
    expect((await services.client.call('tasks.list', {})).map((t) => t.kind)).toContain('ml.train');
    const deadline = Date.now() + 420_000;
    while (!(await services.client.call('ui.overview', {})).scored) {
      if (Date.now() > deadline) throw new Error('no scores within 7 minutes of the import');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const train = progress.filter((p) => p.kind === 'ml.train');
    expect(train.some((p) => p.total !== null && p.done > 0)).toBe(true);
    expect(train.at(-1)?.finished).toBe(true);
    const o = await services.client.call('ui.overview', {});
    expect(o.rows.filter((r) => r.score !== null).length).toBeGreaterThan(10);
    const models = await services.client.call('ml.models', {});
    expect(models).toHaveLength(1);
    expect(models[0]!.role).toBe('champion');
  }, 480_000);
});
