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

/** A parsed CSV: the header, and each data row as an array of fields in header order. */
interface CsvFile {
  name: string;
  header: string[];
  rows: string[][];
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

const QUOTE = 0x22;

/**
 * A file without a double quote, and with \n or \r\n line ends, is split on line ends and commas
 * directly (the bundled data files are like that); anything else goes through csv-parse.
 * Either way rows come back as arrays, and a row with the wrong number of fields is an error.
 */
function splitCsv(name: string, buf: Buffer): string[][] {
  if (!buf.includes(QUOTE)) {
    let text = buf.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (!/\r(?!\n)/.test(text)) {
      const lines = text.split('\n');
      const out: string[][] = [];
      let width = -1;
      for (let k = 0; k < lines.length; k++) {
        let line = lines[k]!;
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') continue;
        const cells = line.split(',');
        if (width < 0) width = cells.length;
        else if (cells.length !== width) throw new AppError('MALFORMED_DATA', `${name} line ${k + 1}: ${cells.length} fields where the header has ${width}`, { details: { file: name, line: k + 1 } });
        out.push(cells);
      }
      return out;
    }
  }
  try {
    return parse(buf, { skip_empty_lines: true, bom: true, relax_column_count: false }) as string[][];
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw new AppError('MALFORMED_DATA', `${name}${e.lines ? ` line ${e.lines}` : ''}: ${e.message}`, { details: { file: name, line: e.lines ?? null } });
  }
}

function parseCsv(file: RawFile | null): CsvFile | null {
  if (file === null) return null;
  let buf: Buffer;
  try {
    buf = file.gzip ? gunzipSync(file.raw) : file.raw;
  } catch (err) {
    throw new AppError('MALFORMED_DATA', `${file.name}.gz: not a valid gzip file (${(err as Error).message})`);
  }
  const rows = splitCsv(file.name, buf);
  const header = rows.length > 0 ? rows[0]! : [];
  return { name: file.name, header, rows: rows.length > 0 ? rows.slice(1) : rows, sha256: file.sha256 };
}

/** The position of a column in a file's rows; -1 (every value undefined) when the file lacks it. */
function col(file: CsvFile, name: string): number {
  return file.header.indexOf(name);
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
const SYMBOL_RE = /^[A-Z0-9.\-_]{1,40}$/;

function dayValid(s: string, today: string): boolean {
  if (!DAY_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) && s <= today;
}

/** Memoises a string check: a data file repeats its days and symbols thousands of times. */
function memoCheck(check: (s: string) => boolean): (s: string | undefined) => s is string {
  const seen = new Map<string, boolean>();
  return (s: string | undefined): s is string => {
    if (s === undefined) return false;
    let ok = seen.get(s);
    if (ok === undefined) seen.set(s, (ok = check(s)));
    return ok;
  };
}

/** Empty means unknown (null); anything else must be a finite number, non-negative if asked. */
function num(v: string | undefined, field: string, nonNegative: boolean, errors: RowErrors, file: string, index: number): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (Number.isFinite(n)) {
    // Number() reads a blank string as 0: blanks are unknown, as an empty field is.
    if (n === 0 && v.trim() === '') return null;
    if (!nonNegative || n >= 0) return n;
    errors.add(file, index, `${field} is negative: ${v}`);
    return null;
  }
  errors.add(file, index, `${field} is not a number: "${v}"`);
  return null;
}

function text(v: string | undefined): string | null {
  const t = v?.trim();
  return t === undefined || t === '' ? null : t;
}

function requireColumns(file: CsvFile, cols: string[]): void {
  if (file.rows.length === 0) return;
  const missing = cols.filter((c) => !file.header.includes(c));
  if (missing.length > 0) throw new AppError('MALFORMED_DATA', `${file.name}: missing column(s) ${missing.join(', ')}`, { details: { file: file.name, line: 1 } });
}

/** Column order of the bulk-written metric tables (each row is an array in this order). */
const FINANCIAL_COLUMNS = ['asset_id', 'day', 'source', 'close', 'close_source', 'volume_usd', 'volume_source', 'volume_usdt_binance', 'market_cap', 'market_cap_source', 'circulating_supply', 'updated_at'] as const;
const ONCHAIN_COLUMNS = ['asset_id', 'day', 'source', 'tvl', 'revenue', 'revenue_protocol', 'revenue_supply_side', 'gmv', 'token_incentives', 'updated_at'] as const;
const GITHUB_COLUMNS = ['asset_id', 'repo', 'week_start', 'source', 'commits', 'commits_first_parent', 'distinct_authors', 'updated_at'] as const;
const DEFILLAMA_PROTOCOL_COLUMNS = ['asset_id', 'day', 'scope', 'project', 'tvl', 'tvl_polygon', 'tvl_borrowed', 'revenue', 'fees', 'source', 'updated_at'] as const;
const DEFILLAMA_CHAIN_COLUMNS = ['chain', 'day', 'asset_id', 'tvl', 'source', 'updated_at'] as const;

export interface ImportOptions {
  store: SqliteStore;
  dir: string;
  source: string;
  force?: boolean;
  onProgress?: Progress;
  now?: Date;
}

/** The files the importer reads, by role; a missing file is null (every file is optional). */
function readDatasetFiles(dir: string) {
  return {
    assets: readRaw(dir, 'assets.csv'),
    market: readRaw(dir, 'market_daily.csv'),
    fundamentals: readRaw(dir, 'protocol_fundamentals_daily.csv'),
    devRepo: readRaw(dir, 'dev_activity_weekly_repo.csv'),
    devToken: readRaw(dir, 'dev_activity_weekly_token.csv'),
    contracts: readRaw(dir, 'polygon_defi_contracts.csv'),
    defillama: readRaw(dir, 'protocol_fundamentals_daily_defillama.csv'),
    chainTvl: readRaw(dir, 'chain_tvl_daily_defillama.csv'),
    descriptions: readRaw(dir, 'protocol_descriptions.csv'),
  };
}

function fingerprintOf(files: RawFile[]): string {
  return createHash('sha256').update(files.map((f) => `${f.name}:${f.sha256}`).sort().join('|')).digest('hex');
}

/**
 * The import fingerprint of a dataset directory: a hash of every data file's stored bytes. A
 * model shipped with the dataset names the fingerprint it was trained on.
 */
export function datasetFingerprint(dir: string): string | null {
  const present = Object.values(readDatasetFiles(dir)).filter((f): f is RawFile => f !== null);
  return present.length === 0 ? null : fingerprintOf(present);
}

export function importDataset(opts: ImportOptions): ImportSummary {
  const t0 = performance.now();
  const { store, dir } = opts;
  if (!existsSync(dir)) throw new AppError('NOT_FOUND', `dataset directory ${dir} does not exist`);
  const now = (opts.now ?? new Date()).toISOString();
  const today = now.slice(0, 10);
  const progress: Progress = opts.onProgress ?? (() => {});

  const raw = readDatasetFiles(dir);
  const present = Object.values(raw).filter((f): f is RawFile => f !== null);
  if (present.length === 0) {
    const listing = readdirSync(dir).slice(0, 10).join(', ');
    throw new AppError('NOT_FOUND', `no dataset CSVs (assets.csv, market_daily.csv, ...) in ${dir}${listing ? ` (found: ${listing})` : ''}`);
  }
  const fingerprint = fingerprintOf(present);
  const previous = store.db.prepare<unknown[], { fingerprint: string; summary: string }>('SELECT fingerprint, summary FROM dataset_imports WHERE source = ?').get(opts.source);
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
    defillama: parseCsv(raw.defillama),
    chainTvl: parseCsv(raw.chainTvl),
    descriptions: parseCsv(raw.descriptions),
  };

  progress(1, 4, 'validating');
  const errors = new RowErrors();
  const skipped: ImportSummary['skipped'] = [];
  const assets = new Map<string, Row>();
  const existingAssets = new Set(store.db.prepare<unknown[], { asset_id: string }>('SELECT asset_id FROM crypto_assets').all().map((r) => r.asset_id));
  const ensureAsset = (symbol: string, name: string, src: string): void => {
    if (assets.has(symbol) || existingAssets.has(symbol)) return;
    assets.set(symbol, { asset_id: symbol, symbol, name, source: src, updated_at: now });
  };
  const symbolOk = memoCheck((s) => SYMBOL_RE.test(s));
  const dayOk = memoCheck((s) => dayValid(s, today));
  /** The row's date is a past UTC day; otherwise its error is noted. */
  const pastDay = (f: CsvFile, i: number, date: string | undefined): date is string => {
    if (dayOk(date)) return true;
    errors.add(f.name, i, `date "${date ?? ''}" is not a past UTC day (YYYY-MM-DD)`);
    return false;
  };

  if (files.assets) {
    const f = files.assets;
    requireColumns(f, ['symbol', 'name']);
    const [cSymbol, cName, cCategory, cPoly, cEth, cDecimals, cCoingecko, cLlama, cGithub, cNotes] = ['symbol', 'name', 'category', 'polygon_address', 'ethereum_address', 'decimals_polygon', 'coingecko_id', 'defillama_slug', 'github_org', 'notes'].map((c) => col(f, c)) as number[];
    f.rows.forEach((r, i) => {
      const err = (m: string): void => errors.add(f.name, i, m);
      const symbol = r[cSymbol!]?.trim();
      if (!symbolOk(symbol)) return err(`symbol "${r[cSymbol!] ?? ''}" is not a ticker (A-Z, 0-9)`);
      const poly = text(r[cPoly!]);
      const eth = text(r[cEth!]);
      if (poly !== null && !ADDRESS_RE.test(poly)) return err(`polygon_address "${poly}" is not an address`);
      if (eth !== null && !ADDRESS_RE.test(eth)) return err(`ethereum_address "${eth}" is not an address`);
      const decimals = num(r[cDecimals!], 'decimals_polygon', true, errors, f.name, i);
      assets.set(symbol, {
        asset_id: symbol,
        symbol,
        name: text(r[cName!]) ?? symbol,
        category: text(r[cCategory!]),
        chain_id: poly ? POLYGON_CHAIN_ID : null,
        address: poly?.toLowerCase() ?? null,
        ethereum_address: eth?.toLowerCase() ?? null,
        decimals,
        coingecko_id: text(r[cCoingecko!]),
        defillama_slug: text(r[cLlama!]),
        github_org: text(r[cGithub!]),
        source: `${opts.source}:assets.csv`,
        notes: text(r[cNotes!]),
        updated_at: now,
      });
    });
  }

  // The metric files: each row becomes an array in the table's column order (no per-row objects).
  const financial: unknown[][] = [];
  if (files.market) {
    const f = files.market;
    requireColumns(f, ['date', 'symbol', 'close']);
    const [cDate, cSymbol, cClose, cCloseSrc, cVolume, cVolumeSrc, cBinance, cMcap, cMcapSrc, cSupply] = [
      'date',
      'symbol',
      'close',
      'close_source',
      'volume_usd_aggregate',
      'volume_aggregate_source',
      'volume_usdt_binance',
      'market_cap',
      'market_cap_source',
      'circ_supply_cmc',
    ].map((c) => col(f, c)) as number[];
    const src = `${opts.source}:market_daily.csv`;
    const rows = f.rows;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const date = r[cDate!];
      if (!pastDay(f, i, date)) continue;
      const symbol = r[cSymbol!];
      if (!symbolOk(symbol)) {
        errors.add(f.name, i, `symbol "${symbol ?? ''}" is not a ticker`);
        continue;
      }
      const close = num(r[cClose!], 'close', true, errors, f.name, i);
      const volume = num(r[cVolume!], 'volume_usd_aggregate', true, errors, f.name, i);
      const binance = num(r[cBinance!], 'volume_usdt_binance', true, errors, f.name, i);
      const mcap = num(r[cMcap!], 'market_cap', true, errors, f.name, i);
      const supply = num(r[cSupply!], 'circ_supply_cmc', true, errors, f.name, i);
      ensureAsset(symbol, symbol, src);
      financial.push([symbol, date, opts.source, close, text(r[cCloseSrc!]), volume, text(r[cVolumeSrc!]), binance, mcap, text(r[cMcapSrc!]), supply, now]);
    }
  }

  const onchain: unknown[][] = [];
  if (files.fundamentals) {
    const f = files.fundamentals;
    requireColumns(f, ['date', 'project', 'symbol', 'tvl', 'revenue']);
    const [cDate, cProject, cSymbol, cTvl, cRevenue, cRevProtocol, cRevSupply, cGmv, cIncentives] = ['date', 'project', 'symbol', 'tvl', 'revenue', 'revenue_protocol', 'revenue_supply_side', 'gmv', 'token_incentives'].map((c) => col(f, c)) as number[];
    const src = `${opts.source}:protocol_fundamentals_daily.csv`;
    let noSymbol = 0;
    const rows = f.rows;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const date = r[cDate!];
      if (!pastDay(f, i, date)) continue;
      const symbol = r[cSymbol!]?.trim() ?? '';
      const tvl = num(r[cTvl!], 'tvl', true, errors, f.name, i);
      const revenue = num(r[cRevenue!], 'revenue', false, errors, f.name, i);
      const revProtocol = num(r[cRevProtocol!], 'revenue_protocol', false, errors, f.name, i);
      const revSupply = num(r[cRevSupply!], 'revenue_supply_side', false, errors, f.name, i);
      const gmv = num(r[cGmv!], 'gmv', true, errors, f.name, i);
      const incentives = num(r[cIncentives!], 'token_incentives', false, errors, f.name, i);
      if (symbol === '') {
        noSymbol++;
        continue;
      }
      if (!symbolOk(symbol)) {
        errors.add(f.name, i, `symbol "${symbol}" is not a ticker`);
        continue;
      }
      ensureAsset(symbol, text(r[cProject!]) ?? symbol, src);
      onchain.push([symbol, date, 'tokenterminal', tvl, revenue, revProtocol, revSupply, gmv, incentives, now]);
    }
    if (noSymbol > 0) skipped.push({ file: f.name, reason: 'project has no token symbol (not an asset)', count: noSymbol });
  }

  const github: unknown[][] = [];
  const devRows = (f: CsvFile, repoColumn: string | null): void => {
    const [cWeek, cToken, cRepo, cCommits, cFirstParent, cAuthors] = ['week_start', 'token', repoColumn ?? '', 'commits', 'commits_first_parent', 'distinct_authors'].map((c) => col(f, c)) as number[];
    const src = `${opts.source}:${f.name}`;
    const rows = f.rows;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const week = r[cWeek!];
      if (!dayOk(week)) {
        errors.add(f.name, i, `week_start "${week ?? ''}" is not a past UTC day`);
        continue;
      }
      const token = r[cToken!];
      if (!symbolOk(token)) {
        errors.add(f.name, i, `token "${token ?? ''}" is not a ticker`);
        continue;
      }
      // The per-token roll-up (commits de-duplicated across repos) is stored under repo "*".
      const repo = repoColumn === null ? '*' : r[cRepo!];
      if (repo === undefined || repo.trim() === '') {
        errors.add(f.name, i, 'repo is empty');
        continue;
      }
      ensureAsset(token, token, src);
      github.push([token, repo, week, opts.source, num(r[cCommits!], 'commits', true, errors, f.name, i), num(r[cFirstParent!], 'commits_first_parent', true, errors, f.name, i), num(r[cAuthors!], 'distinct_authors', true, errors, f.name, i), now]);
    }
  };
  if (files.devRepo) {
    requireColumns(files.devRepo, ['week_start', 'repo', 'token', 'commits', 'distinct_authors']);
    devRows(files.devRepo, 'repo');
  }
  if (files.devToken) {
    requireColumns(files.devToken, ['week_start', 'token', 'commits', 'distinct_authors']);
    devRows(files.devToken, null);
  }

  const contracts: Row[] = [];
  if (files.contracts) {
    const f = files.contracts;
    requireColumns(f, ['protocol', 'contract_name', 'polygon_address']);
    const [cProtocol, cName, cRole, cAddress, cRepo, cPath, cCommit] = ['protocol', 'contract_name', 'role', 'polygon_address', 'source_repo', 'source_path', 'commit'].map((c) => col(f, c)) as number[];
    f.rows.forEach((r, i) => {
      const addr = text(r[cAddress!]);
      if (addr === null || !ADDRESS_RE.test(addr)) return errors.add(f.name, i, `polygon_address "${addr ?? ''}" is not an address`);
      const ref = [text(r[cRepo!]), text(r[cPath!])].filter(Boolean).join('/');
      const commit = r[cCommit!];
      contracts.push({
        chain_id: POLYGON_CHAIN_ID,
        address: addr.toLowerCase(),
        protocol: text(r[cProtocol!]),
        name: text(r[cName!]),
        role: text(r[cRole!]),
        source_ref: ref ? `${ref}${commit ? `@${commit}` : ''}` : null,
        updated_at: now,
      });
    });
  }

  // DefiLlama's protocol series keep their own table, source and scope: never spliced onto Token Terminal's.
  const defillama: unknown[][] = [];
  if (files.defillama) {
    const f = files.defillama;
    requireColumns(f, ['date', 'symbol', 'tvl', 'scope', 'source']);
    const [cDate, cProject, cSymbol, cTvl, cTvlPolygon, cBorrowed, cRevenue, cFees, cScope, cSource] = ['date', 'project', 'symbol', 'tvl', 'tvl_polygon', 'tvl_borrowed', 'revenue', 'fees', 'scope', 'source'].map((c) => col(f, c)) as number[];
    f.rows.forEach((r, i) => {
      const err = (m: string): void => errors.add(f.name, i, m);
      const date = r[cDate!];
      if (!pastDay(f, i, date)) return;
      const symbol = r[cSymbol!]?.trim();
      if (!symbolOk(symbol)) return err(`symbol "${symbol ?? ''}" is not a ticker`);
      const scope = text(r[cScope!]);
      if (scope === null) return err('scope is empty: every DefiLlama number needs what it covers');
      const tvl = num(r[cTvl!], 'tvl', true, errors, f.name, i);
      const tvlPolygon = num(r[cTvlPolygon!], 'tvl_polygon', true, errors, f.name, i);
      const tvlBorrowed = num(r[cBorrowed!], 'tvl_borrowed', true, errors, f.name, i);
      const revenue = num(r[cRevenue!], 'revenue', false, errors, f.name, i);
      const fees = num(r[cFees!], 'fees', false, errors, f.name, i);
      const project = text(r[cProject!]);
      ensureAsset(symbol, project ?? symbol, `${opts.source}:${f.name}`);
      defillama.push([symbol, date, scope, project, tvl, tvlPolygon, tvlBorrowed, revenue, fees, `defillama:${text(r[cSource!]) ?? opts.source}`, now]);
    });
  }

  const chainTvl: unknown[][] = [];
  if (files.chainTvl) {
    const f = files.chainTvl;
    requireColumns(f, ['date', 'chain', 'symbol', 'tvl']);
    const [cDate, cChain, cSymbol, cTvl, cSource] = ['date', 'chain', 'symbol', 'tvl', 'source'].map((c) => col(f, c)) as number[];
    f.rows.forEach((r, i) => {
      const err = (m: string): void => errors.add(f.name, i, m);
      const date = r[cDate!];
      if (!pastDay(f, i, date)) return;
      const chain = text(r[cChain!]);
      if (chain === null) return err('chain is empty');
      const symbol = text(r[cSymbol!]) ?? undefined;
      if (symbol !== undefined && !symbolOk(symbol)) return err(`symbol "${symbol}" is not a ticker`);
      // The chain's token when it is an asset of the registry; a chain without one is still kept.
      const assetId = symbol !== undefined && (assets.has(symbol) || existingAssets.has(symbol)) ? symbol : null;
      chainTvl.push([chain, date, assetId, num(r[cTvl!], 'tvl', true, errors, f.name, i), `defillama:${text(r[cSource!]) ?? opts.source}`, now]);
    });
  }

  // Static project metadata onto the asset rows (descriptions were written years later: never a feature).
  let described = 0;
  if (files.descriptions) {
    const f = files.descriptions;
    requireColumns(f, ['symbol', 'category', 'chains', 'description']);
    const [cSymbol, cName, cCategory, cChains, cDescription, cDescriptionSource] = ['symbol', 'name', 'category', 'chains', 'description', 'description_source'].map((c) => col(f, c)) as number[];
    const existingRow = store.db.prepare<[string], Row>('SELECT asset_id, symbol, name, source FROM crypto_assets WHERE asset_id = ?');
    f.rows.forEach((r, i) => {
      const symbol = r[cSymbol!]?.trim();
      if (!symbolOk(symbol)) return errors.add(f.name, i, `symbol "${symbol ?? ''}" is not a ticker`);
      const base = assets.get(symbol) ?? existingRow.get(symbol) ?? { asset_id: symbol, symbol, name: text(r[cName!]) ?? symbol, source: `${opts.source}:${f.name}` };
      const description = text(r[cDescription!]);
      if (description !== null) described++;
      assets.set(symbol, {
        ...base,
        chains: text(r[cChains!]),
        defillama_category: text(r[cCategory!]),
        description,
        description_source: description === null ? null : text(r[cDescriptionSource!]),
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
    defillamaRows: defillama.length + chainTvl.length,
    described,
    model: null,
    skipped,
    ms: 0,
  };
  // One transaction: a failure anywhere leaves the database as it was.
  store.transaction(() => {
    progress(2, 4, `writing ${assets.size} assets`);
    store.write('crypto_assets', [...assets.values()], { origin: 'import' });
    progress(3, 4, `writing ${financial.length + onchain.length + github.length} metric rows`);
    store.writeRows('financial_metrics', FINANCIAL_COLUMNS, financial, { origin: 'import' });
    store.writeRows('onchain_metrics', ONCHAIN_COLUMNS, onchain, { origin: 'import' });
    store.writeRows('github_metrics', GITHUB_COLUMNS, github, { origin: 'import' });
    store.write('smart_contracts', contracts, { origin: 'import' });
    store.writeRows('defillama_protocol_daily', DEFILLAMA_PROTOCOL_COLUMNS, defillama, { origin: 'import' });
    store.writeRows('defillama_chain_daily', DEFILLAMA_CHAIN_COLUMNS, chainTvl, { origin: 'import' });
    summary.ms = Math.round(performance.now() - t0);
    store.write('dataset_imports', [{ source: opts.source, fingerprint, summary: JSON.stringify(summary), imported_at: now }], { origin: 'import' });
  });
  progress(4, 4, 'done');
  summary.ms = Math.round(performance.now() - t0);
  return summary;
}
