/**
 * Two DEFIMON processes on one data directory: two imports, two `sync --once`, an import while
 * the server answers. No `INTERNAL` (no "database is locked"), and the counters count exactly
 * what was written and acknowledged.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, foreignCwd, postgresAvailable, tempDataDir } from '../helpers/services';
import { runCli, startCli, type CliResult } from './cli';

const pgOk = await postgresAvailable();

function rowCount(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function noInternal(r: CliResult): void {
  expect(r.stderr).not.toMatch(/INTERNAL|database is locked|SQLITE_BUSY/);
}

describe('two DEFIMON processes on one data directory', () => {
  const tmp = tempDataDir('defimon-concurrency');
  const cwd = foreignCwd();
  afterAll(() => {
    tmp.remove();
    cwd.remove();
  });

  it('two imports at once: one imports, the other waits and finds it imported', async () => {
    const dir = path.join(tmp.dir, 'imports');
    const [a, b] = await Promise.all([runCli(['import', '--json', '--data-dir', dir], { cwd: cwd.dir }), runCli(['import', '--json', '--data-dir', dir], { cwd: cwd.dir })]);
    for (const r of [a, b]) {
      noInternal(r);
      expect(r.code).toBe(0);
    }
    type Summary = { assets: number; financialRows: number; onchainRows: number; skipped: { reason: string }[] };
    const sa = JSON.parse(a.stdout) as Summary;
    const sb = JSON.parse(b.stdout) as Summary;
    // Both report the one import that happened, and the database holds exactly its rows, once.
    expect(sb.financialRows).toBe(sa.financialRows);
    expect(sb.onchainRows).toBe(sa.onchainRows);
    const file = path.join(dir, 'defimon.sqlite');
    expect(rowCount(file, 'financial_metrics')).toBe(sa.financialRows);
    expect(rowCount(file, 'onchain_metrics')).toBe(sa.onchainRows);
    expect(rowCount(file, 'dataset_imports')).toBe(1);
  }, 300_000);

  it('an import while the server answers reads: no request fails with INTERNAL', async () => {
    const dir = path.join(tmp.dir, 'serve');
    const server = startCli(['serve', '--port', '0', '--no-import', '--data-dir', dir], { cwd: cwd.dir });
    try {
      let url = '';
      for (let i = 0; i < 600 && !url; i++) {
        const m = /serving at (http:\/\/[^\s]+)/.exec(server.output().stdout);
        if (m) url = m[1] as string;
        else await new Promise((r) => setTimeout(r, 200));
      }
      expect(url, server.output().stderr).not.toBe('');
      const importing = runCli(['import', '--json', '--data-dir', dir], { cwd: cwd.dir });
      let finished = false;
      void importing.then(() => (finished = true));
      const answers: { status: number; code: string | null }[] = [];
      // Bounded: at most 400 rounds of reads, while the import runs.
      for (let i = 0; i < 400 && !finished; i++) {
        for (const method of ['assets.list', 'ui.overview', 'system.info']) {
          const res = await fetch(`${url}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
          const body = (await res.json()) as { ok?: boolean; error?: { code: string } };
          answers.push({ status: res.status, code: body.error?.code ?? null });
        }
        await new Promise((r) => setTimeout(r, 150));
      }
      const imp = await importing;
      noInternal(imp);
      expect(imp.code).toBe(0);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.filter((a) => a.code === 'INTERNAL' || a.status >= 500)).toEqual([]);
      const after = await fetch(`${url}/api/assets.list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(((await after.json()) as { data: unknown[] }).data.length).toBe(148);
    } finally {
      server.child.kill('SIGTERM');
      await server.done;
    }
    expect(server.output().stderr).not.toMatch(/INTERNAL|database is locked/);
  }, 300_000);

  describe.runIf(pgOk)('with a team database', () => {
    let team: Awaited<ReturnType<typeof createTestDatabase>>;
    afterAll(async () => {
      await team?.drop();
    });

    it('two `sync --once` at once: both succeed, and "pushed" counts each row once', async () => {
      team = await createTestDatabase('concurrent_sync');
      const dir = path.join(tmp.dir, 'sync');
      const imp = await runCli(['import', '--json', '--data-dir', dir], { cwd: cwd.dir });
      expect(imp.code).toBe(0);
      const args = ['sync', '--once', '--json', '--batch', '2000', '--pg', team.url, '--data-dir', dir];
      const [a, b] = await Promise.all([runCli(args, { cwd: cwd.dir }), runCli(args, { cwd: cwd.dir })]);
      for (const r of [a, b]) {
        noInternal(r);
        expect(r.code, r.stderr).toBe(0);
      }
      type Result = { pushed: number; status: { pushed: number } };
      const ra = JSON.parse(a.stdout) as Result;
      const rb = JSON.parse(b.stdout) as Result;
      const admin = new pg.Client({ connectionString: team.url });
      await admin.connect();
      let teamRows = 0;
      try {
        // Every row the team database holds from this client (the import's record itself is not a pushed row).
        const tables = await admin.query<{ t: string }>(
          `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
             AND table_name NOT LIKE 'sync\\_%' AND table_name NOT IN ('schema_migrations', 'dataset_imports')`,
        );
        for (const { t } of tables.rows) teamRows += Number((await admin.query(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
      } finally {
        await admin.end();
      }
      // One of them pushed the import; the other found nothing left to push.
      expect(ra.pushed + rb.pushed).toBe(teamRows);
      expect(Math.min(ra.pushed, rb.pushed)).toBe(0);
      expect(Math.max(ra.status.pushed, rb.status.pushed)).toBe(teamRows);
    }, 300_000);
  });
});
