/** Import of the bundled dataset into a fresh SQLite: time, rows and database size. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBundledDataset } from '../src/main/services';
import { importDataset } from '../src/main/services/importer/importer';
import { openSqlite } from '../src/main/services/storage/sqlite';

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-bench-import-'));
  try {
    const dataset = findBundledDataset(__dirname);
    if (!dataset) throw new Error('resources/dataset is missing');
    const store = openSqlite({ file: path.join(dir, 'defimon.sqlite') });
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const summary = importDataset({ store, dir: dataset, source: 'bundled' });
    const ms = performance.now() - t0;
    const t1 = performance.now();
    importDataset({ store, dir: dataset, source: 'bundled' });
    const again = performance.now() - t1;
    const rows = summary.financialRows + summary.onchainRows + summary.githubRows;
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    console.log(`import of the bundled dataset: ${ms.toFixed(0)} ms for ${rows} metric rows + ${summary.assets} assets (${Math.round(rows / (ms / 1000))} rows/s)`);
    console.log(`second import (same fingerprint, no-op): ${again.toFixed(0)} ms`);
    console.log(`database size after import: ${(store.sizeBytes() / 1e6).toFixed(1)} MB; RSS grew ${((process.memoryUsage().rss - rssBefore) / 1e6).toFixed(0)} MB`);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
