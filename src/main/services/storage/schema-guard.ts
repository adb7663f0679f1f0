/**
 * The additive-only guard. `schema-snapshot.json` records every table and column the ledger
 * produces (on SQLite, plus the Postgres-only tables' columns as declared by their statements
 * being checked below); a change to the ledger is compared with it. Adding tables and columns is
 * free (refresh the snapshot: `npx tsx scripts/schema-snapshot.ts`); dropping or retyping a
 * column, dropping a table, making a column NOT NULL or changing a natural key is refused unless
 * the migration that does it lists the table or column in `retires`. Old app versions still read
 * and write these tables (through sync, on other laptops), so they may only grow.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Migration, Retirement } from './migrations';

export interface ColumnShape {
  /** The declared type, upper case (`TEXT`, `REAL`, `INTEGER`...). */
  readonly type: string;
  readonly notNull: boolean;
  /** Position in the primary key (the natural key), 0 when not part of it. */
  readonly pk: number;
}

export type SchemaSnapshot = Record<string, Record<string, ColumnShape>>;

/** Every table (but SQLite's own) with its columns, sorted so the snapshot diffs cleanly. */
export function describeSqliteSchema(db: BetterSqlite3.Database): SchemaSnapshot {
  const out: SchemaSnapshot = {};
  const tables = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all();
  const info = db.prepare<[string], { name: string; type: string; notnull: number; pk: number }>('SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY name');
  for (const { name } of tables) {
    out[name] = Object.fromEntries(info.all(name).map((c) => [c.name, { type: c.type.toUpperCase(), notNull: c.notnull === 1 || c.pk > 0, pk: c.pk }]));
  }
  return out;
}

export interface SchemaDiff {
  /** Destructive changes no migration declared: the guard fails on these. */
  readonly refused: string[];
  /** Tables and columns that are new since the snapshot: the snapshot must be refreshed. */
  readonly added: string[];
}

function isRetired(retired: readonly Retirement[], table: string, column?: string): boolean {
  return retired.some((r) => r.table === table && (r.column === undefined || r.column === column));
}

/** Compares the shipped snapshot with the schema the ledger produces now. */
export function diffSchema(shipped: SchemaSnapshot, current: SchemaSnapshot, retired: readonly Retirement[]): SchemaDiff {
  const refused: string[] = [];
  const added: string[] = [];
  for (const [table, columns] of Object.entries(shipped)) {
    const now = current[table];
    if (!now) {
      if (!isRetired(retired, table)) refused.push(`table ${table} was dropped`);
      continue;
    }
    for (const [column, was] of Object.entries(columns)) {
      const is = now[column];
      const where = `${table}.${column}`;
      if (!is) {
        if (!isRetired(retired, table, column)) refused.push(`column ${where} was dropped`);
        continue;
      }
      if (isRetired(retired, table, column)) continue;
      if (is.type !== was.type) refused.push(`column ${where} was retyped from ${was.type} to ${is.type}`);
      if (is.notNull && !was.notNull) refused.push(`column ${where} became NOT NULL (rows written by older versions may lack it)`);
      if (is.pk !== was.pk) refused.push(`column ${where} changed its place in the natural key (${was.pk} -> ${is.pk})`);
    }
    for (const column of Object.keys(now)) {
      if (!(column in columns)) {
        added.push(`column ${table}.${column}`);
        if (now[column]?.pk) refused.push(`column ${table}.${column} joined the natural key of an existing table`);
      }
    }
  }
  for (const table of Object.keys(current)) if (!(table in shipped)) added.push(`table ${table}`);
  return { refused, added };
}

const DESTRUCTIVE: readonly { re: RegExp; what: string }[] = [
  { re: /\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?/gi, what: 'drops table' },
  { re: /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?\s+DROP\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|NOT\b|DEFAULT\b)(?:IF\s+EXISTS\s+)?"?(\w+)"?/gi, what: 'drops column' },
  { re: /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?\s+RENAME\s+(?:COLUMN\s+)?(?!TO\b)"?(\w+)"?\s+TO\b/gi, what: 'renames column' },
  { re: /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?\s+RENAME\s+TO\b/gi, what: 'renames table' },
  { re: /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?\s+ALTER\s+(?:COLUMN\s+)?"?(\w+)"?\s+(?:SET\s+DATA\s+)?TYPE\b/gi, what: 'retypes column' },
];

/**
 * Destructive statements in either dialect that the migration does not declare in `retires`.
 * This catches what the SQLite snapshot cannot see: Postgres-only statements and tables.
 */
export function undeclaredDestructiveStatements(m: Migration): string[] {
  const problems: string[] = [];
  const retired = m.retires ?? [];
  for (const sql of [...m.statements, ...(m.sqlite ?? []), ...(m.postgres ?? [])]) {
    for (const { re, what } of DESTRUCTIVE) {
      for (const match of sql.matchAll(re)) {
        const table = (match[1] ?? '').toLowerCase();
        const column = match[2]?.toLowerCase();
        if (!isRetired(retired, table, column)) problems.push(`${m.id} ${what} ${column ? `${table}.${column}` : table} without declaring it in retires`);
      }
    }
  }
  return [...new Set(problems)];
}

/** Every retirement declared across the ledger. */
export function retirements(list: readonly Migration[]): Retirement[] {
  return list.flatMap((m) => m.retires ?? []);
}

const pascal = (table: string): string => table.replace(/(^|_)([a-z0-9])/g, (_m, _s: string, c: string) => c.toUpperCase());

/** The TypeScript type of a column as better-sqlite3 returns it (numbers unless `safeIntegers`). */
function tsType(declared: string): string {
  const t = declared.toUpperCase();
  if (/INT|REAL|DOUB|FLOA|NUM/.test(t)) return 'number';
  if (/BLOB|BYTEA/.test(t)) return 'Buffer';
  return 'string';
}

/**
 * `db-types.ts`, generated from the migrated schema: one row type per table, in column order,
 * nullable where the column is. `scripts/schema-snapshot.ts` writes it; a test checks it is current.
 */
export function renderRowTypes(db: BetterSqlite3.Database): string {
  const tables = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all();
  const info = db.prepare<[string], { name: string; type: string; notnull: number; pk: number }>('SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid');
  const lines = [
    '/**',
    ' * Row types of every table, generated from the migrated schema by `npx tsx scripts/schema-snapshot.ts`',
    ' * (do not edit by hand). Type statements with them: `db.prepare<Params, Pick<XTable, ...>>(sql)`.',
    ' */',
  ];
  for (const { name } of tables) {
    lines.push('', `export interface ${pascal(name)}Table {`);
    for (const c of info.all(name)) lines.push(`  ${c.name}: ${tsType(c.type)}${c.notnull === 1 || c.pk > 0 ? '' : ' | null'};`);
    lines.push('}');
  }
  lines.push('', '/** Every table by name. */', 'export interface DB {', ...tables.map(({ name }) => `  ${name}: ${pascal(name)}Table;`), '}', '', 'export type TableName = keyof DB;', '');
  return lines.join('\n');
}
