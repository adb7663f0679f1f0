/**
 * What `system.info` reports (version, data directory, database file, schema, bundled dataset),
 * built from a database connection alone. The services answer it from their store; the CLI's
 * `info` answers it from a read-only connection without starting any service (quickInfo), so it
 * starts as fast as `--help`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Output } from '../../../shared/contract';
import type { DefimonConfig } from '../config/config';
import { migrations as ledger } from '../storage/migrations';
import { APP_VERSION } from '../version';

export const DB_FILE_NAME = 'defimon.sqlite';

/** The bundled dataset's manifest, as `resources/dataset/manifest.json` describes it. */
export interface DatasetManifest {
  name: string;
  cutoff: string;
}

export type SystemInfo = Output<'system.info'>;

const DATASET_ATTRIBUTION =
  'Market data: CoinGecko, Binance (via CryptoDataDownload), Yahoo Finance, CoinMarketCap; fundamentals: Token Terminal (to 2022-02) and DefiLlama (TVL, fees, chain TVL to 2023-07, each kept with its source); project descriptions: OSS Directory, Trust Wallet assets; development activity counted from public git history.';

/** Finds resources/dataset by walking up from this file (source tree, build output, or package). */
export function findBundledDataset(start: string = typeof __dirname === 'string' ? __dirname : process.cwd()): string | null {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'resources', 'dataset');
    if (existsSync(path.join(candidate, 'manifest.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/** The manifest of the dataset directory, or null without one. */
export function readManifest(datasetDir: string | null): DatasetManifest | null {
  const file = datasetDir ? path.join(datasetDir, 'manifest.json') : null;
  return file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DatasetManifest) : null;
}

/** The database file with its write-ahead log and shared-memory index, in bytes. */
export function databaseBytes(file: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(file + suffix).size;
    } catch {
      /* absent */
    }
  }
  return total;
}

function appliedMigrations(db: Database.Database): string[] {
  return db.prepare<[], string>('SELECT id FROM schema_migrations').pluck().all();
}

export function describeSystem(db: Database.Database, file: string, opts: { dataDir: string; mode: SystemInfo['mode']; manifest: DatasetManifest | null }): SystemInfo {
  return {
    version: APP_VERSION,
    mode: opts.mode,
    dataDir: opts.dataDir,
    database: { path: file, sizeBytes: file === ':memory:' ? 0 : databaseBytes(file), migrations: appliedMigrations(db).length },
    dataset: opts.manifest ? { name: opts.manifest.name, cutoff: opts.manifest.cutoff, attribution: DATASET_ATTRIBUTION } : null,
  };
}

/**
 * The CLI's `info` without the services: a read-only connection to a database that is ready
 * (every migration applied, and not waiting for its first import). Null whenever opening the
 * services would do something first or explain a problem (no file yet, pending migrations, an
 * empty database to import into, a file that does not open cleanly): the caller then takes the
 * services' path, which does that and reports exactly as every other command.
 */
export function quickInfo(config: DefimonConfig): SystemInfo | null {
  const file = path.join(config.dataDir, DB_FILE_NAME);
  if (!existsSync(file)) return null;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const applied = new Set(appliedMigrations(db));
    if (ledger.some((m) => !applied.has(m.id))) return null;
    if (config.autoImport && db.prepare('SELECT 1 FROM crypto_assets LIMIT 1').get() === undefined) return null;
    return describeSystem(db, file, { dataDir: config.dataDir, mode: 'cli', manifest: readManifest(config.datasetDir ?? findBundledDataset()) });
  } catch {
    return null;
  } finally {
    db?.close();
  }
}
