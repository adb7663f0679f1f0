/**
 * Chain collector figures:
 * 1. our pipeline alone: Transfer logs per second from a local replay server (a separate process
 *    answering recorded-style eth_getLogs / eth_getBlockByNumber instantly) to stored daily
 *    aggregates, with where the time goes and our CPU per log; 1,000,000 transfers with RSS sampled;
 * 2. end to end against a local hardhat node holding 24,001 Transfer logs (checked on the node
 *    before and in the collector's count after): logs per second and our code's share of wall
 *    time, as the CPU time of our whole process (HTTP client, JSON parse, checks, aggregation,
 *    SQLite, garbage collection) over the wall time, beside the node's own CPU time; and the
 *    floor of that share: our CPU for only receiving and JSON-parsing the node's answer.
 * Settings reach the services as configuration overrides (the environment is not read here).
 */
import { isAscii } from 'node:buffer';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { createServices, type Services } from '../src/main/services';
import { loadConfig } from '../src/main/services/config/config';
import { createLogger } from '../src/main/services/log/logger';
import { deployToken, prng, startHardhatNode, tokenInterface, type Node } from '../test/collect/chain-helpers';
import { loadAverage, median } from './util';

const TOKEN = '0x00000000000000000000000000000000000000aa';

/** The replay server, plain JS in its own process (its memory and CPU are not ours): data generated once, answers joined from per-block fragments. */
const REPLAY_SERVER = `
const http = require('node:http');
const { transfers, perBlock, holders, startTs, blockSeconds } = JSON.parse(process.env.DEFIMON_REPLAY);
const TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const blocks = Math.ceil(transfers / perBlock);
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const addr = (i) => '0x000000000000000000000000' + i.toString(16).padStart(40, '0');
const frag = new Array(blocks);
let n = 0;
for (let b = 0; b < blocks; b++) {
  const parts = [];
  const bn = '0x' + (b + 1).toString(16);
  const bh = '0x' + (b + 1).toString(16).padStart(64, '0');
  for (let i = 0; i < perBlock && n < transfers; i++, n++) {
    // The first transfers mint to holders so balances stay positive.
    const from = n < holders ? 0 : 1 + Math.floor(rnd() * holders);
    const to = 1 + Math.floor(rnd() * holders);
    const value = '0x' + (from === 0 ? 1000000000000000000000000n : BigInt(1 + Math.floor(rnd() * 1000))).toString(16).padStart(64, '0');
    parts.push('{"address":"${TOKEN}","topics":["' + TOPIC + '","' + addr(from) + '","' + addr(to) + '"],"data":"' + value + '","blockNumber":"' + bn + '","transactionHash":"0x' + n.toString(16).padStart(64, '0') + '","transactionIndex":"0x' + i.toString(16) + '","blockHash":"' + bh + '","logIndex":"0x' + i.toString(16) + '","removed":false}');
  }
  frag[b] = parts.join(',');
}
const block = (b) => '{"number":"0x' + b.toString(16) + '","hash":"0x' + b.toString(16).padStart(64, '0') + '","parentHash":"0x' + Math.max(0, b - 1).toString(16).padStart(64, '0') + '","timestamp":"0x' + (startTs + b * blockSeconds).toString(16) + '","gasUsed":"0x1000","gasLimit":"0x2000","baseFeePerGas":"0x1","transactions":[]}';
const answer = (req) => {
  if (req.method === 'eth_blockNumber') return '"0x' + (blocks + 100).toString(16) + '"';
  if (req.method === 'eth_getBlockByNumber') return block(parseInt(req.params[0], 16));
  if (req.method === 'eth_getLogs') {
    const f = parseInt(req.params[0].fromBlock, 16), t = parseInt(req.params[0].toBlock, 16);
    const out = [];
    for (let b = Math.max(1, f); b <= Math.min(t, blocks); b++) if (frag[b - 1]) out.push(frag[b - 1]);
    return '[' + out.join(',') + ']';
  }
  if (req.method === 'eth_call') return '"0x' + (18).toString(16).padStart(64, '0') + '"';
  return 'null';
};
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    const one = (r) => '{"jsonrpc":"2.0","id":' + JSON.stringify(r.id) + ',"result":' + answer(r) + '}';
    const text = Array.isArray(body) ? '[' + body.map(one).join(',') + ']' : one(body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port, blocks }) + String.fromCharCode(10)));
`;

async function withServices<T>(label: string, overrides: Record<string, unknown>, fn: (s: Services) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `defimon-bench-${label}-`));
  const config = loadConfig({ overrides: { dataDir: dir, autoImport: false, logLevel: 'silent', ...overrides }, env: {} });
  const services = await createServices(config, { logger: createLogger({ dataDir: dir, level: 'silent', toStderr: false }) });
  try {
    return await fn(services);
  } finally {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(0)} MB`;
}

export async function replayBench(transfers: number, perBlock: number, holders: number): Promise<void> {
  const child = spawn(process.execPath, ['-e', REPLAY_SERVER], { env: { ...process.env, DEFIMON_REPLAY: JSON.stringify({ transfers, perBlock, holders, startTs: Date.parse('2024-01-01T00:00:00Z') / 1000, blockSeconds: 240 }) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const { port, blocks } = await new Promise<{ port: number; blocks: number }>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(String(d)) as { port: number; blocks: number }));
    child.once('exit', (code) => reject(new Error(`replay server exited with ${code}`)));
  });
  // Ranges of ~2,500 logs: large enough to amortise a request, small enough that parsed logs die
  // young (bigger answers cost more in garbage collection than they save in round trips locally).
  const collect = { chain: { confirmations: 10, initialRange: 25, maxRange: 25, targetLogs: 2500 }, rates: { rpc: 10_000 } };
  try {
    await withServices('replay', { rpcUrl: `http://127.0.0.1:${port}`, chainId: 137, collect }, async (services) => {
      global.gc?.();
      const rss: number[] = [];
      let peak = process.memoryUsage().rss;
      const startRss = peak;
      const sampler = setInterval(() => {
        const r = process.memoryUsage().rss;
        peak = Math.max(peak, r);
        rss.push(r);
      }, 50);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const [summary] = await services.client.call('collect.run', { source: 'chain', tokens: [TOKEN], fromBlock: 0, toBlock: blocks, network: false });
      const cpu = process.cpuUsage(c0);
      const wall = performance.now() - t0;
      clearInterval(sampler);
      const d = summary?.details as { logs: number; days: number; timings: Record<string, number> };
      if (d.logs !== transfers) throw new Error(`replay bench: collected ${d.logs} Transfer logs of the ${transfers} served`);
      const t = d.timings;
      const ours = (t.jsonMs ?? 0) + (t.schemaMs ?? 0) + (t.aggregateMs ?? 0) + (t.storeMs ?? 0);
      console.log(`replay pipeline: ${d.logs.toLocaleString('en')} Transfer logs over ${blocks} blocks (${d.days} days, ${holders.toLocaleString('en')} holders) in ${(wall / 1000).toFixed(2)} s = ${Math.round(d.logs / (wall / 1000)).toLocaleString('en')} logs/s (target >= 50,000)`);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      console.log(`  our pipeline alone (JSON parse -> schema -> decode/aggregate -> store, without HTTP): ${Math.round(d.logs / (ours / 1000)).toLocaleString('en')} logs/s`);
      console.log(`  our process's CPU (the server is another process): ${Math.round(cpuMs)} ms = ${((cpuMs * 1000) / d.logs).toFixed(1)} us per log, ${Math.round(d.logs / (cpuMs / 1000)).toLocaleString('en')} logs per CPU second; load ${loadAverage()}`);
      console.log(`  time: ours ${Math.round(ours)} ms = JSON parse ${t.jsonMs} + schema check ${t.schemaMs} + decode/aggregate ${t.aggregateMs} + store ${t.storeMs} ms; the other ${Math.round(wall - ours)} ms is HTTP (server answer and transfer; the next range is fetched while one is aggregated)`);
      const q = (f: number) => rss[Math.min(rss.length - 1, Math.floor(rss.length * f))] ?? 0;
      console.log(`  memory: RSS at start ${mb(startRss)}, at 25/50/75/100% ${mb(q(0.25))} / ${mb(q(0.5))} / ${mb(q(0.75))} / ${mb(q(0.999))}, peak ${mb(peak)}`);
      const rows = services.core.store.db.prepare(`SELECT count(*) AS n, sum(transfers) AS t FROM onchain_metrics WHERE source = 'chain'`).get() as { n: number; t: number };
      console.log(`  stored: ${rows.n} daily rows covering ${rows.t.toLocaleString('en')} transfers`);
    });
  } finally {
    child.removeAllListeners('exit');
    child.kill();
  }
}

/** The planned volume of the end-to-end bench: blocks of scatter transactions over three UTC days. */
const HARDHAT = { blocks: 60, txsPerBlock: 4, recipients: 100, blockSeconds: 4320 };

let clockTicks: number | undefined;

/** CPU milliseconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks;
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}

export interface HardhatChain {
  node: Node;
  token: string;
  /** Transfer logs on the node, checked against the plan. */
  logs: number;
  confirmations: number;
}

/** A hardhat node holding the planned Transfer volume (verified: every transaction mined, succeeded and logged). */
export async function hardhatChain(): Promise<HardhatChain> {
  const node = await startHardhatNode();
  try {
    const token = await deployToken(node, 'BN', 18);
    const iface = tokenInterface();
    const owner = node.accounts[0] as string;
    const random = prng(1);
    await node.rpc('evm_setAutomine', [true]);
    await node.rpc('eth_sendTransaction', [{ from: owner, to: token, data: iface.encodeFunctionData('mint', [owner, 10n ** 30n]), gas: '0x30d40' }]);
    const planned = 1 + HARDHAT.blocks * HARDHAT.txsPerBlock * HARDHAT.recipients;
    await node.rpc('evm_setAutomine', [false]);
    const t0 = Date.parse('2024-03-02T00:00:00Z') / 1000;
    const hashes: string[] = [];
    for (let b = 0; b < HARDHAT.blocks; b++) {
      const calls = [];
      for (let k = 0; k < HARDHAT.txsPerBlock; k++) {
        const tos = Array.from({ length: HARDHAT.recipients }, () => `0x${Math.floor(random() * 2 ** 40).toString(16).padStart(40, '0')}`);
        // A gas limit of a quarter block each, so the block holds all of them whatever they use.
        calls.push({ method: 'eth_sendTransaction', params: [{ from: owner, to: token, data: iface.encodeFunctionData('scatter', [tos, tos.map(() => 10n ** 18n)]), gas: '0xe4e1c0' }] });
      }
      hashes.push(...((await node.batch(calls)) as string[]));
      await node.rpc('evm_mine', [t0 + b * HARDHAT.blockSeconds]);
    }
    let produced = 1;
    for (let i = 0; i < hashes.length; i += 100) {
      const receipts = (await node.batch(hashes.slice(i, i + 100).map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })))) as ({ status: string; logs: unknown[] } | null)[];
      for (const r of receipts) {
        if (r?.status !== '0x1') throw new Error(`hardhat bench: a scatter transaction was ${r === null ? 'not mined' : 'reverted'}`);
        produced += r.logs.length;
      }
    }
    if (produced !== planned) throw new Error(`hardhat bench: the node holds ${produced} Transfer logs, not the planned ${planned}`);
    const confirmations = 10;
    for (let i = 0; i <= confirmations; i++) await node.rpc('evm_mine', [t0 + HARDHAT.blocks * HARDHAT.blockSeconds + i]);
    return { node, token, logs: planned, confirmations };
  } catch (err) {
    await node.stop();
    throw err;
  }
}

export interface HardhatFigures {
  logs: number;
  wallMs: number;
  /** CPU of our process (every thread) during the collection. */
  cpuMs: number;
  /** CPU of the node's process during the collection (null where /proc is not there). */
  nodeCpuMs: number | null;
  timings: Record<string, number>;
}

/**
 * One full collection of the chain from block 0 into a fresh data directory, with the settings
 * a user would give a local node (the walker's defaults, a short confirmation depth, no rate
 * limit). `around` wraps the collection alone (e.g. a CPU profiler).
 */
export async function collectHardhat(chain: HardhatChain, around: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(), walker: Record<string, number> = {}): Promise<HardhatFigures> {
  const collect = { chain: { confirmations: chain.confirmations, ...walker }, rates: { rpc: 10_000 } };
  return withServices('hardhat', { rpcUrl: chain.node.url, chainId: 31337, collect }, async (services) => {
    // The services' own start-up work settles before the collection's CPU is counted.
    await new Promise((r) => setTimeout(r, 500));
    const n0 = processCpuMs(chain.node.pid);
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const [summary] = await around(() => services.client.call('collect.run', { source: 'chain', tokens: [chain.token], fromBlock: 0, network: false }));
    const wallMs = performance.now() - w0;
    const cpu = process.cpuUsage(c0);
    const n1 = processCpuMs(chain.node.pid);
    const d = summary?.details as { logs: number; timings: Record<string, number> };
    if (d.logs !== chain.logs) throw new Error(`hardhat bench: collected ${d.logs} Transfer logs of the ${chain.logs} on the node`);
    return { logs: d.logs, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, nodeCpuMs: n0 === null || n1 === null ? null : n1 - n0, timings: d.timings };
  });
}

/**
 * The floor of our share: our process's CPU for only receiving the node's eth_getLogs answer for
 * the whole walk and parsing it (fetch, decode, JSON.parse; no checks, aggregation or storage),
 * asked `runs` times; the median, with the body's size.
 */
async function receiveAndParseFloor(chain: HardhatChain, runs: number): Promise<{ cpuMs: number; bytes: number; chunks: number; reads: number }> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ address: chain.token, topics: [tokenInterface().getEvent('Transfer')?.topicHash], fromBlock: '0x0', toBlock: 'latest' }] });
  const cpu: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const res = await fetch(chain.node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const buf = Buffer.from(await res.arrayBuffer());
    const parsed = JSON.parse(isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8')) as { result?: unknown[] };
    const c = process.cpuUsage(c0);
    if (parsed.result?.length !== chain.logs) throw new Error(`hardhat bench: the floor's answer holds ${parsed.result?.length} logs, not ${chain.logs}`);
    bytes = buf.length;
    cpu.push((c.user + c.system) / 1000);
  }
  // How the node sends it (not timed): its HTTP chunks (node:http hands each body chunk over on
  // its own), and the reads fetch makes of them.
  const u = new URL(chain.node.url);
  const chunks = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let n = 0;
      res.on('data', () => n++);
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const res = await fetch(chain.node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  let reads = 0;
  const reader = res.body?.getReader();
  for (;;) {
    const r = await reader?.read();
    if (!r || r.done) break;
    reads++;
  }
  return { cpuMs: median(cpu), bytes, chunks, reads };
}

async function hardhatBench(): Promise<void> {
  const chain = await hardhatChain();
  try {
    const runs: HardhatFigures[] = [];
    for (let i = 0; i < 5; i++) runs.push(await collectHardhat(chain));
    console.log(`hardhat end to end: ${chain.logs.toLocaleString('en')} Transfer logs collected from block 0, ${runs.length} runs into fresh stores`);
    for (const r of runs) {
      const t = r.timings;
      const timed = (t.jsonMs ?? 0) + (t.schemaMs ?? 0) + (t.aggregateMs ?? 0) + (t.storeMs ?? 0);
      console.log(
        `  ${(r.wallMs / 1000).toFixed(2)} s = ${Math.round(r.logs / (r.wallMs / 1000)).toLocaleString('en')} logs/s; our process ${Math.round(r.cpuMs)} ms CPU = ${((r.cpuMs / r.wallMs) * 100).toFixed(1)}% of wall (target < 10%)` +
          `${r.nodeCpuMs === null ? '' : `, the node ${Math.round(r.nodeCpuMs)} ms CPU (ours / node ${(r.cpuMs / r.nodeCpuMs).toFixed(2)})`}; timed in the walk: JSON parse ${t.jsonMs}, schema ${t.schemaMs}, aggregate ${t.aggregateMs}, store ${t.storeMs} = ${Math.round(timed)} ms; load ${loadAverage()}`,
      );
    }
    const share = median(runs.map((r) => (r.cpuMs / r.wallMs) * 100));
    const nodeRatio = runs.every((r) => r.nodeCpuMs !== null) ? median(runs.map((r) => r.cpuMs / (r.nodeCpuMs as number))) : null;
    console.log(
      `  median: our code ${share.toFixed(1)}% of wall time (target < 10%; CPU of our whole process: HTTP client, JSON, checks, aggregation, SQLite, GC), ${Math.round(median(runs.map((r) => r.cpuMs)))} ms CPU for ${chain.logs.toLocaleString('en')} logs` +
        `${nodeRatio === null ? '' : `, ${nodeRatio.toFixed(2)}x the node's CPU (load-independent; the wall share depends on how busy the machine keeps the node)`}; load ${loadAverage()}`,
    );
    const floor = await receiveAndParseFloor(chain, 5);
    const wall = median(runs.map((r) => r.wallMs));
    console.log(
      `  floor: only receiving and parsing the node's ${mb(floor.bytes)} answer (written as ${floor.chunks.toLocaleString('en')} HTTP chunks of ~${Math.round(floor.bytes / Math.max(1, floor.chunks))} bytes, read by fetch in ${floor.reads.toLocaleString('en')} pieces; fetch, decode, JSON.parse; no checks, aggregation or SQLite) costs ${Math.round(floor.cpuMs)} ms CPU = ${((floor.cpuMs / wall) * 100).toFixed(1)}% of the median wall, ${((floor.cpuMs / median(runs.map((r) => r.cpuMs))) * 100).toFixed(0)}% of our CPU; load ${loadAverage()}`,
    );
  } finally {
    await chain.node.stop();
  }
}

export async function run(): Promise<void> {
  await replayBench(200_000, 200, 20_000);
  await replayBench(1_000_000, 200, 50_000);
  await hardhatBench();
}
