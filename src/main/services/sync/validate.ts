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
    const validator: TableValidator = {
      columns: cols.map((c) => c.name),
      check(raw, out) {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `row is ${describe(raw)}, not an object`;
        const src = raw as Record<string, unknown>;
        for (let i = 0; i < cols.length; i++) {
          const c = cols[i]!;
          const v = src[c.name];
          if (v === undefined && c.hasDefault) {
            out[i] = undefined; // SQLite fills in the default
            continue;
          }
          if (v === undefined || v === null) {
            if (c.notNull) return `${c.name} is missing`;
            out[i] = null;
            continue;
          }
          for (const rule of c.rules) {
            const problem = rule(v);
            if (problem !== null) return `${c.name}: ${problem}`;
          }
          out[i] = v;
        }
        return null;
      },
    };
    cache.set(table, validator);
    return validator;
  };
}
