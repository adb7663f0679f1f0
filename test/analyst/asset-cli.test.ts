/**
 * `defimon asset` on a fresh data directory: the first command imports the bundled dataset and
 * its shipped model, then prints the asset page. The JSON shape is the one the issue names; the
 * values and flags are checked against the database, not against fixed numbers.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../helpers/services';
import { execCli } from '../helpers/cli';

const tmp = tempDataDir('defimon-asset-cli');

async function defimon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return execCli(['--data-dir', tmp.dir, ...args], { cwd: tmp.dir, timeoutMs: 240_000, maxBuffer: 16 * 1024 * 1024 });
}

interface V {
  value: number | null;
  asOf: string | null;
  stale: boolean;
  source: string | null;
}
interface Page {
  symbol: string;
  name: string;
  category: string | null;
  dataEnd: string;
  values: Record<'price' | 'marketCap' | 'volume24h' | 'tvl' | 'revenue30d' | 'commits12w', V>;
  score: { value: number | null; confidence: number | null; asOf: string | null; summary: string; explanation: { label: string; value: string; effect: number }[]; skill: Record<string, unknown> };
  peers: {
    symbol: string;
    similarity: number | null;
    category: string | null;
    marketCap: number | null;
    marketCapAsOf: string | null;
    marketCapStale: boolean;
    tvl: number | null;
    tvlAsOf: string | null;
    tvlStale: boolean;
    score: number | null;
  }[];
}

let sushi: Page;
let db: Database.Database;
const minus = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  const res = await defimon(['asset', 'sushi', '--json']);
  // stderr may carry the first start's notice (the new database); stdout is the JSON alone.
  expect(res.stderr).not.toMatch(/error|failed/i);
  expect(res.code).toBe(0);
  sushi = JSON.parse(res.stdout) as Page;
  db = new Database(path.join(tmp.dir, 'defimon.sqlite'), { readonly: true });
}, 300_000);
afterAll(() => {
  db?.close();
  tmp.remove();
});

describe('defimon asset', () => {
  it('prints exactly the asset page shape, every value with as-of, stale flag and source', () => {
    expect(Object.keys(sushi).sort()).toEqual(['category', 'dataEnd', 'name', 'peers', 'score', 'symbol', 'values']);
    expect(Object.keys(sushi.values).sort()).toEqual(['commits12w', 'marketCap', 'price', 'revenue30d', 'tvl', 'volume24h']);
    for (const v of Object.values(sushi.values)) expect(Object.keys(v).sort()).toEqual(['asOf', 'source', 'stale', 'value']);
    expect(Object.keys(sushi.score).sort()).toEqual(['asOf', 'confidence', 'explanation', 'skill', 'summary', 'value']);
    for (const p of sushi.peers) expect(Object.keys(p).sort()).toEqual(['category', 'marketCap', 'marketCapAsOf', 'marketCapStale', 'score', 'similarity', 'symbol', 'tvl', 'tvlAsOf', 'tvlStale']);
    expect(sushi.symbol).toBe('SUSHI');
    expect(sushi.dataEnd).toBe((db.prepare('SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL').get() as { d: string }).d);
  });

  it('marks SUSHI’s TVL stale with its own day and source, its price current', () => {
    const tvl = db.prepare(`SELECT day, tvl FROM onchain_metrics WHERE asset_id = 'SUSHI' AND tvl IS NOT NULL ORDER BY day DESC LIMIT 1`).get() as { day: string; tvl: number };
    expect(sushi.values.tvl).toEqual({ value: tvl.tvl, asOf: tvl.day, stale: true, source: 'tokenterminal' });
    const last = db.prepare(`SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = 'SUSHI' AND close IS NOT NULL`).get() as { d: string };
    expect(sushi.values.price.asOf).toBe(last.d);
    expect(sushi.values.price.stale).toBe(last.d < minus(sushi.dataEnd, 30));
    for (const v of Object.values(sushi.values)) if (v.value !== null) expect(v.stale).toBe(v.asOf! < minus(sushi.dataEnd, 30));
  });

  it('gives the latest known market cap and volume with their own days, even where they end before the price', () => {
    for (const [key, column, source] of [
      ['marketCap', 'market_cap', 'market_cap_source'],
      ['volume24h', 'volume_usd', 'volume_source'],
    ] as const) {
      const known = db
        .prepare(`SELECT day, ${column} AS v, coalesce(${source}, source) AS source FROM financial_metrics WHERE asset_id = 'SUSHI' AND ${column} IS NOT NULL ORDER BY day DESC LIMIT 1`)
        .get() as { day: string; v: number; source: string } | undefined;
      if (!known) {
        expect(sushi.values[key]).toEqual({ value: null, asOf: null, stale: false, source: null });
        continue;
      }
      expect(sushi.values[key].value).toBe(known.v);
      expect(sushi.values[key].asOf).toBe(known.day);
      expect(sushi.values[key].stale).toBe(known.day < minus(sushi.dataEnd, 30));
      // The value's own source (SUSHI's market cap is derived from CoinMarketCap's supply, not Binance's close).
      expect(sushi.values[key].source).toBe(known.source);
    }
  });

  it('gives the score in words with labelled drivers and the model’s out-of-sample skill', () => {
    expect(sushi.score.value).not.toBeNull();
    expect(sushi.score.asOf).toBe(sushi.dataEnd);
    expect(sushi.score.summary).toMatch(/^Score \d+ of 100/);
    expect(sushi.score.explanation.length).toBeGreaterThan(2);
    // Labels, never feature keys (snake_case) such as rank_vol_30 or has_development.
    for (const d of sushi.score.explanation) expect(d.label).not.toMatch(/^[a-z]+(_[a-z0-9]+)+$/);
    expect(typeof sushi.score.skill.ic).toBe('number');
    expect(typeof sushi.score.skill.hitRate).toBe('number');
  });

  it('lists peers of the same category first, with their metrics', () => {
    const cat = (db.prepare(`SELECT defillama_category AS c FROM crypto_assets WHERE asset_id = 'SUSHI'`).get() as { c: string }).c;
    expect(sushi.category).toBe(cat);
    expect(sushi.peers.length).toBeGreaterThan(3);
    expect(sushi.peers[0]!.category).toBe(cat);
    const similar = db.prepare(`SELECT competitor_id FROM competitor_analysis WHERE asset_id = 'SUSHI'`).all() as { competitor_id: string }[];
    expect(similar.length).toBeGreaterThan(0);
  });

  it('gives every peer its market cap and TVL with their own days, as `defimon assets` does, in JSON and in the table', async () => {
    const listed = JSON.parse((await defimon(['assets', '--json'])).stdout) as { symbol: string; marketCap: number | null; marketCapDay: string | null; marketCapStale: boolean }[];
    const bySymbol = new Map(listed.map((a) => [a.symbol, a]));
    for (const p of sushi.peers) {
      const a = bySymbol.get(p.symbol)!;
      expect({ symbol: p.symbol, value: p.marketCap, asOf: p.marketCapAsOf, stale: p.marketCapStale }).toEqual({ symbol: a.symbol, value: a.marketCap, asOf: a.marketCapDay, stale: a.marketCapStale });
      expect(p.tvlAsOf === null).toBe(p.tvl === null);
      expect(p.tvlStale).toBe(p.tvlAsOf !== null && p.tvlAsOf < minus(sushi.dataEnd, 30));
    }
    // The bundle's TVL ends in 2022 for most peers: some peer shows a stale day.
    expect(sushi.peers.some((p) => p.tvlStale || p.marketCapStale)).toBe(true);
    const text = (await defimon(['asset', 'SUSHI'])).stdout.split('\n');
    const at = text.indexOf('Peers:');
    expect(text[at + 1]).toMatch(/SYMBOL\s+SIMILAR\s+CATEGORY\s+MCAP AS OF\s+TVL AS OF\s+SCORE/);
    for (const p of sushi.peers) {
      const line = text.find((l) => l.startsWith(`  ${p.symbol.padEnd(8)}`));
      const dated = (v: number | null, asOf: string | null, stale: boolean): string => (v === null ? '-' : `\\S+ ${asOf}${stale ? ' STALE' : ''}`);
      expect(line).toMatch(new RegExp(`${dated(p.marketCap, p.marketCapAsOf, p.marketCapStale)}\\s+${dated(p.tvl, p.tvlAsOf, p.tvlStale)}\\s`));
    }
  });

  it('prints a readable page, and says clearly when the asset does not exist', async () => {
    const text = await defimon(['asset', 'SUSHI']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/TVL\s+\$[\d.]+[KMB]\s+as of \d{4}-\d{2}-\d{2} \(STALE\), Token Terminal/);
    expect(text.stdout).toContain('Out-of-sample skill');
    expect(text.stdout).toContain('Peers:');
    const missing = await defimon(['asset', 'NOSUCHCOIN']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no asset "NOSUCHCOIN"');
  });
});

describe('stale flags in `defimon assets` and `defimon score`', () => {
  it('flags assets whose market data ended more than 30 days before the dataset’s end, in JSON and in the table', async () => {
    const res = await defimon(['assets', '--json']);
    expect(res.code).toBe(0);
    const assets = JSON.parse(res.stdout) as { symbol: string; lastDay: string; staleSince: string | null }[];
    const end = (db.prepare('SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL').get() as { d: string }).d;
    const stale = assets.filter((a) => a.staleSince !== null);
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.length).toBeLessThan(assets.length);
    for (const a of assets) expect(a.staleSince).toBe(a.lastDay < minus(end, 30) ? a.lastDay : null);
    const mpl = db.prepare(`SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = 'MPL' AND close IS NOT NULL`).get() as { d: string };
    expect(assets.find((a) => a.symbol === 'MPL')?.staleSince).toBe(mpl.d);

    const table = await defimon(['assets']);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^SYMBOL\s+LAST DAY\s+STALE\s+PRICE/);
    expect(lines.find((l) => l.startsWith('MPL '))).toMatch(new RegExp(`^MPL\\s+${mpl.d}\\s+STALE\\s`));
    expect(lines.find((l) => l.startsWith('SUSHI '))).toMatch(/^SUSHI\s+\d{4}-\d{2}-\d{2}\s+-\s/);
    expect(table.stdout).toContain(`${stale.length} STALE`);
  });

  it('gives market cap and volume as the latest known value with its own day, source and stale flag, as `defimon asset` does', async () => {
    const res = await defimon(['assets', '--json']);
    expect(res.code).toBe(0);
    type Listed = { symbol: string; lastDay: string } & Record<'marketCap' | 'volume', number | null> &
      Record<'marketCapDay' | 'volumeDay' | 'marketCapSource' | 'volumeSource', string | null> & Record<'marketCapStale' | 'volumeStale', boolean>;
    const assets = JSON.parse(res.stdout) as Listed[];
    const end = (db.prepare('SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL').get() as { d: string }).d;
    const facts = [
      ['marketCap', 'market_cap', 'market_cap_source'],
      ['volume', 'volume_usd', 'volume_source'],
    ] as const;
    for (const a of assets)
      for (const [fact, column, source] of facts) {
        const known = db
          .prepare(
            `SELECT day, ${column} AS value, coalesce(${source}, source) AS source FROM financial_metrics WHERE asset_id = ? AND ${column} IS NOT NULL AND day <= ?
             ORDER BY day DESC, CASE source WHEN 'bundled' THEN 1 ELSE 0 END LIMIT 1`,
          )
          .get(a.symbol, a.lastDay) as { day: string; value: number; source: string } | undefined;
        expect({ symbol: a.symbol, value: a[fact], day: a[`${fact}Day`], source: a[`${fact}Source`], stale: a[`${fact}Stale`] }).toEqual({
          symbol: a.symbol,
          ...(known ? { ...known, stale: known.day < minus(end, 30) } : { value: null, day: null, source: null, stale: false }),
        });
      }
    // SUSHI: the market cap ends before the price, the page and the list agree on it.
    const listed = assets.find((a) => a.symbol === 'SUSHI')!;
    expect(listed.marketCapDay! < listed.lastDay).toBe(true);
    const page = { marketCap: sushi.values.marketCap, volume: sushi.values.volume24h };
    for (const [fact] of facts) expect({ value: listed[fact], asOf: listed[`${fact}Day`], stale: listed[`${fact}Stale`], source: listed[`${fact}Source`] }).toEqual(page[fact]);

    // The table prints each with its day, STALE after a stale one, and counts them.
    const table = await defimon(['assets', '--search', 'SUSHI']);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^SYMBOL\s+LAST DAY\s+STALE\s+PRICE\s+RET30D\s+MCAP\s+MCAP AS OF\s+VOLUME\s+VOLUME AS OF\s+FAMILIES$/);
    const day = (d: string | null, stale: boolean): string => (d === null ? '-' : `${d}${stale ? ' STALE' : ''}`);
    expect(lines.find((l) => l.startsWith('SUSHI '))).toMatch(
      new RegExp(`^SUSHI\\s+${listed.lastDay}\\s+-\\s+\\S+\\s+\\S+\\s+[\\d.]+[KMB]? ${day(listed.marketCapDay, listed.marketCapStale)}\\s+[\\d.]+[KMB]? ${day(listed.volumeDay, listed.volumeStale)}\\s+market`),
    );
    const all = await defimon(['assets']);
    expect(all.stdout).toContain(`(${assets.filter((a) => a.marketCapStale).length} market caps, ${assets.filter((a) => a.volumeStale).length} volumes)`);
  });

  it('gives every score row its as-of day and stale flag', async () => {
    const res = await defimon(['score', '--json', '--limit', '20']);
    expect(res.code).toBe(0);
    const s = JSON.parse(res.stdout) as { day: string; assets: { assetId: string; asOf: string | null; stale: boolean }[] };
    expect(s.assets.length).toBe(20);
    for (const a of s.assets) {
      const last = (db.prepare('SELECT MAX(day) AS d FROM financial_metrics WHERE asset_id = ? AND close IS NOT NULL AND day <= ?').get(a.assetId, s.day) as { d: string }).d;
      expect(a.asOf).toBe(last);
      expect(a.stale).toBe(last < minus(s.day, 30));
    }
    const text = await defimon(['score', '--limit', '3']);
    expect(text.code).toBe(0);
    const rows = text.stdout.split('\n').filter((l) => /^\S+\s+\d+\.\d\s+\d\.\d\d\s/.test(l));
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toMatch(/^\S+\s+[\d.]+\s+[\d.]+\s+-?[\d.]+%\s+\d{4}-\d{2}-\d{2} /);
  });
});
