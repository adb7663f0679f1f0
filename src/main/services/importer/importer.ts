/**
 * Loads the bundled dataset (or a directory of CSVs in the same formats, plain or .gz) into the
 * local store. Every file is parsed and every row validated before anything is written; a
 * malformed row aborts the whole import with its file and line, so nothing is half-written.
 * Idempotent: a dataset whose fingerprint was already imported is skipped, and every write is
 * an upsert on natural keys.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { ImportSummary } from '../../../shared/contract/assets';
import { AppError } from '../../../shared/errors';
import type { Row, SqliteStore } from '../storage/sqlite';

export const POLYGON_CHAIN_ID = 137;

type Progress = (done: number, total: number, message: string) => void;

interface CsvFile {
  name: string;
  rows: Record<string, string>[];
  sha256: string;
}

export class ImportError extends AppError {}

interface RawFile {
  name: string;
  /** The file's bytes as stored (gzip or plain): the fingerprint needs no decompression. */
  raw: Buffer;
  gzip: boolean;
  sha256: string;
}

function readRaw(dir: string, base: string): RawFile | null {
  const plain = path.join(dir, base);
  const gz = `${plain}.gz`;
  if (existsSync(plain)) {
    const raw = readFileSync(plain);
    return { name: base, raw, gzip: false, sha256: createHash('sha256').update(raw).digest('hex') };
  }
  if (existsSync(gz)) {
    const raw = readFileSync(gz);
    return { name: base, raw, gzip: true, sha256: createHash('sha256').update(raw).digest('hex') };
  }
  return null;
}

function parseCsv(file: RawFile | null): CsvFile | null {
  if (file === null) return null;
  let buf: Buffer;
  try {
    buf = file.gzip ? gunzipSync(file.raw) : file.raw;
  } catch (err) {
    throw new AppError('MALFORMED_DATA', `${file.name}.gz: not a valid gzip file (${(err as Error).message})`);
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(buf, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: false }) as Record<string, string>[];
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw new AppError('MALFORMED_DATA', `${file.name}${e.lines ? ` line ${e.lines}` : ''}: ${e.message}`, { details: { file: file.name, line: e.lines ?? null } });
  }
  return { name: file.name, rows, sha256: file.sha256 };
}

class RowErrors {
  readonly list: { file: string; line: number; message: string }[] = [];
  add(file: string, index: number, message: string): void {
    // index is 0-based among data rows; line 1 is the header.
    if (this.list.length < 50) this.list.push({ file, line: index + 2, message });
    else if (this.list.length === 50) this.list.push({ file, line: -1, message: 'more errors not shown' });
  }
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

function dayOk(s: string | undefined, today: string): s is string {
  if (s === undefined || !DAY_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) && s <= today;
}

/** Empty means unknown (null); anything else must be a finite number, non-negative if asked. */
function num(v: string | undefined, field: string, nonNegative: boolean, onError: (m: string) => void): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    onError(`${field} is not a number: "${v}"`);
    return null;
  }
  if (nonNegative && n < 0) {
    onError(`${field} is negative: ${v}`);
    return null;
  }
  return n;
}

function text(v: string | undefined): string | null {
  const t = v?.trim();
  return t === undefined || t === '' ? null : t;
}

function requireColumns(file: CsvFile, cols: string[]): void {
  const first = file.rows[0];
  if (first === undefined) return;
  const missing = cols.filter((c) => !(c in first));
  if (missing.length > 0) throw new AppError('MALFORMED_DATA', `${file.name}: missing column(s) ${missing.join(', ')}`, { details: { file: file.name, line: 1 } });
}

export interface ImportOptions {
  store: SqliteStore;
  dir: string;
  source: string;
  force?: boolean;
  onProgress?: Progress;
  now?: Date;
}

export function importDataset(opts: ImportOptions): ImportSummary {
  const t0 = performance.now();
  const { store, dir } = opts;
  if (!existsSync(dir)) throw new AppError('NOT_FOUND', `dataset directory ${dir} does not exist`);
  const now = (opts.now ?? new Date()).toISOString();
  const today = now.slice(0, 10);
  const progress: Progress = opts.onProgress ?? (() => {});

  const raw = {
    assets: readRaw(dir, 'assets.csv'),
    market: readRaw(dir, 'market_daily.csv'),
    fundamentals: readRaw(dir, 'protocol_fundamentals_daily.csv'),
    devRepo: readRaw(dir, 'dev_activity_weekly_repo.csv'),
    devToken: readRaw(dir, 'dev_activity_weekly_token.csv'),
    contracts: readRaw(dir, 'polygon_defi_contracts.csv'),
  };
  const present = Object.values(raw).filter((f): f is RawFile => f !== null);
  if (present.length === 0) {
    const listing = readdirSync(dir).slice(0, 10).join(', ');
    throw new AppError('NOT_FOUND', `no dataset CSVs (assets.csv, market_daily.csv, ...) in ${dir}${listing ? ` (found: ${listing})` : ''}`);
  }
  const fingerprint = createHash('sha256').update(present.map((f) => `${f.name}:${f.sha256}`).sort().join('|')).digest('hex');
  const previous = store.db.prepare('SELECT fingerprint, summary FROM dataset_imports WHERE source = ?').get(opts.source) as { fingerprint: string; summary: string } | undefined;
  if (previous?.fingerprint === fingerprint && !opts.force) {
    const prior = JSON.parse(previous.summary) as ImportSummary;
    return { ...prior, ms: Math.round(performance.now() - t0), skipped: [...prior.skipped, { file: '*', reason: 'already imported (same fingerprint); nothing changed', count: 0 }] };
  }

  const files = {
    assets: parseCsv(raw.assets),
    market: parseCsv(raw.market),
    fundamentals: parseCsv(raw.fundamentals),
    devRepo: parseCsv(raw.devRepo),
    devToken: parseCsv(raw.devToken),
    contracts: parseCsv(raw.contracts),
  };

  progress(1, 4, 'validating');
  const errors = new RowErrors();
  const skipped: ImportSummary['skipped'] = [];
  const assets = new Map<string, Row>();
  const existingAssets = new Set((store.db.prepare('SELECT asset_id FROM crypto_assets').all() as { asset_id: string }[]).map((r) => r.asset_id));
  const ensureAsset = (symbol: string, name: string, src: string): void => {
    if (assets.has(symbol) || existingAssets.has(symbol)) return;
    assets.set(symbol, { asset_id: symbol, symbol, name, source: src, updated_at: now });
  };
  const symbolOk = (s: string | undefined): s is string => s !== undefined && /^[A-Z0-9.\-_]{1,40}$/.test(s);

  if (files.assets) {
    const f = files.assets;
    requireColumns(f, ['symbol', 'name']);
    f.rows.forEach((r, i) => {
      const err = (m: string): void => errors.add(f.name, i, m);
      const symbol = r.symbol?.trim();
      if (!symbolOk(symbol)) return err(`symbol "${r.symbol ?? ''}" is not a ticker (A-Z, 0-9)`);
      const poly = text(r.polygon_address);
      const eth = text(r.ethereum_address);
      if (poly !== null && !ADDRESS_RE.test(poly)) return err(`polygon_address "${poly}" is not an address`);
      if (eth !== null && !ADDRESS_RE.test(eth)) return err(`ethereum_address "${eth}" is not an address`);
      const decimals = num(r.decimals_polygon, 'decimals_polygon', true, err);
      assets.set(symbol, {
        asset_id: symbol,
        symbol,
        name: text(r.name) ?? symbol,
        category: text(r.category),
        chain_id: poly ? POLYGON_CHAIN_ID : null,
        address: poly?.toLowerCase() ?? null,
        ethereum_address: eth?.toLowerCase() ?? null,
        decimals,
        coingecko_id: text(r.coingecko_id),
        defillama_slug: text(r.defillama_slug),
        github_org: text(r.github_org),
        source: `${opts.source}:assets.csv`,
        notes: text(r.notes),
        updated_at: now,
      });
    });
  }

  const financial: Row[] = [];
  if (files.market) {
    const f = files.market;
    requireColumns(f, ['date', 'symbol', 'close']);
    f.rows.forEach((r, i) => {
      const err = (m: string): void => errors.add(f.name, i, m);
      if (!dayOk(r.date, today)) return err(`date "${r.date ?? ''}" is not a past UTC day (YYYY-MM-DD)`);
      if (!symbolOk(r.symbol)) return err(`symbol "${r.symbol ?? ''}" is not a ticker`);
      const close = num(r.close, 'close', true, err);
      const volume = num(r.volume_usd_aggregate, 'volume_usd_aggregate', true, err);
      const binance = num(r.volume_usdt_binance, 'volume_usdt_binance', true, err);
      const mcap = num(r.market_cap, 'market_cap', true, err);
      const supply = num(r.circ_supply_cmc, 'circ_supply_cmc', true, err);
      ensureAsset(r.symbol, r.symbol, `${opts.source}:market_daily.csv`);
      financial.push({
        asset_id: r.symbol,
        day: r.date,
        source: opts.source,
        close,
        close_source: text(r.close_source),
        volume_usd: volume,
        volume_source: text(r.volume_aggregate_source),
        volume_usdt_binance: binance,
        market_cap: mcap,
        market_cap_source: text(r.market_cap_source),
        circulating_supply: supply,
        updated_at: now,
      });
    });
  }

  const onchain: Row[] = [];
  if (files.fundamentals) {
    const f = files.fundamentals;
    requireColumns(f, ['date', 'project', 'symbol', 'tvl', 'revenue']);
    let noSymbol = 0;
    f.rows.forEach((r, i) => {
      const err = (m: string): void => errors.add(f.name, i, m);
      if (!dayOk(r.date, today)) return err(`date "${r.date ?? ''}" is not a past UTC day (YYYY-MM-DD)`);
      const symbol = r.symbol?.trim() ?? '';
      const row: Row = {
        tvl: num(r.tvl, 'tvl', true, err),
        revenue: num(r.revenue, 'revenue', false, err),
        revenue_protocol: num(r.revenue_protocol, 'revenue_protocol', false, err),
        revenue_supply_side: num(r.revenue_supply_side, 'revenue_supply_side', false, err),
        gmv: num(r.gmv, 'gmv', true, err),
        token_incentives: num(r.token_incentives, 'token_incentives', false, err),
      };
      if (symbol === '') {
        noSymbol++;
        return;
      }
      if (!symbolOk(symbol)) return err(`symbol "${symbol}" is not a ticker`);
      ensureAsset(symbol, text(r.project) ?? symbol, `${opts.source}:protocol_fundamentals_daily.csv`);
      onchain.push({ asset_id: symbol, day: r.date, source: 'tokenterminal', ...row, updated_at: now });
    });
    if (noSymbol > 0) skipped.push({ file: f.name, reason: 'project has no token symbol (not an asset)', count: noSymbol });
  }

  const github: Row[] = [];
  const devRow = (f: CsvFile, r: Record<string, string>, i: number, token: string | undefined, repo: string | undefined): void => {
    const err = (m: string): void => errors.add(f.name, i, m);
    if (!dayOk(r.week_start, today)) return err(`week_start "${r.week_start ?? ''}" is not a past UTC day`);
    if (!symbolOk(token)) return err(`token "${token ?? ''}" is not a ticker`);
    if (repo === undefined || repo.trim() === '') return err('repo is empty');
    ensureAsset(token, token, `${opts.source}:${f.name}`);
    github.push({
      asset_id: token,
      repo,
      week_start: r.week_start,
      source: opts.source,
      commits: num(r.commits, 'commits', true, err),
      commits_first_parent: num(r.commits_first_parent, 'commits_first_parent', true, err),
      distinct_authors: num(r.distinct_authors, 'distinct_authors', true, err),
      updated_at: now,
    });
  };
  if (files.devRepo) {
    const f = files.devRepo;
    requireColumns(f, ['week_start', 'repo', 'token', 'commits', 'distinct_authors']);
    f.rows.forEach((r, i) => devRow(f, r, i, r.token, r.repo));
  }
  if (files.devToken) {
    const f = files.devToken;
    requireColumns(f, ['week_start', 'token', 'commits', 'distinct_authors']);
    // The per-token roll-up (commits de-duplicated across repos) is stored under repo "*".
    f.rows.forEach((r, i) => devRow(f, r, i, r.token, '*'));
  }

  const contracts: Row[] = [];
  if (files.contracts) {
    const f = files.contracts;
    requireColumns(f, ['protocol', 'contract_name', 'polygon_address']);
    f.rows.forEach((r, i) => {
      const addr = text(r.polygon_address);
      if (addr === null || !ADDRESS_RE.test(addr)) return errors.add(f.name, i, `polygon_address "${addr ?? ''}" is not an address`);
      const ref = [text(r.source_repo), text(r.source_path)].filter(Boolean).join('/');
      contracts.push({
        chain_id: POLYGON_CHAIN_ID,
        address: addr.toLowerCase(),
        protocol: text(r.protocol),
        name: text(r.contract_name),
        role: text(r.role),
        source_ref: ref ? `${ref}${r.commit ? `@${r.commit}` : ''}` : null,
        updated_at: now,
      });
    });
  }

  if (errors.list.length > 0) {
    const first = errors.list.slice(0, 5).map((e) => `${e.file} line ${e.line}: ${e.message}`).join('; ');
    throw new AppError('MALFORMED_DATA', `import aborted, nothing was written: ${errors.list.length >= 50 ? '50+' : errors.list.length} malformed row(s): ${first}`, { details: { errors: errors.list } });
  }

  const summary: ImportSummary = {
    source: opts.source,
    assets: assets.size,
    financialRows: financial.length,
    onchainRows: onchain.length,
    githubRows: github.length,
    contracts: contracts.length,
    skipped,
    ms: 0,
  };
  // One transaction: a failure anywhere leaves the database as it was.
  store.transaction(() => {
    progress(2, 4, `writing ${assets.size} assets`);
    store.write('crypto_assets', [...assets.values()], { origin: 'import' });
    progress(3, 4, `writing ${financial.length + onchain.length + github.length} metric rows`);
    store.write('financial_metrics', financial, { origin: 'import' });
    store.write('onchain_metrics', onchain, { origin: 'import' });
    store.write('github_metrics', github, { origin: 'import' });
    store.write('smart_contracts', contracts, { origin: 'import' });
    summary.ms = Math.round(performance.now() - t0);
    store.write('dataset_imports', [{ source: opts.source, fingerprint, summary: JSON.stringify(summary), imported_at: now }], { origin: 'import' });
  });
  progress(4, 4, 'done');
  summary.ms = Math.round(performance.now() - t0);
  return summary;
}
