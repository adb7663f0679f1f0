/**
 * The chain collector against a real hardhat node: an ERC-20 compiled by solc-js, thousands of
 * transfers (mints, burns, zero-value and multi-recipient transfers) spread over four UTC days,
 * and the expected daily aggregates computed from what the test sent, not by the collector.
 */
import { execFile } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatUnits } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnchainDay } from '../../src/shared/contract/collect';
import { collectDomainOf } from '../../src/main/services/collect';
import { RpcLogs } from '../../src/main/services/collect/chain';
import { createTestServices } from '../helpers/app';
import { REPO_ROOT, tempDataDir } from '../helpers/services';
import { deployToken, expectedAggregates, prng, startHardhatNode, TransferSimulator, type ExpectedDay, type Node } from './chain-helpers';

const run = promisify(execFile);
const DAY0 = Date.parse('2024-03-01T00:00:00Z') / 1000;
const HOUR = 3600;

/** A JSON-RPC relay to the node that, once told to hold, keeps log requests waiting until `gate` settles. */
async function gatedNode(target: string, gate: Promise<void>): Promise<{ url: string; hold: () => void; close: () => Promise<void> }> {
  let holding = false;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const held = holding && body.includes('"eth_getLogs"') ? gate : Promise.resolve();
      void held
        .then(() => fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
        .then(async (r) => {
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(await r.text());
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: () => void (holding = true),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A JSON-RPC relay to the node that passes each eth_getLogs answer holding logs through `alter` (the first log of the answer). */
async function alteringNode(target: string, alter: (log: Record<string, unknown>) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      void fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (r) => {
          let text = await r.text();
          if (body.includes('"eth_getLogs"')) {
            const answer = JSON.parse(text) as { result?: Record<string, unknown>[] };
            const first = answer.result?.[0];
            if (first) alter(first);
            text = JSON.stringify(answer);
          }
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function compare(actual: OnchainDay[], expected: ExpectedDay[], decimals: number): void {
  expect(actual.map((d) => d.day)).toEqual(expected.map((d) => d.day));
  for (const [i, e] of expected.entries()) {
    const a = actual[i] as OnchainDay;
    expect({ day: a.day, transfers: a.transfers, active: a.active_addresses, newHolders: a.new_holders, holders: a.holders }).toEqual({ day: e.day, transfers: e.transfers, active: e.active_addresses, newHolders: e.new_holders, holders: e.holders });
    expect(a.volume).toBeCloseTo(Number(formatUnits(e.volume, decimals)), 6);
    if (e.top10_share === null) expect(a.top10_share).toBeNull();
    else expect(a.top10_share).toBeCloseTo(e.top10_share, 6);
  }
}

describe('chain collector against a local hardhat node', () => {
  let node: Node;
  let token: string;
  let sim: TransferSimulator;
  let head: number;
  const confirmations = 5;
  // Small ranges so the walk crosses many range and day boundaries.
  const collect = { chain: { confirmations, initialRange: 3, maxRange: 8, commitLogs: 300, gasSampleEvery: 1 } };

  beforeAll(async () => {
    node = await startHardhatNode();
    token = await deployToken(node, 'TT', 18);
    sim = new TransferSimulator(node, token, prng(42));
    // Four days; blocks just before and exactly at midnight test the day boundary.
    for (let d = 0; d < 4; d++) {
      const base = DAY0 + d * 86_400;
      for (const at of [HOUR, 5 * HOUR, 11 * HOUR, 17 * HOUR, 86_399]) await sim.mineBlock(base + at, 110);
    }
    await sim.mineBlock(DAY0 + 4 * 86_400, 40);
    await sim.mineEmpty(confirmations + 1, DAY0 + 4 * 86_400 + HOUR);
    head = Number(BigInt(await node.rpc<string>('eth_blockNumber')));
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
  });

  it('aggregates per UTC day exactly as computed from the sent transfers, incrementally and idempotently', async () => {
    expect(sim.sent.length).toBeGreaterThan(3000);
    const { services, cleanup } = await createTestServices({ collect, rpcUrl: node.url, chainId: 31337, autoImport: false });
    try {
      const progress: { done: number; total: number | null; finished: boolean }[] = [];
      const off = services.client.on('progress', (p) => {
        if (p.kind === 'collect:chain') progress.push({ done: p.done, total: p.total, finished: p.finished });
      });
      // First run stops mid-way (inside day 2); the second continues from the checkpoint.
      const mid = 12;
      const first = await services.client.call('collect.run', { source: 'chain', tokens: [token], fromBlock: 0, toBlock: mid });
      expect(first[0]?.details.toBlock).toBe(mid);
      // A known price for one day: that day's volume gets a USD value, the others stay null.
      services.core.store.write('financial_metrics', [{ asset_id: `31337:${token}`, day: '2024-03-02', source: 'coingecko', close: 2.5, updated_at: new Date().toISOString() }]);
      const second = await services.client.call('collect.run', { source: 'chain', tokens: [token] });
      expect(second[0]?.details.toBlock).toBe(head - confirmations);
      off();
      const last = progress.at(-1);
      expect(last?.finished).toBe(true);
      expect(last?.total).not.toBeNull();
      expect(last?.done).toBe(last?.total);

      const metrics = await services.client.call('collect.onchainMetrics', { token });
      compare(metrics.days, expectedAggregates(sim.sent), 18);
      expect(metrics.decimals).toBe(18);
      for (const d of metrics.days) {
        if (d.day === '2024-03-02') expect(d.volume_usd).toBeCloseTo((d.volume ?? 0) * 2.5, 6);
        else expect(d.volume_usd).toBeNull();
      }

      // Running again adds nothing and changes nothing.
      const before = services.core.store.db.prepare(`SELECT asset_id, day, transfers, volume_token, active_addresses, new_holders, holders, top10_share FROM onchain_metrics ORDER BY day`).all();
      const balancesBefore = services.core.store.db.prepare('SELECT count(*) AS n FROM token_balances').get() as { n: number };
      const again = await services.client.call('collect.run', { source: 'chain', tokens: [token] });
      expect(again[0]?.details.logs).toBe(0);
      expect(services.core.store.db.prepare(`SELECT asset_id, day, transfers, volume_token, active_addresses, new_holders, holders, top10_share FROM onchain_metrics ORDER BY day`).all()).toEqual(before);
      expect(services.core.store.db.prepare('SELECT count(*) AS n FROM token_balances').get()).toEqual(balancesBefore);

      // Network per day against the node's own blocks.
      const to = head - confirmations;
      const blocks = (await node.batch(Array.from({ length: to + 1 }, (_, n) => ({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, true] })))) as { timestamp: string; transactions: { gasPrice: string }[]; gasUsed: string; gasLimit: string }[];
      const med = (xs: number[]): number | null => {
        const v = [...xs].sort((a, b) => a - b);
        const m = v.length >> 1;
        return v.length === 0 ? null : v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
      };
      const perDay = new Map<string, { blocks: number; txs: number; used: number; limit: number; gas: number[] }>();
      for (const b of blocks) {
        const day = new Date(Number(BigInt(b.timestamp)) * 1000).toISOString().slice(0, 10);
        const d = perDay.get(day) ?? { blocks: 0, txs: 0, used: 0, limit: 0, gas: [] };
        const blockMedian = med(b.transactions.map((t) => Number(BigInt(t.gasPrice)) / 1e9));
        if (blockMedian !== null) d.gas.push(blockMedian);
        d.blocks++;
        d.txs += b.transactions.length;
        d.used += Number(BigInt(b.gasUsed));
        d.limit += Number(BigInt(b.gasLimit));
        perDay.set(day, d);
      }
      const network = await services.client.call('collect.networkMetrics', {});
      expect(network.map((n) => n.day)).toEqual([...perDay.keys()].sort());
      for (const n of network) {
        const e = perDay.get(n.day);
        expect(n.blocks).toBe(e?.blocks);
        expect(n.transactions).toBe(e?.txs);
        expect(n.utilisation).toBeCloseTo((e?.used ?? 0) / (e?.limit ?? 1), 9);
        const gas = med(e?.gas ?? []);
        if (gas === null) expect(n.median_gas_price_gwei).toBeNull();
        else expect(n.median_gas_price_gwei).toBeCloseTo(gas, 9);
      }
      expect(network.some((n) => (n.median_gas_price_gwei ?? 0) > 0)).toBe(true);

      const status = await services.client.call('collect.status', {});
      const chain = status.sources.find((s) => s.source === 'chain');
      expect(chain?.lastSuccessAt).not.toBeNull();
      expect(chain?.running).toBe(false);
      expect(status.providers.find((p) => p.provider === 'rpc')?.calls).toBeGreaterThan(0);
    } finally {
      await cleanup();
    }
  }, 180_000);

  it('never counts blocks inside the confirmation depth, so a reorg there leaves the aggregates right; a deeper one is refused', async () => {
    const { services, cleanup } = await createTestServices({ collect, rpcUrl: node.url, chainId: 31337, autoImport: false });
    try {
      await services.client.call('collect.run', { source: 'chain', tokens: [token], fromBlock: 0, network: false });
      const t0 = DAY0 + 5 * 86_400;
      const snapshot = await node.rpc<string>('evm_snapshot');
      const saved = { sent: sim.sent.length, balances: new Map(sim.balances) };
      // Fork A: three blocks of transfers, still within the confirmation depth when collected.
      for (let i = 0; i < 3; i++) await sim.mineBlock(t0 + i * HOUR, 60);
      await services.client.call('collect.run', { source: 'chain', tokens: [token], network: false });
      // The reorg: fork A disappears, fork B replaces it and grows past the depth.
      expect(await node.rpc<boolean>('evm_revert', [snapshot])).toBe(true);
      sim.sent.length = saved.sent;
      sim.balances.clear();
      for (const [k, v] of saved.balances) sim.balances.set(k, v);
      for (let i = 0; i < 4; i++) await sim.mineBlock(t0 + 2 * HOUR + i * HOUR, 60);
      await sim.mineEmpty(confirmations + 1, t0 + 10 * HOUR);
      await services.client.call('collect.run', { source: 'chain', tokens: [token], network: false });
      const metrics = await services.client.call('collect.onchainMetrics', { token });
      compare(metrics.days, expectedAggregates(sim.sent), 18);

      // A reorg deeper than the depth (blocks already collected change) is detected, not absorbed.
      const deep = await node.rpc<string>('evm_snapshot');
      const beforeDeep = { sent: sim.sent.length, balances: new Map(sim.balances) };
      await sim.mineBlock(t0 + 12 * HOUR, 10);
      await sim.mineEmpty(confirmations + 2, t0 + 13 * HOUR);
      await services.client.call('collect.run', { source: 'chain', tokens: [token], network: false });
      await node.rpc('evm_revert', [deep]);
      sim.sent.length = beforeDeep.sent;
      sim.balances.clear();
      for (const [k, v] of beforeDeep.balances) sim.balances.set(k, v);
      await sim.mineEmpty(confirmations + 6, t0 + 14 * HOUR);
      await expect(services.client.call('collect.run', { source: 'chain', tokens: [token], network: false })).rejects.toMatchObject({ code: 'CONFLICT' });
      const status = await services.client.call('collect.status', {});
      expect(status.sources.find((s) => s.source === 'chain')?.lastError?.code).toBe('CONFLICT');
    } finally {
      await cleanup();
    }
  }, 180_000);

  it('started after the token\'s first block, counts activity but reports no holder metrics (earlier balances are unknown)', async () => {
    const { services, cleanup } = await createTestServices({ collect, rpcUrl: node.url, chainId: 31337, autoImport: false });
    try {
      await services.client.call('collect.run', { source: 'chain', tokens: [token], fromBlock: 8, toBlock: 20, network: false });
      const days = (await services.client.call('collect.onchainMetrics', { token })).days;
      const expected = expectedAggregates(sim.sent.filter((t) => t.block >= 8 && t.block <= 20));
      expect(days.map((d) => [d.day, d.transfers, d.active_addresses])).toEqual(expected.map((e) => [e.day, e.transfers, e.active_addresses]));
      expect(days.every((d) => d.holders === null && d.new_holders === null && d.top10_share === null)).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('can be cancelled mid-walk; the next run resumes from the last commit and ends with the same aggregates', async () => {
    // Once the walk has reported progress, the node answers no more log ranges until the cancel
    // has been taken, so the cancel lands mid-walk however fast the machine is.
    let released!: () => void;
    const cancelTaken = new Promise<void>((r) => (released = r));
    const gated = await gatedNode(node.url, cancelTaken);
    const { services, cleanup } = await createTestServices({ collect, rpcUrl: gated.url, chainId: 31337, autoImport: false });
    try {
      let cancelled = false;
      const off = services.client.on('progress', (p) => {
        if (p.kind === 'collect:chain' && p.done > 0 && !cancelled) {
          cancelled = true;
          gated.hold();
          void services.client.call('collect.cancel', { source: 'chain' }).finally(released);
        }
      });
      await expect(services.client.call('collect.run', { source: 'chain', tokens: [token], fromBlock: 0, network: false })).rejects.toMatchObject({ code: 'CANCELLED' });
      off();
      const st = (await services.client.call('collect.status', {})).sources.find((s) => s.source === 'chain');
      expect(st?.lastError?.code).toBe('CANCELLED');
      expect(st?.running).toBe(false);
      const partial = services.core.store.db.prepare(`SELECT count(*) AS n FROM collector_checkpoints WHERE collector = 'chain'`).get() as { n: number };
      expect(partial.n).toBe(1);
      await services.client.call('collect.run', { source: 'chain', tokens: [token], network: false });
      compare((await services.client.call('collect.onchainMetrics', { token })).days, expectedAggregates(sim.sent), 18);
    } finally {
      await cleanup();
      await gated.close();
    }
  }, 120_000);

  it('follows new heads over WebSocket and collects blocks as they pass the confirmation depth', async () => {
    const { services, cleanup } = await createTestServices({ collect: { ...collect, intervals: { chain: 3600 } }, rpcUrl: node.url, rpcWsUrl: node.wsUrl, chainId: 31337, autoImport: false });
    let stop: (() => Promise<void>) | null = null;
    try {
      await services.client.call('collect.trackToken', { address: token, startBlock: 0 });
      stop = await collectDomainOf(services.core).watch(['chain']);
      const tNext = DAY0 + 7 * 86_400;
      await sim.mineBlock(tNext, 40);
      await sim.mineBlock(tNext + HOUR, 40);
      await sim.mineEmpty(confirmations, tNext + 2 * HOUR);
      const target = Number(BigInt(await node.rpc<string>('eth_blockNumber'))) - confirmations;
      const checkpoint = () => (services.core.store.db.prepare(`SELECT state FROM collector_checkpoints WHERE collector = 'chain' AND scope = ?`).get(`31337:${token}`) as { state: string } | undefined)?.state;
      for (let i = 0; i < 200 && (JSON.parse(checkpoint() ?? '{"nextBlock":0}') as { nextBlock: number }).nextBlock <= target; i++) await new Promise((r) => setTimeout(r, 100));
      expect((JSON.parse(checkpoint() ?? '{}') as { nextBlock: number }).nextBlock).toBe(target + 1);
      compare((await services.client.call('collect.onchainMetrics', { token })).days, expectedAggregates(sim.sent), 18);
    } finally {
      await stop?.();
      await cleanup();
    }
  }, 120_000);

  it('keeps watching on its interval when the WebSocket URL refuses the connection', async () => {
    const refused = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const { services, cleanup } = await createTestServices({ collect, rpcUrl: node.url, rpcWsUrl: `ws://127.0.0.1:${refused}`, chainId: 31337, autoImport: false });
    try {
      await services.client.call('collect.trackToken', { address: token, startBlock: 0 });
      const stop = await collectDomainOf(services.core).watch(['chain']);
      // The socket's connection error arrives meanwhile; the first scheduled run still completes over HTTP.
      let status = (await services.client.call('collect.status', {})).sources.find((x) => x.source === 'chain');
      for (let i = 0; i < 300 && !status?.lastSuccessAt; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await services.client.call('collect.status', {})).sources.find((x) => x.source === 'chain');
      }
      expect(status?.lastSuccessAt).not.toBeNull();
      await stop();
    } finally {
      await cleanup();
    }
  }, 120_000);

  it('refuses a malformed log in an answer with an error naming the log or the field, and stores nothing of that range', async () => {
    const cases: { alter: (log: Record<string, unknown>) => void; message: RegExp }[] = [
      // A value word with a character that is not a hex digit, one with trailing space, one with an upper-case prefix.
      { alter: (l) => void (l.data = `${String(l.data).slice(0, 65)}g`), message: /Transfer log 0x[0-9a-f]{64}:\d+ is not \(address, address, uint256\)/ },
      { alter: (l) => void (l.data = `${String(l.data).slice(0, 65)} `), message: /is not \(address, address, uint256\)/ },
      { alter: (l) => void (l.data = `0X${String(l.data).slice(2)}`), message: /is not \(address, address, uint256\)/ },
      { alter: (l) => void (l.logIndex = 0), message: /0\.logIndex: expected a string/ },
      { alter: (l) => void (l.blockNumber = '0xzz'), message: /blockNumber "0xzz" is not a hex quantity/ },
    ];
    for (const c of cases) {
      const relay = await alteringNode(node.url, c.alter);
      const { services, cleanup } = await createTestServices({ collect, rpcUrl: relay.url, chainId: 31337, autoImport: false });
      try {
        await expect(services.client.call('collect.run', { source: 'chain', tokens: [token], fromBlock: 0, network: false })).rejects.toMatchObject({ code: 'MALFORMED_DATA', message: expect.stringMatching(c.message) });
        expect((services.core.store.db.prepare(`SELECT count(*) AS n FROM onchain_metrics`).get() as { n: number }).n).toBe(0);
      } finally {
        await cleanup();
        await relay.close();
      }
    }
  }, 120_000);

  it('runs from the CLI: collect chain --rpc --token, then metrics onchain --json', async () => {
    const tmp = tempDataDir('defimon-cli-chain');
    const env = { ...process.env, DEFIMON_DATA_DIR: tmp.dir, DEFIMON_CHAIN_ID: '31337', DEFIMON_AUTO_IMPORT: 'false', DEFIMON_LOG_LEVEL: 'silent', DEFIMON_CHAIN_CONFIRMATIONS: String(confirmations), DEFIMON_CHAIN_INITIAL_RANGE: '3', DEFIMON_CHAIN_MAX_RANGE: '8' };
    const bin = path.join(REPO_ROOT, 'bin', 'defimon.cjs');
    try {
      const collected = await run(process.execPath, [bin, 'collect', 'chain', '--rpc', node.url, '--token', token, '--from-block', '0', '--to-block', '10', '--no-network', '--json'], { env });
      const summary = JSON.parse(collected.stdout) as { source: string; items: number }[];
      expect(summary[0]?.source).toBe('chain');
      expect(summary[0]?.items).toBeGreaterThan(0);
      const out = await run(process.execPath, [bin, 'metrics', 'onchain', '--token', token.toUpperCase().replace('0X', '0x'), '--json'], { env });
      const days = JSON.parse(out.stdout) as OnchainDay[];
      compare(days, expectedAggregates(sim.sent.filter((t) => t.block <= 10)), 18);
      expect(Object.keys(days[0] as object).sort()).toEqual(['active_addresses', 'day', 'holders', 'new_holders', 'top10_share', 'transfers', 'volume', 'volume_usd']);
      expect(days.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d.day))).toBe(true);
      const bad = await run(process.execPath, [bin, 'collect', 'chain', '--rpc', node.url, '--from-block', 'x', '--json'], { env }).catch((e: { code: number; stdout: string }) => e);
      expect((bad as { code: number }).code).toBe(2);
      expect(JSON.parse((bad as { stdout: string }).stdout).error.code).toBe('INVALID_INPUT');
    } finally {
      tmp.remove();
    }
  }, 120_000);
});

describe('the eth_getLogs answer check', () => {
  const log = { topics: ['0x01', '0x02', '0x03'], data: '0x', blockNumber: '0x1', transactionHash: '0xab', logIndex: '0x0', removed: false, address: '0x00' };
  it('keeps a well-formed answer as it came and names where a malformed one is wrong', () => {
    const ok = RpcLogs.safeParse([log, { ...log, removed: undefined }]);
    expect(ok.success && ok.data[0]).toBe(log);
    const problem = (v: unknown): string | undefined => RpcLogs.safeParse(v).error?.issues[0]?.message;
    expect(problem({ result: [] })).toMatch(/^\(root\)/);
    expect(problem([log, 'x'])).toMatch(/^1: /);
    expect(problem([log, { ...log, topics: ['0x01', 7] }])).toMatch(/^1\.topics\.1: /);
    expect(problem([{ ...log, blockNumber: 1 }])).toMatch(/^0\.blockNumber: /);
    expect(problem([{ ...log, removed: 'yes' }])).toMatch(/^0\.removed: /);
  });
});
