/**
 * Conformance of the HTTP collectors with the providers' real answers (status codes, headers
 * and bodies from their documentation and recorded answers): CoinGecko's 429 with Retry-After
 * or an x-ratelimit-reset date, GitHub's 202/204 statistics, Etherscan API V2's plan messages,
 * DefiLlama's parent protocols and unknown slugs. Each test builds its own services: a
 * provider's "wait" is remembered by its client, as it should be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/services';
import { inspectEtherscan } from '../../src/main/services/collect/explorer';
import { createTestServices } from '../helpers/app';
import { startApiServer, type ApiServer } from './api-server';

const DAY = 86_400_000;
const START = Date.parse('2024-01-01T00:00:00Z');

function marketChart(days: number): unknown {
  const points = (f: (i: number) => number) => Array.from({ length: days }, (_, i) => [START + (i + 1) * DAY, f(i)]);
  return { prices: points((i) => 10 + i), market_caps: points((i) => 1e6 + i), total_volumes: points((i) => 1000 + i) };
}

/** CoinGecko's x-ratelimit-reset format: "2025-07-25 14:54:00 +0000". */
function resetHeader(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} +0000`;
}

describe('HTTP collectors against the providers\' real answers', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer();
  });
  afterAll(async () => {
    await api.close();
  });

  async function withServices(collect: Record<string, unknown>, fn: (s: Services) => Promise<void>, extra: Record<string, unknown> = {}): Promise<void> {
    const t = await createTestServices({
      autoImport: false,
      collect: { rates: { coingecko: 100, github: 100, etherscan: 100, defillama: 100 }, ...collect },
      coingeckoBaseUrl: `${api.url}/cg`,
      defillamaBaseUrl: `${api.url}/llama`,
      githubBaseUrl: `${api.url}/gh`,
      etherscanBaseUrl: `${api.url}/v2/api`,
      ...extra,
    });
    try {
      const now = new Date().toISOString();
      t.services.core.store.write('crypto_assets', [
        { asset_id: 'P1', symbol: 'P1', name: 'P1', coingecko_id: 'p-one', defillama_slug: 'aave', github_org: 'porg', source: 'test', updated_at: now },
        { asset_id: 'P2', symbol: 'P2', name: 'P2', coingecko_id: 'p-two', defillama_slug: 'no-such-protocol', source: 'test', updated_at: now },
      ]);
      await fn(t.services);
    } finally {
      await t.cleanup();
    }
  }

  it('CoinGecko 429 with retry-after: 119 defers that asset and never aborts the market run', async () => {
    api.on('/cg/coins/p-one/market_chart', { json: marketChart(5) });
    api.on('/cg/coins/p-two/market_chart', { status: 429, headers: { 'retry-after': '119' }, json: { status: { error_code: 429, error_message: "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits." } } });
    const before = api.count('/cg/coins/p-two/market_chart');
    // In-place waits up to 1 s; a deferred wait up to 60 s is retried within the run, 119 s is left for the next run.
    await withServices({ maxWaitSec: 1, maxDeferSec: 60 }, async (s) => {
      const [summary] = await s.client.call('collect.run', { source: 'market' });
      expect(summary?.items).toBe(5);
      const failed = summary?.details.failed as { assetId: string; code: string; message: string }[];
      expect(failed).toEqual([expect.objectContaining({ assetId: 'P2', code: 'RATE_LIMITED', message: expect.stringContaining('deferred to the next run') })]);
      // Asked once, then left alone: no hammering through the 119 s.
      expect(api.count('/cg/coins/p-two/market_chart') - before).toBe(1);
      const st = (await s.client.call('collect.status', {})).providers.find((p) => p.provider === 'coingecko');
      expect(Date.parse(st?.rateLimitedUntil ?? '')).toBeGreaterThan(Date.now() + 100_000);
    });
  }, 60_000);

  it('CoinGecko 429 without Retry-After but with an x-ratelimit-reset date: waits for that time, sends nothing meanwhile, then collects every asset', async () => {
    let limitedUntil = 0;
    let duringBlock = 0;
    const handler = (id: string) => () => {
      const now = Date.now();
      if (limitedUntil === 0) {
        limitedUntil = now + 3000;
        return { status: 429, headers: { 'x-ratelimit-reset': resetHeader(Math.ceil(limitedUntil / 1000) * 1000) }, json: { status: { error_code: 429, error_message: "You've exceeded the Rate Limit." } } };
      }
      if (now < limitedUntil) duringBlock++;
      return { json: marketChart(id === 'p-one' ? 5 : 3) };
    };
    api.handle('/cg/coins/p-one/market_chart', handler('p-one'));
    api.handle('/cg/coins/p-two/market_chart', handler('p-two'));
    await withServices({ maxWaitSec: 1, maxDeferSec: 60 }, async (s) => {
      const [summary] = await s.client.call('collect.run', { source: 'market' });
      expect(summary?.details.failed).toEqual([]);
      expect(summary?.items).toBe(8);
      expect(summary?.details.deferrals).toBeGreaterThan(0);
      expect(duringBlock).toBe(0);
    });
  }, 60_000);

  it('GitHub: 204 No Content on statistics is an empty repository (zero activity); a 202 is retried and never cached', async () => {
    const sun = Date.parse('2024-03-03T00:00:00Z') / 1000;
    api.on('/gh/users/porg/repos', { json: [{ full_name: 'porg/empty', stargazers_count: 3, forks_count: 0 }] });
    api.on('/gh/repos/porg/empty', { json: { full_name: 'porg/empty', stargazers_count: 3, forks_count: 0 } });
    api.on('/gh/repos/porg/empty/stats/commit_activity', { status: 204, body: '' });
    api.on('/gh/repos/porg/empty/stats/contributors', { status: 202, json: {} }, { json: [{ author: { login: 'a' }, total: 1, weeks: [{ w: sun, a: 1, d: 0, c: 1 }] }] });
    api.on('/gh/repos/porg/empty/pulls', { json: [] });
    api.on('/gh/repos/porg/empty/issues', { json: [] });
    await withServices({}, async (s) => {
      const [summary] = await s.client.call('collect.run', { source: 'github', assets: ['P1'] });
      expect(summary?.details.failed).toEqual([]);
      expect(summary?.details.pending).toEqual([]);
      const current = s.core.store.db.prepare(`SELECT stars, contributors FROM github_metrics WHERE repo = 'porg/empty' AND stars IS NOT NULL`).get();
      expect(current).toEqual({ stars: 3, contributors: 1 });
      // The 202 was asked again (not taken from the cache): two calls for contributors.
      expect(api.count('/gh/repos/porg/empty/stats/contributors')).toBe(2);
    });
  }, 60_000);

  it('Etherscan V2: rate limit retried, "temporarily unavailable" retryable later, plan/setup errors stop the run once', async () => {
    const msg = (result: string, message = 'NOTOK') => ({ status: '0', message, result });
    expect(() => inspectEtherscan(msg('Max rate limit reached'))).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', retryable: true }));
    expect(() => inspectEtherscan(msg('Free API access is temporarily unavailable due to unusually high network activity. Please try again later.'))).toThrow(expect.objectContaining({ retryable: true, details: expect.objectContaining({ retryAfterMs: 60_000 }) }));
    expect(() => inspectEtherscan(msg('You are using a deprecated V1 endpoint, switch to Etherscan API V2 using https://docs.etherscan.io/v2-migration'))).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED', retryable: false }));

    let calls = 0;
    api.handle('/v2/api', () => {
      calls++;
      return { json: msg('Free API access is not supported for this chain. Please upgrade your api plan for full chain coverage. https://etherscan.io/apis') };
    });
    const addresses = Array.from({ length: 5 }, (_, i) => `0x${String(i + 1).repeat(40)}`);
    await withServices({}, async (s) => {
      const err = await s.client.call('collect.run', { source: 'explorer', addresses }).catch((e: unknown) => e as { code: string; message: string });
      expect(err).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('not supported for this chain') });
      expect(calls).toBe(1);
    }, { etherscanApiKey: 'TESTKEY123' });
  }, 60_000);

  it('Etherscan V2: keeps ContractFileName and the language of a Vyper source', async () => {
    api.handle('/v2/api', (req) => {
      if (req.url.searchParams.get('action') === 'getcontractcreation') return { json: { status: '0', message: 'No data found', result: [] } };
      return { json: { status: '1', message: 'OK', result: [{ SourceCode: '# @version 0.3.7\n@external\ndef foo() -> uint256:\n    return 1\n', ABI: '[]', ContractName: 'Vault', ContractFileName: 'contracts/Vault.vy', CompilerVersion: 'vyper:0.3.7', CompilerType: 'vyper', OptimizationUsed: '0', Runs: '0', EVMVersion: 'Default', LicenseType: 'MIT', Proxy: '0', Implementation: '' }] } };
    });
    await withServices({}, async (s) => {
      const c = await s.client.call('collect.contract', { address: `0x${'9'.repeat(40)}`, refresh: true });
      expect(c.verified).toBe(true);
      expect(JSON.parse(c.compilerSettings ?? '{}')).toMatchObject({ language: 'Vyper', contractFileName: 'contracts/Vault.vy' });
    }, { etherscanApiKey: 'TESTKEY123' });
  }, 60_000);

  it('DefiLlama: a parent protocol\'s ~10 MB body is read and aligned to the closing day; an unknown slug fails that asset only', async () => {
    const points = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ date: START / 1000 + i * 86_400, totalLiquidityUSD: base + i }));
    const chains: Record<string, { tvl: { date: number; totalLiquidityUSD: number }[] }> = { Polygon: { tvl: points(30, 100) } };
    // Bulk like the real parent bodies: hundreds of chain series the collector does not read.
    for (let c = 0; chains && JSON.stringify(chains).length < 10_000_000; c++) chains[`Chain${c}`] = { tvl: points(3000, c) };
    const body = { id: 'parent#aave', name: 'Aave', tvl: [...points(30, 1000), { date: Math.floor(Date.now() / 1000), totalLiquidityUSD: 1 }], chainTvls: chains, currentChainTvls: { Polygon: 129 } };
    api.on('/llama/protocol/aave', { json: body });
    api.on('/llama/protocol/no-such-protocol', { status: 400, body: 'Protocol is not in our database' });
    await withServices({}, async (s) => {
      const [summary] = await s.client.call('collect.run', { source: 'tvl' });
      expect(summary?.items).toBe(30);
      expect(summary?.details.failed).toEqual([expect.objectContaining({ assetId: 'P2', code: 'NOT_FOUND', message: expect.stringContaining('no-such-protocol') })]);
      const rows = s.core.store.db.prepare(`SELECT day, tvl, tvl_polygon FROM onchain_metrics WHERE asset_id = 'P1' AND source = 'defillama' ORDER BY day`).all();
      // The point at 2024-01-01 00:00 is the TVL at the start of that day: the close of 2023-12-31. The running day is left out.
      expect(rows[0]).toEqual({ day: '2023-12-31', tvl: 1000, tvl_polygon: 100 });
      expect(rows).toHaveLength(30);
    });
  }, 120_000);
});
