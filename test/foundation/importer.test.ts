import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBundledDataset } from '../../src/main/services';
import { getAsset, listAssets, priceHistory } from '../../src/main/services/assets/queries';
import { importDataset } from '../../src/main/services/importer/importer';
import { openSqlite, type SqliteStore } from '../../src/main/services/storage/sqlite';
import { SHARED_DATA_DIR } from '../helpers/services';

const DATASET = findBundledDataset(__dirname)!;

/** Reads a CSV independently of the importer: the shared data folder if present, else the bundle. */
function readCsv(name: string): Record<string, string>[] {
  const plain = path.join(SHARED_DATA_DIR, name);
  const buf = existsSync(plain) ? readFileSync(plain) : gunzipSync(readFileSync(path.join(DATASET, `${name}.gz`)));
  return parse(buf, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

function tableDigest(store: SqliteStore, table: string, order: string): string {
  const rows = store.db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all() as Record<string, unknown>[];
  return JSON.stringify(rows.map(({ updated_at: _u, ...rest }) => rest));
}

/** A database in a temporary directory of its own for the enclosing describe block, removed after it. */
function tempStore(prefix: string, use: (dir: string, store: SqliteStore) => void): void {
  let dir = '';
  let store: SqliteStore | undefined;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    store = openSqlite({ file: path.join(dir, 'defimon.sqlite') });
    use(dir, store);
  });
  afterAll(() => {
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

describe('bundled dataset import', () => {
  let store: SqliteStore;
  tempStore('defimon-import-', (_dir, s) => (store = s));

  it('loads every row of the bundle and lists the 148 priced assets', () => {
    const manifest = JSON.parse(readFileSync(path.join(DATASET, 'manifest.json'), 'utf8')) as { files: Record<string, { rows: number }> };
    const summary = importDataset({ store, dir: DATASET, source: 'bundled' });
    expect(summary.financialRows).toBe(manifest.files['market_daily.csv']!.rows);
    expect(summary.githubRows).toBe(manifest.files['dev_activity_weekly_repo.csv']!.rows + manifest.files['dev_activity_weekly_token.csv']!.rows);
    expect(summary.contracts).toBe(manifest.files['polygon_defi_contracts.csv']!.rows);
    const noSymbol = readCsv('protocol_fundamentals_daily.csv').filter((r) => r.symbol === '').length;
    expect(summary.onchainRows).toBe(manifest.files['protocol_fundamentals_daily.csv']!.rows - noSymbol);
    expect((store.db.prepare('SELECT count(*) AS n FROM financial_metrics').get() as { n: number }).n).toBe(summary.financialRows);

    const symbols = new Set(readCsv('market_daily.csv').map((r) => r.symbol));
    const assets = listAssets(store);
    expect(assets).toHaveLength(symbols.size);
    expect(symbols.size).toBe(148);
    expect(new Set(assets.map((a) => a.symbol))).toEqual(symbols);
    // Every registry symbol and every fundamentals symbol is an asset row too.
    const registry = readCsv('assets.csv').map((r) => r.symbol);
    const all = new Set(listAssets(store, { includeUnpriced: true }).map((a) => a.assetId));
    for (const s of registry) expect(all.has(s!)).toBe(true);
  });

  it('gives the latest values the CSV holds (spot checks)', () => {
    const market = readCsv('market_daily.csv');
    const assets = new Map(listAssets(store).map((a) => [a.symbol, a]));
    const dataEnd = market.reduce((end, r) => (r.close !== '' && r.date! > end ? r.date! : end), '');
    const staleBefore = new Date(Date.parse(`${dataEnd}T00:00:00Z`) - 30 * 86400_000).toISOString().slice(0, 10);
    for (const symbol of ['AAVE', 'MATIC', 'UNI', 'QUICK', 'LUNA', 'CRV', 'SUSHI']) {
      const all = market.filter((r) => r.symbol === symbol).sort((a, b) => a.date!.localeCompare(b.date!));
      const rows = all.filter((r) => r.close !== '');
      const last = rows[rows.length - 1]!;
      const a = assets.get(symbol)!;
      expect(a.lastDay).toBe(last.date);
      expect(a.price).toBeCloseTo(Number(last.close), 10);
      // Market cap and volume: the latest the CSV knows up to the last price, with that row's day and source.
      for (const [value, source, fact] of [
        ['market_cap', 'market_cap_source', 'marketCap'],
        ['volume_usd_aggregate', 'volume_aggregate_source', 'volume'],
      ] as const) {
        const known = all.filter((r) => r[value] !== '' && r.date! <= last.date!).pop();
        expect({ value: a[fact], day: a[`${fact}Day`], source: a[`${fact}Source`], stale: a[`${fact}Stale`] }).toEqual(
          known ? { value: Number(known[value]), day: known.date, source: known[source] || 'bundled', stale: known.date! < staleBefore } : { value: null, day: null, source: null, stale: false },
        );
      }
      const target = new Date(Date.parse(`${last.date}T00:00:00Z`) - 30 * 86400_000).toISOString().slice(0, 10);
      const prior = rows.filter((r) => r.date! <= target).pop();
      if (prior && prior.date! >= new Date(Date.parse(`${target}T00:00:00Z`) - 7 * 86400_000).toISOString().slice(0, 10)) {
        expect(a.return30d).toBeCloseTo(Number(last.close) / Number(prior.close) - 1, 10);
      } else expect(a.return30d).toBeNull();
    }
    // SUSHI's market cap ends before its price goes on (from another source): shown with its own
    // day, current within the month; its volume ended long before and is marked stale.
    const sushi = assets.get('SUSHI')!;
    expect(sushi.marketCapDay! < sushi.lastDay! && sushi.marketCapDay! >= staleBefore).toBe(true);
    expect(sushi.marketCap).not.toBeNull();
    expect(sushi.marketCapStale).toBe(false);
    expect(sushi.volumeDay! < staleBefore && sushi.volumeStale).toBe(true);
    const aave = assets.get('AAVE')!;
    expect(aave.polygonAddress).toBe('0xd6df932a45c0f255f85145f286ea0b292b21c90b');
    expect(aave.families).toEqual(expect.arrayContaining(['market', 'tvl', 'development']));
  });

  it('reads one asset (its own rows only) exactly as the list reads it among all', () => {
    const all = listAssets(store, { includeUnpriced: true });
    expect(all.some((a) => a.families.length > 1) && all.some((a) => a.lastDay === null)).toBe(true);
    for (const listed of all) {
      const one = getAsset(store, listed.assetId);
      expect({ ...listed }).toEqual(Object.fromEntries(Object.keys(listed).map((k) => [k, one[k as keyof typeof one]])));
    }
    expect(() => getAsset(store, 'NO-SUCH-ASSET')).toThrow(/no asset "NO-SUCH-ASSET"/);
  });

  it('serves a price history that matches the CSV and downsamples long ranges', () => {
    const market = readCsv('market_daily.csv').filter((r) => r.symbol === 'AAVE');
    const series = priceHistory(store, { assetId: 'AAVE' });
    expect(series).toHaveLength(market.length);
    const sample = market[Math.floor(market.length / 2)]!;
    expect(series.find((p) => p.day === sample.date)?.close).toBeCloseTo(Number(sample.close), 10);
    const small = priceHistory(store, { assetId: 'AAVE', maxPoints: 100 });
    expect(small.length).toBeLessThanOrEqual(100);
    const max = Math.max(...series.map((p) => p.close ?? 0));
    expect(Math.max(...small.map((p) => p.close ?? 0))).toBe(max);
  });

  it('stores every value of the metric files: row counts and column sums match the CSVs read by an independent parser', () => {
    const sums = (table: string, cols: string[], where = '1'): number[] => {
      const row = store.db.prepare(`SELECT ${cols.map((c) => `total(${c})`).join(', ')}, count(*) FROM ${table} WHERE ${where}`).raw().get() as number[];
      return row;
    };
    const fromCsv = (rows: Record<string, string>[], cols: string[]): number[] => [...cols.map((c) => rows.reduce((s, r) => s + (r[c] === '' || r[c] === undefined ? 0 : Number(r[c])), 0)), rows.length];
    const close = (a: number[], b: number[]): void => {
      expect(a).toHaveLength(b.length);
      // Sums in a different order differ in the last bits: relative tolerance.
      a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b[i]!))));
    };
    close(sums('financial_metrics', ['close', 'volume_usd', 'volume_usdt_binance', 'market_cap', 'circulating_supply']), fromCsv(readCsv('market_daily.csv'), ['close', 'volume_usd_aggregate', 'volume_usdt_binance', 'market_cap', 'circ_supply_cmc']));
    const fundamentals = readCsv('protocol_fundamentals_daily.csv').filter((r) => r.symbol !== '');
    close(sums('onchain_metrics', ['tvl', 'revenue', 'revenue_protocol', 'revenue_supply_side', 'gmv', 'token_incentives']), fromCsv(fundamentals, ['tvl', 'revenue', 'revenue_protocol', 'revenue_supply_side', 'gmv', 'token_incentives']));
    close(sums('github_metrics', ['commits', 'commits_first_parent', 'distinct_authors'], "repo <> '*'"), fromCsv(readCsv('dev_activity_weekly_repo.csv'), ['commits', 'commits_first_parent', 'distinct_authors']));
    close(sums('github_metrics', ['commits', 'commits_first_parent', 'distinct_authors'], "repo = '*'"), fromCsv(readCsv('dev_activity_weekly_token.csv'), ['commits', 'commits_first_parent', 'distinct_authors']));
    // Empty fields are unknown (NULL), never zero.
    const nullCloses = (store.db.prepare('SELECT count(*) AS n FROM financial_metrics WHERE close IS NULL').get() as { n: number }).n;
    expect(nullCloses).toBe(readCsv('market_daily.csv').filter((r) => r.close === '').length);
    // The day indexes the bulk load set aside are back.
    const indexes = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toEqual(expect.arrayContaining(['financial_metrics_day', 'onchain_metrics_day', 'crypto_assets_chain_address']));
  });

  it('is idempotent: importing again changes nothing, forcing rewrites the same content', () => {
    const before = ['financial_metrics', 'onchain_metrics', 'github_metrics', 'crypto_assets'].map((t) => tableDigest(store, t, '1, 2, 3'));
    const again = importDataset({ store, dir: DATASET, source: 'bundled' });
    expect(again.skipped.some((s) => /already imported/.test(s.reason))).toBe(true);
    const forced = importDataset({ store, dir: DATASET, source: 'bundled', force: true });
    expect(forced.financialRows).toBe(again.financialRows);
    const after = ['financial_metrics', 'onchain_metrics', 'github_metrics', 'crypto_assets'].map((t) => tableDigest(store, t, '1, 2, 3'));
    expect(after).toEqual(before);
  });
});

describe('import of a directory of CSVs', () => {
  let work: string;
  let store: SqliteStore;
  const header = 'date,symbol,close,close_source,volume_usd_aggregate,volume_aggregate_source,volume_usdt_binance,market_cap,market_cap_source,circ_supply_cmc';
  tempStore('defimon-dir-', (d, s) => ([work, store] = [d, s]));
  const writeMarket = (name: string, lines: string[]): string => {
    const d = path.join(work, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d);
    writeFileSync(path.join(d, 'market_daily.csv'), `${[header, ...lines].join('\n')}\n`);
    return d;
  };
  const count = (): number => (store.db.prepare('SELECT count(*) AS n FROM financial_metrics').get() as { n: number }).n;

  it('imports plain CSVs, creating assets for new symbols', () => {
    const d = writeMarket('good', ['2024-01-01,FOO,1.5,x,100,x,,1000,x,', '2024-01-02,FOO,1.6,x,110,x,,1100,x,']);
    const s = importDataset({ store, dir: d, source: 'dir:good' });
    expect(s.financialRows).toBe(2);
    expect(listAssets(store).find((a) => a.symbol === 'FOO')?.price).toBe(1.6);
  });

  it.each([
    ['a non-numeric close', '2024-01-03,BAR,abc,x,1,x,,1,x,', /market_daily\.csv line 3: close is not a number/],
    ['a negative volume', '2024-01-03,BAR,1,x,-5,x,,1,x,', /market_daily\.csv line 3: volume_usd_aggregate is negative/],
    ['a future date', '2999-01-03,BAR,1,x,1,x,,1,x,', /market_daily\.csv line 3: date "2999-01-03"/],
    ['an impossible date', '2024-02-31,BAR,1,x,1,x,,1,x,', /line 3: date "2024-02-31"/],
    ['a bad symbol', '2024-01-03,bar baz,1,x,1,x,,1,x,', /line 3: symbol/],
  ])('rejects %s with file and line, writing nothing', (_label, bad, message) => {
    const before = count();
    const d = writeMarket('bad', ['2024-01-02,BAR,1,x,1,x,,1,x,', bad]);
    expect(() => importDataset({ store, dir: d, source: 'dir:bad' })).toThrow(message);
    expect(count()).toBe(before);
    expect(listAssets(store, { includeUnpriced: true }).some((a) => a.symbol === 'BAR')).toBe(false);
  });

  it('reads quoted fields and CRLF line ends the same as plain ones', () => {
    const plain = writeMarket('plain', ['2024-01-01,QQQ,1.5,x,100,x,,1000,x,', '2024-01-02,QQQ,1.6,x,110,x,,1100,x,']);
    importDataset({ store, dir: plain, source: 'dir:plain' });
    const quoted = path.join(work, 'quoted');
    rmSync(quoted, { recursive: true, force: true });
    mkdirSync(quoted);
    writeFileSync(path.join(quoted, 'market_daily.csv'), `${[header, '2024-01-01,QQQ,"1.5","a, quoted source",100,x,,1000,x,', '2024-01-02,QQQ,1.6,x,110,x,,1100,x,'].join('\r\n')}\r\n`);
    importDataset({ store, dir: quoted, source: 'dir:quoted' });
    const rows = (source: string): unknown[] => store.db.prepare('SELECT day, close, close_source, volume_usd, market_cap FROM financial_metrics WHERE asset_id = ? AND source = ? ORDER BY day').all('QQQ', source);
    expect(rows('dir:quoted')).toEqual([
      { day: '2024-01-01', close: 1.5, close_source: 'a, quoted source', volume_usd: 100, market_cap: 1000 },
      { day: '2024-01-02', close: 1.6, close_source: 'x', volume_usd: 110, market_cap: 1100 },
    ]);
    expect(rows('dir:plain')).toHaveLength(2);
  });

  it('reads a blank numeric field as unknown, not zero', () => {
    const d = writeMarket('blank', ['2024-01-03,BLNK, ,x,  ,x,,1000,x,']);
    importDataset({ store, dir: d, source: 'dir:blank' });
    expect(store.db.prepare('SELECT close, volume_usd, market_cap FROM financial_metrics WHERE asset_id = ?').get('BLNK')).toEqual({ close: null, volume_usd: null, market_cap: 1000 });
  });

  it('rejects a file with a wrong number of columns, and a directory without dataset files', () => {
    const d = writeMarket('ragged', ['2024-01-02,BAR,1,x']);
    expect(() => importDataset({ store, dir: d, source: 'dir:ragged' })).toThrow(/market_daily\.csv.*line 2/);
    const empty = path.join(work, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(() => importDataset({ store, dir: empty, source: 'dir:empty' })).toThrow(/no dataset CSVs/);
    expect(() => importDataset({ store, dir: path.join(work, 'missing'), source: 'x' })).toThrow(/does not exist/);
  });
});
