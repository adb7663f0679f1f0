/**
 * Test fixtures for real services: a Postgres database and a Redis key prefix per test file,
 * dropped afterwards. When a service is unreachable: under CI (`CI` set) the test fails loudly;
 * on a developer laptop the suite is skipped with one line saying why.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.DEFIMON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.DEFIMON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachable(fn: () => Promise<unknown>): Promise<string | null> {
  try {
    await fn();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function postgresAvailable(): Promise<boolean> {
  const why = await reachable(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    await c.connect();
    await c.end();
  });
  return handleUnavailable('Postgres', PG_ADMIN_URL, why);
}

export async function redisAvailable(): Promise<boolean> {
  const why = await reachable(async () => {
    const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.ping();
    } finally {
      r.disconnect();
    }
  });
  return handleUnavailable('Redis', REDIS_URL, why);
}

function handleUnavailable(name: string, url: string, why: string | null): boolean {
  if (why === null) return true;
  if (process.env.CI) throw new Error(`${name} at ${url} is required in CI and is not reachable: ${why}`);
  console.warn(`skipping ${name} tests: ${name} at ${url} is not reachable (${why})`);
  return false;
}

/** Creates a fresh database; returns its URL and a function that drops it. */
export async function createTestDatabase(label = 'test'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `defimon_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

/** A unique Redis key prefix and a cleanup that deletes every key under it. */
export function createRedisPrefix(label = 'test'): { prefix: string; cleanup: () => Promise<void> } {
  const prefix = `defimon-test:${label}:${randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    cleanup: async () => {
      const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await r.del(...keys);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
    },
  };
}

/** A temporary data directory, removed by the returned function. */
export function tempDataDir(label = 'defimon'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SHARED_DATA_DIR = process.env.DEFIMON_SHARED_DATA ?? path.resolve(REPO_ROOT, '..', 'shared', 'data');

/**
 * A working directory outside the repository for CLI processes: an installed CLI, the packaged app
 * and a supervised service run from anywhere, so nothing may resolve from the repository's cwd.
 */
export function foreignCwd(): { dir: string; remove: () => void } {
  return tempDataDir('defimon-cwd');
}
