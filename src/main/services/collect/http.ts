/**
 * The one client discipline every external source goes through (HTTP APIs and JSON-RPC):
 *
 * - a per-provider token bucket (`core.ports.limiter`, shared across a team when Redis is set);
 * - a timeout per attempt, and the caller's AbortSignal honoured while waiting and fetching;
 * - bounded exponential backoff with full jitter on 429, 5xx, timeouts and connection errors,
 *   honouring `Retry-After` (seconds or an HTTP date) up to `maxDelayMs`;
 * - never a retry for another 4xx, a malformed body or a schema mismatch: those are the
 *   caller's or the provider's bug, and repeating them only spends the rate limit;
 * - every body parsed as JSON and then by a zod schema before the caller sees it;
 * - an optional shared response cache (`core.ports.cache`, keyed by a hash of the request,
 *   so keys in URLs never reach Redis) plus in-flight de-duplication in this process.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { AppError, type ErrorCode } from '../../../shared/errors';
import type { Core } from '../core';
import { scrubSecrets } from '../log/logger';
import { isNoNetworkError, isRetryableError, parseResetAt, parseRetryAfter, retryAfterOf, systemCodeOf, urlConfigProblem, withRetry } from '../kernel/retry';
import { ENV_MAP } from '../config/config';
import { sleep } from '../kernel/sleep';

export interface ProviderPolicy {
  /** Bucket and status name, e.g. "etherscan", "rpc". */
  readonly name: string;
  /** Sustained requests per second the plan allows. */
  readonly ratePerSec: number;
  /** Requests allowed at once after idling. @default ratePerSec */
  readonly burst?: number;
  /** Per attempt. @default 20000 */
  readonly timeoutMs?: number;
  /** Retries after the first attempt for retryable failures. @default 4 */
  readonly maxRetries?: number;
  /** First backoff step. @default 250 */
  readonly baseDelayMs?: number;
  /** Ceiling of one wait, including a Retry-After; a longer Retry-After fails as RATE_LIMITED. @default 30000 */
  readonly maxDelayMs?: number;
}

/** What a provider's limits look like right now, for the Data view. */
export interface ProviderState {
  provider: string;
  calls: number;
  cacheHits: number;
  retries: number;
  failures: number;
  lastStatus: number | null;
  lastCallAt: string | null;
  /** Set while the provider has told us to wait (429, or GitHub's remaining=0). */
  rateLimitedUntil: string | null;
  /** From x-ratelimit-remaining / x-ratelimit-limit when the provider sends them. */
  remaining: number | null;
  limit: number | null;
  ratePerSec: number;
}

export interface RequestOptions<S extends z.ZodType> {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** JSON-serialised when not a string. */
  body?: unknown;
  schema: S;
  signal?: AbortSignal | undefined;
  /** Share and reuse the validated response for this long (seconds). 0 or absent: no cache. */
  cacheTtlSec?: number;
  /**
   * Looks at a parsed body before the schema does, for APIs that answer errors with 200
   * (Etherscan's `status:"0"`, JSON-RPC `error`). Throw an AppError to fail the request;
   * `retryable: true` makes it retried like a 429.
   */
  inspect?: (body: unknown) => void;
  /**
   * Looks at the body of a non-2xx answer (other than 429) before the status decides, for
   * protocols whose errors travel in a 4xx body (JSON-RPC over HTTP 413/400). Throw an AppError
   * to classify it; return to let the status decide.
   */
  inspectFailure?: (status: number, text: string) => void;
  /** Short label for errors and logs (never the URL, which may hold a key). */
  what?: string;
  /**
   * `202 Accepted` means "being computed, ask again shortly" (GitHub statistics): retried like a
   * 503 and never cached; after the retries it fails with `details.accepted`.
   */
  retryAccepted?: boolean;
  /** Largest body accepted, read as a stream and refused beyond it. @default 33554432 (32 MiB) */
  maxBytes?: number;
}

export interface HttpResult<T> {
  data: T;
  status: number;
  headers: Headers;
  cached: boolean;
}

export interface HttpClient {
  readonly policy: Required<ProviderPolicy>;
  request<S extends z.ZodType>(opts: RequestOptions<S>): Promise<HttpResult<z.output<S>>>;
  state(): ProviderState;
  /** Cumulative milliseconds spent waiting on the network, in JSON.parse and in schema checks. */
  timings(): { networkMs: number; jsonMs: number; schemaMs: number };
}

/** Requests in flight in this process, by cache key: concurrent askers share one upstream call. */
const inflight = new Map<string, Promise<unknown>>();

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524]);


export { parseRetryAfter } from '../kernel/retry';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * The body as text, read as a stream and refused once it passes `maxBytes` (a 10 MB answer is
 * fine; a runaway one is not). Each all-ASCII chunk (every chunk of a JSON-RPC answer, most APIs')
 * is decoded as it arrives as Latin-1, which is the same text for ASCII at a fortieth of the cost
 * of UTF-8 decoding, needs no joined copy of the bytes and stays on the JS heap (one Latin-1
 * string of a whole answer over 1 MB is made outside it, where finished answers piled up until a
 * collection: +50 MB peak RSS over a walk of 1.2 MB answers); from the first chunk that is not ASCII
 * on, the rest is kept and decoded whole as UTF-8 at the end, so a character split across chunks
 * decodes right (the ASCII text before it ends on a character boundary).
 */
async function readBounded(res: Response, maxBytes: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new AppError('MALFORMED_DATA', `${what}: the response is ${declared} bytes, over the ${maxBytes}-byte bound`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  let ascii = '';
  let rest: Uint8Array[] | null = null;
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new AppError('MALFORMED_DATA', `${what}: the response passed the ${maxBytes}-byte bound`);
    }
    if (rest === null && isAscii(value)) ascii += Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
    else (rest ??= []).push(value);
  }
  return rest === null ? ascii : ascii + Buffer.concat(rest).toString('utf8');
}

function describeZod(error: z.ZodError): string {
  return error.issues
    .slice(0, 4)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

export function upstreamError(code: ErrorCode, provider: string, message: string, extra: { retryable?: boolean; status?: number; retryAfterMs?: number; cause?: unknown; details?: Record<string, unknown> } = {}): AppError {
  const details: Record<string, unknown> = { ...extra.details, provider };
  if (extra.status !== undefined) details.status = extra.status;
  if (extra.retryAfterMs !== undefined) details.retryAfterMs = extra.retryAfterMs;
  return new AppError(code, `${provider}: ${message}`, { retryable: extra.retryable ?? false, details, cause: extra.cause });
}

/** The setting holding each provider's URL (the collectors' client names). */
const URL_SETTING: Record<string, string> = { rpc: 'rpcUrl', etherscan: 'etherscanBaseUrl', coingecko: 'coingeckoBaseUrl', defillama: 'defillamaBaseUrl', github: 'githubBaseUrl', hf: 'hfEndpointUrl' };

/**
 * A URL the client refused before connecting: a configuration error naming the setting (and its
 * environment variable) to fix, final, never "offline". The URL itself is not quoted (an RPC URL
 * carries its key); its port is, when that is the problem.
 */
function urlConfigError(provider: string, url: string, problem: string, cause: unknown): AppError {
  const key = URL_SETTING[provider];
  const env = key === undefined ? undefined : Object.entries(ENV_MAP).find(([, v]) => v.key === key)?.[0];
  let port = '';
  try {
    port = new URL(url).port;
  } catch {
    port = '';
  }
  const setting = key === undefined ? `the ${provider} URL setting` : `the setting ${key}${env ? ` (${env})` : ''}`;
  return new AppError('NOT_CONFIGURED', `${provider}: the configured URL cannot be used${port && /port/.test(problem) ? ` (port ${port})` : ''}: ${problem}; change ${setting}`, {
    retryable: false,
    cause,
    details: { provider, configError: true, stopRun: true, ...(key !== undefined ? { setting: key } : {}) },
  });
}

/** An error no other item of the run would escape (a wrong URL, a refused plan): the run stops once instead of failing every item. */
export function stopsRun(err: unknown): boolean {
  return err instanceof AppError && err.details?.stopRun === true;
}

function isCancelled(err: unknown): boolean {
  return err instanceof AppError && err.code === 'CANCELLED';
}

export function createHttpClient(core: Pick<Core, 'ports' | 'log'>, policy: ProviderPolicy, opts: { fetch?: typeof fetch; random?: () => number } = {}): HttpClient {
  const p: Required<ProviderPolicy> = {
    name: policy.name,
    ratePerSec: policy.ratePerSec,
    burst: policy.burst ?? Math.max(1, Math.ceil(policy.ratePerSec)),
    timeoutMs: policy.timeoutMs ?? 20_000,
    maxRetries: policy.maxRetries ?? 4,
    baseDelayMs: policy.baseDelayMs ?? 250,
    maxDelayMs: policy.maxDelayMs ?? 30_000,
  };
  const random = opts.random ?? Math.random;
  const tm = { networkMs: 0, jsonMs: 0, schemaMs: 0 };
  /** Epoch ms until which the provider asked us not to call (429 Retry-After / reset). */
  let blockedUntil = 0;
  const st: ProviderState = { provider: p.name, calls: 0, cacheHits: 0, retries: 0, failures: 0, lastStatus: null, lastCallAt: null, rateLimitedUntil: null, remaining: null, limit: null, ratePerSec: p.ratePerSec };

  function noteHeaders(headers: Headers): void {
    const rem = headers.get('x-ratelimit-remaining');
    const lim = headers.get('x-ratelimit-limit');
    if (rem !== null && Number.isFinite(Number(rem))) st.remaining = Number(rem);
    if (lim !== null && Number.isFinite(Number(lim))) st.limit = Number(lim);
  }

  /** One attempt: the response text of a 2xx, or a classified AppError. */
  async function attempt(o: RequestOptions<z.ZodType>, what: string): Promise<{ text: string; status: number; headers: Headers }> {
    const timeout = AbortSignal.timeout(p.timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    st.calls++;
    st.lastCallAt = new Date().toISOString();
    const t0 = performance.now();
    try {
      return await send(o, what, signal, timeout);
    } finally {
      tm.networkMs += performance.now() - t0;
    }
  }

  async function send(o: RequestOptions<z.ZodType>, what: string, signal: AbortSignal, timeout: AbortSignal): Promise<{ text: string; status: number; headers: Headers }> {
    let res: Response;
    try {
      const init: RequestInit = { method: o.method ?? 'GET', headers: { accept: 'application/json', ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers }, signal };
      if (o.body !== undefined) init.body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      res = await (opts.fetch ?? core.ports.fetch ?? fetch)(o.url, init);
    } catch (err) {
      if (o.signal?.aborted) throw new AppError('CANCELLED', 'cancelled', { cause: err });
      if (timeout.aborted) throw upstreamError('TIMEOUT', p.name, `${what}: no answer within ${p.timeoutMs} ms`, { retryable: true });
      const problem = urlConfigProblem(err);
      if (problem !== null) throw urlConfigError(p.name, o.url, problem, err);
      // Node's fetch quotes the whole URL when it refuses one (e.g. one with user:password@).
      const sys = systemCodeOf(err);
      const offline = isNoNetworkError(err);
      throw upstreamError('UNAVAILABLE', p.name, `${what}: ${offline ? 'no network (the host cannot be resolved or reached)' : scrubSecrets((err as Error).message)}${sys ? ` (${sys})` : ''}`, { retryable: true, cause: err, details: { ...(sys ? { systemCode: sys } : {}), ...(offline ? { offline: true } : {}) } });
    }
    st.lastStatus = res.status;
    noteHeaders(res.headers);
    let text: string;
    try {
      text = await readBounded(res, o.maxBytes ?? MAX_BODY_BYTES, what);
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (o.signal?.aborted) throw new AppError('CANCELLED', 'cancelled', { cause: err });
      if (timeout.aborted) throw upstreamError('TIMEOUT', p.name, `${what}: body not received within ${p.timeoutMs} ms`, { retryable: true });
      throw upstreamError('UNAVAILABLE', p.name, `${what}: connection lost while reading the body`, { retryable: true, cause: err });
    }
    if (res.status === 202 && o.retryAccepted) throw upstreamError('UPSTREAM', p.name, `${what}: still being computed (HTTP 202)`, { retryable: true, status: 202, details: { accepted: true } });
    if (res.ok) return { text, status: res.status, headers: res.headers };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    const snippet = text.slice(0, 200).replace(/\s+/g, ' ');
    if (res.status === 429 || (res.status === 403 && res.headers.get('x-ratelimit-remaining') === '0')) {
      // GitHub signals exhaustion with 403 + remaining 0 and a reset epoch instead of Retry-After.
      // CoinGecko may send no Retry-After but an x-ratelimit-reset date ("2025-07-25 14:54:00 +0000").
      const waitMs = retryAfterMs ?? parseResetAt(res.headers.get('x-ratelimit-reset'));
      blockedUntil = Date.now() + (waitMs ?? p.baseDelayMs);
      st.rateLimitedUntil = new Date(blockedUntil).toISOString();
      throw upstreamError('RATE_LIMITED', p.name, `${what}: rate limited (HTTP ${res.status})${waitMs !== null ? `, retry after ${Math.ceil(waitMs / 1000)} s` : ''}`, { retryable: true, status: res.status, ...(waitMs !== null ? { retryAfterMs: waitMs } : {}) });
    }
    o.inspectFailure?.(res.status, text);
    if (RETRY_STATUS.has(res.status)) throw upstreamError('UPSTREAM', p.name, `${what}: HTTP ${res.status} ${snippet}`, { retryable: true, status: res.status, ...(retryAfterMs !== null ? { retryAfterMs } : {}) });
    const code: ErrorCode = res.status === 404 ? 'NOT_FOUND' : res.status === 401 || res.status === 403 ? 'FORBIDDEN' : 'UPSTREAM';
    throw upstreamError(code, p.name, `${what}: HTTP ${res.status} ${snippet}`, { status: res.status });
  }

  function validate<S extends z.ZodType>(o: RequestOptions<S>, text: string, what: string, status = 200): z.output<S> {
    let body: unknown;
    const t0 = performance.now();
    try {
      // 204 No Content (GitHub's statistics of an empty repository) is null, not malformed.
      body = status === 204 && text.trim() === '' ? null : JSON.parse(text);
      tm.jsonMs += performance.now() - t0;
    } catch {
      throw upstreamError('MALFORMED_DATA', p.name, `${what}: the response is not valid JSON (${text.length} bytes${text.length > 0 ? `, ends "${text.slice(-40)}"` : ''})`);
    }
    o.inspect?.(body);
    const t1 = performance.now();
    const parsed = o.schema.safeParse(body);
    tm.schemaMs += performance.now() - t1;
    if (!parsed.success) throw upstreamError('MALFORMED_DATA', p.name, `${what}: the response does not have the documented shape: ${describeZod(parsed.error)}`);
    return parsed.data;
  }

  /** The request under the shared retry policy (kernel/retry.ts); a wait longer than `maxDelayMs` is handed back to the caller. */
  async function fetchValidated<S extends z.ZodType>(o: RequestOptions<S>, what: string): Promise<{ text: string; data: z.output<S>; status: number; headers: Headers }> {
    try {
      return await withRetry(
        async () => {
          try {
            // The provider told us to wait: within our ceiling we wait, beyond it the caller defers (no request sent).
            const blocked = blockedUntil - Date.now();
            if (blocked > p.maxDelayMs) throw upstreamError('RATE_LIMITED', p.name, `${what}: rate limited for another ${Math.ceil(blocked / 1000)} s`, { retryable: true, retryAfterMs: blocked });
            if (blocked > 0) await sleep(blocked, o.signal);
            await core.ports.limiter.acquire(`http:${p.name}`, { ratePerSec: p.ratePerSec, burst: p.burst, ...(o.signal ? { signal: o.signal } : {}) });
            const r = await attempt(o as RequestOptions<z.ZodType>, what);
            const data = validate(o, r.text, what, r.status);
            st.rateLimitedUntil = null;
            return { ...r, data };
          } catch (err) {
            throw err instanceof AppError ? err : upstreamError('UPSTREAM', p.name, `${what}: ${(err as Error).message}`, { cause: err });
          }
        },
        {
          maxRetries: p.maxRetries,
          baseMs: p.baseDelayMs,
          maxMs: p.maxDelayMs,
          signal: o.signal,
          random,
          // No network at all is not retried here: the offline monitor probes slowly instead.
          retryable: (err) => isRetryableError(err) && !isNoNetworkError(err),
          onRetry: (err, n, delay) => {
            const hinted = retryAfterOf(err);
            if (hinted !== null && hinted > p.maxDelayMs) {
              // Still retryable, later: the caller defers this request and goes on with other work.
              throw upstreamError('RATE_LIMITED', p.name, `${what}: asked to wait ${Math.ceil(hinted / 1000)} s, longer than the ${Math.ceil(p.maxDelayMs / 1000)} s this client waits`, { retryable: true, retryAfterMs: hinted, details: { deferred: true } });
            }
            st.retries++;
            core.log.debug({ provider: p.name, what, attempt: n, delay, code: (err as AppError).code }, 'retrying');
          },
        },
      );
    } catch (err) {
      if (!isCancelled(err)) st.failures++;
      throw err;
    }
  }

  return {
    policy: p,
    state: () => ({ ...st }),
    timings: () => ({ ...tm }),
    async request(o) {
      const what = o.what ?? `${o.method ?? 'GET'} request`;
      const ttl = o.cacheTtlSec ?? 0;
      if (ttl <= 0) {
        const r = await fetchValidated(o, what);
        return { data: r.data, status: r.status, headers: r.headers, cached: false };
      }
      const key = `http:${p.name}:${createHash('sha256')
        .update(`${o.method ?? 'GET'} ${o.url}\n${o.body === undefined ? '' : typeof o.body === 'string' ? o.body : JSON.stringify(o.body)}`)
        .digest('hex')}`;
      const hit = await core.ports.cache.get(key);
      if (hit !== null) {
        try {
          st.cacheHits++;
          return { data: validate(o, hit, what), status: 200, headers: new Headers(), cached: true };
        } catch {
          // A cache entry from an older schema: fetch afresh.
        }
      }
      let pending = inflight.get(key);
      const owner = pending === undefined;
      if (pending === undefined) {
        pending = fetchValidated(o, what).then(async (r) => {
          // Only a plain 200 is shared: never a 202 "being computed" or a 204.
          if (r.status === 200) await core.ports.cache.set(key, r.text, ttl);
          return r.data as unknown;
        });
        inflight.set(key, pending);
        const forget = (): void => void inflight.delete(key);
        pending.then(forget, forget);
      } else st.cacheHits++;
      const data = (await pending) as z.output<typeof o.schema>;
      return { data, status: 200, headers: new Headers(), cached: !owner };
    },
  };
}
