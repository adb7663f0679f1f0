/**
 * Pulled rows held as COPY text: each field is read as the value a JSON entry would carry for
 * its local column, and only real numbers become numbers, so the table's rules judge the rest.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { visitCopyRows } from '../../src/main/services/sync/engine';
import { copyField, createRowValidators } from '../../src/main/services/sync/validate';

function validator() {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE financial_metrics (asset_id TEXT NOT NULL, day TEXT NOT NULL, source TEXT NOT NULL, close DOUBLE PRECISION, volume_usd DOUBLE PRECISION, updated_at TEXT NOT NULL, PRIMARY KEY (asset_id, day, source))`);
  db.exec(`CREATE TABLE network_metrics (day TEXT NOT NULL PRIMARY KEY, blocks INTEGER, note TEXT DEFAULT 'none')`);
  return createRowValidators(db);
}

function read(table: string, columns: string[], text: string): { ok: unknown[][]; bad: { error: string; row: unknown }[] } {
  const v = validator()(table);
  if (!v) throw new Error(`no validator for ${table}`);
  const ok: unknown[][] = [];
  const bad: { error: string; row: unknown }[] = [];
  visitCopyRows(text, columns, v, { target: () => new Array<unknown>(v.columns.length), ok: (values) => ok.push(values), bad: (error, row) => bad.push({ error, row }) });
  return { ok, bad };
}

describe('COPY text change entries', () => {
  it('reads decimal text as numbers and leaves every other spelling Number() would accept to the rules', () => {
    const cols = ['asset_id', 'day', 'source', 'close', 'updated_at'];
    const closes = ['1.5', '-0.25', '.5', '7.', '1e21', '2.5E-3', '+4', '5e-324', '1.7976931348623157e308', '0x10', '0b1', ' 3', '3 ', '', 'Infinity', '-Infinity', 'NaN', '1.2.3', '--1', '1e'];
    const text = closes.map((c, i) => `a\t2024-01-${String(i + 1).padStart(2, '0')}\tt\t${c}\tu`).join('\n');
    const { ok, bad } = read('financial_metrics', cols, text);
    expect(ok.map((v) => v[3])).toEqual([1.5, -0.25, 0.5, 7, 1e21, 0.0025, 4, 5e-324, 1.7976931348623157e308]);
    expect(bad.map((b) => (b.row as { close: unknown }).close)).toEqual(closes.slice(9));
    for (const b of bad) expect(b.error).toMatch(/^close: expected a finite number, got "/);
  });

  it('reads integers only from integer text, nulls from \\N, escapes as characters, and leaves defaults to SQLite', () => {
    const text = ['2024-01-01\t12\ta\\tb\\\\c\\nd', '2024-01-02\t\\N\t\\N', '2024-01-03\t1.5\tx', '2024-01-04\t0x1\tx', '2024-01-05\t-3\t\\101\\x42\\q'].join('\n');
    const { ok, bad } = read('network_metrics', ['day', 'blocks', 'note'], text);
    expect(ok).toEqual([
      ['2024-01-01', 12, 'a\tb\\c\nd'],
      ['2024-01-02', null, null],
      ['2024-01-05', -3, 'ABq'],
    ]);
    expect(bad.map((b) => b.error)).toEqual(['blocks: expected an integer, got "1.5"', 'blocks: expected an integer, got "0x1"']);
    // A column the entry leaves out takes the local default; one the local table lacks is dropped.
    expect(read('network_metrics', ['day', 'blocks', 'later_column'], '2024-02-01\t1\tz\n').ok).toEqual([['2024-02-01', 1, undefined]]);
  });

  it('rejects a line with the wrong number of fields and an entry without columns, alone', () => {
    const { ok, bad } = read('network_metrics', ['day', 'blocks'], '2024-01-01\t1\n2024-01-02\n2024-01-03\t3\t4\n2024-01-04\t4\n');
    expect(ok.map((v) => v[0])).toEqual(['2024-01-01', '2024-01-04']);
    expect(bad.map((b) => b.error)).toEqual(['a COPY text row has 1 value(s) for 2 column(s)', 'a COPY text row has 3 value(s) for 2 column(s)']);
    const v = validator()('network_metrics')!;
    const errors: string[] = [];
    visitCopyRows('2024-01-01\t1', null, v, { target: () => [], ok: () => errors.push('ok'), bad: (e) => errors.push(e) });
    expect(errors).toEqual(['a COPY text change has no column list']);
    expect(copyField('\\N')).toBeNull();
    expect(copyField('\\\\N')).toBe('\\N');
  });
});
