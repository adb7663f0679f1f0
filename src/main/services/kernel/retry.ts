/**
 * The one retry policy of every outbound client (the collectors' HTTP and JSON-RPC client, the
 * sync worker and engine): exponential backoff with jitter, a server's `Retry-After` honoured,
 * and the decision "try again" vs "final" taken from one error taxonomy.
 *
 * Taxonomy, in the order it is asked:
 * - cancelled (`CANCELLED`, an aborted signal): never retried;
 * - a URL the client refuses before connecting (a port fetch blocks such as :9 or :6000, an
 *   unparsable URL, a scheme it does not speak, credentials in the URL): a configuration error,
 *   never retried and never "offline" (`urlConfigProblem`);
 * - no network (DNS lookup failed, connection refused, host or network unreachable): the machine
 *   or the service is away, not wrong; retried, and reported as "offline" rather than as a
 *   provider error (`isNoNetworkError`);
 * - connection-level (reset, timed out, a Postgres connection exception 08xxx or admin shutdown
 *   57P0x): retried;
 * - an `AppError` carries its own verdict in `retryable` (set where the answer was classified:
 *   429/5xx/timeouts yes, other 4xx, malformed bodies and reverts no);
 * - Postgres deadlock (40P01) and serialisation failure (40001): retried;
 * - anything else: final.
 */
import { AppError } from '../../../shared/errors';
import { sleep } from './sleep';

/** Node's system error codes that mean the other end cannot be reached at all. */
const NO_NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const CONNECTION_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED']);

/** The system error code of `err` or of the errors it wraps (fetch puts it in `cause`). */
export function systemCodeOf(err: unknown): string | null {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    const details = (e as { details?: { systemCode?: unknown } }).details;
    if (typeof details?.systemCode === 'string') return details.systemCode;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * What is wrong with the URL when the client refused it before any connection (undici's
 * "bad port", "Invalid URL", "unknown scheme", a URL with credentials), else null. Trying again
 * cannot help: the setting that holds the URL has to change.
 */
export function urlConfigProblem(err: unknown): string | null {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const msg = typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : '';
    const code = (e as { code?: unknown }).code;
    if (/^bad port$/i.test(msg)) return 'the port is one that fetch refuses to use (a blocked port such as 9, 25 or 6000)';
    if (code === 'ERR_INVALID_URL' || /^(Failed to parse URL|Invalid URL)/.test(msg)) return 'it is not a valid URL';
    if (/^unknown scheme$/i.test(msg)) return 'its scheme is not http or https';
    if (/URL that includes credentials/i.test(msg)) return 'it carries a user name or password, which fetch refuses (put keys where the provider documents them)';
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** DNS failure, refused or unreachable: there is no network to this service right now (not a provider error). */
export function isNoNetworkError(err: unknown): boolean {
  if (urlConfigProblem(err) !== null) return false;
  const code = systemCodeOf(err);
  return code !== null && NO_NETWORK_CODES.has(code);
}

/** Connection-level failures: the other end is away or the line dropped, not a wrong request. */
export function isConnectionError(err: unknown): boolean {
  if (urlConfigProblem(err) !== null) return false;
  if (isNoNetworkError(err)) return true;
  const sys = systemCodeOf(err);
  if (sys !== null && CONNECTION_CODES.has(sys)) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const msg = typeof e?.message === 'string' ? e.message : '';
  return (
    code === 'UNAVAILABLE' ||
    code.startsWith('08') || // Postgres connection exception
    code === '57P01' || // admin shutdown (pg_terminate_backend)
    code === '57P02' ||
    code === '57P03' ||
    /terminat|Connection ended|timeout exceeded when trying to connect|not queryable|ECONNRESET/i.test(msg)
  );
}

/** Worth another attempt by the taxonomy above. */
export function isRetryableError(err: unknown): boolean {
  if (err instanceof AppError && err.code === 'CANCELLED') return false;
  if (urlConfigProblem(err) !== null) return false;
  if (isConnectionError(err)) return true;
  if (err instanceof AppError) return err.retryable;
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Retry-After in ms from seconds or an HTTP date; null when absent or unparsable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * A reset time as providers send it: epoch seconds (GitHub), or a date string — CoinGecko's
 * `x-ratelimit-reset: 2025-07-25 14:54:00 +0000`, which `Date.parse` does not read everywhere.
 * Milliseconds from `now`, or null.
 */
export function parseResetAt(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) {
    const n = Number(v);
    // Epoch seconds (a reset in the future) or, from some APIs, seconds to wait.
    return n > 1e9 ? Math.max(0, n * 1000 - now) : Math.max(0, n * 1000);
  }
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(v);
  const iso = m ? `${m[1]}T${m[2]}${m[3] ? (m[3] === 'Z' ? 'Z' : `${m[3].slice(0, 3)}:${m[3].slice(-2)}`) : 'Z'}` : v;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export interface BackoffPolicy {
  /** First step. */
  baseMs: number;
  /** Ceiling of one wait. */
  maxMs: number;
  /**
   * `full`: anywhere in [0, step] — spreads many clients hit by the same 429;
   * `equal`: in [step/2, step] — never retries at once (a team's laptops after an outage).
   * @default 'full'
   */
  jitter?: 'full' | 'equal';
}

/** The wait before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(policy.jitter === 'equal' ? step / 2 + random() * (step / 2) : random() * step);
}

/** A server's own wait, carried by classified errors as `details.retryAfterMs`. */
export function retryAfterOf(err: unknown): number | null {
  const v = err instanceof AppError ? err.details?.retryAfterMs : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export interface RetryOptions extends BackoffPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  signal?: AbortSignal | undefined;
  random?: () => number;
  /** @default isRetryableError */
  retryable?: (err: unknown) => boolean;
  /** Before each wait (log, count, record); may throw to stop retrying with that error. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, fails finally, or `maxRetries` retries are spent. The wait is the
 * server's `Retry-After` when the error carries one (plus a little jitter), else the backoff.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const retryable = o.retryable ?? isRetryableError;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (o.signal?.aborted || attempt >= o.maxRetries || !retryable(err)) throw err;
      const hinted = retryAfterOf(err);
      const delay = hinted !== null ? hinted + backoffDelay(0, { baseMs: Math.min(250, o.baseMs), maxMs: o.maxMs, jitter: 'full' }, o.random) : backoffDelay(attempt, o, o.random);
      o.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, o.signal);
    }
  }
}
