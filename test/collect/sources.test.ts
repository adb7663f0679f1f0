/**
 * Every HTTP source against a local server speaking its documented response format, including
 * its error and rate-limit answers: Etherscan API V2, CoinGecko, DefiLlama, GitHub REST and a
 * Hugging Face feature-extraction endpoint (with the offline TF-IDF fallback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchVerifiedContract } from '../../src/main/services/collect/explorer';
import type { Services } from '../../src/main/services';
import { createMemoryCache } from '../../src/main/services/kernel/ports';
import { createTestServices } from '../helpers/app';
import { startApiServer, type ApiServer, type Reply } from './api-server';

const A = {
  single: '0x1111111111111111111111111111111111111111',
  multi: '0x2222222222222222222222222222222222222222',
  std: '0x3333333333333333333333333333333333333333',
  unverified: '0x4444444444444444444444444444444444444444',
  badKey: '0x5555555555555555555555555555555555555555',
  impl: '0x6666666666666666666666666666666666666666',
  drift: '0x7777777777777777777777777777777777777777',
};
const ABI = JSON.stringify([{ type: 'function', name: 'x', inputs: [], outputs: [], stateMutability: 'view' }]);
const item = (over: Record<string, string>) => ({
  SourceCode: '',
  ABI: 'Contract source code not verified',
  ContractName: '',
  CompilerVersion: '',
  OptimizationUsed: '',
  Runs: '',
  ConstructorArguments: '',
  EVMVersion: 'Default',
  Library: '',
  LicenseType: '',
  Proxy: '0',
  Implementation: '',
  SwarmSource: '',
  ...over,
});

function etherscan(rateLimitedOnce: Set<string>): (req: { url: URL }) => Reply {
  return (req) => {
    const q = req.url.searchParams;
    if (q.get('chainid') !== '137') return { json: { status: '0', message: 'NOTOK', result: 'Missing or unsupported chainid parameter' } };
    const address = (q.get('address') ?? q.get('contractaddresses') ?? '').toLowerCase();
    if (address === A.badKey) return { json: { status: '0', message: 'NOTOK', result: 'Invalid API Key (#err2)|x' } };
    if (q.get('action') === 'getcontractcreation') {
      if (address === A.unverified) return { json: { status: '0', message: 'No data found', result: [] } };
      return { json: { status: '1', message: 'OK', result: [{ contractAddress: address, contractCreator: '0xAbCdEf0000000000000000000000000000000001', txHash: '0xDEAD000000000000000000000000000000000000000000000000000000000001', blockNumber: '123', timestamp: '1700000000' }] } };
    }
    if (!rateLimitedOnce.has(address)) {
      rateLimitedOnce.add(address);
      return { json: { status: '0', message: 'NOTOK', result: 'Max calls per sec rate limit reached (5/sec)' } };
    }
    const common = { ABI, CompilerVersion: 'v0.8.20+commit.a1b79de6', OptimizationUsed: '1', Runs: '200', LicenseType: 'MIT' };
    if (address === A.single) return { json: { status: '1', message: 'OK', result: [item({ ...common, ContractName: 'Single', SourceCode: 'pragma solidity ^0.8.20;\ncontract Single {}' })] } };
    if (address === A.multi) return { json: { status: '1', message: 'OK', result: [item({ ...common, ContractName: 'Multi', EVMVersion: 'Paris', SourceCode: JSON.stringify({ 'contracts/Multi.sol': { content: 'import "./Lib.sol"; contract Multi {}' }, 'contracts/Lib.sol': { content: 'library Lib {}' } }) })] } };
    if (address === A.std) {
      const std = { language: 'Solidity', sources: { 'src/Proxy.sol': { content: 'contract Proxy {}' } }, settings: { optimizer: { enabled: true, runs: 999 }, evmVersion: 'shanghai' } };
      return { json: { status: '1', message: 'OK', result: [item({ ...common, ContractName: 'Proxy', Proxy: '1', Implementation: A.impl.toUpperCase().replace('0X', '0x'), SourceCode: `{${JSON.stringify(std)}}` })] } };
    }
    if (address === A.drift) return { json: { status: '1', message: 'OK', result: [{ SourceCode: 'contract X {}', ABI }] } };
    return { json: { status: '1', message: 'OK', result: [item({})] } };
  };
}

const DAY = 86_400_000;
const START = Date.parse('2024-01-01T00:00:00Z');

function marketChart(days: number, priceAt: (i: number) => number): unknown {
  const points = (f: (i: number) => number) => [...Array.from({ length: days }, (_, i) => [START + (i + 1) * DAY, f(i)]), [START + days * DAY + 3_600_000, f(days)]];
  return { prices: points(priceAt), market_caps: points((i) => priceAt(i) * 1e6), total_volumes: points((i) => 1000 + i) };
}

describe('HTTP sources against local servers speaking their formats', () => {
  let api: ApiServer;
  let services: Services;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    // The plans' real rates would make this file wait minutes; the buckets are tested in http.test.ts.
    api = await startApiServer();
    const t = await createTestServices({
      collect: { rates: { coingecko: 100, github: 100, etherscan: 100, rpc: 25, defillama: 100 } },
      autoImport: false,
      etherscanApiKey: 'TESTKEY123',
      etherscanBaseUrl: `${api.url}/v2/api`,
      coingeckoBaseUrl: `${api.url}/cg`,
      defillamaBaseUrl: `${api.url}/llama`,
      githubBaseUrl: `${api.url}/gh`,
    });
    services = t.services;
    cleanup = t.cleanup;
    const now = new Date().toISOString();
    services.core.store.write('crypto_assets', [
      { asset_id: 'AAA', symbol: 'AAA', name: 'Aaa Lending', category: 'lending', description: 'decentralised lending and borrowing market for stablecoins', coingecko_id: 'aaa', defillama_slug: 'aaa-fi', github_org: 'aaaorg', chain_id: 137, address: A.single, source: 'test', updated_at: now },
      { asset_id: 'BBB', symbol: 'BBB', name: 'Bbb Swap', category: 'dex', description: 'automated market maker exchange for token swaps and liquidity pools', coingecko_id: 'bbb', defillama_slug: 'bbb', source: 'test', updated_at: now },
      { asset_id: 'CCC', symbol: 'CCC', name: 'Ccc Loans', category: 'lending', description: 'lending market for borrowing stablecoins against collateral', source: 'test', updated_at: now },
    ]);
  });
  afterAll(async () => {
    await cleanup();
    await api.close();
  });

  it('explorer: stores single-file, multi-file and standard-JSON sources, creator and proxy; retries the rate-limit body', async () => {
    api.handle('/v2/api', etherscan(new Set()));
    // A row from the bundled contract list (name and role, no source) does not stand in for a fetch.
    services.core.store.write('smart_contracts', [{ chain_id: 137, address: A.single, protocol: 'Aaa', role: 'token', name: 'Aaa token', source_ref: 'bundled', updated_at: new Date().toISOString() }]);
    const single = await services.client.call('collect.contract', { address: A.single });
    expect(single).toMatchObject({ verified: true, name: 'Single', sourceFormat: 'single-file', source: 'pragma solidity ^0.8.20;\ncontract Single {}', creator: '0xabcdef0000000000000000000000000000000001', creationTx: '0xdead000000000000000000000000000000000000000000000000000000000001', isProxy: false, compilerVersion: 'v0.8.20+commit.a1b79de6' });
    expect(JSON.parse(single.abi ?? 'null')).toEqual(JSON.parse(ABI));
    expect(services.core.store.db.prepare('SELECT protocol, role FROM smart_contracts WHERE address = ?').get(A.single)).toEqual({ protocol: 'Aaa', role: 'token' });
    expect(JSON.parse(single.compilerSettings ?? '{}')).toMatchObject({ optimizer: { enabled: true, runs: 200 } });
    expect(api.requests.every((r) => r.url.searchParams.get('apikey') === 'TESTKEY123')).toBe(true);

    const multi = await services.client.call('collect.contract', { address: A.multi });
    expect(multi.sourceFormat).toBe('multi-file');
    const std = JSON.parse(multi.source ?? '{}') as { language: string; sources: Record<string, { content: string }>; settings: { optimizer: unknown; evmVersion: string } };
    expect(std.language).toBe('Solidity');
    expect(Object.keys(std.sources).sort()).toEqual(['contracts/Lib.sol', 'contracts/Multi.sol']);
    expect(std.settings).toEqual({ optimizer: { enabled: true, runs: 200 }, evmVersion: 'paris' });

    const proxy = await fetchVerifiedContract({ core: services.core, address: A.std });
    expect(proxy).toMatchObject({ sourceFormat: 'standard-json', isProxy: true, implementation: A.impl });
    expect(JSON.parse(proxy.source ?? '{}')).toEqual({ language: 'Solidity', sources: { 'src/Proxy.sol': { content: 'contract Proxy {}' } }, settings: { optimizer: { enabled: true, runs: 999 }, evmVersion: 'shanghai' } });

    const unverified = await fetchVerifiedContract({ core: services.core, address: A.unverified });
    expect(unverified).toMatchObject({ verified: false, source: null, abi: null, creator: null });
    // Stored, so a second read does not call the explorer.
    const calls = api.count('/v2/api');
    expect((await services.client.call('collect.contract', { address: A.single })).name).toBe('Single');
    expect(api.count('/v2/api')).toBe(calls);
  });

  it('explorer: an invalid key or a drifted answer is a clear error and stores nothing', async () => {
    api.handle('/v2/api', etherscan(new Set([A.badKey, A.drift])));
    await expect(services.client.call('collect.contract', { address: A.badKey })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('Invalid API Key') });
    await expect(services.client.call('collect.contract', { address: A.drift })).rejects.toMatchObject({ code: 'MALFORMED_DATA' });
    const n = services.core.store.db.prepare('SELECT count(*) AS n FROM smart_contracts WHERE address IN (?, ?)').get(A.badKey, A.drift) as { n: number };
    expect(n.n).toBe(0);
    await expect(services.client.call('collect.contract', { address: 'not-an-address' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('explorer run: token info when the plan offers it (fills missing decimals), skipped when it is API Pro only', async () => {
    let offered = false;
    const base = etherscan(new Set([A.single]));
    api.handle('/v2/api', (req) => {
      if (req.url.searchParams.get('action') !== 'tokeninfo') return base(req);
      if (!offered) return { json: { status: '0', message: 'NOTOK', result: 'Sorry, it looks like you are trying to access an API Pro endpoint. Contact us to upgrade to API Pro.' } };
      return { json: { status: '1', message: 'OK', result: [{ contractAddress: A.single, tokenName: 'Aaa Token', symbol: 'AAA', divisor: '6', tokenType: 'ERC20', totalSupply: '1000', description: 'ignored: the registry has one', website: '' }] } };
    });
    const [notOffered] = await services.client.call('collect.run', { source: 'explorer', addresses: [A.single] });
    expect(notOffered?.details).toMatchObject({ contracts: 1, verified: 1, tokenInfo: 'not offered', failed: [] });
    offered = true;
    const [run2] = await services.client.call('collect.run', { source: 'explorer', addresses: [A.single] });
    expect(run2?.details.tokenInfo).toBe('offered');
    expect(services.core.store.db.prepare(`SELECT decimals, description FROM crypto_assets WHERE asset_id = 'AAA'`).get()).toEqual({ decimals: 6, description: 'decentralised lending and borrowing market for stablecoins' });
  });

  it('market: daily closes from market_chart (stamps moved to the closed day), computed volatility, 429 retried, a negative price flagged', async () => {
    api.on('/cg/coins/aaa/market_chart', { json: marketChart(40, (i) => 10 + Math.sin(i) * 2) });
    api.on('/cg/coins/bbb/market_chart', { status: 429, headers: { 'retry-after': '0' }, json: { status: { error_code: 429, error_message: "You've exceeded the Rate Limit." } } }, { json: marketChart(10, (i) => (i === 4 ? -1 : 5)) });
    const [summary] = await services.client.call('collect.run', { source: 'market' });
    expect(summary?.items).toBe(50);
    const rows = services.core.store.db.prepare(`SELECT day, close, volume_usd, market_cap, volatility_30d FROM financial_metrics WHERE asset_id = 'AAA' AND source = 'coingecko' ORDER BY day`).all() as { day: string; close: number; volume_usd: number; volatility_30d: number | null }[];
    expect(rows).toHaveLength(40);
    expect(rows[0]).toMatchObject({ day: '2024-01-01', close: 10, volume_usd: 1000 });
    expect(rows[39]?.day).toBe('2024-02-09');
    expect(rows.slice(0, 30).every((r) => r.volatility_30d === null)).toBe(true);
    const closes = rows.map((r) => r.close);
    const rets = closes.slice(1).map((c, i) => Math.log(c / (closes[i] as number))).slice(-30);
    const mean = rets.reduce((s, r) => s + r, 0) / rets.length;
    const sd = Math.sqrt(rets.reduce((s, r) => s + (r - mean) ** 2, 0) / (rets.length - 1));
    expect(rows[39]?.volatility_30d).toBeCloseTo(sd * Math.sqrt(365), 9);
    expect(api.count('/cg/coins/bbb/market_chart')).toBe(2);
    const status = await services.client.call('collect.status', {});
    expect(status.quality.some((q) => q.check === 'negative_price' && q.rowKey === 'BBB|2024-01-05')).toBe(true);
    expect(status.providers.find((p) => p.provider === 'coingecko')?.retries).toBe(1);
  });

  it('market: schema drift for one asset is reported and stores nothing for it; all failing is a recorded error', async () => {
    const before = (services.core.store.db.prepare(`SELECT count(*) AS n FROM financial_metrics WHERE asset_id = 'BBB'`).get() as { n: number }).n;
    api.on('/cg/coins/aaa/market_chart', { json: marketChart(41, () => 11) });
    api.on('/cg/coins/bbb/market_chart', { json: { prices: [[START, 'five']], market_caps: [], total_volumes: [] } });
    // Same URLs as before: a fresh response cache makes these go upstream.
    services.core.ports.cache = createMemoryCache();
    const [summary] = await services.client.call('collect.run', { source: 'market', assets: ['AAA', 'BBB'] });
    expect(summary?.details.failed).toEqual([expect.objectContaining({ assetId: 'BBB', code: 'MALFORMED_DATA' })]);
    expect((services.core.store.db.prepare(`SELECT count(*) AS n FROM financial_metrics WHERE asset_id = 'BBB'`).get() as { n: number }).n).toBe(before);
    api.on('/cg/coins/bbb/market_chart', { body: '<html>502 Bad Gateway</html>' });
    services.core.ports.cache = createMemoryCache();
    await expect(services.client.call('collect.run', { source: 'market', assets: ['BBB'] })).rejects.toMatchObject({ code: 'UPSTREAM' });
    const st = (await services.client.call('collect.status', {})).sources.find((s) => s.source === 'market');
    expect(st?.lastError?.message).toContain('not valid JSON');
  });

  it('tvl: DefiLlama protocol TVL, total and Polygon, per day', async () => {
    const tvl = (base: number) => Array.from({ length: 5 }, (_, i) => ({ date: START / 1000 + i * 86_400, totalLiquidityUSD: base + i }));
    api.on('/llama/protocol/aaa-fi', { json: { id: '1', name: 'Aaa', tvl: tvl(1000), chainTvls: { Polygon: { tvl: tvl(100) }, Ethereum: { tvl: tvl(900) }, 'Polygon-borrowed': { tvl: tvl(5) } }, currentChainTvls: { Polygon: 104 } } });
    api.on('/llama/protocol/bbb', { json: { id: '2', name: 'Bbb', tvl: tvl(50), chainTvls: { Ethereum: { tvl: tvl(50) } } } });
    const [summary] = await services.client.call('collect.run', { source: 'tvl' });
    expect(summary?.items).toBe(10);
    const rows = services.core.store.db.prepare(`SELECT asset_id, day, tvl, tvl_polygon FROM onchain_metrics WHERE source = 'defillama' ORDER BY asset_id, day`).all();
    // A point at D 00:00 is the TVL at the start of D, i.e. at the close of D-1 (the market data's day convention).
    expect(rows[0]).toEqual({ asset_id: 'AAA', day: '2023-12-31', tvl: 1000, tvl_polygon: 100 });
    expect(rows[9]).toEqual({ asset_id: 'BBB', day: '2024-01-04', tvl: 54, tvl_polygon: null });
    // Idempotent.
    await services.client.call('collect.run', { source: 'tvl' });
    expect(services.core.store.db.prepare(`SELECT count(*) AS n FROM onchain_metrics WHERE source = 'defillama'`).get()).toEqual({ n: 10 });
  });

  it('github: statistics still being computed (202) are reported; a full page leaves out its partly covered oldest week', async () => {
    const now = new Date().toISOString();
    services.core.store.write('crypto_assets', [{ asset_id: 'DDD', symbol: 'DDD', name: 'Ddd', github_org: 'dddorg', source: 'test', updated_at: now }]);
    api.on('/gh/users/dddorg/repos', { json: [{ full_name: 'dddorg/x', stargazers_count: 1, forks_count: 0 }] });
    api.on('/gh/repos/dddorg/x', { json: { full_name: 'dddorg/x', stargazers_count: 1, forks_count: 0 } });
    api.on('/gh/repos/dddorg/x/stats/commit_activity', { status: 202, json: {} });
    api.on('/gh/repos/dddorg/x/stats/contributors', { status: 202, json: {} });
    // 100 PRs, newest first, one a day from 2024-04-30 back to 2024-01-22 (a Monday).
    const pulls = Array.from({ length: 100 }, (_, i) => ({ number: 100 - i, created_at: new Date(Date.parse('2024-04-30T12:00:00Z') - i * 86_400_000).toISOString(), merged_at: null }));
    api.on('/gh/repos/dddorg/x/pulls', { json: pulls });
    api.on('/gh/repos/dddorg/x/issues', { json: [] });
    const [summary] = await services.client.call('collect.run', { source: 'github', assets: ['DDD'] });
    expect(summary?.details.pending).toEqual(['dddorg/x: commit activity', 'dddorg/x: contributors']);
    const weeks = services.core.store.db.prepare(`SELECT week_start, prs_opened FROM github_metrics WHERE repo = 'dddorg/x' AND prs_opened IS NOT NULL ORDER BY week_start`).all() as { week_start: string; prs_opened: number }[];
    expect(weeks[0]).toEqual({ week_start: '2024-01-29', prs_opened: 7 });
    expect(weeks.reduce((n, w) => n + w.prs_opened, 0)).toBe(100 - 7);
  });

  it('github: weekly commits re-bucketed to Monday weeks, authors, PRs, issues, stars; a 403 rate limit is recorded and stores nothing', async () => {
    const sun = Date.parse('2024-03-03T00:00:00Z') / 1000; // a Sunday, as GitHub's weeks start
    api.on('/gh/users/aaaorg/repos', { json: [{ full_name: 'aaaorg/core', stargazers_count: 10, forks_count: 2, archived: false }, { full_name: 'aaaorg/old', stargazers_count: 99, forks_count: 1, archived: true }] });
    api.on('/gh/repos/aaaorg/core', { json: { full_name: 'aaaorg/core', stargazers_count: 10, forks_count: 2 } });
    api.on('/gh/repos/aaaorg/core/stats/commit_activity', { json: [{ week: sun, total: 6, days: [1, 2, 0, 0, 0, 0, 3] }, { week: sun + 7 * 86_400, total: 0, days: [0, 0, 0, 0, 0, 0, 0] }] });
    api.on('/gh/repos/aaaorg/core/stats/contributors', { json: [{ author: { login: 'alice' }, total: 5, weeks: [{ w: sun, a: 1, d: 0, c: 4 }] }, { author: { login: 'bob' }, total: 2, weeks: [{ w: sun, a: 1, d: 0, c: 2 }, { w: sun + 7 * 86_400, a: 0, d: 0, c: 0 }] }] });
    api.on('/gh/repos/aaaorg/core/pulls', { json: [{ number: 2, created_at: '2024-03-05T10:00:00Z', merged_at: '2024-03-12T10:00:00Z' }, { number: 1, created_at: '2024-03-04T10:00:00Z', merged_at: null }] });
    api.on('/gh/repos/aaaorg/core/issues', { json: [{ number: 3, created_at: '2024-03-06T10:00:00Z', closed_at: '2024-03-07T00:00:00Z' }, { number: 2, created_at: '2024-03-05T10:00:00Z', closed_at: null, pull_request: { url: 'x' } }] });
    const [summary] = await services.client.call('collect.run', { source: 'github', assets: ['AAA'] });
    expect(summary?.items).toBeGreaterThan(0);
    const rows = services.core.store.db.prepare(`SELECT week_start, commits, distinct_authors, prs_opened, prs_merged, issues_opened, issues_closed, stars, forks, contributors FROM github_metrics WHERE repo = 'aaaorg/core' ORDER BY week_start`).all() as Record<string, number | string | null>[];
    const byWeek = new Map(rows.map((r) => [r.week_start, r]));
    expect(byWeek.get('2024-02-26')).toMatchObject({ commits: 1 });
    expect(byWeek.get('2024-03-04')).toMatchObject({ commits: 5, distinct_authors: 2, prs_opened: 2, issues_opened: 1, issues_closed: 1 });
    expect(byWeek.get('2024-03-11')).toMatchObject({ commits: 0, prs_merged: 1 });
    const current = rows.find((r) => r.stars !== null);
    expect(current).toMatchObject({ stars: 10, forks: 2, contributors: 2 });
    expect(api.requests.some((r) => r.path === '/gh/repos/aaaorg/old')).toBe(false);

    const before = services.core.store.db.prepare(`SELECT * FROM github_metrics ORDER BY week_start`).all();
    api.on('/gh/repos/aaaorg/core/stats/commit_activity', { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '60', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) }, json: { message: 'API rate limit exceeded for 127.0.0.1.' } });
    api.on('/gh/repos/aaaorg/core', { json: { full_name: 'aaaorg/core', stargazers_count: 12, forks_count: 3 } });
    // The response cache would answer the repeat; a fresh cache shows the 403 path.
    services.core.ports.cache = createMemoryCache();
    await expect(services.client.call('collect.run', { source: 'github', assets: ['AAA'] })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(services.core.store.db.prepare(`SELECT * FROM github_metrics ORDER BY week_start`).all()).toEqual(before);
    const st = await services.client.call('collect.status', {});
    expect(st.sources.find((s) => s.source === 'github')?.lastError?.code).toBe('RATE_LIMITED');
    expect(st.providers.find((p) => p.provider === 'github')).toMatchObject({ remaining: 0, limit: 60 });
  });

  it('similarity: TF-IDF offline, embeddings from the inference endpoint when configured (cached)', async () => {
    const [offline] = await services.client.call('collect.run', { source: 'hf' });
    expect(offline?.details.method).toBe('tfidf');
    const top = services.core.store.db.prepare(`SELECT competitor_id FROM competitor_analysis WHERE asset_id = 'AAA' AND method = 'tfidf' ORDER BY similarity DESC LIMIT 1`).get() as { competitor_id: string };
    expect(top.competitor_id).toBe('CCC');
    // Again on the same descriptions: nothing changed, so nothing is written (no row gets a new
    // stamp, and sync has nothing to share).
    const db = services.core.store.db;
    const pairs = (): unknown[] => db.prepare(`SELECT * FROM competitor_analysis WHERE method = 'tfidf' ORDER BY asset_id, competitor_id`).all();
    const firstRows = pairs();
    // The outbox keeps one entry per key; a rewrite moves it to a new seq.
    const queued = (): number => (db.prepare(`SELECT coalesce(max(seq), 0) AS n FROM sync_outbox WHERE tbl = 'competitor_analysis'`).get() as { n: number }).n;
    const queuedBefore = queued();
    await new Promise((r) => setTimeout(r, 5));
    const [again] = await services.client.call('collect.run', { source: 'hf' });
    expect(again?.details).toMatchObject({ method: 'tfidf', changed: 0, removed: 0 });
    expect(pairs()).toEqual(firstRows);
    expect(queued()).toBe(queuedBefore);
    // A description that changes moves the similarities it touches: those rows are written anew.
    db.prepare(`UPDATE crypto_assets SET description = 'automated market maker exchange for token swaps' WHERE asset_id = 'CCC'`).run();
    const [changed] = await services.client.call('collect.run', { source: 'hf' });
    expect(changed?.details.changed).toBeGreaterThan(0);
    const after = pairs() as { asset_id: string; competitor_id: string; similarity: number; computed_at: string }[];
    const was = new Map((firstRows as typeof after).map((r) => [`${r.asset_id}>${r.competitor_id}`, r]));
    for (const r of after) {
      const old = was.get(`${r.asset_id}>${r.competitor_id}`);
      if (old && old.similarity === r.similarity) expect(r.computed_at).toBe(old.computed_at);
      else expect(r.computed_at > (old?.computed_at ?? '')).toBe(true);
    }
    expect((db.prepare(`SELECT competitor_id FROM competitor_analysis WHERE asset_id = 'CCC' AND method = 'tfidf' ORDER BY similarity DESC LIMIT 1`).get() as { competitor_id: string }).competitor_id).toBe('BBB');

    const hf = await createTestServices({ autoImport: false, hfEndpointUrl: `${api.url}/hf/embed`, hfToken: 'hf_testtoken' });
    try {
      const now = new Date().toISOString();
      hf.services.core.store.write('crypto_assets', [
        { asset_id: 'XA', symbol: 'XA', name: 'lending one', source: 'test', updated_at: now },
        { asset_id: 'XB', symbol: 'XB', name: 'lending two', source: 'test', updated_at: now },
        { asset_id: 'XC', symbol: 'XC', name: 'swap three', source: 'test', updated_at: now },
      ]);
      api.handle('/hf/embed', (req) => {
        const text = (JSON.parse(req.body) as { inputs: string }).inputs;
        return { json: text.startsWith('lending') ? [1, 0.1, 0, 0, 0, 0, 0, 0] : [0, 0, 1, 0.2, 0, 0, 0, 0] };
      });
      const [first] = await hf.services.client.call('collect.run', { source: 'hf' });
      expect(first?.details.method).toMatch(/^hf:/);
      expect(api.count('/hf/embed')).toBe(3);
      expect(api.requests.find((r) => r.path === '/hf/embed')?.headers.authorization).toBe('Bearer hf_testtoken');
      const sim = hf.services.core.store.db.prepare(`SELECT competitor_id, similarity FROM competitor_analysis WHERE asset_id = 'XA' ORDER BY similarity DESC`).all() as { competitor_id: string; similarity: number }[];
      expect(sim[0]).toMatchObject({ competitor_id: 'XB', similarity: 1 });
      await hf.services.client.call('collect.run', { source: 'hf' });
      expect(api.count('/hf/embed')).toBe(3);
    } finally {
      await hf.cleanup();
    }
  });
});
