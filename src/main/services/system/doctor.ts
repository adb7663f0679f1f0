/** `defimon doctor`: checks the database and every configured service, plainly. */
import type * as IoRedis from 'ioredis';
import type { HealthCheck } from '../../../shared/contract/system';
import type { DefimonConfig } from '../config/config';
import { redactUrl, scrubSecrets } from '../log/redact';
import { openPostgres } from '../storage/postgres';
import type { SqliteStore } from '../storage/sqlite';

const TIMEOUT_MS = 4000;

async function timed(name: string, configured: boolean, fn: () => Promise<string>): Promise<HealthCheck> {
  if (!configured) return { name, ok: true, configured: false, message: 'not configured', latencyMs: null };
  const t0 = performance.now();
  try {
    const message = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
    ]);
    return { name, ok: true, configured: true, message: scrubSecrets(message), latencyMs: Math.round(performance.now() - t0) };
  } catch (err) {
    // Drivers quote the URL they were given in their errors: every message is scrubbed.
    return { name, ok: false, configured: true, message: scrubSecrets((err as Error).message), latencyMs: Math.round(performance.now() - t0) };
  }
}

export function checkDatabase(store: SqliteStore): HealthCheck {
  const t0 = performance.now();
  try {
    const check = store.db.pragma('quick_check', { simple: true }) as string;
    const migrations = store.db.prepare<unknown[], { n: number }>('SELECT count(*) AS n FROM schema_migrations').get()?.n ?? 0;
    const assets = store.db.prepare<unknown[], { n: number }>('SELECT count(*) AS n FROM crypto_assets').get()?.n ?? 0;
    const ok = check === 'ok';
    return {
      name: 'database',
      ok,
      configured: true,
      message: ok ? `SQLite at ${store.path}: ${migrations} migrations, ${assets} assets, ${(store.sizeBytes() / 1e6).toFixed(1)} MB` : `integrity check failed: ${check}`,
      latencyMs: Math.round(performance.now() - t0),
    };
  } catch (err) {
    return { name: 'database', ok: false, configured: true, message: (err as Error).message, latencyMs: null };
  }
}

export async function runDoctor(config: DefimonConfig, store: SqliteStore): Promise<{ ok: boolean; checks: HealthCheck[] }> {
  const checks: HealthCheck[] = [checkDatabase(store)];
  const pgCheck = (name: string, url: string | undefined): Promise<HealthCheck> =>
    timed(name, url !== undefined, async () => {
      const pgStore = openPostgres(url as string, { max: 1, connectionTimeoutMillis: TIMEOUT_MS });
      try {
        const res = await pgStore.pool.query<{ v: string }>('SELECT version() AS v');
        return `reachable at ${redactUrl(url)}: ${res.rows[0]?.v.split(' ').slice(0, 2).join(' ')}`;
      } catch (err) {
        throw new Error(`unreachable at ${redactUrl(url)}: ${(err as Error).message}`);
      } finally {
        await pgStore.close();
      }
    });
  const results = await Promise.all([
    pgCheck('postgres', config.pgUrl),
    pgCheck('postgres-replica', config.pgReplicaUrl),
    timed('redis', config.redisUrl !== undefined, async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- ioredis loads only when a Redis is configured
      const { Redis } = require('ioredis') as typeof IoRedis;
      const redis = new Redis(config.redisUrl as string, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: TIMEOUT_MS, retryStrategy: () => null });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        const pong = await redis.ping();
        return `reachable at ${redactUrl(config.redisUrl)} (${pong})`;
      } catch (err) {
        throw new Error(`unreachable at ${redactUrl(config.redisUrl)}: ${(err as Error).message}`);
      } finally {
        redis.disconnect();
      }
    }),
    timed('rpc', config.rpcUrl !== undefined, async () => {
      const res = await fetch(config.rpcUrl as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }).catch((err: unknown) => {
        throw new Error(`unreachable at ${redactUrl(config.rpcUrl)}: ${scrubSecrets((err as Error).message)}`);
      });
      if (!res.ok) throw new Error(`${redactUrl(config.rpcUrl)} answered HTTP ${res.status}`);
      const body = (await res.json()) as { result?: string; error?: { message?: string } };
      if (typeof body.result !== 'string') throw new Error(`eth_chainId failed: ${body.error?.message ?? 'no result'}`);
      const chainId = Number.parseInt(body.result, 16);
      if (chainId !== config.chainId) throw new Error(`RPC is on chain ${chainId}, configured chain is ${config.chainId}`);
      return `chain ${chainId} at ${redactUrl(config.rpcUrl)}`;
    }),
  ]);
  checks.push(...results);
  const keys: [string, string | undefined][] = [
    ['etherscan-key', config.etherscanApiKey],
    ['github-token', config.githubToken],
    ['huggingface-token', config.hfToken],
  ];
  for (const [name, value] of keys) {
    checks.push({ name, ok: true, configured: value !== undefined, message: value === undefined ? 'not set (the collector uses unauthenticated limits or an offline fallback)' : 'set', latencyMs: null });
  }
  return { ok: checks.every((c) => c.ok), checks };
}
