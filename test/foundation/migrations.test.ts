import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksum, migrateSqlite, orderedLedger } from '../../src/main/services/storage/migrator';
import { migrations } from '../../src/main/services/storage/migrations';
import { openPostgres } from '../../src/main/services/storage/postgres';
import { createTestDatabase, postgresAvailable } from '../helpers/services';

/** Sync infrastructure tables (`sync_*`) exist on one side only by design. */
const isShared = (t: string): boolean => !t.startsWith('sync_');

type Schema = Record<string, { columns: Record<string, { type: string; notNull: boolean }>; key: string[]; uniques: string[] }>;

/** Folds both dialects' type names onto the three portable ones. */
function normaliseType(t: string): string {
  const u = t.toUpperCase();
  if (/INT/.test(u)) return 'integer';
  if (/DOUBLE|REAL|FLOAT|NUMERIC/.test(u)) return 'real';
  if (/TEXT|CHAR|CLOB/.test(u)) return 'text';
  return u.toLowerCase();
}

function sqliteSchema(db: Database.Database): Schema {
  const out: Schema = {};
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name).filter(isShared);
  for (const t of tables) {
    const cols = db.prepare('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?)').all(t) as { name: string; type: string; nn: number; pk: number }[];
    const uniques: string[] = [];
    for (const idx of db.prepare('SELECT name, "unique" AS u, origin FROM pragma_index_list(?)').all(t) as { name: string; u: number; origin: string }[]) {
      if (!idx.u || idx.origin === 'pk') continue;
      const icols = (db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(idx.name) as { name: string }[]).map((r) => r.name);
      uniques.push(icols.join(','));
    }
    out[t] = {
      columns: Object.fromEntries(cols.map((c) => [c.name, { type: normaliseType(c.type), notNull: c.nn === 1 || c.pk > 0 }])),
      key: cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
      uniques: uniques.sort(),
    };
  }
  return out;
}

async function postgresSchema(client: pg.Pool): Promise<Schema> {
  const out: Schema = {};
  const cols = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  for (const c of cols.rows) {
    if (!isShared(c.table_name)) continue;
    const t = (out[c.table_name] ??= { columns: {}, key: [], uniques: [] });
    t.columns[c.column_name] = { type: normaliseType(c.data_type), notNull: c.is_nullable === 'NO' };
  }
  const idx = await client.query<{ table_name: string; is_primary: boolean; is_unique: boolean; cols: string[] }>(
    `SELECT t.relname AS table_name, i.indisprimary AS is_primary, i.indisunique AS is_unique,
            array_agg(a.attname::text ORDER BY k.ord) AS cols
     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
     WHERE n.nspname = 'public' GROUP BY t.relname, i.indexrelid, i.indisprimary, i.indisunique`,
  );
  for (const r of idx.rows) {
    const t = out[r.table_name];
    if (!t) continue;
    if (r.is_primary) t.key = r.cols;
    else if (r.is_unique) t.uniques.push(r.cols.join(','));
  }
  for (const t of Object.values(out)) t.uniques.sort();
  return out;
}

describe('migration ledger', () => {
  it('orders entries by id and rejects duplicates', () => {
    const ids = orderedLedger().map((m) => m.id);
    expect(ids).toEqual([...ids].sort());
    expect(() => orderedLedger([migrations[0]!, migrations[0]!])).toThrow(/appears twice/);
  });

  it('applies once, records every entry, and refuses an edited shipped migration', () => {
    const db = new Database(':memory:');
    const applied = migrateSqlite(db);
    expect(applied).toEqual(orderedLedger().map((m) => m.id));
    expect(migrateSqlite(db)).toEqual([]);
    const recorded = db.prepare('SELECT id, checksum FROM schema_migrations ORDER BY id').all() as { id: string; checksum: string }[];
    expect(recorded.map((r) => r.checksum)).toEqual(orderedLedger().map((m) => checksum(m)));
    const first = migrations[0]!;
    const edited = { ...first, statements: [...first.statements, 'CREATE TABLE extra_table (x TEXT)'] };
    expect(() => migrateSqlite(db, [edited, ...migrations.slice(1)])).toThrow(/edited after it shipped/);
    db.close();
  });

  it('refuses a database that has a migration this version does not know', () => {
    const db = new Database(':memory:');
    migrateSqlite(db);
    db.prepare('INSERT INTO schema_migrations (id, checksum, applied_at) VALUES (?, ?, ?)').run('9999_future', 'x', new Date().toISOString());
    expect(() => migrateSqlite(db)).toThrow(/newer version/);
    db.close();
  });
});

describe('SQLite and Postgres hold the same schema', async () => {
  const available = await postgresAvailable();
  let testDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  beforeAll(async () => {
    if (available) testDb = await createTestDatabase('schema');
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it.skipIf(!available)('runs every migration on both and compares tables, columns, types and keys', async () => {
    const sqlite = new Database(':memory:');
    migrateSqlite(sqlite);
    const pgStore = openPostgres(testDb!.url);
    try {
      const applied = await pgStore.migrate();
      expect(applied.length).toBe(orderedLedger().length);
      expect(await pgStore.migrate()).toEqual([]);
      const a = sqliteSchema(sqlite);
      const b = await postgresSchema(pgStore.pool);
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      for (const table of Object.keys(a)) {
        expect({ table, ...b[table] }).toEqual({ table, ...a[table] });
      }
      // The seed's tables are all there.
      for (const t of ['crypto_assets', 'onchain_metrics', 'financial_metrics', 'github_metrics', 'ml_predictions', 'smart_contracts', 'competitor_analysis']) {
        expect(a[t]?.key.length).toBeGreaterThan(0);
      }
    } finally {
      sqlite.close();
      await pgStore.close();
    }
  });

  it('reports an unreachable Postgres clearly without touching anything', async () => {
    const pgStore = openPostgres('postgres://postgres:hunter2@127.0.0.1:1/defimon', { connectionTimeoutMillis: 1000 });
    try {
      await expect(pgStore.migrate()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/unreachable/) });
      await expect(pgStore.migrate()).rejects.not.toThrow(/hunter2/);
    } finally {
      await pgStore.close();
    }
  });
});
