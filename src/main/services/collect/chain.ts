/**
 * The chain collector: ERC-20 Transfer logs of each tracked token, walked in adaptive block
 * ranges up to `head - confirmations` (so a reorged block is never counted), turned into daily
 * aggregates per token (`onchain_metrics`, source 'chain'), plus network activity per day
 * (`network_metrics`): blocks, transactions and utilisation (gas used / gas limit) from every
 * header; the median gas price as the median of per-block median transaction gas prices over
 * sampled blocks (`gasSampleEvery`); the median base fee.
 *
 * Each range commits in one transaction: its daily rows, the touched balances and the new
 * checkpoint. A crash or cancellation therefore resumes exactly where the last commit ended,
 * and running twice adds nothing. The open (still running) day is kept in the checkpoint with
 * its set of active addresses, so a day split across runs counts each address once.
 *
 * Holder metrics (holders, new holders, top-10 share) need every balance, so they are only
 * reported for tokens walked from their first block (`fromGenesis`); otherwise they are null.
 * The zero address is neither an active address nor a holder: transfers from it are mints and
 * to it are burns, which move the supply. Volume counts every Transfer, mints and burns included.
 */
import type * as Ethers from 'ethers';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { ChainTuning } from '../config/config';
import type { Core } from '../core';
import { hexToNumber, HexQuantity, rangeHintOf, RpcBlock, toHex, type RpcClient } from './jsonrpc';
import { priceOn, readCheckpoint, writeCheckpoint, type TrackedToken } from './store';

/** ethers loads when the chain collector runs, not at every start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ethers = (): typeof Ethers => require('ethers') as typeof Ethers;
let transferTopic: string | undefined;
/** keccak256 of the ERC-20 Transfer event signature. */
const TRANSFER_TOPIC = (): string => (transferTopic ??= ethers().id('Transfer(address,address,uint256)'));
/** Addresses are kept as 40 lower-case hex digits in memory (no 0x: one allocation less per log). */
const ZERO = '0000000000000000000000000000000000000000';
const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/** The walker's tunables, from the configuration (`collect.chain`, see config.ts for defaults and bounds). */
export type ChainSettings = ChainTuning;

interface OpenDay {
  day: string;
  transfers: number;
  volume: string;
  actives: string[];
  newHolders: number;
}

export interface TokenState {
  nextBlock: number;
  fromGenesis: boolean;
  supply: string;
  holders: number;
  rangeHint: number;
  lastHash: string | null;
  open: OpenDay | null;
}

interface NetworkOpenDay {
  day: string;
  blocks: number;
  txs: number;
  gasUsed: string;
  gasLimit: string;
  gasPrices: number[];
  baseFees: number[];
}

interface NetworkState {
  nextBlock: number;
  lastHash: string | null;
  open: NetworkOpenDay | null;
}

export interface ChainRunStats {
  tokens: number;
  logs: number;
  blocks: number;
  days: number;
  fromBlock: number | null;
  toBlock: number;
  /**
   * Where the time went (ms of wall clock, so a busy machine stretches each). `networkMs` is time
   * requests were in flight (it overlaps our work, since the next range is fetched while this one
   * is aggregated; it includes reading the body); `waitMs` is time the walk sat waiting for the
   * next range; JSON parse, schema checks, decode+aggregate and store are ours. Our whole cost is
   * the process's CPU time (the collect bench measures it), which these sections do not all cover.
   */
  timings: { networkMs: number; waitMs: number; jsonMs: number; schemaMs: number; aggregateMs: number; storeMs: number; totalMs: number };
}

export function utcDay(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Block timestamps and hashes, fetched once per block in batches. Only confirmed blocks enter. */
export class BlockCache {
  private readonly ts = new Map<number, { t: number; hash: string }>();
  constructor(private readonly max = 200_000) {}
  get(n: number): { t: number; hash: string } | undefined {
    return this.ts.get(n);
  }
  clear(): void {
    this.ts.clear();
  }
  set(n: number, t: number, hash: string): void {
    if (this.ts.size >= this.max) {
      // Walks go forward; dropping the oldest half keeps memory flat.
      const keys = [...this.ts.keys()].sort((a, b) => a - b).slice(0, this.max >> 1);
      for (const k of keys) this.ts.delete(k);
    }
    this.ts.set(n, { t, hash });
  }
}

/** Batches of headers in flight at once; the provider's bucket still paces them. */
const HEADER_BATCHES_IN_FLIGHT = 4;

async function fetchHeaders(rpc: RpcClient, blocks: number[], batchSize: number, cache: BlockCache, signal: AbortSignal): Promise<void> {
  const missing = [...new Set(blocks)].filter((b) => cache.get(b) === undefined);
  const chunks: number[][] = [];
  for (let i = 0; i < missing.length; i += batchSize) chunks.push(missing.slice(i, i + batchSize));
  for (let i = 0; i < chunks.length; i += HEADER_BATCHES_IN_FLIGHT) {
    await Promise.all(
      chunks.slice(i, i + HEADER_BATCHES_IN_FLIGHT).map(async (chunk) => {
        const out = await rpc.batch(
          chunk.map((b) => ({ method: 'eth_getBlockByNumber', params: [toHex(b), false] })),
          signal,
        );
        out.forEach((o, j) => {
          if (!o.ok) throw o.error;
          const blk = RpcBlock.safeParse(o.value);
          if (!blk.success) throw new AppError('MALFORMED_DATA', `rpc: block ${chunk[j]} does not have the expected shape`);
          cache.set(hexToNumber(blk.data.number), hexToNumber(blk.data.timestamp), blk.data.hash);
        });
      }),
    );
  }
}

async function tokenMetadata(rpc: RpcClient, address: string, signal: AbortSignal): Promise<{ decimals: number; symbol: string | null }> {
  const out = await rpc.batch(
    [
      { method: 'eth_call', params: [{ to: address, data: '0x313ce567' }, 'latest'] },
      { method: 'eth_call', params: [{ to: address, data: '0x95d89b41' }, 'latest'] },
    ],
    signal,
  );
  const dec = out[0];
  if (!dec?.ok || typeof dec.value !== 'string' || !HEX32.test(dec.value)) throw new AppError('UPSTREAM', `rpc: ${address} does not answer decimals() like an ERC-20`);
  const decimals = Number(BigInt(dec.value));
  if (decimals > 255) throw new AppError('MALFORMED_DATA', `rpc: ${address} reports ${decimals} decimals`);
  let symbol: string | null = null;
  const sym = out[1];
  if (sym?.ok && typeof sym.value === 'string') {
    try {
      symbol = ethers().AbiCoder.defaultAbiCoder().decode(['string'], sym.value)[0] as string;
    } catch {
      // Old tokens return bytes32.
      if (HEX32.test(sym.value)) symbol = Buffer.from(sym.value.slice(2), 'hex').toString('utf8').replace(/\0+$/, '') || null;
    }
  }
  return { decimals, symbol };
}

interface ClosedDay {
  day: string;
  transfers: number;
  volume: string;
  newHolders: number;
  activeCount: number;
  holders: number;
  top10: number | null;
}

/** The fields of a log the walker reads. */
interface RpcLog {
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean | undefined;
}

const LOG_TEXT_FIELDS = ['data', 'blockNumber', 'transactionHash', 'logIndex'] as const;

/**
 * Where a result is not a list of logs with the fields we read of the right types ("path:
 * problem"), or null. A plain loop that keeps the answer's own objects: an object schema copied
 * every log and cost more than the rest of our per-log work on a loaded machine.
 */
function logsProblem(v: unknown): string | null {
  if (!Array.isArray(v)) return '(root): expected an array of logs';
  for (let i = 0; i < v.length; i++) {
    const l: unknown = v[i];
    if (typeof l !== 'object' || l === null || Array.isArray(l)) return `${i}: expected a log object`;
    const o = l as Record<string, unknown>;
    const topics = o.topics;
    if (!Array.isArray(topics)) return `${i}.topics: expected an array`;
    for (let k = 0; k < topics.length; k++) if (typeof topics[k] !== 'string') return `${i}.topics.${k}: expected a string`;
    for (const f of LOG_TEXT_FIELDS) if (typeof o[f] !== 'string') return `${i}.${f}: expected a string`;
    if (o.removed !== undefined && typeof o.removed !== 'boolean') return `${i}.removed: expected a boolean`;
  }
  return null;
}

/**
 * The hot path's schema: the shape and types of each log's fields we read. Their values are
 * checked where they are decoded (quantities as hex numbers, topics as 32-byte words, data as one
 * uint256), which costs a fraction of a per-field regex at 50,000 logs a second.
 */
export const RpcLogs = z.custom<RpcLog[]>((v) => logsProblem(v) === null, { error: (iss) => logsProblem(iss.input) ?? 'not a list of logs' });

function quantity(hex: string, what: string): number {
  const n = hexToNumber(hex);
  if (!Number.isSafeInteger(n) || n < 0 || hex.charCodeAt(1) !== 120) throw new AppError('MALFORMED_DATA', `rpc: ${what} "${hex.slice(0, 20)}" is not a hex quantity`);
  return n;
}

const isHexDigit = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/**
 * A Transfer's data word: "0x" and 64 hex digits (an empty "0x" is zero), else null. As strict
 * as /^0x[0-9a-fA-F]{64}$/ for a fraction of its cost: BigInt rejects any other character while
 * it parses, and the checks here refuse what it would accept (a "0X" prefix, trailing space).
 */
function uint256(data: string): bigint | null {
  if (data === '0x') return 0n;
  if (data.length !== 66 || data.charCodeAt(0) !== 48 || data.charCodeAt(1) !== 120 || !isHexDigit(data.charCodeAt(65))) return null;
  try {
    return BigInt(data);
  } catch {
    return null;
  }
}

/** Whether logs are in chain order (block, then log index); their quantities were checked when they arrived. */
function inChainOrder(logs: readonly RpcLog[]): boolean {
  let pb = -1;
  let pi = -1;
  for (const l of logs) {
    const b = Number.parseInt(l.blockNumber, 16);
    const i = Number.parseInt(l.logIndex, 16);
    if (b < pb || (b === pb && i < pi)) return false;
    pb = b;
    pi = i;
  }
  return true;
}

/** A range's logs, with the fetch of its blocks' headers (into the block cache) under way. */
interface Fetched {
  from: number;
  end: number;
  logs: RpcLog[];
  headers: Promise<void>;
}

/** Applies Transfer logs in chain order to the aggregator; malformed values fail the whole range. */
function applyLogs(raw: RpcLog[], agg: TokenAggregator, cache: BlockCache): void {
  // Providers return logs in order, but a merged answer need not be; order is what makes days right.
  const logs = inChainOrder(raw) ? raw : [...raw].sort((x, y) => hexToNumber(x.blockNumber) - hexToNumber(y.blockNumber) || hexToNumber(x.logIndex) - hexToNumber(y.logIndex));
  const topic = TRANSFER_TOPIC();
  let dayBlock = '';
  let day = '';
  for (const l of logs) {
    const topics = l.topics;
    if (l.removed === true || topics.length !== 3) continue;
    const t0 = topics[0] as string;
    if (t0 !== topic && t0.toLowerCase() !== topic) continue;
    const t1 = topics[1] as string;
    const t2 = topics[2] as string;
    const value = uint256(l.data);
    if (t1.length !== 66 || t2.length !== 66 || value === null) throw new AppError('MALFORMED_DATA', `rpc: Transfer log ${l.transactionHash}:${hexToNumber(l.logIndex)} is not (address, address, uint256)`);
    // Logs of one block come together: its day is looked up once.
    if (l.blockNumber !== dayBlock) {
      const block = hexToNumber(l.blockNumber);
      const ts = cache.get(block);
      if (ts === undefined) throw new AppError('INTERNAL', `no timestamp for block ${block}`);
      day = utcDay(ts.t);
      dayBlock = l.blockNumber;
    }
    agg.apply(t1.slice(26).toLowerCase(), t2.slice(26).toLowerCase(), value, day);
  }
}

/**
 * What the walk knows of one address: its balance, the day it first held the token, whether its
 * balance changed since the last commit and the last day it was active. One entry per address
 * seen, so a log costs one map lookup per side; an address only ever sent zero-value transfers
 * has an entry with no balance and no first day, which is never stored.
 */
interface Holder {
  readonly addr: string;
  bal: bigint;
  /** Day of its first balance change (null: none yet). */
  first: string | null;
  dirty: boolean;
  /** Sequence number of the last day it sent or received on. */
  active: number;
}

/** A stored balance row, the address as 40 lower-case hex digits. */
interface StoredBalance {
  addr: string;
  bal: bigint;
  first: string;
}

/** One token's in-memory aggregation state between commits. */
class TokenAggregator {
  private readonly balances = new Map<string, Holder>();
  /** Entries whose balance changed since the last commit. */
  private dirty: Holder[] = [];
  readonly closed: ClosedDay[] = [];
  /** Distinct senders and receivers of the open day, and that day's sequence number. */
  private actives: string[] = [];
  private daySeq = 0;
  private volume = 0n;
  supply: bigint;
  holders: number;
  open: OpenDay | null;

  constructor(state: TokenState, stored: Iterable<StoredBalance>) {
    this.supply = BigInt(state.supply);
    this.holders = state.holders;
    this.open = state.open;
    for (const b of stored) this.balances.set(b.addr, { addr: b.addr, bal: b.bal, first: b.first, dirty: false, active: 0 });
    if (state.open) {
      this.daySeq = 1;
      for (const a of state.open.actives) this.markActive(this.entry(a));
      this.volume = BigInt(state.open.volume);
    }
  }

  private entry(addr: string): Holder {
    let h = this.balances.get(addr);
    if (h === undefined) {
      h = { addr, bal: 0n, first: null, dirty: false, active: 0 };
      this.balances.set(addr, h);
    }
    return h;
  }

  private markActive(h: Holder): void {
    if (h.active === this.daySeq) return;
    h.active = this.daySeq;
    this.actives.push(h.addr);
  }

  private markDirty(h: Holder): void {
    if (h.dirty) return;
    h.dirty = true;
    this.dirty.push(h);
  }

  /** The entries whose balance changed since the last commit (a changed balance has a first day). */
  changed(): readonly Holder[] {
    return this.dirty;
  }

  /** After a commit: the changed balances are stored. */
  clearDirty(): void {
    for (const h of this.dirty) h.dirty = false;
    this.dirty = [];
  }

  /** Snapshot of the open day for the checkpoint or a row. */
  snapshotOpen(): OpenDay | null {
    if (!this.open) return null;
    return { ...this.open, volume: this.volume.toString(), actives: [...this.actives] };
  }

  private credit(h: Holder, value: bigint, day: string): void {
    if (h.first === null) {
      // First balance: a new holder.
      h.first = day;
      this.holders++;
      (this.open as OpenDay).newHolders++;
      h.bal = value;
    } else {
      const bal = h.bal + value;
      if (h.bal <= 0n && bal > 0n) this.holders++;
      h.bal = bal;
    }
    this.markDirty(h);
  }

  private debit(h: Holder, value: bigint, day: string): void {
    // A debit before any credit is only possible without full history: the (negative) balance is
    // kept so later credits net out, and that address never counts as a new holder.
    const bal = h.bal - value;
    if (h.first === null) h.first = day;
    else if (h.bal > 0n && bal <= 0n) this.holders--;
    h.bal = bal;
    this.markDirty(h);
  }

  apply(from: string, to: string, value: bigint, day: string): void {
    let open = this.open;
    if (open === null || open.day !== day) {
      // Balances right now are the previous day's closing balances.
      if (open) this.closed.push({ day: open.day, transfers: open.transfers, volume: this.volume.toString(), newHolders: open.newHolders, activeCount: this.actives.length, holders: this.holders, top10: this.top10Share() });
      open = { day, transfers: 0, volume: '0', actives: [], newHolders: 0 };
      this.open = open;
      this.actives = [];
      this.daySeq++;
      this.volume = 0n;
    }
    open.transfers++;
    this.volume += value;
    if (from === ZERO) this.supply += value;
    else {
      const h = this.entry(from);
      this.markActive(h);
      if (value > 0n) this.debit(h, value, day);
    }
    if (to === ZERO) this.supply -= value;
    else {
      const h = this.entry(to);
      this.markActive(h);
      if (value > 0n) this.credit(h, value, day);
    }
  }

  activeCount(): number {
    return this.actives.length;
  }

  top10Share(): number | null {
    if (this.supply <= 0n) return null;
    const top: bigint[] = [];
    for (const h of this.balances.values()) {
      if (h.bal <= 0n) continue;
      if (top.length < 10) {
        top.push(h.bal);
        top.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
      } else if (h.bal > (top[9] as bigint)) {
        top[9] = h.bal;
        top.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
      }
    }
    const sum = top.reduce((a, b) => a + b, 0n);
    // Scaled integer division keeps precision for 18-decimal supplies.
    return Number((sum * 1_000_000_000n) / this.supply) / 1e9;
  }
}

export interface CollectChainArgs {
  core: Core;
  rpc: RpcClient;
  tokens: TrackedToken[];
  settings: ChainSettings;
  fromBlock?: number | undefined;
  toBlock?: number | undefined;
  network: boolean;
  signal: AbortSignal;
  progress: (done: number, total: number | null, message?: string) => void;
  cache?: BlockCache;
}

export async function collectChain(args: CollectChainArgs): Promise<ChainRunStats> {
  const { core, rpc, settings, signal } = args;
  const t0 = performance.now();
  const http0 = rpc.timings();
  const acc = { aggregateMs: 0, storeMs: 0, waitMs: 0 };
  const chainId = core.config.chainId;
  const cache = args.cache ?? new BlockCache();
  const head = hexToNumber(await rpc.call('eth_blockNumber', [], HexQuantity, signal));
  const safeHead = head - settings.confirmations;
  const to = Math.min(args.toBlock ?? safeHead, safeHead);
  const stats: ChainRunStats = { tokens: args.tokens.length, logs: 0, blocks: 0, days: 0, fromBlock: null, toBlock: to, timings: { networkMs: 0, waitMs: 0, jsonMs: 0, schemaMs: 0, aggregateMs: 0, storeMs: 0, totalMs: 0 } };
  if (to < 0) return finish();

  // Plan: where each walk starts, for a total the progress bar can show.
  const plans: { token: TrackedToken | null; start: number }[] = [];
  for (const token of args.tokens) {
    const st = readCheckpoint<TokenState>(core, 'chain', `${chainId}:${token.address}`);
    plans.push({ token, start: st ? st.nextBlock : (args.fromBlock ?? token.startBlock ?? Math.max(0, to - settings.tokenLookback + 1)) });
  }
  if (args.network) {
    const st = readCheckpoint<NetworkState>(core, 'chain', `${chainId}:network`);
    plans.push({ token: null, start: st ? st.nextBlock : (args.fromBlock ?? Math.max(0, to - settings.networkLookback + 1)) });
  }
  const total = plans.reduce((s, p) => s + Math.max(0, to - p.start + 1), 0);
  let done = 0;
  const report = (msg: string): void => args.progress(done, total, msg);
  report('starting');

  for (const plan of plans) {
    if (signal.aborted) throw new AppError('CANCELLED', 'chain collection was cancelled');
    if (plan.start > to) continue;
    stats.fromBlock = stats.fromBlock === null ? plan.start : Math.min(stats.fromBlock, plan.start);
    if (plan.token) {
      const r = await walkToken(plan.token, to, (n) => {
        done += n;
        report(`${plan.token?.symbol ?? plan.token?.address}`);
      });
      stats.logs += r.logs;
      stats.days += r.days;
    } else {
      const r = await walkNetwork(to, (n) => {
        done += n;
        report('network');
      });
      stats.blocks += r.blocks;
      stats.days += r.days;
    }
  }
  return finish();

  function finish(): ChainRunStats {
    const http1 = rpc.timings();
    stats.timings = {
      networkMs: Math.round(http1.networkMs - http0.networkMs),
      waitMs: Math.round(acc.waitMs),
      jsonMs: Math.round(http1.jsonMs - http0.jsonMs),
      schemaMs: Math.round(http1.schemaMs - http0.schemaMs),
      aggregateMs: Math.round(acc.aggregateMs),
      storeMs: Math.round(acc.storeMs),
      totalMs: Math.round(performance.now() - t0),
    };
    return stats;
  }

  async function checkContinuity(scope: string, nextBlock: number, lastHash: string | null): Promise<void> {
    if (lastHash === null || nextBlock === 0) return;
    const prev = nextBlock - 1;
    // Always asked afresh: a cached header is exactly what a reorg would have invalidated.
    const blk = await rpc.call('eth_getBlockByNumber', [toHex(prev), false], RpcBlock.nullable(), signal);
    if (blk?.hash !== lastHash) {
      cache.clear();
      throw new AppError('CONFLICT', `chain: block ${prev} changed since it was collected for ${scope} (a reorg deeper than the ${settings.confirmations}-block confirmation depth); raise collect.chain.confirmations (DEFIMON_CHAIN_CONFIRMATIONS) and re-collect this token from an earlier block`);
    }
  }

  async function walkToken(token: TrackedToken, to: number, advance: (blocks: number) => void): Promise<{ logs: number; days: number }> {
    const scope = `${chainId}:${token.address}`;
    let decimals = token.decimals;
    if (decimals === null) {
      const meta = await tokenMetadata(rpc, token.address, signal);
      decimals = meta.decimals;
      core.store.write('tracked_tokens', [{ chain_id: chainId, address: token.address, asset_id: token.assetId, decimals, symbol: meta.symbol ?? token.symbol, added_at: new Date().toISOString() }]);
    }
    const prior = readCheckpoint<TokenState>(core, 'chain', scope);
    const start = prior ? prior.nextBlock : (args.fromBlock ?? token.startBlock ?? Math.max(0, to - settings.tokenLookback + 1));
    const state: TokenState = prior ?? { nextBlock: start, fromGenesis: start === 0 || (token.startBlock !== null && start <= token.startBlock), supply: '0', holders: 0, rangeHint: settings.initialRange, lastHash: null, open: null };
    await checkContinuity(scope, state.nextBlock, state.lastHash);
    const stored = function* (): Generator<StoredBalance> {
      for (const r of core.store.db.prepare<[number, string], { holder: string; balance: string; first_day: string }>('SELECT holder, balance, first_day FROM token_balances WHERE chain_id = ? AND token = ?').iterate(chainId, token.address)) {
        yield { addr: r.holder.slice(2), bal: BigInt(r.balance), first: r.first_day };
      }
    };
    const agg = new TokenAggregator(state, stored());
    const upsertBalance = core.store.db.prepare(
      'INSERT INTO token_balances (chain_id, token, holder, balance, first_day) VALUES (?, ?, ?, ?, ?) ON CONFLICT (chain_id, token, holder) DO UPDATE SET balance = excluded.balance',
    );
    const dayRow = (d: { day: string; transfers: number; volume: string; newHolders: number }, activeCount: number, holders: number, top10: number | null, now: string): Record<string, unknown> => {
      const volume = Number(ethers().formatUnits(BigInt(d.volume), decimals ?? 18));
      const price = priceOn(core, token.assetId, d.day);
      return {
        asset_id: token.assetId,
        day: d.day,
        source: 'chain',
        transfers: d.transfers,
        volume_token: volume,
        volume_usd: price === null ? null : volume * price,
        active_addresses: activeCount,
        new_holders: state.fromGenesis ? d.newHolders : null,
        holders: state.fromGenesis ? holders : null,
        top10_share: state.fromGenesis ? top10 : null,
        updated_at: now,
      };
    };

    /** Commits everything applied since the last commit: day rows, balances, checkpoint. */
    let pendingBlocks = 0;
    let lastCommit = performance.now();
    let days = 0;
    const commit = (nextBlock: number, lastHash: string | null): void => {
      const ta = performance.now();
      const now = new Date().toISOString();
      const rows: Record<string, unknown>[] = agg.closed.map((d) => dayRow(d, d.activeCount, d.holders, d.top10, now));
      const open = agg.snapshotOpen();
      // The open day's row is provisional; the next commit or run overwrites it.
      if (open) rows.push(dayRow(open, agg.activeCount(), agg.holders, state.fromGenesis ? agg.top10Share() : null, now));
      acc.aggregateMs += performance.now() - ta;
      const tsStore = performance.now();
      state.nextBlock = nextBlock;
      state.supply = agg.supply.toString();
      state.holders = agg.holders;
      state.rangeHint = range;
      state.lastHash = lastHash;
      state.open = open;
      core.store.transaction(() => {
        for (const h of agg.changed()) upsertBalance.run(chainId, token.address, `0x${h.addr}`, h.bal.toString(), h.first as string);
        core.store.write('onchain_metrics', rows);
        writeCheckpoint(core, 'chain', scope, state);
      });
      agg.clearDirty();
      days += agg.closed.length;
      agg.closed.length = 0;
      acc.storeMs += performance.now() - tsStore;
      advance(pendingBlocks);
      pendingBlocks = 0;
      lastCommit = performance.now();
    };

    /**
     * Logs of [from, end], and `headers`: the fetch of their blocks' headers into the cache, under
     * way when the logs are returned, so the walk asks for the next range before waiting for them.
     * A range refusal shrinks the range and carries on: to the provider's suggested range when it
     * gives one, to its stated block cap (remembered for the rest of the run and every token),
     * else to half; only a one-block range that is still refused is an error.
     */
    const fetchRange = async (from: number, end: number): Promise<Fetched> => {
      let unclear = false;
      for (;;) {
        try {
          const logs = await rpc.call('eth_getLogs', [{ address: token.address, topics: [TRANSFER_TOPIC()], fromBlock: toHex(from), toBlock: toHex(end) }], RpcLogs, signal);
          const blocks: number[] = [end];
          let prev = -1;
          for (const l of logs) {
            const b = quantity(l.blockNumber, 'blockNumber');
            quantity(l.logIndex, 'logIndex');
            if (b !== prev) blocks.push(b);
            prev = b;
          }
          // A refusal that named no cap: the span that worked becomes the cap (so growth stops re-asking).
          if (unclear) rpc.noteLogRange(end - from + 1);
          const headers = fetchHeaders(rpc, blocks, settings.batchSize, cache, signal);
          // Awaited by the walk before the logs are applied; a walk that fails first leaves it unobserved.
          headers.catch(() => undefined);
          return { from, end, logs, headers };
        } catch (err) {
          const hint = rangeHintOf(err);
          if (hint === null || end <= from) throw err;
          const span = end - from + 1;
          if (hint.kind === 'limit' && hint.maxBlocks !== undefined) rpc.noteLogRange(hint.maxBlocks);
          let next = Math.floor(span / 2);
          if (hint.suggested) next = hint.suggested.from === from ? hint.suggested.to - from + 1 : hint.suggested.to - hint.suggested.from + 1;
          else if (hint.kind === 'limit' && hint.maxBlocks !== undefined) next = hint.maxBlocks;
          // A hint that would not shrink the range (or a nonsense one) falls back to halving.
          if (!(next >= 1 && next < span)) next = Math.max(1, Math.floor(span / 2));
          if (hint.kind === 'unclear') unclear = true;
          end = from + next - 1;
          range = next;
          core.log.debug({ token: token.address, from, span, next, kind: hint.kind }, 'eth_getLogs range refused; shrinking');
        }
      }
    };

    let logsTotal = 0;
    let range = Math.max(1, Math.min(state.rangeHint, settings.maxRange, rpc.limits.maxLogRange ?? Number.POSITIVE_INFINITY));
    let from = state.nextBlock;
    let next: Promise<Fetched> | null = from <= to ? fetchRange(from, Math.min(to, from + range - 1)) : null;
    let sinceCommit = 0;
    try {
      while (next) {
        if (signal.aborted) throw new AppError('CANCELLED', 'chain collection was cancelled');
        const tw = performance.now();
        const cur = await next;
        acc.waitMs += performance.now() - tw;
        // Grow when sparse, shrink when dense: fewer round trips without hitting provider caps.
        const cap = Math.min(settings.maxRange, rpc.limits.maxLogRange ?? Number.POSITIVE_INFINITY);
        if (cur.logs.length < settings.targetLogs / 4) range = Math.min(cap, range * 2);
        else if (cur.logs.length > settings.targetLogs) range = Math.max(1, Math.floor(range / 2));
        from = cur.end + 1;
        // The node works on the next range while this one's headers arrive and it is aggregated.
        next = from <= to ? fetchRange(from, Math.min(to, from + range - 1)) : null;
        const th = performance.now();
        await cur.headers;
        acc.waitMs += performance.now() - th;

        const ta = performance.now();
        applyLogs(cur.logs, agg, cache);
        acc.aggregateMs += performance.now() - ta;
        logsTotal += cur.logs.length;
        sinceCommit += cur.logs.length;
        pendingBlocks += cur.end - cur.from + 1;
        // Commit in batches of logs (fewer balance rewrites), at least every few seconds, and at the end.
        if (next === null || sinceCommit >= settings.commitLogs || performance.now() - lastCommit > 5000) {
          commit(cur.end + 1, cache.get(cur.end)?.hash ?? null);
          sinceCommit = 0;
        }
      }
    } finally {
      // A failed or cancelled walk leaves its prefetch to settle unobserved.
      next?.catch(() => undefined);
    }
    if (state.open) days++;
    return { logs: logsTotal, days };
  }

  async function walkNetwork(to: number, advance: (blocks: number) => void): Promise<{ blocks: number; days: number }> {
    const scope = `${chainId}:network`;
    const prior = readCheckpoint<NetworkState>(core, 'chain', scope);
    const state: NetworkState = prior ?? { nextBlock: args.fromBlock ?? Math.max(0, to - settings.networkLookback + 1), lastHash: null, open: null };
    await checkContinuity(scope, state.nextBlock, state.lastHash);
    let blocks = 0;
    let days = 0;
    const span = Math.max(1, settings.batchSize);
    let from = state.nextBlock;
    while (from <= to) {
      if (signal.aborted) throw new AppError('CANCELLED', 'chain collection was cancelled');
      const end = Math.min(to, from + span - 1);
      const nums: number[] = [];
      for (let b = from; b <= end; b++) nums.push(b);
      const out = await rpc.batch(
        nums.map((b) => ({ method: 'eth_getBlockByNumber', params: [toHex(b), b % settings.gasSampleEvery === 0] })),
        signal,
      );
      const ta = performance.now();
      const closed: NetworkOpenDay[] = [];
      let lastHash: string | null = state.lastHash;
      out.forEach((o, j) => {
        if (!o.ok) throw o.error;
        const parsed = RpcBlock.safeParse(o.value);
        if (!parsed.success) throw new AppError('MALFORMED_DATA', `rpc: block ${nums[j]} does not have the expected shape`);
        const blk = parsed.data;
        const n = hexToNumber(blk.number);
        const t = hexToNumber(blk.timestamp);
        cache.set(n, t, blk.hash);
        lastHash = blk.hash;
        const day = utcDay(t);
        if (state.open === null || state.open.day !== day) {
          if (state.open) closed.push(state.open);
          state.open = { day, blocks: 0, txs: 0, gasUsed: '0', gasLimit: '0', gasPrices: [], baseFees: [] };
        }
        const d = state.open;
        d.blocks++;
        d.txs += blk.transactions.length;
        d.gasUsed = (BigInt(d.gasUsed) + BigInt(blk.gasUsed)).toString();
        d.gasLimit = (BigInt(d.gasLimit) + BigInt(blk.gasLimit)).toString();
        if (blk.baseFeePerGas) d.baseFees.push(Number(BigInt(blk.baseFeePerGas)) / 1e9);
        const prices: number[] = [];
        for (const tx of blk.transactions) if (typeof tx === 'object' && tx.gasPrice) prices.push(Number(BigInt(tx.gasPrice)) / 1e9);
        const m = median(prices);
        if (m !== null) d.gasPrices.push(m);
      });
      const now = new Date().toISOString();
      const row = (d: NetworkOpenDay): Record<string, unknown> => {
        const used = Number(BigInt(d.gasUsed));
        const limit = Number(BigInt(d.gasLimit));
        return { chain_id: chainId, day: d.day, source: 'chain', blocks: d.blocks, transactions: d.txs, gas_used: used, gas_limit: limit, utilisation: limit > 0 ? used / limit : null, median_gas_price_gwei: median(d.gasPrices), median_base_fee_gwei: median(d.baseFees), updated_at: now };
      };
      const rows = [...closed.map(row), ...(state.open ? [row(state.open)] : [])];
      acc.aggregateMs += performance.now() - ta;
      const tsStore = performance.now();
      state.nextBlock = end + 1;
      state.lastHash = lastHash;
      core.store.transaction(() => {
        core.store.write('network_metrics', rows);
        writeCheckpoint(core, 'chain', scope, state);
      });
      acc.storeMs += performance.now() - tsStore;
      blocks += nums.length;
      days += closed.length;
      advance(nums.length);
      from = end + 1;
    }
    if (state.open) days++;
    return { blocks, days };
  }
}
