/**
 * Conformance: the chain collector against a real local node behind a fake provider that
 * refuses wide eth_getLogs ranges and long batches exactly as Alchemy, Infura, QuickNode, geth,
 * Bor and Erigon do (see fake-rpc.ts). Each mode must still reproduce the token's known history,
 * computed from the transfers the test sent, with the collector's default range (2000 blocks,
 * far above the caps here) and default batch size (100).
 */
import { formatUnits } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnchainDay } from '../../src/shared/contract/collect';
import path from 'node:path';
import { createServices, DB_FILE_NAME } from '../../src/main/services';
import { loadConfig } from '../../src/main/services/config/config';
import { createLogger } from '../../src/main/services/log/logger';
import { openSqlite } from '../../src/main/services/storage/sqlite';
import { createTestServices } from '../helpers/app';
import { tempDataDir } from '../helpers/services';
import { deployToken, expectedAggregates, prng, startHardhatNode, TransferSimulator, type Node } from './chain-helpers';
import { startFakeRpc, type FakeMode } from './fake-rpc';

const DAY0 = Date.parse('2024-03-01T00:00:00Z') / 1000;
const HOUR = 3600;

describe('chain collector through providers that refuse wide ranges and long batches', () => {
  let node: Node;
  let token: string;
  let sim: TransferSimulator;

  beforeAll(async () => {
    node = await startHardhatNode();
    token = await deployToken(node, 'PT', 18);
    sim = new TransferSimulator(node, token, prng(7), 60);
    for (let d = 0; d < 3; d++) for (const at of [HOUR, 9 * HOUR, 17 * HOUR, 86_399]) await sim.mineBlock(DAY0 + d * 86_400 + at, 60);
    // Past the default 64-block confirmation depth.
    await sim.mineEmpty(70, DAY0 + 3 * 86_400 + HOUR);
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
  });

  async function collectThrough(mode: FakeMode, opts: Parameters<typeof startFakeRpc>[2] = {}): Promise<{ days: OnchainDay[]; stats: Awaited<ReturnType<typeof startFakeRpc>>['stats']; networkDays: number }> {
    const fake = await startFakeRpc(node.url, mode, opts);
    const { services, cleanup } = await createTestServices({ rpcUrl: fake.url, chainId: 31337, autoImport: false });
    try {
      await services.client.call('collect.run', { source: 'chain', tokens: [token], fromBlock: 0 });
      const days = (await services.client.call('collect.onchainMetrics', { token })).days;
      const networkDays = (await services.client.call('collect.networkMetrics', {})).length;
      return { days, stats: fake.stats, networkDays };
    } finally {
      await cleanup();
      await fake.close();
    }
  }

  function expectHistory(days: OnchainDay[]): void {
    const expected = expectedAggregates(sim.sent);
    expect(days.map((d) => d.day)).toEqual(expected.map((e) => e.day));
    for (const [i, e] of expected.entries()) {
      const a = days[i] as OnchainDay;
      expect([a.transfers, a.active_addresses, a.new_holders, a.holders]).toEqual([e.transfers, e.active_addresses, e.new_holders, e.holders]);
      expect(a.volume).toBeCloseTo(Number(formatUnits(e.volume, 18)), 6);
    }
  }

  // A span cap: refused once, the cap remembered (from the message or the suggestion), never asked wider again.
  it.each([
    ['Alchemy free tier (-32600, up to a 5 block range, suggested range): uses the suggestion, remembers the cap, never asks wider again', 'alchemy-range', 5],
    ['Infura today (-32602 "range N exceeds limit of 4")', 'infura-range', 4],
    ['QuickNode free tier (HTTP 413, -32614 "eth_getLogs is limited to a 5 range")', 'quicknode', 5],
  ] as const)('%s', async (_title, mode, maxSpan) => {
    const r = await collectThrough(mode, { maxSpan });
    expectHistory(r.days);
    expect(r.stats.refusedRanges).toBe(1);
    expect(r.stats.widestLogSpan).toBeLessThanOrEqual(5);
  }, 120_000);

  // A cap on the answer's size, not the span: narrower ranges until the answer fits.
  it.each([
    ['Alchemy response-size cap (-32602 "Log response size exceeded" with a range that fits)', 'alchemy-size'],
    ['Infura documented (-32005 "query returned more than N results. Try with this block range [..]")', 'infura-results'],
  ] as const)('%s', async (_title, mode) => {
    const r = await collectThrough(mode, { maxLogs: 150 });
    expectHistory(r.days);
    expect(r.stats.refusedRanges).toBeGreaterThan(0);
  }, 120_000);

  it('asks for the next range before the headers of the current one have come back, so the provider is never idle waiting on that round trip', async () => {
    // Ranges of 5 blocks (four below the confirmation depth) whose header batches each take 150 ms to come back.
    const r = await collectThrough('quicknode', { maxSpan: 5, holdHeadersMs: 150 });
    expectHistory(r.days);
    // Every range but the last has its successor's eth_getLogs in flight beside its headers (one after the other: none).
    expect(r.stats.headersBesideLogs).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('a bare -32602 "invalid params" over 6 blocks: halves until it passes, then keeps the span that worked', async () => {
    const r = await collectThrough('bare', { maxSpan: 6 });
    expectHistory(r.days);
    // 2000 → 1000 → ... → 7 refused (9 halvings) until 3 passes; then never refused again.
    expect(r.stats.refusedRanges).toBeLessThanOrEqual(10);
    expect(r.stats.widestLogSpan).toBeLessThanOrEqual(6);
  }, 120_000);

  // A batch cap: the batch shrinks (geth/Bor halve: 100 → 50 → 25 → 12 → 6; Erigon states its limit) and stays small.
  it.each([
    ['geth/Bor batch limit (one-element "batch too large" array): shrinks the batch, remembers it', 'geth-batch', 10, 5],
    ['Erigon batch limit ("batch limit 3 exceeded: N requests given"): takes the stated limit at once', 'erigon-batch', 3, 1],
  ] as const)('%s', async (_title, mode, maxBatch, mostRefusals) => {
    const r = await collectThrough(mode, { maxBatch });
    expectHistory(r.days);
    expect(r.networkDays).toBeGreaterThan(0);
    expect(r.stats.refusedBatches).toBeGreaterThan(0);
    expect(r.stats.refusedBatches).toBeLessThanOrEqual(mostRefusals);
  }, 120_000);

  it('keeps learnt limits per provider: a second collector on the same database asks within them at once, and the URL is not stored', async () => {
    const db = tempDataDir('defimon-limits');
    const run = async (url: string): Promise<void> => {
      // Each instance walks the whole history again (token and network checkpoints and balances forgotten); learnt limits stay.
      const db0 = openSqlite({ file: path.join(db.dir, DB_FILE_NAME) });
      db0.db.exec("DELETE FROM collector_checkpoints WHERE collector = 'chain'; DELETE FROM token_balances");
      db0.close();
      const services = await createServices(loadConfig({ overrides: { dataDir: db.dir, rpcUrl: url, chainId: 31337, autoImport: false, bundledModel: false, logLevel: 'silent' }, env: {} }), { logger: createLogger({ dataDir: db.dir, level: 'silent', toStderr: false }) });
      try {
        await services.client.call('collect.run', { source: 'chain', tokens: [token], fromBlock: 0 });
        expectHistory((await services.client.call('collect.onchainMetrics', { token })).days);
      } finally {
        await services.close();
      }
    };
    const ranges = await startFakeRpc(node.url, 'quicknode', { maxSpan: 5 });
    const batches = await startFakeRpc(node.url, 'geth-batch', { maxBatch: 10 });
    try {
      const rangeUrl = `${ranges.url}/key/a0b1c2d3e4f5a6b7c8d9`;
      const batchUrl = `${batches.url}/key/f9e8d7c6b5a4f3e2d1c0`;
      await run(rangeUrl);
      expect(ranges.stats.refusedRanges).toBe(1);
      await run(batchUrl);
      const refusedBatches = batches.stats.refusedBatches;
      expect(refusedBatches).toBeGreaterThan(0);

      // Restarted collectors on the same database: no refusal at all this time.
      await run(rangeUrl);
      expect(ranges.stats.refusedRanges).toBe(1);
      expect(ranges.stats.widestLogSpan).toBeLessThanOrEqual(5);
      await run(batchUrl);
      expect(batches.stats.refusedBatches).toBe(refusedBatches);
      expect(batches.stats.largestBatch).toBeGreaterThan(1);

      // One row per provider, keyed by a hash; neither URL nor key anywhere in the table.
      const store = openSqlite({ file: path.join(db.dir, DB_FILE_NAME) });
      const rows = store.db.prepare("SELECT scope, state FROM collector_checkpoints WHERE collector = 'rpc-limits' ORDER BY scope").all() as { scope: string; state: string }[];
      store.close();
      expect(rows).toHaveLength(2);
      expect(rows.map((r) => JSON.parse(r.state) as { maxLogRange: number | null; maxBatch: number | null }).map((s) => [s.maxLogRange, s.maxBatch !== null]).sort()).toEqual([[5, false], [null, true]].sort());
      for (const r of rows) for (const secret of ['a0b1c2d3e4f5a6b7c8d9', 'f9e8d7c6b5a4f3e2d1c0', '127.0.0.1']) expect(r.scope + r.state).not.toContain(secret);
    } finally {
      await ranges.close();
      await batches.close();
      db.remove();
    }
  }, 180_000);

  it("the audit's chain reads by address go through the collectors' RPC client and its limiter", async () => {
    const fake = await startFakeRpc(node.url, 'none');
    const { services, cleanup } = await createTestServices({ rpcUrl: fake.url, chainId: 31337, autoImport: false });
    try {
      const report = await services.client.call('audit.address', { address: token, chainId: 31337 });
      expect(report.bytecode?.codeSize).toBeGreaterThan(0);
      const rpc = (await services.client.call('collect.status', {})).providers.find((p) => p.provider === 'rpc');
      expect(rpc?.calls).toBeGreaterThan(0);
      expect(fake.stats.requests).toBe(rpc?.calls);
    } finally {
      await cleanup();
      await fake.close();
    }
  }, 60_000);
});
