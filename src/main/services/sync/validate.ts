/**
 * Validation of rows pulled from the team database before they reach SQLite. Postgres enforces
 * its column types, but anyone with write access can still put a row there by hand that this
 * client must not store: a day that is not a day, a stamp that is not an HLC, a table or column
 * this version does not know. Each rule is derived from the local table's declaration, so a new
 * table from another domain is validated without changes here.
 */
import type Database from 'better-sqlite3';
import { parseHlc } from '../kernel/hlc';
import { isSyncedTable } from './local';

type ColumnRule = (value: unknown) => string | null;

interface ColumnDecl {
  name: string;
  type: string;
  notnull: number;
  dflt_value: unknown;
  pk: number;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Days repeat across rows (a day per asset), so each distinct one is checked once. */
const knownDays = new Set<string>();

function isDay(v: string): boolean {
  if (knownDays.has(v)) return true;
  if (!DAY_RE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  const ok = !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
  if (ok && knownDays.size < 100_000) knownDays.add(v);
  return ok;
}

function typeRule(decl: ColumnDecl): ColumnRule {
  const t = decl.type.toUpperCase();
  if (t.includes('INT')) return (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? null : `expected an integer, got ${describe(v)}`);
  if (t.includes('DOUB') || t.includes('REAL') || t.includes('FLOA') || t.includes('NUMERIC')) {
    return (v) => (typeof v === 'number' && Number.isFinite(v) ? null : `expected a finite number, got ${describe(v)}`);
  }
  if (t.includes('TEXT') || t.includes('CHAR') || t.includes('CLOB')) return (v) => (typeof v === 'string' ? null : `expected text, got ${describe(v)}`);
  return () => null;
}

/** Meaning carried by a column's name across the schema (days, HLC stamps, tombstones). */
function semanticRule(name: string): ColumnRule | null {
  if (name === 'day' || name === 'week_start' || name.endsWith('_day')) {
    return (v) => (typeof v === 'string' && !isDay(v) ? `"${v}" is not a YYYY-MM-DD day` : null);
  }
  if (name === 'hlc') return (v) => (typeof v === 'string' && parseHlc(v) === null ? `"${v}" is not a hybrid logical clock stamp` : null);
  if (name === 'deleted') return (v) => (v !== 0 && v !== 1 && v !== null ? `tombstone flag must be 0 or 1, got ${describe(v)}` : null);
  return null;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return `${typeof v} ${String(v)}`;
}

/**
 * The validator of one local table. `check` reads a pulled row straight into `out` (one slot per
 * column of `columns`, in that order) without building a row object: `undefined` where the row
 * leaves a column to its SQLite default. It returns null for a valid row, else what is wrong.
 * Columns this version does not know (a newer client's migration) are dropped, not fatal.
 */
export interface TableValidator {
  readonly columns: readonly string[];
  check(raw: unknown, out: unknown[]): string | null;
  /**
   * `check` for rows held as COPY text lines of `columns`: the returned function reads one line's
   * fields (split at tabs) into `out` the same way, each field read as the value a JSON entry
   * would carry (see copyField; a number for a numeric column when the text is one, else the
   * text, which the rules then judge). Fields of columns this version does not know are dropped.
   */
  copyChecker(columns: readonly string[]): (fields: readonly string[], out: unknown[]) => string | null;
  /** A line's fields as a row object, for the record of a rejected row. */
  copyRow(columns: readonly string[], fields: readonly string[]): Record<string, unknown>;
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A decimal number's text as that number, other text as it is. Number() alone would also read
 * '', blanks, 'Infinity' and hex or binary literals; those stay text (the rules reject them).
 */
function readDecimal(f: string): unknown {
  const n = Number(f);
  if (n !== n || f.length === 0) return f; // NaN
  const last = f.charCodeAt(f.length - 1);
  // Every decimal ends in a digit or a point. Text of only digits, points and minus signs that
  // Number() reads is a plain decimal; the rest (an exponent, a plus sign) is checked in full.
  if (!((last >= 48 && last <= 57) || last === 46)) return f;
  for (let i = 0; i < f.length; i++) {
    const c = f.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 45)) return DECIMAL_TEXT.test(f) ? n : f;
  }
  return n;
}

/** A local column's reading of COPY text, by its declared type (as typeRule judges it). */
function copyReader(decl: ColumnDecl): (field: string) => unknown {
  const t = decl.type.toUpperCase();
  if (t.includes('INT')) return (f) => (INTEGER_TEXT.test(f) ? Number(f) : f);
  if (t.includes('DOUB') || t.includes('REAL') || t.includes('FLOA') || t.includes('NUMERIC')) return readDecimal;
  return (f) => f;
}

const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * One field of COPY's text format as text, or null for \N: backslash escapes decoded (\t, \n,
 * \\ and the rest, octal and hex as character codes). Fields DEFIMON writes never hold one; a
 * hand-made entry may.
 */
export function copyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|([\s\S]))/g, (_, oct: string | undefined, hex: string | undefined, ch: string | undefined) =>
    oct !== undefined ? String.fromCharCode(parseInt(oct, 8)) : hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (COPY_ESCAPES[ch ?? ''] ?? ch ?? ''),
  );
}

/** Builds (and caches) one validator per local table; null for a table this client does not sync or have. */
export function createRowValidators(db: Database.Database): (table: string) => TableValidator | null {
  const cache = new Map<string, TableValidator | null>();
  return (table) => {
    if (cache.has(table)) return cache.get(table) ?? null;
    const decls = isSyncedTable(table) ? (db.prepare<unknown[], ColumnDecl>('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)').all(table)) : [];
    if (decls.length === 0) {
      cache.set(table, null);
      return null;
    }
    const cols = decls.map((d) => ({
      name: d.name,
      notNull: d.pk > 0 || d.notnull === 1,
      hasDefault: d.dflt_value !== null,
      rules: [typeRule(d), semanticRule(d.name)].filter((r): r is ColumnRule => r !== null),
    }));
    const readers = decls.map(copyReader);
    /** Column `i`'s value `v` (undefined: absent) into `out[i]`; what is wrong with it, or null. */
    const accept = (i: number, v: unknown, out: unknown[]): string | null => {
      const c = cols[i]!;
      if (v === undefined && c.hasDefault) {
        out[i] = undefined; // SQLite fills in the default
        return null;
      }
      if (v === undefined || v === null) {
        if (c.notNull) return `${c.name} is missing`;
        out[i] = null;
        return null;
      }
      for (const rule of c.rules) {
        const problem = rule(v);
        if (problem !== null) return `${c.name}: ${problem}`;
      }
      out[i] = v;
      return null;
    };
    const copyValue = (i: number, field: string | undefined): unknown => {
      if (field === undefined) return undefined;
      const text = copyField(field);
      return text === null ? null : readers[i]!(text);
    };
    const validator: TableValidator = {
      columns: cols.map((c) => c.name),
      check(raw, out) {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `row is ${describe(raw)}, not an object`;
        const src = raw as Record<string, unknown>;
        for (let i = 0; i < cols.length; i++) {
          const problem = accept(i, src[cols[i]!.name], out);
          if (problem !== null) return problem;
        }
        return null;
      },
      copyChecker(columns) {
        const at = cols.map((c) => columns.indexOf(c.name));
        return (fields, out) => {
          for (let i = 0; i < at.length; i++) {
            const p = at[i]!;
            const problem = accept(i, p < 0 ? undefined : copyValue(i, fields[p]), out);
            if (problem !== null) return problem;
          }
          return null;
        };
      },
      copyRow(columns, fields) {
        const row: Record<string, unknown> = {};
        columns.forEach((name, p) => {
          const i = cols.findIndex((c) => c.name === name);
          row[name] = i < 0 ? fields[p] : copyValue(i, fields[p]);
        });
        return row;
      },
    };
    cache.set(table, validator);
    return validator;
  };
}
