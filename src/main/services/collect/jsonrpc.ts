/**
 * Ethereum JSON-RPC over the shared HTTP discipline, with batching. Errors inside a 200 are
 * classified like Ponder does: rate limits and transient node errors are retried; a revert,
 * an unknown method or bad params never are; "too many results"/"range too large" become
 * RANGE_TOO_LARGE so the log walker can shrink its block range.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import { createHttpClient, upstreamError, type HttpClient, type ProviderPolicy } from './http';

const Hex = z.string().regex(/^0x[0-9a-fA-F]*$/, 'expected 0x-hex');
export const HexQuantity = z.string().regex(/^0x[0-9a-fA-F]+$/, 'expected a 0x-hex quantity');

export const RpcLog = z.object({
  address: Hex,
  topics: z.array(Hex),
  data: Hex,
  blockNumber: HexQuantity,
  blockHash: Hex.optional(),
  transactionHash: Hex,
  logIndex: HexQuantity,
  removed: z.boolean().optional(),
});
export type RpcLog = z.infer<typeof RpcLog>;

const RpcTx = z.object({ gasPrice: HexQuantity.optional(), hash: Hex.optional() }).passthrough();
export const RpcBlock = z.object({
  number: HexQuantity,
  hash: Hex,
  timestamp: HexQuantity,
  gasUsed: HexQuantity,
  gasLimit: HexQuantity,
  baseFeePerGas: HexQuantity.optional().nullable(),
  transactions: z.array(z.union([Hex, RpcTx])),
});
export type RpcBlock = z.infer<typeof RpcBlock>;

const RpcErrorObject = z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() });
const RpcResponse = z.object({ jsonrpc: z.literal('2.0').optional(), id: z.union([z.number(), z.string(), z.null()]), result: z.unknown().optional(), error: RpcErrorObject.optional() });
type RpcResponse = z.infer<typeof RpcResponse>;

export interface RpcCall {
  method: string;
  params: unknown[];
}

export type RpcOutcome = { ok: true; value: unknown } | { ok: false; error: AppError };

/**
 * What a refused `eth_getLogs` says about a range that would work. Providers answer a range
 * that is too wide or too dense in their own words, under codes that elsewhere mean "malformed
 * request" (-32600, -32602), so the message and the HTTP status are read before the code:
 * - `limit`: a fixed block-span cap (Alchemy free tier "up to a 500 block range", Infura
 *   "range N exceeds limit of M", QuickNode HTTP 413 / -32614 "limited to a 10,000 range");
 * - `size`: too many results for this span (Alchemy "Log response size exceeded", Infura -32005
 *   "query returned more than 10000 results"), which depends on the blocks, not on the span;
 * - `unclear`: a range-shaped refusal with no hint (a bare -32602 "invalid params", an HTTP 413
 *   without a JSON-RPC body): the walker halves before concluding the request itself is bad.
 * `suggested` is the block range the provider proposes, when it proposes one.
 */
export interface RangeHint {
  kind: 'limit' | 'size' | 'unclear';
  maxBlocks?: number;
  suggested?: { from: number; to: number };
}

const SIZE_PATTERNS = [/response size (exceeded|too (large|big))/i, /returned more than [\d,]+ (results|logs)/i, /more than [\d,]+ (results|logs)/i, /too many (results|logs)/i, /(results|logs) (limit|cap) exceeded/i, /query timeout/i];
/** Block-span caps; the first group is the number of blocks (with "10,000" and "2K" spellings). */
const LIMIT_PATTERNS = [/up to an? ([\d,.]+k?) block range/i, /exceeds (?:the )?limit of ([\d,.]+k?)/i, /limited to an? ([\d,.]+k?)(?: block)? range/i, /max(?:imum)? (?:block )?range (?:is |of )?([\d,.]+k?)/i, /block range (?:limit|cap)(?: is| of)? ([\d,.]+k?)/i];
const RANGE_PATTERNS = [/block range/i, /range (is )?too (large|wide|big)/i, /exceed(s|ed)? (the )?max(imum)?/i, /limit exceeded/i];
const RATE_PATTERNS = [/rate ?limit/i, /too many requests/i, /request limit/i, /exceeded .*(capacity|credits)/i];
const TRANSIENT_PATTERNS = [/header not found/i, /unknown block/i, /timeout/i, /temporar/i, /try again/i, /busy/i];
/** A JSON-RPC error about the batch itself (geth/Bor "batch too large", Erigon "batch limit 100 exceeded"). */
const BATCH_LIMIT_PATTERNS = [/batch (too large|size too large|limit)/i, /too many requests in (the )?batch/i, /batch .*exceed/i];
const BATCH_UNSUPPORTED = [/batch.*not (supported|allowed|available)/i, /does not support batch/i];
const SUGGESTED = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i;

function parseCount(text: string): number | null {
  const m = /^([\d,.]+)(k?)$/i.exec(text.trim());
  if (!m) return null;
  const n = Number((m[1] as string).replace(/,/g, '')) * (m[2] ? 1000 : 1);
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : null;
}

/** The range hint in a JSON-RPC error answered to `eth_getLogs`, or null when it is not about the range. */
export function rangeHintFrom(err: { code: number; message: string }, httpStatus?: number): RangeHint | null {
  const m = SUGGESTED.exec(err.message);
  const suggested = m ? { from: Number.parseInt(m[1] as string, 16), to: Number.parseInt(m[2] as string, 16) } : undefined;
  const withSuggested = (h: RangeHint): RangeHint => (suggested && suggested.to >= suggested.from ? { ...h, suggested } : h);
  if (SIZE_PATTERNS.some((r) => r.test(err.message))) return withSuggested({ kind: 'size' });
  for (const r of LIMIT_PATTERNS) {
    const lm = r.exec(err.message);
    const n = lm ? parseCount(lm[1] as string) : null;
    if (n !== null) return withSuggested({ kind: 'limit', maxBlocks: n });
  }
  if (suggested || RANGE_PATTERNS.some((r) => r.test(err.message))) return withSuggested({ kind: 'unclear' });
  // Infura's documented "more results than allowed" code, and answers that say nothing useful.
  if (err.code === -32005) return { kind: 'size' };
  if (httpStatus === 413 || err.code === -32602 || err.code === -32614) return { kind: 'unclear' };
  return null;
}

/** The batch size a provider's "batch too large" answer allows: a number when it says one, 0 when it does not; null when the error is not about the batch size. */
export function batchLimitFrom(message: string): number | null {
  if (!BATCH_LIMIT_PATTERNS.some((r) => r.test(message))) return null;
  const m = /batch (?:size )?limit(?: of| is)? (\d+)/i.exec(message) ?? /max(?:imum)? batch(?: size)?(?: of| is)? (\d+)/i.exec(message);
  return m ? Number(m[1]) : 0;
}

/** Turns a JSON-RPC error object into an AppError with the right retry decision. */
export function classifyRpcError(provider: string, method: string, err: { code: number; message: string }, httpStatus?: number): AppError {
  const msg = `${method}: ${err.message} (code ${err.code}${httpStatus !== undefined && httpStatus !== 200 ? `, HTTP ${httpStatus}` : ''})`;
  if (err.code === 3 || /revert/i.test(err.message)) return upstreamError('UPSTREAM', provider, `${msg}: reverted`);
  // What the message and status say comes before the code: -32600/-32602 often mean "range too wide".
  if (method === 'eth_getLogs') {
    const hint = rangeHintFrom(err, httpStatus);
    if (hint) return upstreamError('UPSTREAM', provider, msg, { details: { rangeTooLarge: true, range: hint } });
  }
  if (RATE_PATTERNS.some((r) => r.test(err.message)) || err.code === 429) return upstreamError('RATE_LIMITED', provider, msg, { retryable: true });
  if (err.code === -32601 || err.code === -32602 || err.code === -32600 || err.code === -32700) return upstreamError('UPSTREAM', provider, msg);
  if (TRANSIENT_PATTERNS.some((r) => r.test(err.message)) || err.code === -32603 || err.code === -32000) return upstreamError('UPSTREAM', provider, msg, { retryable: true });
  return upstreamError('UPSTREAM', provider, msg);
}

export function isRangeTooLarge(err: unknown): boolean {
  return err instanceof AppError && err.details?.rangeTooLarge === true;
}

/** The range hint an `eth_getLogs` failure carries, or null. */
export function rangeHintOf(err: unknown): RangeHint | null {
  return err instanceof AppError && err.details?.rangeTooLarge === true ? ((err.details.range as RangeHint | undefined) ?? { kind: 'unclear' }) : null;
}

/** What the client has learnt about this provider's limits (per RPC URL; kept between runs by an RpcLimitsStore). */
export interface RpcLimits {
  /** Widest eth_getLogs block span the provider accepts, once it has said so; null until then. */
  maxLogRange: number | null;
  /** Largest batch the provider accepts; null until it refused one; 1 means single calls. */
  maxBatch: number | null;
}

/**
 * Where learnt limits outlive the process, so a restart does not learn them again by being
 * refused. `load` answers what was kept for this provider (null: nothing, or too old to trust).
 */
export interface RpcLimitsStore {
  load(): Partial<RpcLimits> | null;
  save(limits: RpcLimits): void;
}

const positiveInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : null);

export interface RpcClient {
  readonly http: HttpClient;
  /** What this provider has told us about its limits so far. */
  readonly limits: RpcLimits;
  /** Records a block-span cap learnt from an eth_getLogs refusal (only ever narrows). */
  noteLogRange(maxBlocks: number): void;
  call<S extends z.ZodType>(method: string, params: unknown[], schema: S, signal?: AbortSignal): Promise<z.output<S>>;
  /**
   * One HTTP request for many calls; outcomes in call order. Retries the whole batch on a
   * transient error of any item. A provider that refuses the batch's size (geth/Bor's one-element
   * "batch too large" array, Erigon's "batch limit N exceeded", HTTP 413) gets smaller batches
   * from then on, down to single calls; one that refuses batching gets single calls.
   */
  batch(calls: readonly RpcCall[], signal?: AbortSignal): Promise<RpcOutcome[]>;
  /** The HTTP client's timings, with result schema checks included in `schemaMs`. */
  timings(): { networkMs: number; jsonMs: number; schemaMs: number };
}

/** An error object in a JSON-RPC answer body (single or a one-element batch answer), or null. */
function errorIn(text: string): { code: number; message: string } | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  const one = Array.isArray(body) ? (body.length === 1 ? (body[0] as unknown) : null) : body;
  const parsed = RpcErrorObject.safeParse((one as { error?: unknown } | null)?.error);
  return parsed.success ? parsed.data : null;
}

function batchRefused(provider: string, message: string, limit: number): AppError {
  return upstreamError('UPSTREAM', provider, `batch: ${message}`, { details: { batchLimit: limit } });
}

export function createRpcClient(core: Pick<Core, 'ports' | 'log'>, opts: { url: string; policy?: Partial<ProviderPolicy>; fetch?: typeof fetch; limitsStore?: RpcLimitsStore }): RpcClient {
  const http = createHttpClient(core, { name: 'rpc', ratePerSec: 25, burst: 25, timeoutMs: 30_000, ...opts.policy }, opts.fetch ? { fetch: opts.fetch } : {});
  const provider = http.policy.name;
  let nextId = 1;
  let resultSchemaMs = 0;
  const kept = opts.limitsStore?.load() ?? null;
  const limits: RpcLimits = { maxLogRange: positiveInt(kept?.maxLogRange), maxBatch: positiveInt(kept?.maxBatch) };
  if (limits.maxLogRange !== null || limits.maxBatch !== null) core.log.info({ provider, ...limits }, "using this provider's limits learnt in an earlier run");
  const keep = (): void => {
    try {
      opts.limitsStore?.save({ ...limits });
    } catch (err) {
      // Not keeping them costs one refusal next run, never this run.
      core.log.warn({ provider, err: (err as Error).message }, 'could not keep the learnt provider limits');
    }
  };

  /** The batch's calls as single requests, a few at a time, outcomes in call order. */
  async function singly(calls: readonly RpcCall[], signal?: AbortSignal): Promise<RpcOutcome[]> {
    const out: RpcOutcome[] = [];
    for (let i = 0; i < calls.length; i += 8) {
      const part = await Promise.all(
        calls.slice(i, i + 8).map(async (c): Promise<RpcOutcome> => {
          try {
            return { ok: true, value: await client.call(c.method, c.params, z.unknown(), signal) };
          } catch (err) {
            if (err instanceof AppError && !err.retryable && err.code !== 'CANCELLED') return { ok: false, error: err };
            throw err;
          }
        }),
      );
      out.push(...part);
    }
    return out;
  }

  /** One batch request; a refusal of the batch itself throws with `details.batchLimit` (0: smaller, size unknown). */
  async function sendBatch(calls: readonly RpcCall[], signal?: AbortSignal): Promise<RpcOutcome[]> {
    const first = nextId;
    nextId += calls.length;
    const body = calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params }));
    const res = await http.request({
      url: opts.url,
      method: 'POST',
      body,
      schema: z.array(RpcResponse),
      signal,
      what: `batch of ${calls.length} ${calls[0]?.method ?? ''}`,
      inspectFailure: (status, text) => {
        const e = errorIn(text);
        const limit = e ? batchLimitFrom(e.message) : null;
        if (limit !== null) throw batchRefused(provider, e?.message ?? '', limit);
        if (status === 413) throw batchRefused(provider, `HTTP 413 for ${calls.length} calls`, 0);
      },
      inspect: (b) => {
        if (!Array.isArray(b)) {
          // One error object instead of an array: a batch limit (Erigon), no batching on this plan, or a node error.
          const parsed = RpcErrorObject.safeParse((b as { error?: unknown } | null)?.error);
          if (!parsed.success) return;
          const limit = batchLimitFrom(parsed.data.message);
          if (limit !== null) throw batchRefused(provider, parsed.data.message, limit);
          if (BATCH_UNSUPPORTED.some((r) => r.test(parsed.data.message))) throw batchRefused(provider, parsed.data.message, 1);
          const e = classifyRpcError(provider, 'batch', parsed.data);
          if (e.retryable) throw e;
          throw batchRefused(provider, parsed.data.message, 1);
        }
        const items = b as { error?: unknown }[];
        for (const item of items) {
          const parsed = RpcErrorObject.safeParse(item?.error);
          if (!parsed.success) continue;
          // geth and Bor answer an over-long batch with one element: the first id and "batch too large".
          if (items.length < calls.length) {
            const limit = batchLimitFrom(parsed.data.message);
            if (limit !== null) throw batchRefused(provider, parsed.data.message, limit);
          }
          const e = classifyRpcError(provider, 'batch item', parsed.data);
          if (e.retryable) throw e;
        }
      },
    });
    const byId = new Map<number | string | null, RpcResponse>();
    for (const r of res.data) byId.set(r.id, r);
    return calls.map((c, i): RpcOutcome => {
      const r = byId.get(first + i);
      if (!r) return { ok: false, error: upstreamError('MALFORMED_DATA', provider, `${c.method}: no answer in the batch for id ${first + i}`) };
      if (r.error) return { ok: false, error: classifyRpcError(provider, c.method, r.error) };
      return { ok: true, value: r.result };
    });
  }

  const client: RpcClient = {
    http,
    limits,
    noteLogRange(maxBlocks) {
      const n = Math.max(1, Math.floor(maxBlocks));
      if (limits.maxLogRange !== null && limits.maxLogRange <= n) return;
      limits.maxLogRange = n;
      keep();
      core.log.info({ provider, maxLogRange: n }, 'eth_getLogs block range capped by the provider');
    },
    timings() {
      const t = http.timings();
      return { ...t, schemaMs: t.schemaMs + resultSchemaMs };
    },
    async call(method, params, schema, signal) {
      const id = nextId++;
      const res = await http.request({
        url: opts.url,
        method: 'POST',
        body: { jsonrpc: '2.0', id, method, params },
        schema: RpcResponse,
        signal,
        what: method,
        inspectFailure: (status, text) => {
          // QuickNode answers an over-wide eth_getLogs with HTTP 413 and a JSON-RPC error body.
          const e = errorIn(text);
          if (e && status !== 429 && status !== 401 && status !== 403 && status < 500) throw classifyRpcError(provider, method, e, status);
          if (status === 413 && method === 'eth_getLogs') throw classifyRpcError(provider, method, { code: -32614, message: `HTTP 413 ${text.slice(0, 120)}` }, status);
        },
        inspect: (body) => {
          const e = (body as { error?: unknown } | null)?.error;
          const parsed = RpcErrorObject.safeParse(e);
          if (parsed.success) throw classifyRpcError(provider, method, parsed.data);
        },
      });
      const t0 = performance.now();
      const out = schema.safeParse(res.data.result);
      resultSchemaMs += performance.now() - t0;
      if (!out.success) throw upstreamError('MALFORMED_DATA', provider, `${method}: result does not have the expected shape: ${out.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      return out.data;
    },
    async batch(calls, signal) {
      if (calls.length === 0) return [];
      const cap = limits.maxBatch;
      if (cap !== null && cap <= 1) return singly(calls, signal);
      if (cap !== null && calls.length > cap) {
        const out: RpcOutcome[] = [];
        for (let i = 0; i < calls.length; i += cap) out.push(...(await client.batch(calls.slice(i, i + cap), signal)));
        return out;
      }
      try {
        return await sendBatch(calls, signal);
      } catch (err) {
        const said = err instanceof AppError ? err.details?.batchLimit : undefined;
        if (typeof said !== 'number') throw err;
        // Remember the provider's cap (never widening it) and split; at 1 every call goes alone.
        const next = Math.max(1, said > 0 ? Math.min(said, calls.length - 1) : Math.floor(calls.length / 2));
        limits.maxBatch = Math.min(limits.maxBatch ?? next, next);
        keep();
        core.log.warn({ provider, maxBatch: limits.maxBatch, message: (err as Error).message }, limits.maxBatch === 1 ? 'JSON-RPC batch refused; sending calls one by one' : 'JSON-RPC batch too large; using smaller batches');
        return client.batch(calls, signal);
      }
    },
  };
  return client;
}

export function hexToNumber(hex: string): number {
  return Number.parseInt(hex, 16);
}

export function toHex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

export function ensureRpcUrl(url: string | undefined): string {
  if (!url) throw new AppError('NOT_CONFIGURED', 'no Polygon RPC URL: set DEFIMON_RPC_URL (or rpcUrl in settings, or pass --rpc)');
  if (!/^https?:\/\//i.test(url)) throw new AppError('INVALID_INPUT', 'the RPC URL must start with http:// or https:// (a wss:// URL goes in rpcWsUrl)');
  return url;
}

/** Code, storage and calls by address: what other domains (the audit) read from chain. */
export interface ChainReader {
  getCode(address: string): Promise<string>;
  getStorage(address: string, slot: string | bigint): Promise<string>;
  call(tx: { to: string; data: string }): Promise<string>;
}

/** A chain reader on the collectors' RPC client: the same rate limiter, retry policy and error taxonomy. */
export function chainReaderOf(rpc: RpcClient): ChainReader {
  return {
    getCode: (address) => rpc.call('eth_getCode', [address, 'latest'], Hex),
    // Slots as quantities (no leading zeros), which every node accepts.
    getStorage: (address, slot) => rpc.call('eth_getStorageAt', [address, toHex(BigInt(slot)), 'latest'], Hex),
    call: (tx) => rpc.call('eth_call', [{ to: tx.to, data: tx.data }, 'latest'], Hex),
  };
}
