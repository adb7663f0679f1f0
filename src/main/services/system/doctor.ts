/** `defimon doctor`: checks the database and every configured service, plainly. */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type * as IoRedis from 'ioredis';
import type { HealthCheck } from '../../../shared/contract/system';
import type { DefimonConfig } from '../config/config';
import { redactUrl, scrubSecrets } from '../log/redact';
import { openPostgres } from '../storage/postgres';
import { describeHolder, LOCK_FILE_NAME, readLockHolder } from '../storage/dir-lock';
import { migrations as ledger } from '../storage/migrations';
import { firstLine, RECOVERY, type SqliteStore } from '../storage/sqlite';

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


/**
 * Diagnoses the database file itself, on its own read-only connection, so it works when the
 * services cannot start: missing, not a database or damaged (with the recovery), written by a
 * newer DEFIMON, held by another process, read-only.
 */
export function diagnoseDatabaseFile(file: string): HealthCheck[] {
  const t0 = performance.now();
  const checks: HealthCheck[] = [];
  const done = (name: string, ok: boolean, message: string): void => {
    checks.push({ name, ok, configured: true, message, latencyMs: Math.round(performance.now() - t0) });
  };
  if (!existsSync(file)) {
    done('database', false, `no database at ${file}: it is created (and the bundled dataset imported) by the first command that runs with this data directory`);
    return checks;
  }
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 2000 });
  } catch (err) {
    done('database', false, `cannot open ${file}: ${(err as Error).message}`);
    return checks;
  }
  try {
    let integrity: string;
    try {
      integrity = db.pragma('quick_check', { simple: true }) as string;
    } catch (err) {
      integrity = (err as Error).message;
    }
    if (integrity !== 'ok') {
      done('database', false, `${file} is damaged: ${firstLine(integrity)}; ${RECOVERY}`);
      return checks;
    }
    let recorded: string[] = [];
    try {
      recorded = db.prepare<[], string>('SELECT id FROM schema_migrations ORDER BY id').pluck().all();
    } catch {
      /* no ledger yet: a fresh file */
    }
    const known = new Set(ledger.map((m) => m.id));
    const unknown = recorded.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      done('database-schema', false, `${file} was written by a newer version of DEFIMON (migration(s) ${unknown.join(', ')} unknown to this one): upgrade DEFIMON, or move the file aside and re-import (\`defimon import\`, then \`defimon sync --once\` with a team database)`);
    } else {
      const pending = ledger.filter((m) => !recorded.includes(m.id)).length;
      const assets = recorded.length > 0 ? db.prepare<[], number>('SELECT count(*) FROM crypto_assets').pluck().get()! : 0;
      done('database', true, `SQLite at ${file}: ${recorded.length} migrations${pending ? ` (${pending} to apply at the next start)` : ''}, ${assets} assets`);
    }
  } finally {
    db.close();
  }
  checks.push(checkDataDirectory(path.dirname(file)));
  return checks;
}

/** Who holds the data directory, and whether this process may write it. */
function checkDataDirectory(dir: string): HealthCheck {
  let writable = true;
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    writable = false;
  }
  const holder = readLockHolder(dir);
  let held = false;
  if (writable) {
    // Held means another process runs an import or a sync here right now (not an error).
    const probe = new Database(path.join(dir, LOCK_FILE_NAME), { timeout: 0 });
    try {
      probe.exec('BEGIN EXCLUSIVE');
      probe.exec('ROLLBACK');
    } catch {
      held = true;
    } finally {
      probe.close();
    }
  }
  const message = !writable
    ? `${dir} is read-only for this user: reading works; importing, syncing, collecting and training need write access`
    : held
      ? holder?.pid === process.pid
        ? `this process is ${holder.purpose} right now`
        : `${describeHolder(holder)} right now; other writers wait for it`
      : `${dir} is writable and no other DEFIMON process is importing or syncing here`;
  return { name: 'data-directory', ok: writable, configured: true, message, latencyMs: null };
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
      message: ok ? `SQLite at ${store.path}: ${migrations} migrations, ${assets} assets, ${(store.sizeBytes() / 1e6).toFixed(1)} MB` : `${store.path} is damaged: ${firstLine(check)}; ${RECOVERY}`,
      latencyMs: Math.round(performance.now() - t0),
    };
  } catch (err) {
    return { name: 'database', ok: false, configured: true, message: `${store.path} is damaged: ${(err as Error).message}; ${RECOVERY}`, latencyMs: null };
  }
}

/** `store` null: the services could not start (a broken database); the file is diagnosed alone. */
export async function runDoctor(config: DefimonConfig, store: SqliteStore | null, dbFile?: string): Promise<{ ok: boolean; checks: HealthCheck[] }> {
  const checks: HealthCheck[] = store ? [checkDatabase(store), checkDataDirectory(path.dirname(store.path))] : diagnoseDatabaseFile(dbFile ?? path.join(config.dataDir, 'defimon.sqlite'));
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
