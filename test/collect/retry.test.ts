/** The one retry policy (kernel/retry.ts): backoff, Retry-After and reset dates, the error taxonomy. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { backoffDelay, isConnectionError, isNoNetworkError, isRetryableError, parseResetAt, withRetry } from '../../src/main/services/kernel/retry';

describe('retry policy', () => {
  it('backs off exponentially up to the ceiling, with full or equal jitter', () => {
    const top = () => 0.999999;
    const bottom = () => 0;
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000 }, top)).toBe(100);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 1000 }, top)).toBe(800);
    expect(backoffDelay(10, { baseMs: 100, maxMs: 1000 }, top)).toBe(1000);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 1000 }, bottom)).toBe(0);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 1000, jitter: 'equal' }, bottom)).toBe(400);
  });

  it("reads reset times: epoch seconds (GitHub) and CoinGecko's x-ratelimit-reset date string", () => {
    const now = Date.parse('2025-07-25T14:53:00Z');
    expect(parseResetAt('2025-07-25 14:54:00 +0000', now)).toBe(60_000);
    expect(parseResetAt(String(now / 1000 + 30), now)).toBe(30_000);
    expect(parseResetAt('soon', now)).toBeNull();
    expect(parseResetAt(null, now)).toBeNull();
  });

  it('classifies: no network (DNS, refused) vs connection vs final vs retryable by its own verdict', () => {
    const dns = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.example'), { code: 'ENOTFOUND' }) });
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect([isNoNetworkError(dns), isNoNetworkError(refused), isNoNetworkError(reset)]).toEqual([true, true, false]);
    expect([isConnectionError(reset), isRetryableError(reset)]).toEqual([true, true]);
    expect(isRetryableError(new AppError('UPSTREAM', 'HTTP 400'))).toBe(false);
    expect(isRetryableError(new AppError('UPSTREAM', 'HTTP 503', { retryable: true }))).toBe(true);
    expect(isRetryableError(new AppError('CANCELLED', 'cancelled', { retryable: true }))).toBe(false);
    expect(isRetryableError(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(true);
    expect(isRetryableError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  });

  it('retries what is retryable, honours a server wait, stops on a final error or when told to', async () => {
    const waits: number[] = [];
    let n = 0;
    const v = await withRetry(
      async () => {
        n++;
        if (n === 1) throw new AppError('RATE_LIMITED', '429', { retryable: true, details: { retryAfterMs: 30 } });
        if (n === 2) throw new AppError('UPSTREAM', '503', { retryable: true });
        return 'ok';
      },
      { maxRetries: 3, baseMs: 5, maxMs: 100, random: () => 0, onRetry: (_e, _a, d) => waits.push(d) },
    );
    expect([v, n]).toEqual(['ok', 3]);
    expect(waits).toEqual([30, 0]);
    let finals = 0;
    await expect(withRetry(async () => { finals++; throw new AppError('UPSTREAM', 'HTTP 400'); }, { maxRetries: 3, baseMs: 1, maxMs: 1 })).rejects.toThrow('HTTP 400');
    expect(finals).toBe(1);
    let bounded = 0;
    await expect(withRetry(async () => { bounded++; throw new AppError('UPSTREAM', 'HTTP 503', { retryable: true }); }, { maxRetries: 2, baseMs: 1, maxMs: 1 })).rejects.toThrow('503');
    expect(bounded).toBe(3);
  });
});
