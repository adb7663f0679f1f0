/**
 * ui.coverage: which data family runs from when to when, from which source, with row counts and
 * stale flags, per asset and over the whole store. Checked against the database, not fixed numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/services';
import type { CoverageResult } from '../../src/shared/contract/ui';
import { createTestServices } from '../helpers/app';

let services: Services;
let cleanup: () => Promise<void>;
const one = <T>(sql: string, ...params: unknown[]): T => services.core.store.db.prepare(sql).get(...params) as T;
const minus = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  ({ services, cleanup } = await createTestServices());
}, 300_000);
afterAll(async () => cleanup());

const runsOf = (c: CoverageResult, family: string) => c.runs.filter((r) => r.family === family);

describe('ui.coverage of one asset', () => {
  it('keeps every source and scope apart, with its span, rows and stale flag', async () => {
    const c = await services.client.call('ui.coverage', { assetId: 'AAVE' });
    const end = one<{ d: string }>('SELECT MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL').d;
    expect(c.dataEnd).toBe(end);
    for (const r of c.runs) {
      expect(r.assets).toBe(1);
      expect(r.stale).toBe(r.to < minus(end, 30));
      expect(r.staleAssets).toBe(r.stale ? 1 : 0);
    }
    // Market rows by the source of the close.
    const market = runsOf(c, 'market');
    const stored = one<{ n: number; first: string; last: string }>(`SELECT count(*) AS n, MIN(day) AS first, MAX(day) AS last FROM financial_metrics WHERE asset_id = 'AAVE' AND close IS NOT NULL`);
    expect(market.reduce((s, r) => s + r.rows, 0)).toBe(stored.n);
    expect(market.map((r) => r.from).sort()[0]).toBe(stored.first);
    expect(market.map((r) => r.to).sort().at(-1)).toBe(stored.last);
    expect(market.some((r) => r.source === 'CoinGecko')).toBe(true);
    // TVL: Token Terminal and DefiLlama's "aave-v3 only" series, never one run.
    const tvl = runsOf(c, 'tvl');
    const tt = tvl.find((r) => r.source === 'Token Terminal')!;
    expect([tt.from, tt.to, tt.rows]).toEqual(Object.values(one<Record<string, unknown>>(`SELECT MIN(day) AS a, MAX(day) AS b, count(*) AS n FROM onchain_metrics WHERE asset_id = 'AAVE' AND tvl IS NOT NULL`)));
    expect(tt.stale).toBe(true);
    const llama = tvl.filter((r) => r.source === 'DefiLlama');
    expect(llama.length).toBeGreaterThan(0);
    for (const r of llama) {
      expect(r.scope).not.toBeNull();
      expect(r.rows).toBe(one<{ n: number }>(`SELECT count(*) AS n FROM defillama_protocol_daily WHERE asset_id = 'AAVE' AND tvl IS NOT NULL AND scope = ?`, r.scope).n);
    }
    // Weekly development counts cover their week to the Sunday.
    for (const r of runsOf(c, 'development')) expect(new Date(`${r.to}T00:00:00Z`).getUTCDay()).toBe(0);
    // The bundle's development counts are named by where they were counted, not by the bundle.
    expect(runsOf(c, 'development').map((r) => r.source)).toContain('public git history (bundled)');
  });

  it('reports chain TVL for a chain’s token and nothing for families it lacks', async () => {
    const c = await services.client.call('ui.coverage', { assetId: 'MATIC' });
    const chain = runsOf(c, 'chainTvl');
    expect(chain).toHaveLength(1);
    expect(chain[0]!.rows).toBe(one<{ n: number }>(`SELECT count(*) AS n FROM defillama_chain_daily WHERE asset_id = 'MATIC'`).n);
    expect(runsOf(c, 'onchain')).toEqual([]);
    await expect(services.client.call('ui.coverage', { assetId: 'NOSUCHCOIN' })).rejects.toThrow(/no asset/);
  });
});

describe('ui.coverage of the store', () => {
  it('groups by family and source, counting assets and stale assets', async () => {
    const c = await services.client.call('ui.coverage', {});
    expect(c.assetId).toBeNull();
    const end = c.dataEnd!;
    const market = runsOf(c, 'market');
    expect(market.reduce((s, r) => s + r.rows, 0)).toBe(one<{ n: number }>('SELECT count(*) AS n FROM financial_metrics WHERE close IS NOT NULL').n);
    const tt = runsOf(c, 'tvl').find((r) => r.source === 'Token Terminal')!;
    expect(tt.assets).toBe(one<{ n: number }>(`SELECT count(DISTINCT asset_id) AS n FROM onchain_metrics WHERE tvl IS NOT NULL AND source = 'tokenterminal'`).n);
    // Every Token Terminal TVL series ended in 2022: all of them stale.
    expect(tt.staleAssets).toBe(tt.assets);
    expect(tt.stale).toBe(true);
    // Market data: the assets whose own last close is old are counted stale, while the run itself is current.
    const cg = market.find((r) => r.source === 'CoinGecko')!;
    expect(cg.stale).toBe(false);
    const cgStale = one<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT asset_id, MAX(day) AS d FROM financial_metrics WHERE close IS NOT NULL AND coalesce(close_source, source) = 'coingecko' GROUP BY asset_id) WHERE d < ?`,
      minus(end, 30),
    ).n;
    expect(cg.staleAssets).toBe(cgStale);
    expect(new Set(c.runs.map((r) => r.family))).toEqual(new Set(['market', 'tvl', 'revenue', 'development', 'chainTvl']));
  });
});
