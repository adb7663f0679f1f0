/**
 * Fault injection against the real Postgres: the sync connection terminated mid-batch, the sync
 * process killed with SIGKILL mid-push and restarted, malformed rows written into Postgres by
 * hand. Afterwards every row is held exactly once everywhere (counted and compared).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, REPO_ROOT } from '../helpers/services';
import { changeLogKeysSql, createSyncClient, marketRows, sqliteContent, waitFor, type SyncClient } from './helpers';

const pgOk = await postgresAvailable();
const BIN = path.join(REPO_ROOT, 'bin', 'defimon.cjs');

function count(c: SyncClient, table: string): number {
  return (c.services.core.store.db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
}

async function pgCount(admin: pg.Client, table: string): Promise<number> {
  return Number((await admin.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);
}

function runCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, DEFIMON_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

describe.runIf(pgOk)('sync under faults', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase('sync_faults');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('survives its Postgres connection being terminated mid-batch', async () => {
    const a = await createSyncClient({ pgUrl: db.url });
    const b = await createSyncClient({ pgUrl: db.url });
    try {
      a.sync.worker.configure({ batchSize: 500, minBackoffMs: 20, maxBackoffMs: 200 });
      const rows = marketRows({ assets: Array.from({ length: 40 }, (_, i) => `term${i}`), days: 250 }); // 10,000 rows, 20 batches
      a.services.core.store.write('financial_metrics', rows);

      // Terminate the sync backend whenever it is inside a transaction, three times.
      let kills = 0;
      let stop = false;
      const killer = (async () => {
        while (!stop && kills < 3) {
          const r = await admin.query(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'defimon-sync' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`,
            [db.name],
          );
          kills += r.rows.filter((x: { ok: boolean }) => x.ok).length;
          await new Promise((res) => setTimeout(res, 5));
        }
      })();
      const result = await a.sync.worker.syncOnce({ maxAttempts: 50 });
      stop = true;
      await killer;
      expect(kills).toBeGreaterThan(0);
      expect(result.pending).toBe(0);
      // The failure was seen and recorded, and sync recovered by itself.
      expect(a.sync.worker.status().lastError).toMatch(/terminat|connection|unreachable/i);
      expect(a.sync.worker.status().state).toBe('idle');

      expect(await pgCount(admin, 'financial_metrics')).toBe(10_000);
      await b.sync.worker.syncOnce();
      expect(count(b, 'financial_metrics')).toBe(10_000);
      expect(sqliteContent(b.services, 'financial_metrics', 'asset_id, day')).toEqual(sqliteContent(a.services, 'financial_metrics', 'asset_id, day'));
      // Change log: each row at most once per push that changed it; no batch was half-applied.
      const perKey = await admin.query(`SELECT max(n) AS m FROM (SELECT count(*) AS n FROM (${changeLogKeysSql('financial_metrics')}) e GROUP BY asset_id, day) x`);
      expect(Number(perKey.rows[0].m)).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('loses and duplicates nothing when the sync process is SIGKILLed mid-push and restarted', async () => {
    const a = await createSyncClient({ pgUrl: db.url });
    const dataDir = a.dataDir;
    const rows = marketRows({ assets: Array.from({ length: 40 }, (_, i) => `kill${i}`), days: 500, start: '2020-01-01' }); // 20,000 rows
    a.services.core.store.write('financial_metrics', rows);
    const before = await pgCount(admin, 'financial_metrics');
    // Close the in-process services: the CLI child owns the data directory now.
    await a.services.close();
    try {
      const args = ['sync', '--once', '--no-import', '--batch', '100', '--data-dir', dataDir, '--pg', db.url, '--json'];
      const first = runCli(args);
      await waitFor(async () => (await pgCount(admin, 'financial_metrics')) > before + 200, 'the first batches to land', 60_000);
      first.child.kill('SIGKILL');
      const killed = await first.done;
      expect(killed.signal).toBe('SIGKILL');
      const landed = (await pgCount(admin, 'financial_metrics')) - before;
      expect(landed).toBeLessThan(20_000); // really mid-push

      const second = await runCli(args).done;
      expect(second.code).toBe(0);
      const out = JSON.parse(second.stdout) as { pushed: number; pending: number; status: { pending: number } };
      expect(out.pending).toBe(0);
      // Only what the killed run had not had acknowledged is pushed again (at most one batch twice).
      expect(out.pushed).toBeLessThanOrEqual(20_000 - landed + 100);
      expect(await pgCount(admin, 'financial_metrics')).toBe(before + 20_000);

      const status = await runCli(['sync', 'status', '--json', '--data-dir', dataDir, '--pg', db.url]).done;
      expect(status.code).toBe(0);
      const s = JSON.parse(status.stdout) as Record<string, unknown>;
      expect(s).toMatchObject({ pending: 0, lastError: null });
      expect(s.pushed).toBeGreaterThanOrEqual(20_000);
      expect(typeof s.pulled).toBe('number');
      expect(status.stdout).not.toContain('postgres://postgres@127.0.0.1:5432/' + db.name + '?'); // no raw URL with secrets added

      // A fresh client pulls every row exactly once.
      const c = await createSyncClient({ pgUrl: db.url });
      try {
        await c.sync.worker.syncOnce();
        expect(count(c, 'financial_metrics')).toBe(before + 20_000);
        const keys = c.services.core.store.db.prepare(`SELECT count(*) AS n FROM financial_metrics WHERE asset_id LIKE 'kill%'`).get() as { n: number };
        expect(keys.n).toBe(20_000);
      } finally {
        await c.close();
      }
    } finally {
      await a.close();
    }
  });

  it('runs continuously as `defimon sync`, pulling what others push, and stops cleanly on SIGTERM', async () => {
    const watcher = await createSyncClient({ pgUrl: db.url });
    const dataDir = watcher.dataDir;
    await watcher.services.close(); // the CLI owns this data directory now
    const writer = await createSyncClient({ pgUrl: db.url });
    try {
      const daemon = runCli(['sync', '--no-import', '--interval', '1', '--data-dir', dataDir, '--pg', db.url]);
      writer.services.core.store.write('financial_metrics', marketRows({ assets: ['daemon'], days: 40, start: '2000-01-01' }));
      await writer.sync.worker.syncOnce();
      const local = new Database(path.join(dataDir, 'defimon.sqlite'), { readonly: true, fileMustExist: true });
      try {
        await waitFor(() => (local.prepare(`SELECT count(*) AS n FROM financial_metrics WHERE asset_id = 'daemon'`).get() as { n: number }).n === 40, 'the running sync to pull', 60_000);
      } finally {
        local.close();
      }
      daemon.child.kill('SIGTERM');
      const exit = await daemon.done;
      expect(exit.code).toBe(0);
      expect(exit.stderr).toMatch(/sync: idle; pending 0/);
    } finally {
      await writer.close();
      await watcher.close();
    }
  });

  it('rejects malformed rows from Postgres with a clear error and keeps syncing', async () => {
    const a = await createSyncClient({ pgUrl: db.url });
    try {
      await a.sync.worker.syncOnce();
      const pulledBefore = a.sync.worker.status().pulled;
      // Written by hand: a day that is not a day, a row of a table this version does not know,
      // a row with a key column missing; then a good row after them.
      await admin.query(`INSERT INTO financial_metrics (asset_id, day, source, close, updated_at) VALUES ('bad', 'yesterday', 'hand', 1, 'x')`);
      await admin.query(`INSERT INTO sync_changes (tbl, row_data) VALUES ('no_such_table', '{"a":1}'), ('financial_metrics', '{"asset_id":"nokey","source":"hand","updated_at":"x"}'), ('financial_metrics', '"just a string"')`);
      await admin.query(`INSERT INTO sync_changes (tbl, row_count, rows_json) VALUES ('financial_metrics', 2, '[{"asset_id": "trunc')`);
      await admin.query(`INSERT INTO financial_metrics (asset_id, day, source, close, updated_at) VALUES ('good', '2024-02-02', 'hand', 2, 'x')`);

      const r = await a.sync.worker.syncOnce();
      expect(r.rejected).toBe(5);
      expect(r.pulled).toBe(1);
      const s = a.sync.worker.status();
      expect(s.lastError).toMatch(/rejected 5 malformed row\(s\).*financial_metrics change \d+: day: "yesterday" is not a YYYY-MM-DD day/);
      expect(s.pulled).toBe(pulledBefore + 1);
      expect(a.services.core.store.db.prepare(`SELECT asset_id FROM financial_metrics WHERE source = 'hand'`).all()).toEqual([{ asset_id: 'good' }]);

      const rejects = await a.services.client.call('sync.rejects', {});
      expect(rejects.map((x) => x.error)).toEqual(
        expect.arrayContaining([expect.stringMatching(/not a YYYY-MM-DD day/), expect.stringMatching(/"no_such_table" is not known/), expect.stringMatching(/day is missing/), expect.stringMatching(/not an object/), expect.stringMatching(/not valid JSON/)]),
      );
      // Not poisoned: the watermark moved past them, and later rows still arrive.
      await admin.query(`INSERT INTO financial_metrics (asset_id, day, source, close, updated_at) VALUES ('later', '2024-02-03', 'hand', 3, 'x')`);
      const again = await a.sync.worker.syncOnce();
      expect(again).toMatchObject({ pulled: 1, rejected: 0 });
    } finally {
      await a.close();
    }
  });

  it('resumes an interrupted push of a dataset import where it stopped', async () => {
    const a = await createSyncClient({ pgUrl: db.url });
    try {
      await a.sync.worker.syncOnce();
      a.sync.worker.configure({ batchSize: 500 });
      const store = a.services.core.store;
      // What the importer writes: rows with origin 'import' and the import's record.
      store.write('financial_metrics', marketRows({ assets: Array.from({ length: 20 }, (_, i) => `imp${i}`), days: 300, start: '2010-01-01' }), { origin: 'import' });
      store.write('dataset_imports', [{ source: 'test-bundle', fingerprint: 'f1', summary: JSON.stringify({ financialRows: 6000 }), imported_at: new Date().toISOString() }], { origin: 'import' });
      expect(a.sync.worker.status().pending).toBe(6000);
      const imported = async (): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM financial_metrics WHERE asset_id LIKE 'imp%'`)).rows[0].n);

      // Cut the connection once some chunks have landed; with one attempt allowed, the run fails.
      // The outcome is taken at once: the run may fail while the test is still cutting the connection.
      const run = a.sync.worker.syncOnce({ maxAttempts: 1 }).then(
        () => 'finished',
        (err: unknown) => (err as { code?: string }).code,
      );
      await waitFor(async () => (await imported()) >= 1000, 'the first chunks of the import');
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'defimon-sync'`, [db.name]);
      const first = await run;
      const landed = await imported();
      if (first === 'finished') expect(landed).toBe(6000); // the kill came too late to interrupt
      else {
        expect(first).toBe('UNAVAILABLE');
        // The kill can land after the last chunk but before the run records the import as done.
        expect(landed).toBeLessThanOrEqual(6000);
      }
      const second = await a.sync.worker.syncOnce();
      // Resumed from the saved cursor: at most the chunk in flight is sent again.
      expect(second.pushed).toBeLessThanOrEqual(6000 - landed + 500 + 1);
      expect(second.pending).toBe(0);
      expect(await imported()).toBe(6000);
      expect((await admin.query(`SELECT fingerprint FROM dataset_imports WHERE source = 'test-bundle'`)).rows).toEqual([{ fingerprint: 'f1' }]);
      // A client that imported the same dataset finds it on the team database and pushes nothing.
      const b = await createSyncClient({ pgUrl: db.url });
      try {
        b.services.core.store.write('dataset_imports', [{ source: 'test-bundle', fingerprint: 'f1', summary: JSON.stringify({ financialRows: 6000 }), imported_at: new Date().toISOString() }], { origin: 'import' });
        const rb = await b.sync.worker.syncOnce();
        expect(rb.pushed).toBe(0);
        expect(b.sync.worker.status().pending).toBe(0);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });

  it('keeps rows of a table the team database lacks local, without blocking the rest', async () => {
    const a = await createSyncClient({ pgUrl: db.url });
    try {
      await a.sync.worker.syncOnce();
      const store = a.services.core.store;
      store.db.exec('CREATE TABLE scratch_local (id TEXT NOT NULL PRIMARY KEY, v BIGINT)');
      // A column only this client has is left out of the push, not fatal.
      store.db.exec('ALTER TABLE crypto_assets ADD COLUMN local_only_note TEXT');
      store.write('scratch_local', [{ id: 'x', v: 1 }]);
      store.write('crypto_assets', [{ asset_id: 'skew', symbol: 'SKW', name: 'Skew', source: 'test', updated_at: 't', local_only_note: 'mine' }]);
      store.write('financial_metrics', marketRows({ assets: ['after-scratch'], days: 3 }));
      const r = await a.sync.worker.syncOnce();
      expect(r).toMatchObject({ pushed: 4, rejected: 1, pending: 0 });
      expect(a.sync.worker.status().lastError).toMatch(/no table "scratch_local"/);
      expect((await admin.query(`SELECT name FROM crypto_assets WHERE asset_id = 'skew'`)).rows).toEqual([{ name: 'Skew' }]);
      expect(await pgCount(admin, 'financial_metrics')).toBeGreaterThanOrEqual(3);
      expect(Number((await admin.query(`SELECT count(*) AS n FROM financial_metrics WHERE asset_id = 'after-scratch'`)).rows[0].n)).toBe(3);
    } finally {
      await a.close();
    }
  });

  it('isolates a row the team database refuses and pushes the rest', async () => {
    const a = await createSyncClient({ pgUrl: db.url });
    try {
      await a.sync.worker.syncOnce(); // catch up first (history includes the malformed rows above)
      // SQLite accepts text in a DOUBLE PRECISION column; Postgres does not.
      a.services.core.store.write('financial_metrics', [
        ...marketRows({ assets: ['fine1', 'fine2'], days: 5, start: '2019-01-01' }),
        { asset_id: 'broken', day: '2019-01-01', source: 'test', close: 'not a number', updated_at: 'x' },
      ]);
      const r = await a.sync.worker.syncOnce();
      expect(r).toMatchObject({ pushed: 10, rejected: 1, pending: 0 });
      expect(Number((await admin.query(`SELECT count(*) AS n FROM financial_metrics WHERE asset_id LIKE 'fine%'`)).rows[0].n)).toBe(10);
      const rejects = await a.services.client.call('sync.rejects', {});
      expect(rejects[0]).toMatchObject({ direction: 'push', table: 'financial_metrics' });
      expect(rejects[0]?.error).toMatch(/refused financial_metrics \["broken","2019-01-01","test"\]/);
    } finally {
      await a.close();
    }
  });
});
