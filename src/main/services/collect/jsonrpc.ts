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

const RANGE_PATTERNS = [/more than \d+ results/i, /too many (results|logs)/i, /range (is )?too (large|wide|big)/i, /block range/i, /exceed(s|ed)? (the )?max(imum)?/i, /response size/i, /limit exceeded/i, /query timeout/i, /returned more than/i];
const RATE_PATTERNS = [/rate ?limit/i, /too many requests/i, /request limit/i, /exceeded .*(capacity|credits)/i];
const TRANSIENT_PATTERNS = [/header not found/i, /unknown block/i, /timeout/i, /temporar/i, /try again/i, /busy/i];

/** Turns a JSON-RPC error object into an AppError with the right retry decision. */
export function classifyRpcError(provider: string, method: string, err: { code: number; message: string }): AppError {
  const msg = `${method}: ${err.message} (code ${err.code})`;
  if (err.code === 3 || /revert/i.test(err.message)) return upstreamError('UPSTREAM', provider, `${msg}: reverted`);
  if (err.code === -32601 || err.code === -32602 || err.code === -32600 || err.code === -32700) return upstreamError('UPSTREAM', provider, msg);
  if (RATE_PATTERNS.some((r) => r.test(err.message)) || err.code === 429) return upstreamError('RATE_LIMITED', provider, msg, { retryable: true });
  if (method === 'eth_getLogs' && (err.code === -32005 || RANGE_PATTERNS.some((r) => r.test(err.message)))) {
    const e = upstreamError('UPSTREAM', provider, msg);
    (e.details as Record<string, unknown>).rangeTooLarge = true;
    return e;
  }
  if (TRANSIENT_PATTERNS.some((r) => r.test(err.message)) || err.code === -32603 || err.code === -32000) return upstreamError('UPSTREAM', provider, msg, { retryable: true });
  return upstreamError('UPSTREAM', provider, msg);
}

export function isRangeTooLarge(err: unknown): boolean {
  return err instanceof AppError && err.details?.rangeTooLarge === true;
}

export interface RpcClient {
  readonly http: HttpClient;
  call<S extends z.ZodType>(method: string, params: unknown[], schema: S, signal?: AbortSignal): Promise<z.output<S>>;
  /** One HTTP request for many calls; outcomes in call order. Retries the whole batch on a transient error of any item. */
  batch(calls: readonly RpcCall[], signal?: AbortSignal): Promise<RpcOutcome[]>;
  /** The HTTP client's timings, with result schema checks included in `schemaMs`. */
  timings(): { networkMs: number; jsonMs: number; schemaMs: number };
}

export function createRpcClient(core: Pick<Core, 'ports' | 'log'>, opts: { url: string; policy?: Partial<ProviderPolicy>; fetch?: typeof fetch }): RpcClient {
  const http = createHttpClient(core, { name: 'rpc', ratePerSec: 25, burst: 25, timeoutMs: 30_000, ...opts.policy }, opts.fetch ? { fetch: opts.fetch } : {});
  const provider = http.policy.name;
  let nextId = 1;
  let resultSchemaMs = 0;
  let batchUnsupported = false;

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

  const client: RpcClient = {
    http,
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
      if (batchUnsupported) return singly(calls, signal);
      const first = nextId;
      nextId += calls.length;
      const body = calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params }));
      let res;
      try {
        res = await http.request({
          url: opts.url,
          method: 'POST',
          body,
          schema: z.array(RpcResponse),
          signal,
          what: `batch of ${calls.length} ${calls[0]?.method ?? ''}`,
          inspect: (b) => {
            // A provider that rejects batching answers one error object instead of an array.
            if (!Array.isArray(b)) {
              const parsed = RpcErrorObject.safeParse((b as { error?: unknown } | null)?.error);
              if (parsed.success) {
                const e = classifyRpcError(provider, 'batch', parsed.data);
                if (!e.retryable) (e.details as Record<string, unknown>).batchRejected = true;
                throw e;
              }
              return;
            }
            for (const item of b as { error?: unknown }[]) {
              const parsed = RpcErrorObject.safeParse(item?.error);
              if (parsed.success) {
                const e = classifyRpcError(provider, 'batch item', parsed.data);
                if (e.retryable) throw e;
              }
            }
          },
        });
      } catch (err) {
        // Plans without batching (or with a smaller batch cap) reject the whole array: ask one by one from now on.
        if (err instanceof AppError && err.details?.batchRejected === true) {
          batchUnsupported = true;
          core.log.warn({ provider, message: err.message }, 'JSON-RPC batching rejected; sending calls one by one');
          return singly(calls, signal);
        }
        throw err;
      }
      const byId = new Map<number | string | null, RpcResponse>();
      for (const r of res.data) byId.set(r.id, r);
      return calls.map((c, i): RpcOutcome => {
        const r = byId.get(first + i);
        if (!r) return { ok: false, error: upstreamError('MALFORMED_DATA', provider, `${c.method}: no answer in the batch for id ${first + i}`) };
        if (r.error) return { ok: false, error: classifyRpcError(provider, c.method, r.error) };
        return { ok: true, value: r.result };
      });
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
