#!/usr/bin/env node
// Builds the bundled offline dataset in resources/dataset from ../shared/data (or a folder given
// as the first argument): the CSVs the importer reads, gzip-compressed, with their provenance and
// a manifest (rows, sha256) the importer uses as the import fingerprint.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const FILES = [
  'assets.csv',
  'market_daily.csv',
  'protocol_fundamentals_daily.csv',
  'dev_activity_weekly_repo.csv',
  'dev_activity_weekly_token.csv',
  'polygon_defi_contracts.csv',
  'protocol_fundamentals_daily_defillama.csv',
  'chain_tvl_daily_defillama.csv',
  'protocol_descriptions.csv',
];
const src = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..', '..', 'shared', 'data'));
const out = path.join(import.meta.dirname, '..', 'resources', 'dataset');
mkdirSync(out, { recursive: true });
const manifest = { name: 'DEFIMON bundled dataset', cutoff: '2024-06-30', files: {} };
for (const f of FILES) {
  const buf = readFileSync(path.join(src, f));
  const rows = buf.toString('utf8').split('\n').filter((l) => l.length > 0).length - 1;
  writeFileSync(path.join(out, `${f}.gz`), gzipSync(buf, { level: 9 }));
  manifest.files[f] = { rows, sha256: createHash('sha256').update(buf).digest('hex') };
  console.log(`${f}: ${rows} rows`);
}
for (const f of ['README.md', 'PROVENANCE-assets.md']) copyFileSync(path.join(src, f), path.join(out, f));
writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
