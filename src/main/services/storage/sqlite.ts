/**
 * The local store: SQLite through better-sqlite3 (WAL, synchronous=NORMAL), migrated at open.
 * Every write goes through `write()`, which upserts on the table's natural key inside one
 * transaction and runs the registered write hooks in that same transaction (the sync outbox
 * hooks in here, so a row and its outbox entry commit together or not at all).
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { AppError } from '../../../shared/errors';
import type { DB } from './db-types';
import { migrateSqlite } from './migrator';

export type Row = Record<string, unknown>;
export type WriteOrigin = 'local' | 'remote' | 'import';

/** Runs inside the write transaction; throwing rolls the write back. */
export type WriteHook = (table: string, rows: readonly Row[], origin: WriteOrigin, store: SqliteStore) => void;

export interface TableInfo {
  name: string;
  columns: string[];
  key: string[];
}

export interface SqliteStore {
  readonly db: Database.Database;
  readonly kysely: Kysely<DB>;
  readonly path: string;
  table(name: string): TableInfo;
  /** Idempotent upsert on the natural key; rows may omit columns (they keep their value). */
  write(table: string, rows: readonly Row[], opts?: { origin?: WriteOrigin }): number;
  transaction<T>(fn: () => T): T;
  addWriteHook(hook: WriteHook): () => void;
  sizeBytes(): number;
  close(): void;
}

export function openSqlite(opts: { file: string; readonly?: boolean }): SqliteStore {
  if (opts.file !== ':memory:') mkdirSync(path.dirname(opts.file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(opts.file, { readonly: opts.readonly ?? false });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // Fails fast on a file that is not a database, before any migration touches it.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    throw new AppError('MALFORMED_DATA', `cannot open the database ${opts.file}: ${(err as Error).message}`, { cause: err });
  }
  if (!opts.readonly) migrateSqlite(db);

  const tables = new Map<string, TableInfo>();
  const statements = new Map<string, Database.Statement>();
  const hooks: WriteHook[] = [];
  const kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: db }) });

  function table(name: string): TableInfo {
    let info = tables.get(name);
    if (info) return info;
    const cols = db.prepare(`SELECT name, pk FROM pragma_table_info(?)`).all(name) as { name: string; pk: number }[];
    if (cols.length === 0) throw new AppError('NOT_FOUND', `no table ${name}`);
    info = {
      name,
      columns: cols.map((c) => c.name),
      key: cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
    };
    tables.set(name, info);
    return info;
  }

  function upsertStatement(info: TableInfo, cols: string[]): Database.Statement {
    const cacheKey = `${info.name}|${cols.join(',')}`;
    let stmt = statements.get(cacheKey);
    if (stmt) return stmt;
    const updates = cols.filter((c) => !info.key.includes(c));
    const conflict = updates.length > 0 ? `DO UPDATE SET ${updates.map((c) => `"${c}" = excluded."${c}"`).join(', ')}` : 'DO NOTHING';
    stmt = db.prepare(
      `INSERT INTO "${info.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')}) ON CONFLICT (${info.key.map((c) => `"${c}"`).join(', ')}) ${conflict}`,
    );
    statements.set(cacheKey, stmt);
    return stmt;
  }

  const store: SqliteStore = {
    db,
    kysely,
    path: opts.file,
    table,
    write(name, rows, wopts) {
      if (rows.length === 0) return 0;
      const info = table(name);
      const origin = wopts?.origin ?? 'local';
      return db.transaction(() => {
        let n = 0;
        for (const row of rows) {
          const cols = Object.keys(row).filter((c) => row[c] !== undefined);
          for (const c of cols) if (!info.columns.includes(c)) throw new AppError('INVALID_INPUT', `table ${name} has no column ${c}`);
          for (const k of info.key) if (row[k] === undefined || row[k] === null) throw new AppError('INVALID_INPUT', `${name}: key column ${k} is missing`);
          const bound: Row = {};
          for (const c of cols) bound[c] = row[c];
          n += upsertStatement(info, cols).run(bound).changes;
        }
        for (const hook of hooks) hook(name, rows, origin, store);
        return n;
      })();
    },
    transaction(fn) {
      return db.transaction(fn)();
    },
    addWriteHook(hook) {
      hooks.push(hook);
      return () => {
        const i = hooks.indexOf(hook);
        if (i >= 0) hooks.splice(i, 1);
      };
    },
    sizeBytes() {
      if (opts.file === ':memory:') return 0;
      let total = 0;
      for (const suffix of ['', '-wal', '-shm']) {
        try {
          total += statSync(opts.file + suffix).size;
        } catch {
          /* absent */
        }
      }
      return total;
    },
    close() {
      if (!db.open) return;
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        /* read-only or busy: the WAL is still consistent */
      }
      db.close();
    },
  };
  return store;
}
