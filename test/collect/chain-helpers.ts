/**
 * A real local EVM for the chain collector: a hardhat node started on a free port, an ERC-20
 * compiled by solc-js and deployed to it, and a transfer simulator that records what it sent
 * so the tests can compute the expected daily aggregates independently of the collector.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Interface } from 'ethers';
import { createRng } from '../../src/main/services/ml/math';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'collect');
export const ZERO = '0x0000000000000000000000000000000000000000';

let compiled: { abi: unknown[]; bytecode: string } | null = null;

export function compileToken(): { abi: unknown[]; bytecode: string } {
  if (compiled) return compiled;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'TestToken.sol': { content: readFileSync(path.join(FIXTURES, 'TestToken.sol'), 'utf8') } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'paris', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as { errors?: { severity: string; formattedMessage: string }[]; contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>> };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const c = out.contracts['TestToken.sol']?.TestToken;
  if (!c) throw new Error('TestToken not compiled');
  compiled = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  return compiled;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface Node {
  url: string;
  wsUrl: string;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  batch(calls: { method: string; params: unknown[] }[]): Promise<unknown[]>;
  accounts: string[];
  /** The node's process id (benches read its CPU time). */
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function startHardhatNode(): Promise<Node> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [require.resolve('hardhat/internal/cli/cli.js'), 'node', '--hostname', '127.0.0.1', '--port', String(port), '--config', path.join(FIXTURES, 'hardhat.config.cjs')], {
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start: ${stderr}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (String(d).includes('Started HTTP')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited with ${code}: ${stderr}`));
    });
  });
  // The node logs every request to stdout; keep draining so it never blocks.
  child.stdout?.resume();
  const url = `http://127.0.0.1:${port}`;
  let id = 1;
  const post = async (body: unknown): Promise<unknown> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  };
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const r = (await post({ jsonrpc: '2.0', id: id++, method, params })) as { result?: T; error?: { message: string } };
    if (r.error) throw new Error(`${method}: ${r.error.message}`);
    return r.result as T;
  };
  const batch = async (calls: { method: string; params: unknown[] }[]): Promise<unknown[]> => {
    if (calls.length === 0) return [];
    const first = id;
    id += calls.length;
    const r = (await post(calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, ...c })))) as { id: number; result?: unknown; error?: { message: string } }[];
    const byId = new Map(r.map((x) => [x.id, x]));
    return calls.map((c, i) => {
      const x = byId.get(first + i);
      if (!x || x.error) throw new Error(`${c.method}: ${x?.error?.message ?? 'no answer'}`);
      return x.result;
    });
  };
  const accounts = await rpc<string[]>('eth_accounts');
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    rpc,
    batch,
    accounts: accounts.map((a) => a.toLowerCase()),
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const tokenInterface = (): Interface => new Interface(compileToken().abi as never);

export async function deployToken(node: Node, symbol: string, decimals: number): Promise<string> {
  const { bytecode } = compileToken();
  const args = tokenInterface().encodeDeploy([`${symbol} Token`, symbol, decimals]).slice(2);
  await node.rpc('evm_setAutomine', [true]);
  const hash = await node.rpc<string>('eth_sendTransaction', [{ from: node.accounts[0], data: bytecode + args, gas: '0x2dc6c0' }]);
  const receipt = await node.rpc<{ contractAddress: string; status: string }>('eth_getTransactionReceipt', [hash]);
  if (receipt.status !== '0x1') throw new Error('deploy failed');
  return receipt.contractAddress.toLowerCase();
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export const prng = createRng;

export interface SentTransfer {
  from: string;
  to: string;
  value: bigint;
  day: string;
  block: number;
}

/** What the collector should report for one day, computed from the transfers alone. */
export interface ExpectedDay {
  day: string;
  transfers: number;
  volume: bigint;
  active_addresses: number;
  new_holders: number;
  holders: number;
  top10_share: number | null;
}

export function expectedAggregates(transfers: readonly SentTransfer[]): ExpectedDay[] {
  const days = [...new Set(transfers.map((t) => t.day))].sort();
  const bal = new Map<string, bigint>();
  const everHeld = new Set<string>();
  let supply = 0n;
  const out: ExpectedDay[] = [];
  for (const day of days) {
    const ts = transfers.filter((t) => t.day === day);
    const active = new Set<string>();
    let volume = 0n;
    let newHolders = 0;
    for (const t of ts) {
      volume += t.value;
      if (t.from !== ZERO) {
        active.add(t.from);
        bal.set(t.from, (bal.get(t.from) ?? 0n) - t.value);
      } else supply += t.value;
      if (t.to !== ZERO) {
        active.add(t.to);
        bal.set(t.to, (bal.get(t.to) ?? 0n) + t.value);
      } else supply -= t.value;
    }
    for (const [a, b] of bal)
      if (b > 0n && !everHeld.has(a)) {
        everHeld.add(a);
        newHolders++;
      }
    const positive = [...bal.values()].filter((b) => b > 0n).sort((x, y) => (x < y ? 1 : x > y ? -1 : 0));
    const top = positive.slice(0, 10).reduce((s, b) => s + b, 0n);
    out.push({ day, transfers: ts.length, volume, active_addresses: active.size, new_holders: newHolders, holders: positive.length, top10_share: supply > 0n ? Number(top) / Number(supply) : null });
  }
  return out;
}

/**
 * Sends transfers block by block with automine off, each block at a chosen timestamp. Senders
 * only spend what they held at the start of the block, so every transaction succeeds whatever
 * order the node puts them in. Returns what was sent, in the node's log order per block.
 */
export class TransferSimulator {
  readonly balances = new Map<string, bigint>();
  readonly sent: SentTransfer[] = [];
  private readonly iface = tokenInterface();
  private readonly pool: string[];
  constructor(
    private readonly node: Node,
    readonly token: string,
    private readonly random: () => number,
    extraAddresses = 150,
  ) {
    this.pool = [...node.accounts];
    for (let i = 0; i < extraAddresses; i++) this.pool.push(`0x${Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0')}${'ab'.repeat(12)}${i.toString(16).padStart(8, '0')}`.toLowerCase());
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)] as T;
  }

  /** Mines one block at `timestamp` with `count` random operations (transfers, scatters, burns, mints). */
  async mineBlock(timestamp: number, count: number): Promise<void> {
    const day = new Date(timestamp * 1000).toISOString().slice(0, 10);
    const spendable = new Map(this.balances);
    const txs: { from: string; data: string; gas: string }[] = [];
    const pending: SentTransfer[][] = [];
    const owner = this.node.accounts[0] as string;
    for (let i = 0; i < count; i++) {
      const senders = this.node.accounts.filter((a) => (spendable.get(a) ?? 0n) > 0n);
      const roll = this.random();
      if (senders.length === 0 || roll < 0.08) {
        const to = this.pick(this.node.accounts.slice(0, 30));
        const value = BigInt(Math.floor(this.random() * 1e6) + 1) * 10n ** 15n;
        txs.push({ from: owner, data: this.iface.encodeFunctionData('mint', [to, value]), gas: '0x30d40' });
        pending.push([{ from: ZERO, to, value, day, block: 0 }]);
        continue;
      }
      const from = this.pick(senders);
      const avail = spendable.get(from) as bigint;
      if (roll < 0.12) {
        const value = avail / 5n;
        spendable.set(from, avail - value);
        txs.push({ from, data: this.iface.encodeFunctionData('burn', [value]), gas: '0x30d40' });
        pending.push([{ from, to: ZERO, value, day, block: 0 }]);
      } else if (roll < 0.2) {
        const n = 5 + Math.floor(this.random() * 20);
        const tos: string[] = [];
        const values: bigint[] = [];
        let left = avail / 2n;
        for (let k = 0; k < n; k++) {
          const v = left / 3n;
          left -= v;
          tos.push(this.pick(this.pool));
          values.push(v);
        }
        spendable.set(from, avail - values.reduce((s, v) => s + v, 0n));
        txs.push({ from, data: this.iface.encodeFunctionData('scatter', [tos, values]), gas: '0x4c4b40' });
        pending.push(tos.map((to, k) => ({ from, to, value: values[k] as bigint, day, block: 0 })));
      } else {
        const to = this.pick(this.pool);
        const value = roll < 0.23 ? 0n : (avail * BigInt(1 + Math.floor(this.random() * 60))) / 100n;
        spendable.set(from, avail - value);
        txs.push({ from, data: this.iface.encodeFunctionData('transfer', [to, value]), gas: '0x30d40' });
        pending.push([{ from, to, value, day, block: 0 }]);
      }
    }
    await this.node.rpc('evm_setAutomine', [false]);
    const hashes = (await this.node.batch(txs.map((t) => ({ method: 'eth_sendTransaction', params: [{ from: t.from, to: this.token, data: t.data, gas: t.gas }] })))) as string[];
    await this.node.rpc('evm_mine', [timestamp]);
    const block = Number(BigInt(await this.node.rpc<string>('eth_blockNumber')));
    const receipts = (await this.node.batch(hashes.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })))) as ({ status: string } | null)[];
    const failed = receipts.filter((r) => r?.status !== '0x1').length;
    if (failed > 0) throw new Error(`${failed} of ${hashes.length} simulated transactions did not succeed`);
    for (const group of pending)
      for (const t of group) {
        this.sent.push({ ...t, block });
        if (t.from !== ZERO) this.balances.set(t.from, (this.balances.get(t.from) ?? 0n) - t.value);
        if (t.to !== ZERO) this.balances.set(t.to, (this.balances.get(t.to) ?? 0n) + t.value);
      }
  }

  /** Empty blocks, e.g. to move the head past the confirmation depth. */
  async mineEmpty(n: number, startTimestamp: number): Promise<void> {
    await this.node.rpc('evm_setAutomine', [false]);
    for (let i = 0; i < n; i++) await this.node.rpc('evm_mine', [startTimestamp + i]);
  }
}
