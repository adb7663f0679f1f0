/**
 * Per-item work (an asset, a repository, a contract) that survives a provider's "wait": when an
 * item's request is told to wait longer than the client waits in place (a 429 with
 * `Retry-After: 119`, CoinGecko's `x-ratelimit-reset` date, Etherscan's "temporarily
 * unavailable"), that item is deferred — the run goes on with the other items and comes back to
 * it once the wait has passed — instead of the whole run being aborted. An item still waiting
 * after a few deferrals, or told to wait longer than `maxWaitMs`, is reported as deferred to the
 * next run. No network at all ends the run at once with one clear error (retrying every item
 * would only repeat it).
 */
import { AppError } from '../../../shared/errors';
import { isNoNetworkError, retryAfterOf, systemCodeOf } from '../kernel/retry';
import { sleep } from '../kernel/sleep';

/** Waited when a rate limit names no time. */
const DEFAULT_WAIT_MS = 60_000;

/** A provider's "not now, later" (rate limit or temporary unavailability), as opposed to a final error. */
export function isDeferrable(err: unknown): boolean {
  return err instanceof AppError && err.retryable && !isNoNetworkError(err) && (err.code === 'RATE_LIMITED' || retryAfterOf(err) !== null);
}

/** The run-ending error for "no network", said once. */
export function offlineError(provider: string, err: unknown): AppError {
  const code = systemCodeOf(err) ?? 'unreachable';
  return new AppError('UNAVAILABLE', `${provider}: no network (${code}): the provider's host cannot be resolved or reached; nothing more is asked until it can`, { retryable: true, details: { offline: true, systemCode: code }, cause: err });
}

export interface DeferOptions<T> {
  signal: AbortSignal;
  /** For the offline error. */
  provider: string;
  /** Longest wait for one deferred item within this run. @default 900000 (15 min) */
  maxWaitMs?: number;
  /** Deferrals per item before it is left for the next run. @default 3 */
  maxDeferrals?: number;
  /** An item left for the next run, with the last error. */
  giveUp: (item: T, err: AppError) => void;
}

/**
 * Runs `work` for every item, in order, deferring the ones a provider asks to wait for. `work`
 * handles its own per-item failures; whatever it rethrows that is not deferrable ends the run.
 * Returns how many deferrals happened.
 */
export async function eachDeferring<T>(items: readonly T[], work: (item: T) => Promise<void>, o: DeferOptions<T>): Promise<{ deferrals: number }> {
  const maxWaitMs = o.maxWaitMs ?? 15 * 60_000;
  const maxDeferrals = o.maxDeferrals ?? 3;
  let waiting: { item: T; readyAt: number; count: number; err: AppError }[] = [];
  let deferrals = 0;
  const attempt = async (item: T, count: number): Promise<void> => {
    try {
      await work(item);
    } catch (err) {
      if (isNoNetworkError(err)) throw offlineError(o.provider, err);
      if (!isDeferrable(err)) throw err;
      const e = err as AppError;
      const wait = retryAfterOf(e) ?? DEFAULT_WAIT_MS;
      if (count >= maxDeferrals || wait > maxWaitMs) {
        o.giveUp(item, new AppError(e.code, `${e.message} (deferred to the next run)`, { retryable: true, details: { ...e.details, deferredToNextRun: true } }));
        return;
      }
      deferrals++;
      waiting.push({ item, readyAt: Date.now() + wait, count: count + 1, err: e });
    }
  };
  for (const item of items) {
    if (o.signal.aborted) throw new AppError('CANCELLED', 'collection was cancelled');
    await attempt(item, 0);
  }
  while (waiting.length > 0) {
    waiting.sort((a, b) => a.readyAt - b.readyAt);
    const next = waiting.shift() as (typeof waiting)[number];
    const delay = next.readyAt - Date.now();
    if (delay > 0) await sleep(delay, o.signal);
    const before = waiting;
    waiting = [];
    await attempt(next.item, next.count);
    waiting = [...before, ...waiting];
  }
  return { deferrals };
}
