/**
 * The team Redis behind the core ports: shared response cache, shared token buckets (Lua, so
 * the check-and-take is atomic across laptops), lease locks with fencing tokens, and pub/sub
 * wake-ups for sync. Every port falls back to the in-process one while Redis is away, so a
 * collector keeps working offline (it just stops sharing) and no call ever hangs on Redis.
 *
 * URLs: redis://, rediss:// (TLS), and for a cluster redis-cluster:// or rediss-cluster:// with
 * comma-separated seed nodes (redis-cluster://h1:7000,h2:7001). Keys live under the configured
 * prefix; keys used together by one script share a {hash tag} so they work on a cluster.
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type * as IoRedis from 'ioredis';
import { AppError } from '../../../shared/errors';
import { redactUrl } from '../config/config';
import type { Logger } from '../log/logger';
import type { Lease, LeaseLocks, Ports, RateLimiter, ResponseCache } from '../kernel/ports';
import { sleep } from '../kernel/sleep';

export type RedisClient = Redis | Cluster;

const TOKEN_BUCKET = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait`;

const LOCK_ACQUIRE = `
local token = redis.call('INCR', KEYS[2])
if redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[1]) then return token end
return 0`;

const LOCK_RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Opens a client that reconnects by itself and fails commands fast while disconnected. */
/** ioredis loads when a team Redis is opened, not at every start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ioredis = (): typeof IoRedis => require('ioredis') as typeof IoRedis;

export function openRedis(url: string, opts: { connectTimeoutMs?: number } = {}): RedisClient {
  const base: RedisOptions = {
    connectTimeout: opts.connectTimeoutMs ?? 3000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // Reconnect forever with a capped backoff: Redis coming back must need no restart.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    lazyConnect: false,
  };
  const m = /^(rediss?)-cluster:\/\/(.+)$/i.exec(url);
  try {
    if (m) {
      const tls = (m[1] as string).toLowerCase() === 'rediss';
      const rest = m[2] as string;
      const at = rest.lastIndexOf('@');
      const auth = at >= 0 ? rest.slice(0, at) : '';
      const hosts = (at >= 0 ? rest.slice(at + 1) : rest).replace(/\/.*$/, '');
      const [username, password] = auth.includes(':') ? auth.split(':') : [undefined, auth || undefined];
      const nodes = hosts.split(',').map((h) => {
        const [host, port] = h.split(':');
        return { host: host as string, port: Number(port ?? 6379) };
      });
      const redisOptions: RedisOptions = { ...base };
      if (username) redisOptions.username = decodeURIComponent(username);
      if (password) redisOptions.password = decodeURIComponent(password);
      if (tls) redisOptions.tls = {};
      return new (ioredis().Cluster)(nodes, { redisOptions, enableOfflineQueue: false, clusterRetryStrategy: base.retryStrategy as (times: number) => number });
    }
    return new (ioredis().Redis)(url, base);
  } catch (err) {
    throw new AppError('INVALID_INPUT', `invalid Redis URL ${redactUrl(url)}: ${(err as Error).message}`);
  }
}

export function isRedisReady(redis: RedisClient): boolean {
  return redis.status === 'ready';
}

/** Waits briefly for a connection that is still being set up; false when Redis is away. */
async function ready(redis: RedisClient, waitMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  if (redis.status !== 'connecting' && redis.status !== 'connect' && redis.status !== 'wait') return false;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), waitMs);
    redis.once('ready', onReady);
  });
}

export interface RedisPortsOptions {
  redis: RedisClient;
  prefix: string;
  /** Used whenever Redis is unreachable. */
  fallback: Ports;
  log: Logger;
  /** How long a call waits for a connection still being set up. @default 3000 */
  readyWaitMs?: number;
}

export function createRedisPorts(o: RedisPortsOptions): Ports {
  const { redis, prefix, fallback } = o;
  const waitMs = o.readyWaitMs ?? 3000;
  let warned = false;
  const away = (what: string, err?: unknown): void => {
    // One line per outage, not one per call.
    if (!warned) o.log.warn({ err: err instanceof Error ? err.message : undefined }, `Redis unavailable for ${what}; using the in-process fallback`);
    warned = true;
  };
  redis.on('ready', () => {
    warned = false;
  });

  async function attempt<T>(what: string, fn: () => Promise<T>, otherwise: () => Promise<T>): Promise<T> {
    if (!(await ready(redis, waitMs))) {
      away(what);
      return otherwise();
    }
    try {
      return await fn();
    } catch (err) {
      away(what, err);
      return otherwise();
    }
  }

  const cache: ResponseCache = {
    get: (key) => attempt('cache', () => redis.get(`${prefix}cache:${key}`), () => fallback.cache.get(key)),
    set: (key, value, ttlSeconds) =>
      attempt(
        'cache',
        async () => {
          await redis.set(`${prefix}cache:${key}`, value, 'EX', Math.max(1, Math.round(ttlSeconds)));
        },
        () => fallback.cache.set(key, value, ttlSeconds),
      ),
  };

  const limiter: RateLimiter = {
    async acquire(bucket, opts) {
      for (;;) {
        if (opts.signal?.aborted) throw new AppError('CANCELLED', 'cancelled');
        const wait = await attempt<number | null>(
          'rate limits',
          async () => Number(await redis.eval(TOKEN_BUCKET, 1, `${prefix}bucket:{${bucket}}`, String(opts.ratePerSec), String(opts.burst))),
          async () => null,
        );
        if (wait === null) return fallback.limiter.acquire(bucket, opts);
        if (wait <= 0) return;
        await sleep(wait, opts.signal);
      }
    },
  };

  const locks: LeaseLocks = {
    async acquire(resource, ttlMs) {
      const key = `${prefix}lock:{${resource}}`;
      const fenceKey = `${prefix}lock-fence:{${resource}}`;
      return attempt<Lease | null>(
        'locks',
        async () => {
          const token = Number(await redis.eval(LOCK_ACQUIRE, 2, key, fenceKey, String(Math.max(1, Math.round(ttlMs)))));
          if (!token) return null;
          return {
            token,
            async release() {
              await redis.eval(LOCK_RELEASE, 1, key, String(token)).catch(() => undefined);
            },
          };
        },
        () => fallback.locks.acquire(resource, ttlMs),
      );
    },
  };

  return { cache, limiter, locks };
}


/** Pub/sub wake-ups: a push announces its last change seq so other clients pull at once. */
export interface SyncChannel {
  publish(message: { clientId: string; head: number }): Promise<void>;
  close(): Promise<void>;
}

export function openSyncChannel(o: { redis: RedisClient; prefix: string; onMessage: (m: { clientId: string; head: number }) => void; log: Logger }): SyncChannel {
  const channel = `${o.prefix}sync:changes`;
  const sub = o.redis.duplicate();
  sub.on('error', () => undefined);
  // Re-subscribes on every (re)connection; ioredis also does, this keeps it explicit.
  sub.on('ready', () => {
    sub.subscribe(channel).catch((err: unknown) => o.log.debug({ err }, 'sync subscribe failed'));
  });
  sub.on('message', (_ch: string, text: string) => {
    try {
      const m = JSON.parse(text) as { clientId?: unknown; head?: unknown };
      if (typeof m.clientId === 'string' && typeof m.head === 'number') o.onMessage({ clientId: m.clientId, head: m.head });
    } catch {
      /* not ours */
    }
  });
  return {
    async publish(message) {
      if (!isRedisReady(o.redis)) return;
      await o.redis.publish(channel, JSON.stringify(message)).catch(() => undefined);
    },
    async close() {
      sub.disconnect();
    },
  };
}
