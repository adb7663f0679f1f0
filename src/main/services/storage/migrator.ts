/**
 * Applies the migration ledger to SQLite or Postgres and records each applied entry with its
 * checksum in `schema_migrations`. A recorded entry whose checksum no longer matches the code
 * means a shipped migration was edited: start-up refuses rather than drift silently. Entries
 * apply in the order of their global sequence number (the id's four digits).
 */
import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import { migrations as ledger, type Dialect, type Migration } from './migrations';

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id TEXT NOT NULL PRIMARY KEY,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

export function statementsFor(m: Migration, dialect: Dialect): string[] {
  return [...m.statements, ...(dialect === 'sqlite' ? (m.sqlite ?? []) : (m.postgres ?? []))];
}

export function checksum(m: Migration): string {
  const h = createHash('sha256');
  for (const s of m.statements) h.update(`c:${s}\n`);
  for (const s of m.sqlite ?? []) h.update(`s:${s}\n`);
  for (const s of m.postgres ?? []) h.update(`p:${s}\n`);
  return h.digest('hex').slice(0, 16);
}

const ID_RE = /^(\d{4})_[a-z0-9_]+$/;

/**
 * Ids at or below this were numbered in per-domain blocks and sorted by id, so an old database
 * may have applied them in another order; they are exempt from the order check below.
 */
export const LAST_BLOCK_NUMBERED_SEQUENCE = 500;

/** The global sequence of a migration: its id's leading four digits. */
export function sequenceOf(id: string): number {
  const m = ID_RE.exec(id);
  if (!m) throw new AppError('INVALID_INPUT', `migration id ${id} is not NNNN_domain_what (four digits of the global sequence, then lower-case words)`);
  return Number(m[1]);
}

/** The ledger in application order (by global sequence); a sequence number used twice is refused. */
export function orderedLedger(list: readonly Migration[] = ledger): Migration[] {
  for (const m of list) sequenceOf(m.id);
  const sorted = [...list].sort((a, b) => sequenceOf(a.id) - sequenceOf(b.id));
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as Migration;
    const b = sorted[i] as Migration;
    if (sequenceOf(a.id) === sequenceOf(b.id)) {
      throw new AppError('CONFLICT', a.id === b.id ? `migration id ${b.id} appears twice` : `migrations ${a.id} and ${b.id} share sequence number ${sequenceOf(b.id)}: each takes the next free number`);
    }
  }
  return sorted;
}

/**
 * A pending migration must come after everything this database already applied: otherwise a new
 * database and an upgraded one would apply the ledger in different orders. It happens only when
 * the database was migrated by a build whose ledger differs (a migration inserted mid-sequence).
 */
function checkPendingOrder(recorded: Map<string, string>, list: Migration[]): void {
  let highest: string | null = null;
  for (const id of recorded.keys()) if (highest === null || sequenceOf(id) > sequenceOf(highest)) highest = id;
  if (highest === null) return;
  for (const m of list) {
    if (recorded.has(m.id)) continue;
    const seq = sequenceOf(m.id);
    if (seq > LAST_BLOCK_NUMBERED_SEQUENCE && seq < sequenceOf(highest)) {
      throw new AppError('CONFLICT', `migration ${m.id} sorts before ${highest}, which this database already applied: the ledger was reordered (new migrations take the next sequence number)`);
    }
  }
}

function checkRecorded(recorded: Map<string, string>, list: Migration[]): void {
  const known = new Map(list.map((m) => [m.id, checksum(m)]));
  for (const [id, sum] of recorded) {
    const expected = known.get(id);
    if (expected === undefined) {
      throw new AppError('CONFLICT', `database has migration ${id} that this version of DEFIMON does not know (is the database from a newer version?)`);
    }
    if (expected !== sum) throw new AppError('CONFLICT', `migration ${id} was edited after it shipped (checksum ${sum} recorded, ${expected} in code)`);
  }
  checkPendingOrder(recorded, list);
}

/** Returns the ids applied by this call. */
export function migrateSqlite(db: BetterSqlite3.Database, list: readonly Migration[] = ledger): string[] {
  const ordered = orderedLedger(list);
  db.exec(LEDGER_DDL);
  const recorded = new Map(db.prepare<unknown[], { id: string; checksum: string }>('SELECT id, checksum FROM schema_migrations').all().map((r) => [r.id, r.checksum]));
  checkRecorded(recorded, ordered);
  const applied: string[] = [];
  for (const m of ordered) {
    if (recorded.has(m.id)) continue;
    db.transaction(() => {
      for (const sql of statementsFor(m, 'sqlite')) db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (id, checksum, applied_at) VALUES (?, ?, ?)').run(m.id, checksum(m), new Date().toISOString());
    })();
    applied.push(m.id);
  }
  return applied;
}

export async function migratePostgres(client: pg.PoolClient | pg.Client, list: readonly Migration[] = ledger): Promise<string[]> {
  const ordered = orderedLedger(list);
  // One migrator at a time per database, whichever laptop or server starts first.
  await client.query('SELECT pg_advisory_lock(724201)');
  try {
    await client.query(LEDGER_DDL);
    const res = await client.query<{ id: string; checksum: string }>('SELECT id, checksum FROM schema_migrations');
    const recorded = new Map(res.rows.map((r) => [r.id, r.checksum]));
    checkRecorded(recorded, ordered);
    const applied: string[] = [];
    for (const m of ordered) {
      if (recorded.has(m.id)) continue;
      await client.query('BEGIN');
      try {
        for (const sql of statementsFor(m, 'postgres')) await client.query(sql);
        await client.query('INSERT INTO schema_migrations (id, checksum, applied_at) VALUES ($1, $2, $3)', [m.id, checksum(m), new Date().toISOString()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new AppError('INTERNAL', `migration ${m.id} failed on Postgres: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.id);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock(724201)').catch(() => undefined);
  }
}
