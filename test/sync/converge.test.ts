/**
 * Two clients (two SQLite files) through one Postgres: overlapping and distinct facts, user data
 * resolved last-writer-wins by HLC with tombstones; afterwards both clients and Postgres hold
 * the same content, every row once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../helpers/services';
import { createSyncClient, marketRows, sqliteContent, type SyncClient } from './helpers';

const pgOk = await postgresAvailable();

describe.runIf(pgOk)('two clients converge through one Postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: SyncClient;
  let b: SyncClient;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('sync_converge');
    a = await createSyncClient({ pgUrl: db.url });
    b = await createSyncClient({ pgUrl: db.url });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    // A user-data table of this test's own (columns hlc and deleted), so the test does not
    // depend on which user-data tables the UI defines; created before the first sync so the
    // capture triggers are installed on it at connect.
    const ddl = `CREATE TABLE test_notes (note_id TEXT NOT NULL PRIMARY KEY, asset_id TEXT NOT NULL, body TEXT NOT NULL, hlc TEXT NOT NULL, deleted BIGINT NOT NULL DEFAULT 0)`;
    await admin.query(ddl);
    for (const c of [a, b]) c.services.core.store.db.exec(ddl);
  });
  afterAll(async () => {
    await admin?.end();
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('pushes, pulls and ends with identical content everywhere', async () => {
    // Distinct rows on each side, plus 50 overlapping keys written by both with different values.
    a.services.core.store.write('financial_metrics', marketRows({ assets: ['aa', 'shared'], days: 50, seed: 1 }));
    b.services.core.store.write('financial_metrics', marketRows({ assets: ['bb', 'shared'], days: 50, seed: 2 }));
    a.services.core.store.write('crypto_assets', [{ asset_id: 'aa', symbol: 'AA', name: 'Alpha', source: 'test', updated_at: 't' }]);

    const events: { state: string; pushed: number; pending: number }[] = [];
    const off = a.services.client.on('sync.status', (s) => events.push(s));
    const ra = await a.services.client.call('sync.now', {});
    off();
    expect(ra).toMatchObject({ pushed: 101, pending: 0 });
    // The Data view hears about it: a syncing state, then idle with the new counters.
    expect(events.some((e) => e.state === 'syncing')).toBe(true);
    expect(events.at(-1)).toMatchObject({ state: 'idle', pushed: 101, pending: 0 });
    const rb = await b.services.client.call('sync.now', {});
    expect(rb.pushed).toBe(100);
    // b pulls a's rows plus its own echo; a then pulls b's.
    await a.services.client.call('sync.now', {});

    const pgRows = (await admin.query('SELECT * FROM financial_metrics ORDER BY asset_id, day, source')).rows;
    expect(pgRows).toHaveLength(150);
    const ca = sqliteContent(a.services, 'financial_metrics', 'asset_id, day, source');
    const cb = sqliteContent(b.services, 'financial_metrics', 'asset_id, day, source');
    expect(ca).toHaveLength(150);
    expect(cb).toEqual(ca);
    expect(pgRows).toEqual(ca);
    // The overlapping keys hold the last pusher's values on every side.
    expect(ca.filter((r) => r.asset_id === 'shared').every((r) => (r.volume_usd as number) >= 2e6)).toBe(true);
    expect(sqliteContent(b.services, 'crypto_assets', 'asset_id')).toEqual(sqliteContent(a.services, 'crypto_assets', 'asset_id'));

    // Exactly once: no duplicates anywhere, nothing left pending, nothing rejected.
    for (const c of [a, b]) {
      const s = await c.services.client.call('sync.status', {});
      expect(s).toMatchObject({ pending: 0, rejected: 0, state: 'idle', lastError: null });
    }
    const dup = await admin.query('SELECT asset_id, day, source FROM financial_metrics GROUP BY 1, 2, 3 HAVING count(*) > 1');
    expect(dup.rowCount).toBe(0);
  });

  it('resolves user data last-writer-wins by HLC, deletes as tombstones', async () => {
    const note = (c: SyncClient, body: string, deleted = 0): Record<string, unknown> => ({
      note_id: 'n1',
      asset_id: 'aa',
      body,
      hlc: c.services.core.clock.now(),
      deleted,
    });
    const first = note(a, 'from a, first');
    a.services.core.store.write('test_notes', [first]);
    // b writes after seeing a's edit (as a later edit does), so its stamp is the greater one.
    b.services.core.clock.observe(first.hlc as string);
    b.services.core.store.write('test_notes', [note(b, 'from b, later')]);
    // b pushes its later edit first; a's older edit then must not win on the server.
    await b.services.client.call('sync.now', {});
    await a.services.client.call('sync.now', {});
    await b.services.client.call('sync.now', {});
    const server = (await admin.query('SELECT body FROM test_notes')).rows;
    expect(server).toEqual([{ body: 'from b, later' }]);
    expect(sqliteContent(a.services, 'test_notes', 'note_id')).toEqual(sqliteContent(b.services, 'test_notes', 'note_id'));
    expect(sqliteContent(a.services, 'test_notes', 'note_id')[0]?.body).toBe('from b, later');

    // a has seen b's stamp, so a delete on a is newer and wins everywhere as a tombstone.
    a.services.core.store.write('test_notes', [note(a, 'from b, later', 1)]);
    await a.services.client.call('sync.now', {});
    await b.services.client.call('sync.now', {});
    for (const c of [a, b]) expect(sqliteContent(c.services, 'test_notes', 'note_id')).toMatchObject([{ note_id: 'n1', deleted: 1 }]);
    expect((await admin.query('SELECT deleted FROM test_notes')).rows).toEqual([{ deleted: '1' }]);
  });

  it('pulls from the read replica when one is configured', async () => {
    // The same database under a second URL stands in for a replica: pulls must use it.
    const c = await createSyncClient({ pgUrl: db.url, pgReplicaUrl: `${db.url}?application_name=replica` });
    try {
      const r = await c.sync.worker.syncOnce();
      expect(r.pulled).toBeGreaterThan(0);
      // The replica URL names its connections "replica"; the pull's connection is still pooled.
      const seen = await admin.query(`SELECT application_name FROM pg_stat_activity WHERE datname = $1`, [db.name]);
      expect(seen.rows.map((x: { application_name: string }) => x.application_name)).toContain('replica');
      expect(sqliteContent(c.services, 'financial_metrics', 'asset_id, day, source')).toEqual(sqliteContent(a.services, 'financial_metrics', 'asset_id, day, source'));
    } finally {
      await c.close();
    }
  });

  it('a new client pulling several versions of one fact in one batch ends with the newest', async () => {
    // Three pushes of the same keys with changing values, each its own change entry; a hand
    // written entry that leaves columns out comes last. A new client pulls them all in one batch.
    const key = { asset_id: 'versions', source: 'test' };
    const days = ['2024-02-01', '2024-02-02'];
    for (const [i, close] of [10, 20, 30].entries()) {
      a.services.core.store.write('financial_metrics', days.map((day) => ({ ...key, day, close: close + i, volume_usd: i, market_cap: null, updated_at: `v${i}` })));
      await a.services.client.call('sync.now', {});
    }
    const handRow = { ...key, day: days[0], close: 99, updated_at: 'v3' };
    await admin.query(`INSERT INTO sync_changes (tbl, origin, row_count, rows_json) VALUES ('financial_metrics', 'elsewhere', 1, $1)`, [JSON.stringify([handRow])]);
    const c = await createSyncClient({ pgUrl: db.url });
    try {
      const r = await c.sync.worker.syncOnce();
      expect(r.pulled).toBeGreaterThan(0);
      expect(c.services.core.store.db.prepare("SELECT count(*) AS n FROM sync_rejects WHERE tbl = 'financial_metrics'").get()).toEqual({ n: 0 });
      const got = c.services.core.store.db.prepare("SELECT day, close, volume_usd, updated_at FROM financial_metrics WHERE asset_id = 'versions' ORDER BY day").all();
      // The hand-written last version of the first day carries no volume (a NULL).
      expect(got).toEqual([
        { day: days[0], close: 99, volume_usd: null, updated_at: 'v3' },
        { day: days[1], close: 32, volume_usd: 2, updated_at: 'v2' },
      ]);
    } finally {
      await c.close();
    }
  });

  it('pushes an infinite number as null, the rest of its row intact', async () => {
    a.services.core.store.write('financial_metrics', [{ asset_id: 'inf', day: '2024-03-01', source: 'test', close: 5, volume_usd: Infinity, market_cap: -Infinity, updated_at: 't' }]);
    const r = await a.services.client.call('sync.now', {});
    expect(r.rejected).toBe(0);
    expect((await admin.query("SELECT close, volume_usd, market_cap FROM financial_metrics WHERE asset_id = 'inf'")).rows).toEqual([{ close: 5, volume_usd: null, market_cap: null }]);
  });

  it('re-pushing identical facts logs no new changes', async () => {
    const before = Number((await admin.query('SELECT max(seq) AS m FROM sync_changes')).rows[0].m);
    const rows = sqliteContent(a.services, 'financial_metrics', 'asset_id, day, source').slice(0, 20);
    a.services.core.store.write('financial_metrics', rows);
    const r = await a.services.client.call('sync.now', {});
    expect(r.pushed).toBe(20);
    expect(Number((await admin.query('SELECT max(seq) AS m FROM sync_changes')).rows[0].m)).toBe(before);
  });

  it('carries text with tabs, line breaks and backslashes through the bulk push unchanged', async () => {
    const name = 'tab\there, line\nbreak, back\\slash, \\N and "quotes"';
    a.services.core.store.write('crypto_assets', [{ asset_id: 'odd', symbol: 'ODD', name, notes: '\r\n', source: 'test', updated_at: 't' }]);
    await a.services.client.call('sync.now', {});
    await b.services.client.call('sync.now', {});
    expect((await admin.query("SELECT name, notes FROM crypto_assets WHERE asset_id = 'odd'")).rows).toEqual([{ name, notes: '\r\n' }]);
    expect(b.services.core.store.db.prepare("SELECT name, notes FROM crypto_assets WHERE asset_id = 'odd'").get()).toEqual({ name, notes: '\r\n' });
  });

  it('carries every double exactly through the bulk push, to the team database and on to another client', async () => {
    // Doubles whose short forms do not read back (0.1 + 0.2, 1/3), the extremes, and nulls between.
    const awkward = [0.1 + 0.2, 1 / 3, 2 / 3, 5e-324, 1.7976931348623157e308, -1e-300, 123456789.12345679, 1e21, 2 ** 53 * 3, 4.35, 2.675, -0.5];
    const rows = Array.from({ length: 600 }, (_, i) => ({
      asset_id: `float${i % 3}`,
      day: new Date(Date.UTC(2020, 0, 1) + Math.floor(i / 3) * 86_400_000).toISOString().slice(0, 10),
      source: 'test',
      close: (i % 2 === 0 ? 1 : -1) * (awkward[i % awkward.length] as number),
      volume_usd: i % 5 === 0 ? null : (awkward[(i + 3) % awkward.length] as number),
      market_cap: (awkward[(i + 5) % awkward.length] as number) / 3,
      updated_at: 't',
    }));
    a.services.core.store.write('financial_metrics', rows);
    expect(await a.services.client.call('sync.now', {})).toMatchObject({ pushed: 600, rejected: 0 });
    await b.services.client.call('sync.now', {});
    const select = "SELECT asset_id, day, close, volume_usd, market_cap FROM financial_metrics WHERE asset_id LIKE 'float%' ORDER BY asset_id, day";
    const team = (await admin.query(select)).rows;
    expect(team).toEqual(rows.map(({ asset_id, day, close, volume_usd, market_cap }) => ({ asset_id, day, close, volume_usd, market_cap })).sort((x, y) => (x.asset_id + x.day).localeCompare(y.asset_id + y.day)));
    expect(b.services.core.store.db.prepare(select).all()).toEqual(team);
  });

  it('a push whose middle batch meets keys the team holds goes on through the upsert: every row lands, one change entry per batch, an identical re-push logs none', async () => {
    const rowsOf = (asset: string, days: number, close: number, closeSource = 'test'): Record<string, unknown>[] =>
      Array.from({ length: days }, (_, d) => ({ asset_id: asset, day: `2021-01-${String(d + 1).padStart(2, '0')}`, source: 'test', close: close + d, close_source: closeSource, volume_usd: null, updated_at: 't' }));
    a.services.core.store.write('financial_metrics', rowsOf('held', 5, 1));
    await a.services.client.call('sync.now', {});
    const c = await createSyncClient({ pgUrl: db.url });
    try {
      c.sync.worker.configure({ batchSize: 10 });
      await c.sync.worker.syncOnce();
      const before = Number((await admin.query('SELECT max(seq) AS m FROM sync_changes')).rows[0].m);
      // Outbox order: 10 new keys (text beyond ASCII); 5 keys the team holds (new values) and 5
      // new; 10 new, one with a tab in its text (that batch goes as JSON only).
      const store = c.services.core.store;
      store.write('financial_metrics', rowsOf('first', 10, 100, 'café ✓ 日本'));
      store.write('financial_metrics', [...rowsOf('held', 5, 200), ...rowsOf('second', 5, 300)]);
      store.write('financial_metrics', [...rowsOf('third', 9, 400), ...rowsOf('tabbed', 1, 500, 'a\tb')]);
      expect(await c.sync.worker.syncOnce()).toMatchObject({ pushed: 30, rejected: 0, pending: 0 });
      // New rows log the COPY text they went in with; the upserted batches (the table met held
      // keys, so the rest of this push upserts) log their JSON.
      const entries = (await admin.query('SELECT row_count, rows_copy IS NOT NULL AS copy, rows_json IS NOT NULL AS json, copy_columns FROM sync_changes WHERE seq > $1 ORDER BY seq', [before])).rows;
      expect(entries.map(({ row_count, copy, json }: { row_count: string; copy: boolean; json: boolean }) => ({ row_count, copy, json }))).toEqual([
        { row_count: '10', copy: true, json: false },
        { row_count: '10', copy: false, json: true },
        { row_count: '10', copy: false, json: true },
      ]);
      expect(entries[0].copy_columns).toEqual(expect.arrayContaining(['asset_id', 'day', 'source', 'close', 'close_source', 'updated_at']));
      const select = "SELECT * FROM financial_metrics WHERE asset_id IN ('first', 'held', 'second', 'third', 'tabbed') ORDER BY asset_id, day";
      const team = (await admin.query(select)).rows;
      expect(team).toHaveLength(30);
      expect(team).toEqual(store.db.prepare(select).all());
      expect(team.filter((r: { asset_id: string }) => r.asset_id === 'held').map((r: { close: number }) => r.close)).toEqual([200, 201, 202, 203, 204]);
      await b.services.client.call('sync.now', {});
      expect(b.services.core.store.db.prepare(select).all()).toEqual(team);

      // The same rows again: every batch meets rows the team holds unchanged, so nothing is logged.
      store.write('financial_metrics', store.db.prepare(select).all() as Record<string, unknown>[]);
      expect(await c.sync.worker.syncOnce()).toMatchObject({ pushed: 30, rejected: 0 });
      expect(Number((await admin.query('SELECT max(seq) AS m FROM sync_changes')).rows[0].m)).toBe(before + 3);
    } finally {
      await c.close();
    }
  });

  it('a client holding the same dataset import does not pull another client\'s push of it; one without it does', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-sync-import-'));
    const header = 'date,symbol,close,close_source,volume_usd_aggregate,volume_aggregate_source,volume_usdt_binance,market_cap,market_cap_source,circ_supply_cmc';
    const lines = Array.from({ length: 40 }, (_, i) => `2022-02-${String(1 + (i % 28)).padStart(2, '0')},IMP${Math.floor(i / 28)},${1 + i / 10},x,${100 + i},x,,${1000 + i},x,`);
    writeFileSync(path.join(dir, 'market_daily.csv'), `${[header, ...lines].join('\n')}\n`);
    const c = await createSyncClient({ pgUrl: db.url });
    const d = await createSyncClient({ pgUrl: db.url });
    const e = await createSyncClient({ pgUrl: db.url });
    try {
      for (const x of [c, d]) await x.services.client.call('dataset.import', { dir });
      const first = await c.sync.worker.syncOnce();
      expect(first.pushed).toBeGreaterThanOrEqual(40);
      const imported = (x: SyncClient): number => (x.services.core.store.db.prepare("SELECT count(*) AS n FROM financial_metrics WHERE asset_id LIKE 'IMP%'").get() as { n: number }).n;
      const same = await d.sync.worker.syncOnce();
      // d pulls what the others pushed before (the earlier tests' rows), none of the import's rows.
      const others = (await admin.query("SELECT coalesce(sum(row_count), 0) AS n FROM sync_changes WHERE origin NOT LIKE '% import %'")).rows[0].n as string;
      expect(same.pulled).toBeLessThanOrEqual(Number(others));
      const fresh = await e.sync.worker.syncOnce();
      expect(fresh.pulled).toBeGreaterThan(same.pulled);
      // e got the import from the team, which holds it: nothing of it is e's to push.
      expect(fresh.pending).toBe(0);
      expect(e.sync.worker.status().pending).toBe(0);
      for (const x of [c, d, e]) expect(imported(x)).toBe(40);
      const order = 'asset_id, day, source';
      const content = (x: SyncClient): unknown[] => sqliteContent(x.services, 'financial_metrics', order).map(({ updated_at: _u, ...r }) => r);
      expect(content(d)).toEqual(content(c));
      expect(content(e)).toEqual(content(c));
    } finally {
      await c.close();
      await d.close();
      await e.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a client holding the same dataset import does not even download another client\'s push of it', async () => {
    // The client reaches Postgres through a counting relay: what the server sends it is measured.
    let received = 0;
    const target = new URL(db.url);
    const relay = createServer((sock) => {
      const up = connect(Number(target.port || 5432), target.hostname);
      up.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      sock.pipe(up).pipe(sock);
      const end = (): void => {
        sock.destroy();
        up.destroy();
      };
      sock.on('error', end);
      up.on('error', end);
      sock.on('close', end);
      up.on('close', end);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const via = new URL(db.url);
    via.host = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-sync-held-'));
    const header = 'date,symbol,close,close_source,volume_usd_aggregate,volume_aggregate_source,volume_usdt_binance,market_cap,market_cap_source,circ_supply_cmc';
    const lines = Array.from({ length: 400 }, (_, i) => `2023-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')},HLD${Math.floor(i / 100)},${1 + i / 10},x,${100 + i},x,,${1000 + i},x,`);
    writeFileSync(path.join(dir, 'market_daily.csv'), `${[header, ...lines].join('\n')}\n`);
    const pusher = await createSyncClient({ pgUrl: db.url });
    const holder = await createSyncClient({ pgUrl: via.toString() });
    const imported = (x: SyncClient): number => (x.services.core.store.db.prepare("SELECT count(*) AS n FROM financial_metrics WHERE asset_id LIKE 'HLD%'").get() as { n: number }).n;
    try {
      await holder.sync.worker.syncOnce(); // up to date with everything before the import
      const before = Number((await admin.query('SELECT coalesce(max(seq), 0) AS m FROM sync_changes')).rows[0].m);
      await pusher.services.client.call('dataset.import', { dir });
      expect((await pusher.sync.worker.syncOnce()).pushed).toBeGreaterThanOrEqual(400);
      await holder.services.client.call('dataset.import', { dir });
      const since = async (what: string, imports: boolean): Promise<number> =>
        Number((await admin.query(`SELECT coalesce(sum(${what}), 0) AS n FROM sync_changes WHERE seq > $1 AND (origin LIKE '% import %') = $2`, [before, imports])).rows[0].n);
      const logged = await since('length(coalesce(rows_json, rows_copy))', true);
      expect(logged).toBeGreaterThan(40_000);
      received = 0;
      await holder.sync.worker.syncOnce();
      // The import's rows would be tens of kilobytes; what came is the entries' headers, the few
      // rows the clients logged besides the import, and the protocol.
      const others = await since('length(coalesce(rows_json, rows_copy))', false);
      expect(received).toBeLessThan(others + logged / 4);
      expect(imported(holder)).toBe(400);
    } finally {
      await pusher.close();
      await holder.close();
      relay.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a COPY text entry field by field: escapes, nulls and unknown columns; a bad line or value is rejected on its own', async () => {
    await a.services.client.call('sync.now', {}); // the team schema is in place
    const columns = ['asset_id', 'day', 'source', 'close', 'volume_usd', 'updated_at', 'column_of_a_newer_version'];
    const lines = [
      'copyhand\t2024-04-01\ttest\t1.5\t\\N\tline\\nbreak \\t tab \\\\ back\textra',
      'copyhand\t2024-04-02\ttest\t2.5e3\t7\tu\tx',
      'copyhand\t2024-04-03\ttest\tabc\t1\tu\tx',
      'copyhand\t2024-04-04\ttest',
      'copyhand\t2024-04-05\ttest\t-0.25\t\\N\t\\101\\x42\tx',
    ];
    await admin.query(`INSERT INTO sync_changes (tbl, origin, row_count, rows_copy, copy_columns) VALUES ('financial_metrics', 'elsewhere', 5, $1, $2)`, [`${lines.join('\n')}\n`, columns]);
    await admin.query(`INSERT INTO sync_changes (tbl, origin, row_count, rows_copy) VALUES ('financial_metrics', 'elsewhere', 1, $1)`, ['copyhand\t2024-04-06']);
    const c = await createSyncClient({ pgUrl: db.url });
    try {
      const r = await c.sync.worker.syncOnce();
      expect(r.rejected).toBeGreaterThanOrEqual(3);
      expect(c.services.core.store.db.prepare("SELECT day, close, volume_usd, updated_at FROM financial_metrics WHERE asset_id = 'copyhand' ORDER BY day").all()).toEqual([
        { day: '2024-04-01', close: 1.5, volume_usd: null, updated_at: 'line\nbreak \t tab \\ back' },
        { day: '2024-04-02', close: 2500, volume_usd: 7, updated_at: 'u' },
        { day: '2024-04-05', close: -0.25, volume_usd: null, updated_at: 'AB' },
      ]);
      // (This test's own user-data table is not on the new client: its entries are rejected too.)
      const rejects = (await c.services.client.call('sync.rejects', {})).filter((x) => x.table === 'financial_metrics').map((x) => x.error);
      expect(rejects).toEqual(
        expect.arrayContaining([expect.stringMatching(/close: expected a finite number, got "abc"/), expect.stringMatching(/3 value\(s\) for 7 column\(s\)/), expect.stringMatching(/no column list/)]),
      );
      expect(rejects).toHaveLength(3);
    } finally {
      await c.close();
    }
  });
});
