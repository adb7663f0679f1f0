/**
 * The local store: SQLite through better-sqlite3 (WAL, synchronous=NORMAL), migrated at open.
 * Every write goes through `write()`, which upserts on the table's natural key inside one
 * transaction and runs the registered write hooks in that same transaction (the sync outbox
 * hooks in here, so a row and its outbox entry commit together or not at all).
 */
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../../shared/errors';
import { describeHolder, readLockHolder, readOnlyError } from './dir-lock';
import { migrations as ledger } from './migrations';
import { migrateSqlite } from './migrator';

/**
 * How long a write waits for another connection's write transaction before giving up. A long
 * writer (an import, a sync cycle) holds the data directory lock instead (dir-lock.ts), so this
 * only has to cover short writes. @default 15000
 */
export const BUSY_TIMEOUT_MS = 15_000;

function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

/** How to recover from a damaged database file. */
export const RECOVERY =
  "to recover, move the file aside (keep it for inspection), run `defimon import` to rebuild from the bundled dataset, then `defimon sync --once` to pull the team database's rows if one is configured";

/** The first problem of an integrity report (it can list thousands), and how many follow. */
export function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\*\*\*/.test(l));
  return lines.length > 1 ? `${lines[0]} (and ${lines.length - 1} more problem(s))` : (lines[0] ?? text);
}

/** A database file the next reader cannot trust: what happened, and how to recover. */
export function corruptDatabaseError(file: string, err: unknown): AppError {
  return new AppError(
    'MALFORMED_DATA',
    `the database ${file} is damaged (${firstLine((err as Error).message)}). Run \`defimon doctor\` for a diagnosis; ${RECOVERY}`,
    { details: { reason: 'corrupt', path: file }, cause: err },
  );
}

/**
 * SQLite's own errors turned into what they mean for the analyst: a damaged file (with its path
 * and the recovery), a read-only folder, or a database busy with another process's write.
 * Anything else is returned as it is.
 */
export function explainSqliteError(file: string, err: unknown): unknown {
  const code = sqliteCode(err);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return corruptDatabaseError(file, err);
  if (code.startsWith('SQLITE_READONLY')) return readOnlyError(path.dirname(file), err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppError('CONFLICT', `the database ${file} is busy: ${describeHolder(readLockHolder(path.dirname(file)))}; try again when it has finished`, { retryable: true, cause: err });
  }
  return err;
}

function migrationsPending(db: Database.Database): boolean {
  try {
    const applied = new Set(db.prepare<[], string>('SELECT id FROM schema_migrations').pluck().all());
    return ledger.some((m) => !applied.has(m.id));
  } catch {
    return true; // no ledger yet
  }
}

function writable(file: string): boolean {
  try {
    // The folder too: SQLite creates its -wal and -shm files beside the database.
    accessSync(path.dirname(file), constants.W_OK);
    if (existsSync(file)) accessSync(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export type Row = Record<string, unknown>;
export type WriteOrigin = 'local' | 'remote' | 'import';

/** Runs inside the write transaction; throwing rolls the write back. */
export type WriteHook = (table: string, rows: readonly Row[], origin: WriteOrigin, store: SqliteStore) => void;

export interface WriteHookOptions {
  /** Only writes of these origins reach the hook (bulk writes then skip building row objects for it). @default every origin */
  origins?: readonly WriteOrigin[];
  /**
   * `false`: the hook needs only the table and origin of a write, never its rows; it receives an
   * empty list, and bulk writes build no row objects for it. @default true
   */
  rows?: boolean;
}

export interface BulkWriteOptions {
  origin?: WriteOrigin;
  /**
   * Drop the table's secondary indexes for the load and rebuild them after it (same
   * transaction) when the load is larger than what the table holds; building an index once is
   * cheaper than maintaining it row by row. @default true
   */
  deferIndexes?: boolean;
}

/** Rows written one at a time into one table (see `SqliteStore.bulkWriter`). */
export interface BulkWriter {
  /**
   * Upserts one row: its values in the writer's column order, `undefined` for a column left out
   * (kept as it is, or its default for a new row). The array may be reused for the next row.
   */
  write(row: readonly unknown[]): void;
  /** Runs the write hooks for the rows written; returns how many were written. */
  end(): number;
}

export interface TableInfo {
  name: string;
  columns: string[];
  key: string[];
}

export interface SqliteStore {
  readonly db: Database.Database;
  readonly path: string;
  /** Opened read-only (the file or its folder is not writable): every write is refused clearly. */
  readonly readOnly: boolean;
  table(name: string): TableInfo;
  /** Idempotent upsert on the natural key; rows may omit columns (they keep their value). */
  write(table: string, rows: readonly Row[], opts?: { origin?: WriteOrigin }): number;
  /**
   * The bulk form of `write`: every row is an array of values in `columns` order (same upsert,
   * same hooks), bound positionally to one prepared statement, with no per-row objects.
   */
  writeRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], opts?: BulkWriteOptions): number;
  /**
   * The streaming form of `writeRows` inside a `transaction()`: rows upserted as they are
   * produced (same statements, same hooks at `end()`), so a caller never holds them all, nor an
   * array per row.
   */
  bulkWriter(table: string, columns: readonly string[], opts?: { origin?: WriteOrigin }): BulkWriter;
  transaction<T>(fn: () => T): T;
  addWriteHook(hook: WriteHook, opts?: WriteHookOptions): () => void;
  sizeBytes(): number;
  close(): void;
}

/** Creates `file` readable by its owner only when it does not exist yet; an existing file is left as it is. */
function createOwnerOnly(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch {
    // It exists already (or cannot be created here, which opening it reports properly).
  }
}

export function openSqlite(opts: { file: string; readonly?: boolean }): SqliteStore {
  const memory = opts.file === ':memory:';
  // The database holds the analyst's data and notes: owner-only (SQLite gives its -wal and -shm
  // files the database file's permissions).
  if (!memory) mkdirSync(path.dirname(opts.file), { recursive: true, mode: 0o700 });
  // A folder or file the process may not write is opened read-only: reading still works.
  const readOnly = opts.readonly ?? (!memory && !writable(opts.file));
  if (readOnly && !memory && !existsSync(opts.file)) throw readOnlyError(path.dirname(opts.file));
  if (!memory && !readOnly) createOwnerOnly(opts.file);
  let db: Database.Database;
  try {
    db = new Database(opts.file, { readonly: readOnly, fileMustExist: readOnly, timeout: BUSY_TIMEOUT_MS });
    if (!readOnly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    // Fails fast on a file that is not a database, before any migration touches it.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    if (readOnly && sqliteCode(err) === 'SQLITE_READONLY_DIRECTORY') {
      throw new AppError(
        'FORBIDDEN',
        `cannot read ${opts.file}: it was left in write-ahead-log mode (a DEFIMON process did not close it) and its folder is read-only; open it once with write access, or copy the folder somewhere writable`,
        { details: { reason: 'read-only' }, cause: err },
      );
    }
    const explained = explainSqliteError(opts.file, err);
    if (explained instanceof AppError) throw explained;
    throw new AppError('MALFORMED_DATA', `cannot open the database ${opts.file}: ${(err as Error).message}. Run \`defimon doctor\` for a diagnosis`, { cause: err });
  }
  if (!readOnly) {
    try {
      // Two processes opening a new (or older) database at once must not both apply the same
      // migration: with entries pending, the ledger is read and applied inside one IMMEDIATE
      // transaction, so the second waits and then finds them applied. Nothing pending (the usual
      // start) takes no write lock, so opening never waits behind another process's import.
      if (migrationsPending(db)) db.transaction(() => migrateSqlite(db)).immediate();
      else migrateSqlite(db);
    } catch (err) {
      db.close();
      throw explainSqliteError(opts.file, err);
    }
  }

  const tables = new Map<string, TableInfo>();
  const statements = new Map<string, Database.Statement>();
  const hooks: { fn: WriteHook; origins: readonly WriteOrigin[] | null; rows: boolean }[] = [];

  function table(name: string): TableInfo {
    let info = tables.get(name);
    if (info) return info;
    const cols = db.prepare<unknown[], { name: string; pk: number }>(`SELECT name, pk FROM pragma_table_info(?)`).all(name);
    if (cols.length === 0) throw new AppError('NOT_FOUND', `no table ${name}`);
    info = {
      name,
      columns: cols.map((c) => c.name),
      key: cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
    };
    tables.set(name, info);
    return info;
  }

  function checkColumns(info: TableInfo, cols: readonly string[]): void {
    for (const c of cols) if (!info.columns.includes(c)) throw new AppError('INVALID_INPUT', `table ${info.name} has no column ${c}`);
  }

  /** `INSERT ... ON CONFLICT (key) DO UPDATE` with positional parameters in `cols` order, prepared once per column list. */
  function upsertStatement(info: TableInfo, cols: readonly string[]): Database.Statement {
    const cacheKey = `${info.name}|${cols.join(',')}`;
    let stmt = statements.get(cacheKey);
    if (stmt) return stmt;
    const updates = cols.filter((c) => !info.key.includes(c));
    const conflict = updates.length > 0 ? `DO UPDATE SET ${updates.map((c) => `"${c}" = excluded."${c}"`).join(', ')}` : 'DO NOTHING';
    stmt = db.prepare(`INSERT INTO "${info.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ON CONFLICT (${info.key.map((c) => `"${c}"`).join(', ')}) ${conflict}`);
    statements.set(cacheKey, stmt);
    return stmt;
  }

  function runHooks(name: string, origin: WriteOrigin, rows: () => readonly Row[]): void {
    let materialised: readonly Row[] | null = null;
    for (const h of hooks) {
      if (h.origins !== null && !h.origins.includes(origin)) continue;
      if (!h.rows) {
        h.fn(name, [], origin, store);
        continue;
      }
      materialised ??= rows();
      h.fn(name, materialised, origin, store);
    }
  }

  /** Secondary indexes (not the primary key's) as their CREATE statements. */
  function secondaryIndexes(name: string): { name: string; sql: string }[] {
    return db.prepare<unknown[], { name: string; sql: string }>(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`).all(name);
  }

  /** Runs a write, turning SQLite's busy, read-only and corrupt errors into explained ones. */
  function guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw explainSqliteError(opts.file, err);
    }
  }

  const store: SqliteStore = {
    db,
    path: opts.file,
    readOnly,
    table,
    write(name, rows, wopts) {
      if (rows.length === 0) return 0;
      if (readOnly) throw readOnlyError(path.dirname(opts.file));
      const info = table(name);
      const origin = wopts?.origin ?? 'local';
      return guard(() => db.transaction(() => {
        let n = 0;
        // Rows of one shape (the usual case) share one column check and one statement; a row
        // with a value left out (undefined) or a key that is no column takes the slow path.
        let shape: string[] = [];
        let stmt: Database.Statement | null = null;
        let first = true;
        const slow = (row: Row): number => {
          const own = Object.keys(row).filter((c) => row[c] !== undefined);
          checkColumns(info, own);
          return upsertStatement(info, own).run(own.map((c) => row[c])).changes;
        };
        for (const row of rows) {
          for (const k of info.key) if (row[k] === undefined || row[k] === null) throw new AppError('INVALID_INPUT', `${name}: key column ${k} is missing`);
          const keys = Object.keys(row);
          let same = !first && keys.length === shape.length;
          for (let i = 0; same && i < keys.length; i++) same = keys[i] === shape[i];
          if (!same) {
            first = false;
            shape = keys;
            stmt = keys.every((c) => info.columns.includes(c)) ? upsertStatement(info, keys) : null;
          }
          if (stmt === null) {
            n += slow(row);
            continue;
          }
          const values = new Array<unknown>(shape.length);
          let undef = false;
          for (let i = 0; i < shape.length; i++) if ((values[i] = row[shape[i]!]) === undefined) undef = true;
          n += undef ? slow(row) : stmt.run(values).changes;
        }
        runHooks(name, origin, () => rows);
        return n;
      }).immediate());
    },
    writeRows(name, columns, rows, wopts) {
      if (rows.length === 0) return 0;
      const info = table(name);
      checkColumns(info, columns);
      for (const k of info.key) if (!columns.includes(k)) throw new AppError('INVALID_INPUT', `${name}: key column ${k} is missing`);
      const origin = wopts?.origin ?? 'local';
      const keyAt = info.key.map((k) => columns.indexOf(k));
      if (readOnly) throw readOnlyError(path.dirname(opts.file));
      return guard(() => db.transaction(() => {
        let indexes: { name: string; sql: string }[] = [];
        if (wopts?.deferIndexes !== false) {
          indexes = secondaryIndexes(name);
          const held = indexes.length > 0 ? (db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM "${name}"`).get()?.n ?? 0) : 0;
          if (held < rows.length) for (const ix of indexes) db.exec(`DROP INDEX "${ix.name}"`);
          else indexes = [];
        }
        const stmt = upsertStatement(info, columns);
        let n = 0;
        for (const row of rows) {
          if (row.length !== columns.length) throw new AppError('INVALID_INPUT', `${name}: a row has ${row.length} values for ${columns.length} columns`);
          for (const k of keyAt) if (row[k] === undefined || row[k] === null) throw new AppError('INVALID_INPUT', `${name}: key column ${columns[k]} is missing`);
          n += stmt.run(row).changes;
        }
        for (const ix of indexes) db.exec(ix.sql);
        runHooks(name, origin, () =>
          rows.map((row) => {
            const o: Row = {};
            for (let i = 0; i < columns.length; i++) o[columns[i]!] = row[i];
            return o;
          }),
        );
        return n;
      }).immediate());
    },
    bulkWriter(name, columns, wopts) {
      if (readOnly) throw readOnlyError(path.dirname(opts.file));
      if (!db.inTransaction) throw new AppError('INTERNAL', `${name}: a bulk writer works only inside a transaction`);
      const info = table(name);
      checkColumns(info, columns);
      for (const k of info.key) if (!columns.includes(k)) throw new AppError('INVALID_INPUT', `${name}: key column ${k} is missing`);
      const origin = wopts?.origin ?? 'local';
      const keyAt = info.key.map((k) => columns.indexOf(k));
      const stmt = upsertStatement(info, columns);
      // Row objects only when a hook wants the rows of this origin.
      const kept: Row[] | null = hooks.some((h) => h.rows && (h.origins === null || h.origins.includes(origin))) ? [] : null;
      let n = 0;
      return {
        write(row) {
          if (row.length !== columns.length) throw new AppError('INVALID_INPUT', `${name}: a row has ${row.length} values for ${columns.length} columns`);
          for (const k of keyAt) if (row[k] === undefined || row[k] === null) throw new AppError('INVALID_INPUT', `${name}: key column ${columns[k]} is missing`);
          let full = true;
          for (let i = 0; full && i < row.length; i++) full = row[i] !== undefined;
          // SQLite's errors are explained by the enclosing transaction().
          if (full) stmt.run(row);
          else {
            // A row leaving columns out: written with the columns it has.
            const own = columns.filter((_, i) => row[i] !== undefined);
            upsertStatement(info, own).run(row.filter((v) => v !== undefined));
          }
          n++;
          if (kept) {
            const o: Row = {};
            for (let i = 0; i < columns.length; i++) if (row[i] !== undefined) o[columns[i]!] = row[i];
            kept.push(o);
          }
        },
        end() {
          if (n > 0) runHooks(name, origin, () => kept ?? []);
          return n;
        },
      };
    },
    transaction(fn) {
      if (readOnly) throw readOnlyError(path.dirname(opts.file));
      // IMMEDIATE: the write lock is taken (or waited for, up to the busy timeout) at BEGIN. A
      // deferred transaction that reads first fails at once with SQLITE_BUSY when another
      // connection wrote meanwhile, whatever the timeout. Nested calls become savepoints.
      return guard(() => db.transaction(fn).immediate());
    },
    addWriteHook(hook, hopts) {
      const entry = { fn: hook, origins: hopts?.origins ?? null, rows: hopts?.rows ?? true };
      hooks.push(entry);
      return () => {
        const i = hooks.indexOf(entry);
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
      if (!readOnly) {
        try {
          db.pragma('wal_checkpoint(TRUNCATE)');
          // The last connection leaves the file in rollback-journal mode: a WAL file needs its
          // -shm beside it even to be read, so a folder made read-only afterwards (a copy, a
          // mounted backup) could not be opened at all. The next writer switches WAL back on.
          // Another connection still open (busy) keeps WAL, and its -shm, as they are.
          db.pragma('busy_timeout = 0');
          db.pragma('journal_mode = DELETE');
        } catch {
          /* busy: the WAL is still consistent */
        }
      }
      db.close();
    },
  };
  return store;
}
