/**
 * Import of the bundled dataset into a fresh SQLite, side by side with the raw load of the same
 * files in the same run (the anchor: gunzip, split lines and commas, better-sqlite3 prepared
 * inserts of the same columns into the same migrated tables, one transaction, no validation).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { findBundledDataset } from '../src/main/services';
import { importDataset } from '../src/main/services/importer/importer';
import { openSqlite } from '../src/main/services/storage/sqlite';
import { alternate, machineLine, ms, ratioLine } from './util';

/** Which CSV column feeds which table column, per file; the raw load copies just these. */
const RAW_LOAD: { file: string; table: string; columns: Record<string, string>; constants: Record<string, string> }[] = [
  {
    file: 'market_daily.csv',
    table: 'financial_metrics',
    columns: { asset_id: 'symbol', day: 'date', close: 'close', close_source: 'close_source', volume_usd: 'volume_usd_aggregate', volume_source: 'volume_aggregate_source', volume_usdt_binance: 'volume_usdt_binance', market_cap: 'market_cap', market_cap_source: 'market_cap_source', circulating_supply: 'circ_supply_cmc' },
    constants: { source: 'raw', updated_at: '2024-01-01T00:00:00.000Z' },
  },
  {
    file: 'protocol_fundamentals_daily.csv',
    table: 'onchain_metrics',
    columns: { asset_id: 'symbol', day: 'date', tvl: 'tvl', revenue: 'revenue', revenue_protocol: 'revenue_protocol', revenue_supply_side: 'revenue_supply_side', gmv: 'gmv', token_incentives: 'token_incentives' },
    constants: { source: 'raw', updated_at: '2024-01-01T00:00:00.000Z' },
  },
  { file: 'dev_activity_weekly_repo.csv', table: 'github_metrics', columns: { asset_id: 'token', repo: 'repo', week_start: 'week_start', commits: 'commits', commits_first_parent: 'commits_first_parent', distinct_authors: 'distinct_authors' }, constants: { source: 'raw', updated_at: '2024-01-01T00:00:00.000Z' } },
  { file: 'dev_activity_weekly_token.csv', table: 'github_metrics', columns: { asset_id: 'token', week_start: 'week_start', commits: 'commits', commits_first_parent: 'commits_first_parent', distinct_authors: 'distinct_authors' }, constants: { repo: '*', source: 'raw', updated_at: '2024-01-01T00:00:00.000Z' } },
  {
    file: 'protocol_fundamentals_daily_defillama.csv',
    table: 'defillama_protocol_daily',
    columns: { asset_id: 'symbol', day: 'date', scope: 'scope', project: 'project', tvl: 'tvl', tvl_polygon: 'tvl_polygon', tvl_borrowed: 'tvl_borrowed', revenue: 'revenue', fees: 'fees', source: 'source' },
    constants: { updated_at: '2024-01-01T00:00:00.000Z' },
  },
  { file: 'chain_tvl_daily_defillama.csv', table: 'defillama_chain_daily', columns: { chain: 'chain', day: 'date', asset_id: 'symbol', tvl: 'tvl', source: 'source' }, constants: { updated_at: '2024-01-01T00:00:00.000Z' } },
];

/** The anchor: returns rows loaded. Rows lacking a required value (e.g. no symbol) are skipped (OR IGNORE), as an import must. */
function rawLoad(datasetDir: string, dbFile: string): number {
  const store = openSqlite({ file: dbFile });
  const db = store.db;
  let n = 0;
  db.transaction(() => {
    for (const spec of RAW_LOAD) {
      const file = path.join(datasetDir, `${spec.file}.gz`);
      if (!existsSync(file)) continue;
      const buf = gunzipSync(readFileSync(file));
      // A file with quoted fields is split by csv-parse (array mode); the rest on commas.
      const lines: string[][] = buf.includes(0x22) ? (parse(buf, { skip_empty_lines: true }) as string[][]) : buf.toString('utf8').split('\n').map((l) => l.split(','));
      const header = lines[0]!;
      const tableCols = [...Object.keys(spec.columns), ...Object.keys(spec.constants)];
      const idx = Object.values(spec.columns).map((c) => header.indexOf(c));
      const consts = Object.values(spec.constants);
      const stmt = db.prepare(`INSERT OR IGNORE INTO ${spec.table} (${tableCols.join(', ')}) VALUES (${tableCols.map(() => '?').join(', ')})`);
      const args = new Array<unknown>(tableCols.length);
      for (let i = 0; i < consts.length; i++) args[idx.length + i] = consts[i];
      for (let k = 1; k < lines.length; k++) {
        const cells = lines[k]!;
        if (cells.length < header.length) continue;
        for (let i = 0; i < idx.length; i++) {
          const v = cells[idx[i]!];
          args[i] = v === '' || v === undefined ? null : v;
        }
        if (args[0] === null) continue;
        n += stmt.run(args).changes;
      }
    }
  })();
  store.close();
  return n;
}

export async function run(): Promise<void> {
  console.log(machineLine());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-bench-import-'));
  try {
    const dataset = findBundledDataset(__dirname);
    if (!dataset) throw new Error('resources/dataset is missing');
    let round = 0;
    let rawRows = 0;
    let summary: ReturnType<typeof importDataset> | null = null;
    let rssGrowth = 0;
    let sizeMb = 0;
    let again = 0;
    const times = await alternate(
      3,
      () => {
        const store = openSqlite({ file: path.join(dir, `ours-${round}.sqlite`) });
        const rss0 = process.memoryUsage().rss;
        const t0 = performance.now();
        summary = importDataset({ store, dir: dataset, source: 'bundled' });
        const t = performance.now() - t0;
        rssGrowth = Math.max(rssGrowth, process.memoryUsage().rss - rss0);
        const t1 = performance.now();
        importDataset({ store, dir: dataset, source: 'bundled' });
        again = performance.now() - t1;
        store.db.pragma('wal_checkpoint(TRUNCATE)');
        sizeMb = store.sizeBytes() / 1e6;
        store.close();
        round++;
        return t;
      },
      () => {
        const t0 = performance.now();
        rawRows = rawLoad(dataset, path.join(dir, `raw-${round}.sqlite`));
        return performance.now() - t0;
      },
    );
    const s = summary as unknown as ReturnType<typeof importDataset>;
    const rows = s.financialRows + s.onchainRows + s.githubRows;
    console.log(`import of the bundled dataset: ${times.ours.map(ms).join(', ')} for ${rows} metric rows + ${s.assets} assets (validated, upserted, indexes built)`);
    console.log(`raw load of the same files (anchor): ${times.anchor.map(ms).join(', ')} for ${rawRows} rows`);
    ratioLine('import vs raw SQLite load', times.ours, times.anchor, 'raw load', 1.5);
    console.log(`second import (same fingerprint, no-op): ${ms(again)}`);
    console.log(`database size after import: ${sizeMb.toFixed(1)} MB; RSS grew ${(rssGrowth / 1e6).toFixed(0)} MB`);
    for (const f of readdirSync(dir)) rmSync(path.join(dir, f), { force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
