/**
 * Push and pull between this client's SQLite and the team Postgres.
 *
 * Push: outbox entries in seq order, in batches; each batch is one Postgres transaction of
 * multi-row inserts (a COPY of rows the team does not hold yet, then the batch's change-log
 * entry) or upserts (`json_populate_recordset`, one statement per table that also writes the
 * batch's change-log entry from the same parameter) plus the client's acknowledged seq, and
 * only after COMMIT are the entries removed locally. A crash between the
 * two re-pushes nothing: on connect the client reads its acknowledged seq back from Postgres.
 * Facts upsert only when something differs (so re-pushing the same rows logs no change); user
 * data (columns `hlc`, `deleted`) upserts only when the incoming stamp is newer.
 *
 * Pull: `sync_changes` after the watermark (from the read replica when configured), validated,
 * applied in seq order with origin 'remote' (never re-queued) in one SQLite
 * transaction together with the new watermark. Rows that fail validation are logged in
 * `sync_rejects` and skipped, so one bad row never blocks the rows after it.
 */
import { from as copyFrom } from 'pg-copy-streams';
import { isConnectionError } from '../kernel/retry';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import { redactUrl } from '../config/config';
import type { Logger } from '../log/logger';
import type { Hlc } from '../kernel/hlc';
import { migratePostgres } from '../storage/migrator';
import { openPostgres, type PostgresStore } from '../storage/postgres';
import type { BulkWriter, Row, SqliteStore, TableInfo } from '../storage/sqlite';
import { isSyncedTable, isUserDataTable, openOutbox, openSyncState, recordReject, rowReader, type OutboxEntry } from './local';
import { createRowValidators, type TableValidator } from './validate';

/** Serialises writers of the change log; the capture trigger takes the same lock. */
const CHANGE_LOG_LOCK = 724400;
/** The tables the dataset importer fills; an import the team lacks is pushed from these. */
export const IMPORT_TABLES = ['crypto_assets', 'smart_contracts', 'financial_metrics', 'onchain_metrics', 'github_metrics'] as const;

interface ChangeRow {
  seq: string;
  tbl: string;
  origin: string | null;
  row_data: unknown;
  rows_json: unknown;
  /** A batch as COPY text lines of `copy_columns` (see migration 0504). */
  rows_copy?: string | null;
  copy_columns?: string[] | null;
}

/**
 * A change entry pushed from a dataset import this client holds too (`$3`: the held imports'
 * keys; the entry's origin is `<client id> <import key>`): its rows are already here.
 */
const HELD_SQL = `(origin IS NOT NULL AND substr(origin, strpos(origin, ' ') + 1) = ANY($3::text[]))`;

/**
 * The next changes after a watermark, about `$2` rows in all: change entries in seq order until
 * their row counts reach $2 (always at least one entry, however big). Entries of a held import
 * come without their rows (never downloaded) and count for nothing in the batch.
 */
const PULL_SQL = `SELECT seq, tbl, origin, CASE WHEN held THEN NULL ELSE row_data END AS row_data, CASE WHEN held THEN NULL ELSE rows_json END AS rows_json,
    CASE WHEN held THEN NULL ELSE rows_copy END AS rows_copy, copy_columns
  FROM (SELECT *, ${HELD_SQL} AS held FROM sync_changes WHERE seq > $1) c
  WHERE seq <= (
    SELECT coalesce(max(seq), $1) FROM (
      SELECT seq, sum(n) OVER (ORDER BY seq) - n AS before
      FROM (SELECT seq, CASE WHEN ${HELD_SQL} THEN 0 ELSE row_count END AS n FROM sync_changes WHERE seq > $1 ORDER BY seq LIMIT $2) l
    ) w WHERE before < $2)
  ORDER BY seq`;

/** Where `visitRows` hands each row: into which array, then the valid ones and the rejected ones. */
interface RowVisitor {
  /** The array the next row's values are read into (one per table, or a new one per row). */
  target(): unknown[];
  ok(values: unknown[]): void;
  bad(error: string, row: unknown): void;
}

/**
 * Reads each row of a change entry held as COPY text (`columns` named per line) with the table's
 * validator, straight from the line's fields (no row object; one is built only for a rejected
 * row's record). A line with the wrong number of fields is rejected on its own.
 */
export function visitCopyRows(text: string, columns: unknown, validator: TableValidator, v: RowVisitor): void {
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string')) {
    v.bad('a COPY text change has no column list', text.slice(0, 200));
    return;
  }
  const names = columns as string[];
  const check = validator.copyChecker(names);
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  let start = 0;
  while (start < end) {
    let stop = text.indexOf('\n', start);
    if (stop < 0 || stop > end) stop = end;
    const line = text.slice(start, stop);
    start = stop + 1;
    const fields = line.split('\t');
    if (fields.length !== names.length) {
      v.bad(`a COPY text row has ${fields.length} value(s) for ${names.length} column(s)`, line.slice(0, 200));
      continue;
    }
    const values = v.target();
    const error = check(fields, values);
    if (error === null) v.ok(values);
    else v.bad(error, validator.copyRow(names, fields));
  }
}

/** Most rows per pull transaction unless configured. */
export const PULL_BATCH_ROWS = 50_000;

export interface EngineOptions {
  store: SqliteStore;
  log: Logger;
  clock: Hlc;
  clientId: string;
  pgUrl: string;
  /** Pulls read here when set (a read-only replica). */
  pgReplicaUrl?: string | undefined;
  /** Rows per push transaction (and the first pull transaction). @default 5000 */
  batchSize?: number;
  /**
   * Most rows per pull transaction. A pull starts at `batchSize` rows and doubles each batch up
   * to this: every SQLite commit rewrites the index pages its rows touched, so a large pull in
   * few transactions writes each page about once, while its first batch still arrives quickly
   * (the next batch is fetched while the current one is applied). @default 50000
   */
  pullBatchSize?: number;
  /** Called after each batch (for progress and status events). */
  onBatch?: (kind: 'push' | 'pull', rows: number) => void;
}

export interface PushResult {
  pushed: number;
  rejected: number;
  lastSeq: number;
}

export interface PullResult {
  pulled: number;
  rejected: number;
  watermark: number;
}

/** Connection-level failures (the team database is away, not wrong): the shared taxonomy of kernel/retry.ts. */
export { isConnectionError } from '../kernel/retry';

/** SQLSTATE of a duplicate key. */
const UNIQUE_VIOLATION = '23505';

/** Data errors (SQLSTATE classes 22 and 23): this row is wrong, not the connection. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function importKey(imp: { source: string; fingerprint: string }): string {
  return `import ${imp.source} ${imp.fingerprint}`;
}

/**
 * One table's rows of a push batch: their count and, when the table's columns allow it and no
 * value needs COPY escaping, the rows as COPY text (see copyColumns, copyText), which goes into
 * the table and becomes the change-log entry. Otherwise (and when the rows meet keys the team
 * holds, for the upsert) their JSON array text: read with the batch, or on demand by `readJson`.
 */
interface RowBatch {
  /** UTF-8 bytes as SQLite holds them (never decoded into a string here), or text. */
  json?: Buffer | string;
  /** Reads `json` when the batch was read as COPY text only (the same outbox range or rowids). */
  readJson?: () => Buffer | string;
  rows: number;
  copy?: Buffer | null;
  /** The null values in `copy`. */
  copyNulls?: number | null;
}

/** A batch's JSON array text, read now if the batch came as COPY text only. */
function batchJson(batch: RowBatch): Buffer | string {
  if (batch.json === undefined) batch.json = batch.readJson?.() ?? '[]';
  return batch.json;
}

/**
 * Team column types whose text input reads a value the same way from a JSON scalar and from a
 * COPY text field (numbers, text, booleans); a table with any other type pushes through JSON only.
 */
const COPY_TYPES = new Set(['text', 'character varying', 'character', 'bigint', 'integer', 'smallint', 'double precision', 'real', 'numeric', 'boolean']);

/**
 * A column's value as SQLite writes it in the batch: an infinite float goes as null, as
 * JSON.stringify gives it (SQLite would write 9e999, which no JSON reader takes as a finite
 * number and Postgres refuses as out of range).
 */
const finite = (c: string): string => `CASE WHEN typeof(t.${c}) = 'real' AND abs(t.${c}) > 1.7976931348623157e308 THEN NULL ELSE t.${c} END`;

/**
 * A table's rows as one JSON array built by SQLite (`from`: the table's rows as `t`), with their
 * count: no row objects on this side, and the text goes to the team database as it is. A batch
 * holds each key once (the outbox has one entry per key; an import chunk is a rowid range), so
 * the order of its rows carries no meaning. SQLite writes every float with enough digits to read back
 * the same double, so values are the ones a JSON.stringify of the rows would carry.
 */
function batchJsonSql(info: TableInfo, from: string, extra = ''): string {
  const fields = info.columns.map((c) => `'${c.replace(/'/g, "''")}', ${finite(quoteIdent(c))}`).join(', ');
  return `SELECT CAST(json_group_array(json_object(${fields})) AS BLOB) AS json, count(*) AS rows${extra} FROM ${from}`;
}

/**
 * The same rows as `batchJsonSql` as lines of `copyColumns`' values (`copy`), with their count
 * and the count of nulls: tab between values, a line feed between rows, null as \N and every
 * other value as SQLite writes it as text (a float as in the JSON). That is COPY text format as
 * long as no value holds a tab, line feed, carriage return or backslash, which `copyText` checks.
 */
function batchCopySql(copyColumns: readonly string[], from: string, extra = ''): string {
  const values = copyColumns.map((c) => `coalesce(${finite(quoteIdent(c))}, '\\N')`).join(', ');
  const nulls = copyColumns.map((c) => `(t.${quoteIdent(c)} IS NULL)`).join(' + ');
  return `SELECT CAST(group_concat(concat_ws(char(9), ${values}), char(10)) AS BLOB) AS copy, sum(${nulls}) AS copyNulls, count(*) AS rows${extra} FROM ${from}`;
}

/**
 * The COPY text of a batch (`batchJsonSql`'s `copy`: `rows` lines of `columns` values, `copyNulls`
 * of them null), or null when a value holds a character COPY text reads as a separator or an
 * escape (a tab, line feed, carriage return or backslash: then the counts of tabs, line feeds
 * or backslashes, one per \N, are off) or is an infinite float (written as \N but not counted
 * as a null): such a batch goes as JSON only.
 */
function copyText(batch: RowBatch, columns: number): Buffer | null {
  const { copy, rows } = batch;
  if (!copy) return null;
  let tabs = 0;
  let lines = 0;
  let backslashes = 0;
  for (let i = 0; i < copy.length; i++) {
    const ch = copy[i];
    if (ch === 9) tabs++;
    else if (ch === 10) lines++;
    else if (ch === 92) backslashes++;
    else if (ch === 13) return null;
  }
  return tabs === rows * (columns - 1) && lines === rows - 1 && backslashes === batch.copyNulls ? copy : null;
}

/** A table's push statements (see upsertStatement). */
interface PushStatements {
  upsert: string;
  insert: string;
  /** The COPY of the table's shared columns (`columns` of them, named in `names`), when they all take COPY text. */
  copy: { sql: string; columns: number; names: readonly string[] } | null;
  log: string;
}

export interface SyncEngine {
  connect(): Promise<void>;
  pushImports(signal?: AbortSignal): Promise<number>;
  push(signal?: AbortSignal): Promise<PushResult>;
  pull(signal?: AbortSignal): Promise<PullResult>;
  /** The highest change seq on the team database (for status and tests). */
  remoteHead(): Promise<number>;
  readonly pg: PostgresStore;
  close(): Promise<void>;
}

export function createSyncEngine(o: EngineOptions): SyncEngine {
  const batchSize = o.batchSize ?? 5000;
  const pullBatchSize = Math.max(1, o.pullBatchSize ?? PULL_BATCH_ROWS);
  const primary = openPostgres(o.pgUrl, { max: 2, application_name: 'defimon-sync' });
  const replica = o.pgReplicaUrl ? openPostgres(o.pgReplicaUrl, { max: 1, application_name: 'defimon-sync-pull' }) : null;
  const db = o.store.db;
  const outbox = openOutbox(db);
  const state = openSyncState(db);
  const readRow = rowReader(o.store);
  const validators = createRowValidators(db);
  const upsertSql = new Map<string, PushStatements>();
  let connected = false;

  /** Columns of each table on the team database with their types, read at connect (versions may differ). */
  let serverColumns = new Map<string, Map<string, string>>();

  /** Only columns both sides know: a column added by a newer client stays local until the team database has it too. */
  function sharedColumns(info: TableInfo): readonly string[] {
    const shared = serverColumns.get(info.name);
    return shared ? info.columns.filter((c) => shared.has(c)) : info.columns;
  }

  /**
   * The columns a table's rows go by COPY (the shared ones), or null when one of them has a team
   * type outside COPY_TYPES or the team database's columns are not known yet.
   */
  function copyColumns(info: TableInfo): readonly string[] | null {
    const shared = serverColumns.get(info.name);
    if (!shared) return null;
    const columns = sharedColumns(info);
    return columns.every((c) => COPY_TYPES.has(shared.get(c) ?? '')) ? columns : null;
  }

  function upsertStatement(info: TableInfo): PushStatements {
    let sql = upsertSql.get(info.name);
    if (sql) return sql;
    const columns = sharedColumns(info);
    const cols = columns.map(quoteIdent).join(', ');
    const t = quoteIdent(info.name);
    const nonKey = columns.filter((c) => !info.key.includes(c));
    let conflict: string;
    if (nonKey.length === 0) conflict = 'DO NOTHING';
    else {
      const set = nonKey.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ');
      const when = isUserDataTable(info)
        ? 'EXCLUDED."hlc" > cur."hlc"'
        : `(${nonKey.map((c) => `cur.${quoteIdent(c)}`).join(', ')}) IS DISTINCT FROM (${nonKey.map((c) => `EXCLUDED.${quoteIdent(c)}`).join(', ')})`;
      conflict = `DO UPDATE SET ${set} WHERE ${when}`;
    }
    // The batch crosses the wire once: the statement reads it as JSON and, when it inserted or
    // changed anything (a re-push of identical rows leaves nothing for others to pull), the same
    // text becomes the batch's change-log entry, in one statement. `insert` is the same without
    // conflict handling: rows the team does not hold yet skip the speculative insertion that
    // ON CONFLICT costs for every row (a fifth of the server's work on new rows).
    const logged = (into: string): string => `WITH up AS (INSERT INTO ${t} AS cur (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${t}, $1::text::json)${into} RETURNING 1)
      INSERT INTO sync_changes (tbl, origin, row_count, rows_json) SELECT $2, $3, $4, $1::text WHERE EXISTS (SELECT 1 FROM up) RETURNING seq`;
    // `copy`: the plain insert of rows that come as COPY text straight into the table (no JSON
    // to parse: about 40% less of the server's CPU per batch than `insert`), `log` the
    // change-log entry written after it from the same COPY text.
    const copyCols = copyColumns(info);
    sql = {
      upsert: logged(` ON CONFLICT (${info.key.map(quoteIdent).join(', ')}) ${conflict}`),
      insert: logged(''),
      copy: copyCols ? { sql: `COPY ${t} (${copyCols.map(quoteIdent).join(', ')}) FROM STDIN`, columns: copyCols.length, names: copyCols } : null,
      log: 'INSERT INTO sync_changes (tbl, origin, row_count, rows_copy, copy_columns) VALUES ($2, $3, $4, $1::text, $5::text[]) RETURNING seq',
    };
    upsertSql.set(info.name, sql);
    return sql;
  }

  /**
   * Tables whose rows met rows the team already holds during the current push: their batches go
   * straight to the upsert. Cleared when a push starts.
   */
  const conflicting = new Set<string>();

  async function withClient<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new AppError('UNAVAILABLE', `team database at ${redactUrl(o.pgUrl)} is unreachable: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    let broken: Error | undefined;
    // A checked-out client whose server goes away emits 'error'; the failing query reports it.
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (err) {
      if (isConnectionError(err)) {
        broken = err as Error;
        // Reconcile again on reconnect: a COMMIT may have landed without its answer arriving.
        connected = false;
      }
      throw err;
    } finally {
      client.off('error', onError);
      // A client whose connection died must not go back to the pool.
      client.release(broken);
    }
  }

  /**
   * One transaction: the rows of `groups` upserted, each table's rows recorded as one change-log
   * entry, then the ack. `whileUpserting` runs while Postgres works on the first upsert (the
   * query is already on the wire), so the caller can prepare its next batch meanwhile.
   */
  async function pushGroups(groups: Map<string, RowBatch>, lastSeq: number, whileUpserting?: () => void, originTag = o.clientId): Promise<number | null> {
    const watermark = state.num('watermark');
    return withClient(primary.pool, async (c) => {
      await c.query('BEGIN');
      try {
        await c.query("SELECT pg_advisory_xact_lock($1), set_config('defimon.client_id', $2, true), set_config('defimon.batch_capture', 'on', true)", [CHANGE_LOG_LOCK, o.clientId]);
        // Under the change-log lock: if nobody wrote since this client's watermark, its own
        // entries will follow it directly and need not be pulled back (see fastForward).
        const head = Number((await c.query<{ head: string }>('SELECT coalesce(max(seq), 0) AS head FROM sync_changes')).rows[0]?.head ?? -1);
        let lastEntry: number | null = null;
        let first = true;
        for (const [tbl, batch] of groups) {
          const sql = upsertStatement(o.store.table(tbl));
          const jsonParams = (): unknown[] => [batchJson(batch), tbl, originTag, batch.rows];
          // A plain insert first, under a savepoint; a key the team already holds (unique
          // violation) rolls it back and the batch goes through the upsert instead.
          const plain = !conflicting.has(tbl);
          if (plain) await c.query('SAVEPOINT sync_insert');
          const prepareNext = first ? whileUpserting : undefined;
          first = false;
          let res: pg.QueryResult<{ seq: string }>;
          try {
            // `batch.copy` is set only when copyText accepted it (see readBatch).
            const copy = plain && sql.copy ? (batch.copy ?? null) : null;
            if (copy !== null && sql.copy) {
              await copyIn(c, sql.copy.sql, copy, prepareNext);
              res = await c.query<{ seq: string }>(sql.log, [copy, tbl, originTag, batch.rows, sql.copy.names]);
            } else {
              const upsert = c.query<{ seq: string }>(plain ? sql.insert : sql.upsert, jsonParams());
              prepareNext?.();
              res = await upsert;
            }
          } catch (err) {
            if (!plain || (err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
            conflicting.add(tbl);
            await c.query('ROLLBACK TO SAVEPOINT sync_insert');
            res = await c.query<{ seq: string }>(sql.upsert, jsonParams());
          }
          const entry = res.rows[0];
          if (entry) lastEntry = Number(entry.seq);
        }
        if (lastSeq > 0) {
          await c.query(
            'INSERT INTO sync_clients (client_id, acked_seq, last_push_at) VALUES ($1, $2, now()) ON CONFLICT (client_id) DO UPDATE SET acked_seq = GREATEST(sync_clients.acked_seq, EXCLUDED.acked_seq), last_push_at = now()',
            [o.clientId, lastSeq],
          );
        }
        await c.query('COMMIT');
        return head === watermark && lastEntry !== null ? lastEntry : null;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * Sends `text` (COPY text lines) through `sql` (a COPY ... FROM STDIN). `whileCopying` runs once
   * the text has been handed to the connection, while Postgres reads it. Written as one chunk:
   * a COPY the server refuses part-way (a duplicate key, a bad value) then leaves nothing of it
   * to send, and the error is this call's.
   */
  async function copyIn(c: pg.PoolClient, sql: string, text: Buffer, whileCopying?: () => void): Promise<void> {
    const stream = c.query(copyFrom(sql));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    const written = new Promise<void>((resolve) => stream.write(text, () => resolve()));
    // A refusal before the text is out settles `done` first; the stream is then left as it is.
    await Promise.race([written, done]);
    stream.end();
    try {
      whileCopying?.();
    } finally {
      await done;
    }
  }

  /**
   * Moves the watermark past this client's own just-committed entries when nothing else was
   * logged before them: the local rows already are what they hold. Call in the SQLite
   * transaction that records the push.
   */
  function fastForward(to: number | null): void {
    if (to !== null && to > state.num('watermark')) state.set('watermark', to);
  }

  /** Outbox seqs already refused for a missing table (a bisected batch sees them again). */
  const refused = new Set<number>();

  /**
   * A batch of `info`'s rows: as COPY text when the table takes it (`copyStmt`), has not met keys
   * the team holds in this push and no value needs escaping, with its JSON left to `readJson`;
   * otherwise as JSON. `args` select the same rows in both statements; `jsonOf` reads the JSON of
   * a COPY batch later (by default `jsonStmt` with `args` again).
   */
  function readBatch<A extends unknown[], B extends RowBatch>(
    info: TableInfo,
    copyStmt: Database.Statement<A, B> | null,
    jsonStmt: Database.Statement<A, B>,
    args: A,
    jsonOf: (batch: B) => Buffer | string | undefined = () => jsonStmt.get(...args)?.json,
  ): B | { rows: 0 } {
    const copyCols = copyStmt && !conflicting.has(info.name) ? copyColumns(info) : null;
    if (copyStmt && copyCols) {
      const batch = copyStmt.get(...args);
      if (!batch || batch.rows === 0) return { rows: 0 };
      if (copyText(batch, copyCols.length) !== null) return { ...batch, readJson: () => jsonOf(batch) ?? '[]' };
    }
    const batch = jsonStmt.get(...args);
    return batch ? { ...batch, copy: null } : { rows: 0 };
  }

  /** Per table: the current rows of the outbox entries in a seq range, as one batch, in one query. */
  const rangeStmts = new Map<string, { copy: Database.Statement<[string, number, number], RowBatch> | null; json: Database.Statement<[string, number, number], RowBatch> }>();
  function rowsInRange(tbl: string, fromSeq: number, toSeq: number): RowBatch {
    const info = o.store.table(tbl);
    let stmts = rangeStmts.get(tbl);
    if (!stmts) {
      // CROSS JOIN keeps the outbox range as the outer loop; `+o.tbl` keeps SQLite on the seq
      // range instead of the (tbl, key) index. One statement instead of a lookup per row: the
      // per-call overhead was most of the push's SQLite time.
      const on = info.key.map((k, i) => `t.${quoteIdent(k)} = json_extract(o.key, '$[${i}]')`).join(' AND ');
      const from = `sync_outbox o CROSS JOIN ${quoteIdent(tbl)} t ON ${on} WHERE +o.tbl = ? AND o.seq >= ? AND o.seq <= ?`;
      const copyCols = copyColumns(info);
      stmts = {
        copy: copyCols ? db.prepare<[string, number, number], RowBatch>(batchCopySql(copyCols, from)) : null,
        json: db.prepare<[string, number, number], RowBatch>(batchJsonSql(info, from)),
      };
      rangeStmts.set(tbl, stmts);
    }
    return readBatch(info, stmts.copy, stmts.json, [tbl, fromSeq, toSeq]);
  }

  function groupEntries(entries: readonly OutboxEntry[]): { groups: Map<string, RowBatch>; rows: number; rejected: number } {
    const groups = new Map<string, RowBatch>();
    let rows = 0;
    const missing: OutboxEntry[] = [];
    const tables = new Set<string>();
    for (const e of entries) {
      if (refused.has(e.seq)) continue;
      if (serverColumns.size > 0 && !serverColumns.has(e.tbl)) {
        missing.push(e);
        refused.add(e.seq);
        continue;
      }
      tables.add(e.tbl);
    }
    // Entries come from one contiguous stretch of the outbox, so a seq range selects them all;
    // a row deleted locally since simply is not found (nothing left to share).
    const fromSeq = entries[0]?.seq ?? 0;
    const toSeq = entries[entries.length - 1]?.seq ?? 0;
    for (const tbl of tables) {
      const batch = rowsInRange(tbl, fromSeq, toSeq);
      if (batch.rows === 0) continue;
      groups.set(tbl, batch);
      rows += batch.rows;
    }
    if (missing.length > 0) {
      // A table the team database does not have (not in the shared ledger): such rows can never
      // be pushed, so they are recorded as refused instead of blocking the outbox behind them.
      const message = `the team database has no table "${missing[0]?.tbl}"; ${missing.length} row(s) kept local only`;
      o.log.warn({ table: missing[0]?.tbl, rows: missing.length }, 'push skipped rows of a table the team database lacks');
      o.store.transaction(() => {
        for (const e of missing) {
          recordReject(db, { direction: 'push', tbl: e.tbl, seq: e.seq, row: readRow(e.tbl, e.key), error: `the team database has no table "${e.tbl}"` });
          outbox.remove(e.seq);
        }
        state.add('rejected', missing.length);
        state.set('last_error', message);
      });
    }
    return { groups, rows, rejected: missing.length };
  }

  /**
   * Pushes entries; on a data error splits the batch until the offending rows are isolated,
   * records them as rejected and pushes the rest. Returns rows pushed and rejected.
   */
  async function pushEntries(
    entries: OutboxEntry[],
    prepared?: { groups: Map<string, RowBatch>; rows: number; rejected: number },
    whileUpserting?: () => void,
    deferAck = false,
  ): Promise<{ pushed: number; rejected: number }> {
    const { groups, rows, rejected: refusedHere } = prepared ?? groupEntries(entries);
    const lastSeq = entries[entries.length - 1]?.seq ?? 0;
    try {
      const ff = await pushGroups(groups, lastSeq, whileUpserting);
      o.store.transaction(() => {
        fastForward(ff);
        if (!deferAck) outbox.ackThrough(lastSeq);
        state.add('pushed', rows);
        state.set('last_push_at', new Date().toISOString());
      });
      return { pushed: rows, rejected: refusedHere };
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (entries.length === 1) {
        const e = entries[0] as OutboxEntry;
        const message = `the team database refused ${e.tbl} ${e.key}: ${(err as Error).message}`;
        o.log.warn({ table: e.tbl, key: e.key, pgCode: (err as { code?: string }).code }, 'push rejected a row');
        o.store.transaction(() => {
          recordReject(db, { direction: 'push', tbl: e.tbl, seq: e.seq, row: readRow(e.tbl, e.key), error: message });
          outbox.remove(e.seq);
          state.add('rejected', 1);
          state.set('last_error', message);
        });
        return { pushed: 0, rejected: 1 };
      }
      const mid = Math.ceil(entries.length / 2);
      const a = await pushEntries(entries.slice(0, mid));
      const b = await pushEntries(entries.slice(mid));
      return { pushed: a.pushed + b.pushed, rejected: a.rejected + b.rejected };
    }
  }

  const engine: SyncEngine = {
    pg: primary,
    async connect() {
      if (connected) return;
      // Migrated through withClient so a connection dying mid-migration is an error, not a crash.
      await withClient(primary.pool, (c) => migratePostgres(c));
      await withClient(primary.pool, async (c) => {
        // Tables added by migrations after the sync one get their capture triggers here.
        await c.query('SELECT sync_install_triggers()');
        const cols = await c.query<{ table_name: string; column_name: string; data_type: string }>('SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()');
        const byTable = new Map<string, Map<string, string>>();
        for (const r of cols.rows) {
          let set = byTable.get(r.table_name);
          if (!set) byTable.set(r.table_name, (set = new Map()));
          set.set(r.column_name, r.data_type);
        }
        serverColumns = byTable;
        upsertSql.clear();
        rangeStmts.clear();
        const res = await c.query<{ acked_seq: string }>('SELECT acked_seq FROM sync_clients WHERE client_id = $1', [o.clientId]);
        const acked = Number(res.rows[0]?.acked_seq ?? 0);
        if (acked > 0) {
          o.store.transaction(() => {
            // Entries whose push committed but whose ack was not recorded here (a crash between).
            if (acked <= outbox.maxSeqEver()) state.add('pushed', outbox.ackThrough(acked));
            else {
              // This database is older than what the team acknowledged from this client id (a
              // restored copy): keep its outbox, and never hand out an acknowledged seq again.
              o.log.warn({ acked, local: outbox.maxSeqEver() }, 'local outbox is behind the team acknowledgement; keeping it');
              outbox.bumpSeq(acked);
            }
          });
        }
      });
      connected = true;
    },

    async pushImports(signal) {
      conflicting.clear();
      const imports = db.prepare<unknown[], { source: string; fingerprint: string }>('SELECT source, fingerprint FROM dataset_imports ORDER BY imported_at').all();
      const done = new Set(JSON.parse(state.get('imports_pushed') ?? '[]') as string[]);
      let pushed = 0;
      for (const imp of imports) {
        const id = `${imp.source}|${imp.fingerprint}`;
        if (done.has(id)) continue;
        const present = await withClient(primary.pool, (c) => c.query('SELECT 1 FROM dataset_imports WHERE source = $1 AND fingerprint = $2', [imp.source, imp.fingerprint]));
        if (present.rowCount === 0) {
          // Resumable: the cursor (table, rowid) is saved after every committed chunk.
          const cursor = JSON.parse(state.get('import_cursor') ?? 'null') as { id: string; table: string; rowid: number } | null;
          let startTable = cursor && cursor.id === id ? IMPORT_TABLES.indexOf(cursor.table as (typeof IMPORT_TABLES)[number]) : 0;
          if (startTable < 0) startTable = 0;
          for (let ti = startTable; ti < IMPORT_TABLES.length; ti++) {
            const tbl = IMPORT_TABLES[ti] as string;
            let after = cursor && cursor.id === id && ti === startTable ? cursor.rowid : 0;
            // A chunk: the next rows by rowid as one batch, and the rowid it ends at; its JSON,
            // when it is wanted after the COPY text, is read for the same rowid range.
            const info = o.store.table(tbl);
            const chunkOf = `(SELECT rowid AS _rowid, * FROM ${quoteIdent(tbl)} WHERE rowid > ? ORDER BY rowid LIMIT ?) t`;
            const copyCols = copyColumns(info);
            const copyStmt = copyCols ? db.prepare<[number, number], RowBatch & { last: number | null }>(batchCopySql(copyCols, chunkOf, ', max(t._rowid) AS last')) : null;
            const jsonStmt = db.prepare<[number, number], RowBatch & { last: number | null }>(batchJsonSql(info, chunkOf, ', max(t._rowid) AS last'));
            const jsonRange = db.prepare<[number, number], RowBatch>(batchJsonSql(info, `(SELECT * FROM ${quoteIdent(tbl)} WHERE rowid > ? AND rowid <= ?) t`));
            const readChunk = (from: number): RowBatch & { last: number | null } => {
              const batch: RowBatch & { last?: number | null } = readBatch(info, copyStmt, jsonStmt, [from, batchSize], (b) => jsonRange.get(from, b.last ?? from)?.json);
              return { ...batch, last: batch.last ?? null };
            };
            let chunk = readChunk(after);
            while (chunk.rows > 0) {
              if (signal?.aborted) throw new AppError('CANCELLED', 'sync was cancelled');
              after = chunk.last ?? after;
              const batch = chunk;
              const from = after;
              let next: (RowBatch & { last: number | null }) | null = null;
              const ff = await pushGroups(
                new Map([[tbl, batch]]),
                0,
                () => {
                  next = readChunk(from);
                },
                importTag(imp),
              );
              o.store.transaction(() => {
                fastForward(ff);
                state.add('pushed', batch.rows);
                state.set('import_cursor', JSON.stringify({ id, table: tbl, rowid: from }));
                state.set('last_push_at', new Date().toISOString());
              });
              pushed += batch.rows;
              o.onBatch?.('push', batch.rows);
              chunk = next ?? readChunk(from);
            }
          }
          const rec = db.prepare<unknown[], Row>('SELECT * FROM dataset_imports WHERE source = ?').all(imp.source);
          const ff = await pushGroups(new Map([['dataset_imports', { json: JSON.stringify(rec), rows: rec.length }]]), 0, undefined, importTag(imp));
          o.store.transaction(() => fastForward(ff));
        }
        done.add(id);
        o.store.transaction(() => {
          state.set('imports_pushed', JSON.stringify([...done]));
          state.set('import_cursor', null);
        });
      }
      return pushed;
    },

    async push(signal) {
      conflicting.clear();
      let pushed = 0;
      let rejected = 0;
      let lastSeq = 0;
      const prepare = (after: number): { entries: OutboxEntry[]; groups: Map<string, RowBatch>; rows: number; rejected: number } | null => {
        const entries = outbox.readAfter(after, batchSize);
        return entries.length === 0 ? null : { entries, ...groupEntries(entries) };
      };
      // Acknowledged entries leave the outbox when the push ends (or fails): a drained outbox is
      // then emptied in one step instead of row by row. Safe to defer: Postgres holds the ack
      // (sync_clients), and connect() removes acknowledged entries after a crash.
      let unacked = 0;
      const flushAck = (): void => {
        if (unacked > 0) outbox.ackThrough(unacked);
        unacked = 0;
      };
      let next = prepare(0);
      try {
        while (next) {
          if (signal?.aborted) throw new AppError('CANCELLED', 'sync was cancelled');
          const cur = next;
          const curLast = cur.entries[cur.entries.length - 1]?.seq ?? 0;
          next = null;
          let preparedNext = false;
          // The next batch is read from SQLite while Postgres applies this one.
          const r = await pushEntries(
            cur.entries,
            cur,
            () => {
              next = prepare(curLast);
              preparedNext = true;
            },
            true,
          );
          unacked = curLast;
          if (!preparedNext || r.rejected > 0) next = prepare(curLast);
          pushed += r.pushed;
          rejected += r.rejected;
          lastSeq = curLast;
          o.onBatch?.('push', r.pushed);
        }
      } finally {
        flushAck();
      }
      return { pushed, rejected, lastSeq };
    },

    async pull(signal) {
      const pool = replica?.pool ?? primary.pool;
      let pulled = 0;
      let rejected = 0;
      let watermark = state.num('watermark');
      await withClient(pool, async (c) => {
        // Batches grow from the push batch size to the pull batch size (see pullBatchSize).
        let size = Math.min(batchSize, pullBatchSize);
        const fetchAfter = (after: number): Promise<{ res: pg.QueryResult<ChangeRow>; held: Set<string> }> => {
          const held = heldImports();
          const limit = size;
          size = Math.min(pullBatchSize, size * 2);
          return c.query<ChangeRow>(PULL_SQL, [after, limit, [...held]]).then((res) => ({ res, held }));
        };
        let fetching = fetchAfter(watermark);
        for (;;) {
          if (signal?.aborted) throw new AppError('CANCELLED', 'sync was cancelled');
          const { res, held } = await fetching;
          if (res.rows.length === 0) break;
          const last = Number(res.rows[res.rows.length - 1]?.seq);
          // Ask for the next batch before applying this one, so Postgres and SQLite work at once.
          fetching = fetchAfter(last);
          fetching.catch(() => undefined); // a failure is seen when it is awaited
          const r = applyPulled(res.rows, held);
          watermark = r.watermark;
          pulled += r.applied;
          rejected += r.rejected;
          o.onBatch?.('pull', r.applied);
        }
      });
      return { pulled, rejected, watermark };
    },

    async remoteHead() {
      const res = await withClient(primary.pool, (c) => c.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM sync_changes'));
      return Number(res.rows[0]?.seq ?? 0);
    },

    async close() {
      await primary.close();
      await replica?.close();
    },
  };

  /** The change-log origin of an import push: `<client id> import <source> <fingerprint>`. */
  function importTag(imp: { source: string; fingerprint: string }): string {
    return `${o.clientId} ${importKey(imp)}`;
  }
  function heldImports(): Set<string> {
    return new Set((db.prepare<unknown[], { source: string; fingerprint: string }>('SELECT source, fingerprint FROM dataset_imports').all()).map(importKey));
  }

  /**
   * Validates and applies one pulled batch with its watermark, atomically, in one SQLite
   * transaction. Facts stream: each change entry is parsed, and each of its rows validated into
   * one reused array and upserted at once, in seq order (a later version of a key overwrites an
   * earlier one), so the batch is never held as rows; keys with a newer local write waiting to be
   * pushed are skipped (that write will win on the server). User data resolves last-writer-wins by
   * HLC after the whole batch is read: the newest version of each key in the batch, applied only
   * when it is newer than the local one.
   */
  function applyPulled(changes: ChangeRow[], heldAtQuery: ReadonlySet<string>): { applied: number; rejected: number; watermark: number } {
    const rejects: { seq: number; tbl: string; row: unknown; error: string }[] = [];
    let watermark = 0;
    let applied = 0;
    // The imports held when the batch was asked for (their rows did not come) and those held now.
    const held = new Set([...heldAtQuery, ...heldImports()]);
    o.store.transaction(() => {
      const outboxBusy = outbox.pending() > 0;
      const facts = new Map<string, { writer: BulkWriter; values: unknown[]; keyOf: (values: readonly unknown[]) => string }>();
      // User-data rows per table (tables in first-seen order), each row's values in the table's column order.
      const userData = new Map<string, { columns: readonly string[]; rows: unknown[][] }>();
      const teamImports: string[] = [];
      for (const ch of changes) {
        const seq = Number(ch.seq);
        watermark = seq;
        // Another client's push of a dataset import this client holds too (same source and
        // fingerprint): the same rows are already here.
        if (ch.origin !== null && held.has(ch.origin.slice(ch.origin.indexOf(' ') + 1))) continue;
        const validator = isSyncedTable(ch.tbl) ? validators(ch.tbl) : null;
        if (!validator) {
          rejects.push({ seq, tbl: ch.tbl, row: ch.rows_json ?? ch.rows_copy ?? ch.row_data, error: `table "${ch.tbl}" is not known to this version of DEFIMON` });
          continue;
        }
        const bad = (error: string, row: unknown): void => {
          rejects.push({ seq, tbl: ch.tbl, row, error });
        };
        // The entry's rows: COPY text lines (read by visitRows), a JSON array (both batches) or
        // one row (the trigger's).
        let rows: unknown[] = [];
        const copyText = typeof ch.rows_copy === 'string' ? ch.rows_copy : null;
        if (copyText === null && ch.rows_json !== null && ch.rows_json !== undefined) {
          let batch: unknown;
          try {
            batch = typeof ch.rows_json === 'string' ? JSON.parse(ch.rows_json) : ch.rows_json;
          } catch (err) {
            rejects.push({ seq, tbl: ch.tbl, row: String(ch.rows_json).slice(0, 200), error: `a batch change is not valid JSON: ${(err as Error).message}` });
            continue;
          }
          if (!Array.isArray(batch)) {
            rejects.push({ seq, tbl: ch.tbl, row: batch, error: 'a batch change must hold an array of rows' });
            continue;
          }
          rows = batch;
        } else if (copyText === null) rows = [ch.row_data];
        const visitRows = (v: RowVisitor): void => {
          if (copyText !== null) return visitCopyRows(copyText, ch.copy_columns, validator, v);
          for (const raw of rows) {
            const values = v.target();
            const error = validator.check(raw, values);
            if (error === null) v.ok(values);
            else v.bad(error, raw);
          }
        };
        const info = o.store.table(ch.tbl);
        if (isUserDataTable(info)) {
          let group = userData.get(ch.tbl);
          if (!group) userData.set(ch.tbl, (group = { columns: validator.columns, rows: [] }));
          const into = group.rows;
          visitRows({ target: () => new Array<unknown>(validator.columns.length), ok: (values) => into.push(values), bad });
          continue;
        }
        let fact = facts.get(ch.tbl);
        if (!fact) {
          const columns = validator.columns;
          const keyAt = info.key.map((k) => columns.indexOf(k));
          fact = {
            writer: o.store.bulkWriter(ch.tbl, columns, { origin: 'remote' }),
            values: new Array<unknown>(columns.length),
            keyOf: (values) => JSON.stringify(keyAt.map((i) => values[i])),
          };
          facts.set(ch.tbl, fact);
        }
        const { writer, values, keyOf } = fact;
        const importAt = ch.tbl === 'dataset_imports' ? [validator.columns.indexOf('source'), validator.columns.indexOf('fingerprint')] : null;
        visitRows({
          target: () => values,
          ok: () => {
            if (!outboxBusy || !outbox.hasKey(ch.tbl, keyOf(values))) writer.write(values);
            if (importAt) teamImports.push(`${String(values[importAt[0] as number])}|${String(values[importAt[1] as number])}`);
          },
          bad,
        });
      }
      for (const { writer } of facts.values()) applied += writer.end();
      // A dataset import whose record came from the team is complete there (its record is pushed
      // after its rows): nothing of it is this client's to push, so it is not counted as pending.
      if (teamImports.length > 0) state.set('imports_pushed', JSON.stringify([...new Set([...(JSON.parse(state.get('imports_pushed') ?? '[]') as string[]), ...teamImports])]));
      for (const [tbl, { columns, rows }] of userData) {
        const info = o.store.table(tbl);
        const keyAt = info.key.map((k) => columns.indexOf(k));
        const hlcAt = columns.indexOf('hlc');
        const latest = new Map<string, unknown[]>();
        for (const values of rows) {
          const key = JSON.stringify(keyAt.map((i) => values[i]));
          latest.delete(key); // re-insert so iteration order follows the last write
          latest.set(key, values);
        }
        const localHlc = db.prepare<unknown[], string>(`SELECT hlc FROM ${quoteIdent(tbl)} WHERE ${info.key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ')}`).pluck();
        const writer = o.store.bulkWriter(tbl, columns, { origin: 'remote' });
        for (const values of latest.values()) {
          const incoming = values[hlcAt] as string;
          o.clock.observe(incoming);
          const mine = localHlc.get(...keyAt.map((i) => values[i]));
          if (mine !== undefined && mine >= incoming) continue;
          writer.write(values);
        }
        applied += writer.end();
      }
      for (const r of rejects) recordReject(db, { direction: 'pull', tbl: r.tbl, seq: r.seq, row: r.row, error: r.error });
      state.set('watermark', watermark);
      state.add('pulled', applied);
      state.set('last_pull_at', new Date().toISOString());
      if (rejects.length > 0) {
        state.add('rejected', rejects.length);
        const first = rejects[0] as (typeof rejects)[number];
        state.set('last_error', `rejected ${rejects.length} malformed row(s) from the team database; first: ${first.tbl} change ${first.seq}: ${first.error}`);
      }
    });
    if (rejects.length > 0) o.log.warn({ count: rejects.length, first: { table: rejects[0]?.tbl, seq: rejects[0]?.seq, error: rejects[0]?.error } }, 'pull rejected malformed rows');
    return { applied, rejected: rejects.length, watermark };
  }

  return engine;
}
