import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksum, migrateSqlite, orderedLedger, sequenceOf } from '../../src/main/services/storage/migrator';
import { migrations, type Migration } from '../../src/main/services/storage/migrations';
import shipped from '../../src/main/services/storage/migrations/shipped.json';
import { describeSqliteSchema, diffSchema, renderRowTypes, retirements, undeclaredDestructiveStatements, type SchemaSnapshot } from '../../src/main/services/storage/schema-guard';
import snapshot from '../../src/main/services/storage/schema-snapshot.json';
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

/** Problems with the ledger against the shipped list: what the order test asserts is empty. */
function ledgerProblems(list: readonly Migration[], shippedList: readonly { id: string; checksum: string }[]): string[] {
  const problems: string[] = [];
  const seqs = list.map((m) => sequenceOf(m.id));
  for (let i = 1; i < seqs.length; i++) if (seqs[i]! <= seqs[i - 1]!) problems.push(`${list[i]!.id} is listed after ${list[i - 1]!.id} but does not sort after it`);
  shippedList.forEach((s, i) => {
    const m = list[i];
    if (!m || m.id !== s.id) problems.push(`shipped migration ${s.id} is not at position ${i} of the ledger (found ${m?.id ?? 'nothing'})`);
    else if (checksum(m) !== s.checksum) problems.push(`shipped migration ${s.id} was edited`);
  });
  const highest = Math.max(0, ...shippedList.map((s) => sequenceOf(s.id)));
  const shippedIds = new Set(shippedList.map((s) => s.id));
  for (const m of list) if (!shippedIds.has(m.id) && sequenceOf(m.id) <= highest) problems.push(`new migration ${m.id} sorts before the shipped ${shippedList.at(-1)!.id}`);
  return problems;
}

const extra = (id: string): Migration => ({ id, statements: [`CREATE TABLE t_${id} (x TEXT PRIMARY KEY)`] });

describe('migration ledger', () => {
  it('is listed in global sequence order, keeps every shipped entry unedited in place, and appends new ones after them', () => {
    expect(ledgerProblems(migrations, shipped)).toEqual([]);
    expect(orderedLedger().map((m) => m.id)).toEqual(migrations.map((m) => m.id));
  });

  it('fails when a new migration sorts before a shipped one, or a shipped one moves or changes', () => {
    const highest = sequenceOf(shipped.at(-1)!.id);
    const next = String(highest + 1).padStart(4, '0');
    expect(ledgerProblems([...migrations, extra(`${next}_new_table`)], shipped)).toEqual([]);
    // A domain reaching back into its old block: sorts before the shipped tail.
    const early = extra(`${String(sequenceOf(migrations[1]!.id) + 1).padStart(4, '0')}_early`);
    expect(ledgerProblems([...migrations, early], shipped).join('\n')).toMatch(/does not sort after|sorts before the shipped/);
    expect(ledgerProblems([migrations[0]!, early, ...migrations.slice(1)], shipped).join('\n')).toMatch(/not at position 1/);
    const edited = migrations.map((m, i) => (i === 2 ? { ...m, statements: [...m.statements, 'SELECT 1'] } : m));
    expect(ledgerProblems(edited, shipped)).toEqual([`shipped migration ${migrations[2]!.id} was edited`]);
  });

  it('rejects a sequence number used twice and an id without one', () => {
    expect(() => orderedLedger([migrations[0]!, migrations[0]!])).toThrow(/appears twice/);
    expect(() => orderedLedger([migrations[0]!, extra(migrations[0]!.id.replace(/_.*/, '_other'))])).toThrow(/share sequence number/);
    expect(() => orderedLedger([extra('core_without_number')])).toThrow(/NNNN_domain_what/);
  });

  it('refuses a database whose applied ledger is ahead of a pending migration that sorts before it', () => {
    const db = new Database(':memory:');
    const a = extra('0901_first');
    const c = extra('0903_third');
    migrateSqlite(db, [...migrations, a, c]);
    // A build whose ledger had 0902 inserted mid-sequence would apply it after 0903 here but
    // before it on a new database: refused.
    expect(() => migrateSqlite(db, [...migrations, a, extra('0902_inserted'), c])).toThrow(/sorts before 0903_third/);
    expect(migrateSqlite(db, [...migrations, a, c, extra('0904_fourth')])).toEqual(['0904_fourth']);
    db.close();
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

describe('schema guard (additive only)', () => {
  const freshSchema = (list: readonly Migration[] = migrations): SchemaSnapshot => {
    const db = new Database(':memory:');
    try {
      migrateSqlite(db, list);
      return describeSqliteSchema(db);
    } finally {
      db.close();
    }
  };

  it('the ledger matches the committed snapshot (refresh it with `npx tsx scripts/schema-snapshot.ts` after adding tables or columns)', () => {
    const diff = diffSchema(snapshot as SchemaSnapshot, freshSchema(), retirements(migrations));
    expect(diff.refused).toEqual([]);
    expect(diff.added).toEqual([]);
    expect(migrations.flatMap(undeclaredDestructiveStatements)).toEqual([]);
  });

  it('the row types in db-types.ts are the ones the ledger produces (generated, never copied by hand)', () => {
    const db = new Database(':memory:');
    migrateSqlite(db);
    const generated = renderRowTypes(db);
    db.close();
    expect(readFileSync(path.resolve(__dirname, '../../src/main/services/storage/db-types.ts'), 'utf8')).toBe(generated);
    expect(generated).toMatch(/export interface CryptoAssetsTable \{\n {2}asset_id: string;/);
  });

  it('refuses dropped and retyped columns, dropped tables, new NOT NULL and key changes unless retired', () => {
    const base = freshSchema();
    const table = Object.keys(base).find((t) => Object.keys(base[t]!).length > 2)!;
    const [keyCol] = Object.entries(base[table]!).find(([, c]) => c.pk === 1)!;
    const [plainCol, plain] = Object.entries(base[table]!).find(([, c]) => c.pk === 0 && !c.notNull) ?? Object.entries(base[table]!).find(([, c]) => c.pk === 0)!;
    const clone = (): SchemaSnapshot => JSON.parse(JSON.stringify(base)) as SchemaSnapshot;

    const dropped = clone();
    delete dropped[table]![plainCol];
    expect(diffSchema(base, dropped, []).refused).toEqual([`column ${table}.${plainCol} was dropped`]);
    expect(diffSchema(base, dropped, [{ table, column: plainCol, reason: 'replaced' }]).refused).toEqual([]);

    const retyped = clone();
    retyped[table]![plainCol] = { ...plain, type: plain.type === 'BLOB' ? 'TEXT' : 'BLOB' };
    expect(diffSchema(base, retyped, []).refused.join()).toMatch(/was retyped/);

    const goneTable = clone();
    delete goneTable[table];
    expect(diffSchema(base, goneTable, []).refused).toEqual([`table ${table} was dropped`]);
    expect(diffSchema(base, goneTable, [{ table, reason: 'moved' }]).refused).toEqual([]);

    const keyMoved = clone();
    keyMoved[table]![keyCol] = { ...keyMoved[table]![keyCol]!, pk: 0 };
    expect(diffSchema(base, keyMoved, []).refused.join()).toMatch(/natural key/);

    if (!plain.notNull) {
      const tightened = clone();
      tightened[table]![plainCol] = { ...plain, notNull: true };
      expect(diffSchema(base, tightened, []).refused.join()).toMatch(/became NOT NULL/);
    }

    const grown = clone();
    grown[table]!.added_col = { type: 'TEXT', notNull: false, pk: 0 };
    grown.new_table = { id: { type: 'TEXT', notNull: true, pk: 1 } };
    expect(diffSchema(base, grown, [])).toEqual({ refused: [], added: [`column ${table}.added_col`, 'table new_table'] });
  });

  it('finds a real destructive migration through the snapshot diff and the statement check', () => {
    const base = freshSchema();
    const table = Object.keys(base).find((t) => !t.startsWith('sync_') && Object.keys(base[t]!).some((c) => base[t]![c]!.pk === 0))!;
    const column = Object.keys(base[table]!).find((c) => base[table]![c]!.pk === 0)!;
    const drop: Migration = { id: '0999_drop', statements: [`ALTER TABLE ${table} DROP COLUMN ${column}`] };
    expect(diffSchema(base, freshSchema([...migrations, drop]), []).refused).toEqual([`column ${table}.${column} was dropped`]);
    expect(undeclaredDestructiveStatements(drop)).toHaveLength(1);
    const retype: Migration = { id: '0999_retype', statements: [], postgres: [`ALTER TABLE ${table} ALTER COLUMN ${column} TYPE BYTEA`] };
    expect(undeclaredDestructiveStatements(retype).join()).toMatch(/retypes column/);
    expect(undeclaredDestructiveStatements({ ...retype, retires: [{ table, column, reason: 'test' }] })).toEqual([]);
    const rename: Migration = { id: '0999_rename', statements: [`ALTER TABLE ${table} RENAME TO ${table}_old`, `ALTER TABLE x RENAME COLUMN a TO b`, `DROP TABLE IF EXISTS y`] };
    expect(undeclaredDestructiveStatements(rename)).toHaveLength(3);
    // Relaxing a constraint or adding a column is not destructive.
    expect(undeclaredDestructiveStatements({ id: '0999_ok', statements: [`ALTER TABLE ${table} ADD COLUMN extra TEXT`], postgres: ['ALTER TABLE t ALTER COLUMN c DROP NOT NULL', 'DROP TRIGGER IF EXISTS g ON t'] })).toEqual([]);
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
