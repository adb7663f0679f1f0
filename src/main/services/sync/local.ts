/**
 * The client side of sync inside SQLite: the outbox filled by a write hook in the same
 * transaction as the write, the persistent sync state (counters, watermark, client id) and the
 * log of rejected rows.
 *
 * Which writes are queued:
 * - origin 'local' (collectors, models, audits, the analyst's user data): queued, one outbox
 *   entry per natural key; a newer write of the same key replaces the entry with a higher seq.
 * - origin 'import' (the bundled dataset or a CSV directory): not queued row by row. Every
 *   client imports the same bundled snapshot, so queuing it would make each laptop push the same
 *   ~220,000 rows. Instead `dataset_imports` is compared with the team database at push time and
 *   an import the team does not hold yet is pushed once, in bulk (see engine.ts pushImports).
 * - origin 'remote' (rows pulled from the team): never queued, or they would echo forever.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Row, SqliteStore, TableInfo } from '../storage/sqlite';

/** Tables that never sync: the sync infrastructure itself and the migration ledger. */
/**
 * Per-client runtime state: where this client's collectors stopped, their last status, and the
 * holder balances its chain collector derives (each client rebuilds them from the chain).
 * Sharing them would make one laptop's progress another's.
 */
const LOCAL_ONLY_TABLES = new Set(['schema_migrations', 'collector_checkpoints', 'collector_status', 'token_balances']);

export function isSyncedTable(name: string): boolean {
  return !name.startsWith('sync_') && !name.startsWith('sqlite_') && !LOCAL_ONLY_TABLES.has(name);
}

/** User data resolves last-writer-wins by HLC; everything else is a fact. */
export function isUserDataTable(info: TableInfo): boolean {
  return info.columns.includes('hlc') && info.columns.includes('deleted');
}

export function keyOf(info: TableInfo, row: Row): string {
  return JSON.stringify(info.key.map((k) => row[k]));
}

export interface OutboxEntry {
  seq: number;
  tbl: string;
  key: string;
}

export interface SyncState {
  get(name: string): string | null;
  set(name: string, value: string | number | null): void;
  num(name: string): number;
  add(name: string, delta: number): void;
}

export function openSyncState(db: Database.Database): SyncState {
  const getStmt = db.prepare<[string], { value: string }>('SELECT value FROM sync_state WHERE name = ?');
  const setStmt = db.prepare('INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
  const delStmt = db.prepare('DELETE FROM sync_state WHERE name = ?');
  const state: SyncState = {
    get: (name) => getStmt.get(name)?.value ?? null,
    set: (name, value) => {
      if (value === null) delStmt.run(name);
      else setStmt.run(name, String(value));
    },
    num: (name) => Number(state.get(name) ?? 0) || 0,
    add: (name, delta) => state.set(name, state.num(name) + delta),
  };
  return state;
}

/** The database file's identity on disk (device and inode); null where the file system has none. */
function fileIdentity(file: string): string | null {
  try {
    const st = statSync(file, { bigint: true });
    return st.ino > 0n ? `${st.dev}:${st.ino}` : null;
  } catch {
    return null;
  }
}

const clientIds = new WeakMap<SqliteStore, string>();

/**
 * This client's id, created once per database: it names the client in the team's change log
 * and is the node id of its hybrid logical clock.
 *
 * The id is bound to the database file's identity (device and inode): a copied data directory
 * (a second laptop set up from a copy, a restored backup) holds a different file, so it gets a
 * new id instead of pushing as the same client as the original. A file moved within its file
 * system keeps its identity and its id. A read-only database gets an id for this session only.
 */
export function syncClientId(store: SqliteStore): string {
  const known = clientIds.get(store);
  if (known) return known;
  const state = openSyncState(store.db);
  const identity = store.path === ':memory:' ? null : fileIdentity(store.path);
  let id = state.get('client_id');
  const boundTo = state.get('client_file');
  const copied = id !== null && identity !== null && boundTo !== null && boundTo !== identity;
  if (!id || copied) id = randomBytes(6).toString('hex');
  if (!store.readOnly && (id !== state.get('client_id') || (identity !== null && boundTo !== identity))) {
    const fresh = id;
    store.transaction(() => {
      state.set('client_id', fresh);
      if (identity !== null) state.set('client_file', identity);
    });
  }
  clientIds.set(store, id);
  return id;
}

export interface Outbox {
  /** Outbox entries in write order, oldest first. */
  read(limit: number): OutboxEntry[];
  /** Entries after `seq`, in write order. */
  readAfter(seq: number, limit: number): OutboxEntry[];
  /** Forgets every entry up to and including `seq` (acknowledged by the team database). */
  ackThrough(seq: number): number;
  remove(seq: number): void;
  pending(): number;
  hasKey(tbl: string, key: string): boolean;
  /** Highest seq ever handed out (survives deletes: AUTOINCREMENT). */
  maxSeqEver(): number;
  /** Makes later seqs exceed `seq` (a database restored from a copy must not reuse acked seqs). */
  bumpSeq(seq: number): void;
}

export function openOutbox(db: Database.Database): Outbox {
  const readStmt = db.prepare<[number], OutboxEntry>('SELECT seq, tbl, key FROM sync_outbox ORDER BY seq LIMIT ?');
  const readAfterStmt = db.prepare<[number, number], OutboxEntry>('SELECT seq, tbl, key FROM sync_outbox WHERE seq > ? ORDER BY seq LIMIT ?');
  const ackStmt = db.prepare('DELETE FROM sync_outbox WHERE seq <= ?');
  // Without a WHERE clause SQLite empties the table and its index page by page instead of row
  // by row (about twenty times less work for a drained outbox).
  const clearStmt = db.prepare('DELETE FROM sync_outbox');
  const lastStmt = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM sync_outbox');
  const ack = db.transaction((seq: number): number => {
    const last = lastStmt.get()?.seq ?? null;
    if (last === null) return 0;
    return (last <= seq ? clearStmt.run() : ackStmt.run(seq)).changes;
  });
  const removeStmt = db.prepare('DELETE FROM sync_outbox WHERE seq = ?');
  const countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sync_outbox');
  const hasStmt = db.prepare('SELECT 1 FROM sync_outbox WHERE tbl = ? AND key = ?').pluck();
  const maxStmt = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'");
  return {
    read: (limit) => readStmt.all(limit),
    readAfter: (seq, limit) => readAfterStmt.all(seq, limit),
    ackThrough: (seq) => ack(seq),
    remove: (seq) => void removeStmt.run(seq),
    pending: () => countStmt.get()?.n ?? 0,
    hasKey: (tbl, key) => hasStmt.get(tbl, key) !== undefined,
    maxSeqEver: () => maxStmt.get()?.seq ?? 0,
    bumpSeq: (seq) => {
      const cur = maxStmt.get()?.seq;
      if (cur === undefined) db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_outbox', ?)").run(seq);
      else if (cur < seq) db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'sync_outbox'").run(seq);
    },
  };
}

/**
 * Installs the outbox hook on the store. `onQueued` runs after the hook has queued rows (still
 * inside the transaction), so a running sync worker can schedule a push.
 */
export function installOutboxHook(store: SqliteStore, onQueued: () => void = () => undefined): () => void {
  const enqueue = store.db.prepare('REPLACE INTO sync_outbox (tbl, key, written_at) VALUES (?, ?, ?)');
  return store.addWriteHook((table, rows, origin) => {
    if (origin !== 'local' || !isSyncedTable(table)) return;
    const info = store.table(table);
    const at = new Date().toISOString();
    for (const row of rows) enqueue.run(table, keyOf(info, row), at);
    onQueued();
    // Only local writes queue: bulk writes of other origins need not build row objects for it.
  }, { origins: ['local'] });
}

/** Reads a row's current content by its natural key, prepared once per table. */
export function rowReader(store: SqliteStore): (tbl: string, key: string) => Row | undefined {
  const stmts = new Map<string, Database.Statement<unknown[], Row>>();
  return (tbl, key) => {
    let stmt = stmts.get(tbl);
    if (!stmt) {
      const info = store.table(tbl);
      stmt = store.db.prepare<unknown[], Row>(`SELECT * FROM "${tbl}" WHERE ${info.key.map((k) => `"${k}" = ?`).join(' AND ')}`);
      stmts.set(tbl, stmt);
    }
    return stmt.get(...(JSON.parse(key) as unknown[]));
  };
}

export function recordReject(db: Database.Database, r: { direction: 'push' | 'pull'; tbl: string | null; seq: number | null; row: unknown; error: string }): void {
  let text: string | null;
  try {
    text = r.row === undefined ? null : JSON.stringify(r.row);
  } catch {
    text = '[unserialisable]';
  }
  if (text !== null && text.length > 10_000) text = `${text.slice(0, 10_000)}…`;
  db.prepare('INSERT INTO sync_rejects (direction, tbl, seq, row_data, error, at) VALUES (?, ?, ?, ?, ?, ?)').run(r.direction, r.tbl, r.seq, text, r.error, new Date().toISOString());
}
