/**
 * Domains talk through their own APIs: the lint rule refuses a deep import of another domain, and
 * the SQL of every domain touches only its own tables, the shared facts (read), and the facts it
 * produces (write). Both are checked against the real source tree and the real lint config.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { migrateSqlite } from '../../src/main/services/storage/migrator';
import { REPLICATES_EVERY_TABLE, TABLES, type TableOwner } from '../../src/main/services/storage/owners';

const root = path.resolve(__dirname, '../..');
const servicesDir = path.join(root, 'src/main/services');
const INFRASTRUCTURE = ['config', 'core', 'events', 'kernel', 'log', 'rpc', 'storage', 'tasks'];

async function domainList(): Promise<string[]> {
  const config = (await import(path.join(root, 'eslint.config.mjs'))) as { SERVICE_DOMAINS: string[] };
  return config.SERVICE_DOMAINS;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('domain imports (lint)', () => {
  it('every folder of services is a listed domain or listed infrastructure', async () => {
    const domains = await domainList();
    const folders = readdirSync(servicesDir).filter((n) => statSync(path.join(servicesDir, n)).isDirectory());
    expect(folders.filter((f) => !domains.includes(f) && !INFRASTRUCTURE.includes(f))).toEqual([]);
  });

  it("refuses a domain's deep import of another domain, allows its api, its index, type imports and infrastructure", async () => {
    const domains = await domainList();
    const eslint = new ESLint({ cwd: root });
    const lint = async (file: string, code: string): Promise<string[]> => {
      const [res] = await eslint.lintText(code, { filePath: path.join(servicesDir, file) });
      return (res?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
    };
    for (const [i, from] of domains.entries()) {
      const to = domains[(i + 1) % domains.length]!;
      expect(await lint(`${from}/probe.ts`, `import { x } from '../${to}/internals';\nexport const y = x;\n`), `${from} -> ${to}/internals`).toHaveLength(1);
      expect(await lint(`${from}/nested/probe.ts`, `import { x } from '../../${to}/internals';\nexport const y = x;\n`), `${from}/nested -> ${to}`).toHaveLength(1);
      expect(await lint(`${from}/probe.ts`, `import { x } from '../${to}/api';\nexport const y = x;\n`), `${from} -> ${to}/api`).toEqual([]);
      expect(await lint(`${from}/probe.ts`, `import { x } from '../${to}';\nexport const y = x;\n`), `${from} -> ${to}`).toEqual([]);
      expect(await lint(`${from}/probe.ts`, `import type { X } from '../${to}/internals';\nexport type Y = X;\n`), `${from} -> type`).toEqual([]);
      expect(await lint(`${from}/probe.ts`, `import { x } from '../storage/sqlite';\nimport { y } from '../${from}/own';\nexport const z = [x, y];\n`), `${from} -> infrastructure`).toEqual([]);
    }
  });
});

type Access = { table: string; write: boolean; file: string };

/** Table names a file's SQL reads (FROM/JOIN) or writes (INSERT INTO/UPDATE/DELETE FROM, store.write). */
function tableAccesses(file: string, text: string): Access[] {
  const out: Access[] = [];
  for (const m of text.matchAll(/\b(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|FROM|JOIN)\s+"?([a-z_][a-z0-9_]*)\b/gi)) {
    out.push({ table: m[2]!.toLowerCase(), write: !/^(FROM|JOIN)$/i.test(m[1]!), file });
  }
  for (const m of text.matchAll(/\.write\(\s*['"]([a-z_][a-z0-9_]*)['"]/g)) out.push({ table: m[1]!, write: true, file });
  return out.filter((a) => a.table in TABLES);
}

function violations(domain: string, accesses: Access[]): string[] {
  if (domain === REPLICATES_EVERY_TABLE) return [];
  return accesses.flatMap((a) => {
    const t = TABLES[a.table]!;
    if (t.owner === domain) return [];
    if (!a.write && t.readByAll) return [];
    if (a.write && t.writers?.includes(domain as TableOwner)) return [];
    return [`${path.relative(servicesDir, a.file)} ${a.write ? 'writes' : 'reads'} ${a.table}, owned by ${t.owner}`];
  });
}

describe('domain tables (SQL)', () => {
  it('every table the ledger creates has an owner', () => {
    const db = new Database(':memory:');
    migrateSqlite(db);
    const tables = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all().map((r) => r.name);
    db.close();
    expect(tables.filter((t) => !(t in TABLES))).toEqual([]);
  });

  it("no domain queries another domain's private tables or writes facts it does not produce", async () => {
    const found: string[] = [];
    for (const domain of await domainList()) {
      const dir = path.join(servicesDir, domain);
      for (const file of filesUnder(dir)) found.push(...violations(domain, tableAccesses(file, readFileSync(file, 'utf8'))));
    }
    expect(found).toEqual([]);
  });

  it('outside the domains only storage touches tables: the shell, the CLI and the infrastructure go through domain APIs', async () => {
    const domains = await domainList();
    const outside = filesUnder(path.join(root, 'src/main')).filter((f) => {
      const rel = path.relative(servicesDir, f).split(path.sep);
      return rel[0] === '..' || !(domains.includes(rel[0]!) || rel[0] === 'storage');
    });
    expect(outside.length).toBeGreaterThan(10);
    expect(outside.flatMap((f) => tableAccesses(f, readFileSync(f, 'utf8')).map((a) => `${path.relative(root, f)} ${a.write ? 'writes' : 'reads'} ${a.table}`))).toEqual([]);
  });

  it('the scan sees reads and writes, and the rule refuses what it should', () => {
    const sql = `SELECT value FROM ml_settings WHERE key = 'ab'; INSERT INTO audit_findings (x) VALUES (1); store.write('notes', rows); SELECT * FROM financial_metrics f JOIN crypto_assets a ON 1`;
    const acc = tableAccesses(path.join(servicesDir, 'ui/probe.ts'), sql);
    expect(acc.map((a) => `${a.write ? 'w' : 'r'}:${a.table}`)).toEqual(['r:ml_settings', 'w:audit_findings', 'r:financial_metrics', 'r:crypto_assets', 'w:notes']);
    expect(violations('ui', acc)).toEqual([`ui/probe.ts reads ml_settings, owned by ml`, `ui/probe.ts writes audit_findings, owned by audit`]);
    expect(violations('collect', tableAccesses('x', `store.write('financial_metrics', r)`))).toEqual([]);
    expect(violations('ml', tableAccesses(path.join(servicesDir, 'ml/x.ts'), `store.write('financial_metrics', r)`))).toEqual(['ml/x.ts writes financial_metrics, owned by assets']);
  });
});
