/**
 * The team store: Postgres through pg, migrated with the same ledger. Credentials come only
 * from configuration; errors and logs carry the redacted URL.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import { redactUrl } from '../config/config';
import { migratePostgres } from './migrator';

export interface PostgresStore {
  readonly pool: pg.Pool;
  readonly url: string;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/** pg reads `sslmode` from the URL; `require` without a CA means TLS without verification. */
export function poolConfig(url: string, extra: Partial<pg.PoolConfig> = {}): pg.PoolConfig {
  const u = new URL(url);
  const sslmode = u.searchParams.get('sslmode');
  const cfg: pg.PoolConfig = { connectionString: url, connectionTimeoutMillis: 5000, max: 4, ...extra };
  if (sslmode === 'require' || sslmode === 'prefer' || sslmode === 'no-verify') {
    u.searchParams.delete('sslmode');
    cfg.connectionString = u.toString();
    cfg.ssl = { rejectUnauthorized: false };
  }
  return cfg;
}

export function openPostgres(url: string, extra: Partial<pg.PoolConfig> = {}): PostgresStore {
  let pool: pg.Pool;
  try {
    // pg loads when a team database is opened, not at every start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Pool } = require('pg') as typeof pg;
    pool = new Pool(poolConfig(url, extra));
  } catch (err) {
    throw new AppError('INVALID_INPUT', `invalid Postgres URL ${redactUrl(url)}: ${(err as Error).message}`);
  }
  // An idle client that loses its server must not crash the process; callers see errors on use.
  pool.on('error', () => undefined);
  return {
    pool,
    url: redactUrl(url) ?? '',
    async migrate() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw new AppError('UNAVAILABLE', `Postgres at ${redactUrl(url)} is unreachable: ${(err as Error).message}`, { retryable: true, cause: err });
      }
      try {
        return await migratePostgres(client);
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}
