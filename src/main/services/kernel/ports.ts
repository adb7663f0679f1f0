/**
 * Team-shareable infrastructure behind small interfaces. In-process implementations are the
 * default; when a team Redis is configured the sync domain swaps in Redis-backed ones (shared
 * response cache, shared rate-limit buckets, lease locks with fencing). Callers always go
 * through `core.ports.*` at call time, so a swap takes effect immediately.
 */
import { LRUCache } from 'lru-cache';
import { sleep } from './sleep';

export interface ResponseCache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

export interface RateLimiter {
  /** Waits until one token of `bucket` is available (token bucket: `ratePerSec`, `burst`). */
  acquire(bucket: string, opts: { ratePerSec: number; burst: number; signal?: AbortSignal }): Promise<void>;
}

export interface Lease {
  /** Monotonic fencing token: a writer holding an older token must not write. */
  readonly token: number;
  release(): Promise<void>;
}

export interface LeaseLocks {
  /** Null when another holder has it. */
  acquire(resource: string, ttlMs: number): Promise<Lease | null>;
}

export interface Ports {
  cache: ResponseCache;
  limiter: RateLimiter;
  locks: LeaseLocks;
  /** Outbound HTTP for the collectors; absent: the platform's fetch (tests put a counting or failing one here). */
  fetch?: typeof fetch;
}

export function createMemoryCache(maxEntries = 5000): ResponseCache {
  const lru = new LRUCache<string, string>({ max: maxEntries, ttlAutopurge: false });
  return {
    async get(key) {
      return lru.get(key) ?? null;
    },
    async set(key, value, ttlSeconds) {
      lru.set(key, value, { ttl: ttlSeconds * 1000 });
    },
  };
}


export function createLocalLimiter(now: () => number = () => performance.now()): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    async acquire(bucket, { ratePerSec, burst, signal }) {
      for (;;) {
        const t = now();
        const b = buckets.get(bucket) ?? { tokens: burst, at: t };
        b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * ratePerSec);
        b.at = t;
        buckets.set(bucket, b);
        if (b.tokens >= 1) {
          b.tokens -= 1;
          return;
        }
        await sleep(Math.ceil(((1 - b.tokens) / ratePerSec) * 1000), signal);
      }
    },
  };
}

export function createLocalLocks(): LeaseLocks {
  const held = new Map<string, { token: number; until: number }>();
  let fence = 0;
  return {
    async acquire(resource, ttlMs) {
      const t = Date.now();
      const cur = held.get(resource);
      if (cur && cur.until > t) return null;
      const token = ++fence;
      held.set(resource, { token, until: t + ttlMs });
      return {
        token,
        async release() {
          if (held.get(resource)?.token === token) held.delete(resource);
        },
      };
    },
  };
}

export function createLocalPorts(): Ports {
  return { cache: createMemoryCache(), limiter: createLocalLimiter(), locks: createLocalLocks() };
}
