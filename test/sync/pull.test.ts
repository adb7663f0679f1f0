/**
 * Large pulls: transactions that grow from the push batch size to the pull batch size, rows
 * streamed into SQLite (a malformed row inside a big batch is rejected on its own), local writes
 * waiting to be pushed winning over pulled ones, and the store's bulk writer they go through.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import type { Row } from '../../src/main/services/storage/sqlite';
import { createSyncEngine, type SyncEngine } from '../../src/main/services/sync/engine';
import { syncClientId } from '../../src/main/services/sync/local';
import { createTestDatabase, postgresAvailable } from '../helpers/services';
import { createSyncClient, marketRows, sqliteContent, type SyncClient } from './helpers';

const pgOk = await postgresAvailable();
const ORDER = 'asset_id, day, source';

/** A pull-only engine on a client's store (no worker: nothing is pushed first). */
function engineOf(c: SyncClient, url: string, opts: { batchSize?: number; pullBatchSize?: number; onBatch?: (kind: 'push' | 'pull', rows: number) => void }): SyncEngine {
  const { store, log, clock } = c.services.core;
  return createSyncEngine({ store, log, clock, clientId: syncClientId(store), pgUrl: url, ...opts });
}

describe.runIf(pgOk)('large pulls', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  const open: SyncClient[] = [];
  const client = async (): Promise<SyncClient> => {
    const c = await createSyncClient({ pgUrl: db.url });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    db = await createTestDatabase('sync_pull');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
    await admin.query('TRUNCATE sync_changes, sync_clients, financial_metrics').catch(() => undefined);
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('applies a big pull in transactions growing from the push batch size to the pull batch size, every row once', async () => {
    const a = await client();
    a.sync.worker.configure({ batchSize: 1000 });
    const rows = marketRows({ assets: Array.from({ length: 12 }, (_, i) => `g${i}`), days: 1000, start: '2020-01-01' });
    a.services.core.store.write('financial_metrics', rows);
    expect((await a.sync.worker.syncOnce()).pushed).toBe(12_000);
    // Twelve change entries of 1000 rows each.
    expect((await admin.query('SELECT row_count FROM sync_changes ORDER BY seq')).rows.map((r: { row_count: number }) => Number(r.row_count))).toEqual(Array(12).fill(1000));

    const b = await client();
    const batches: number[] = [];
    const engine = engineOf(b, db.url, { batchSize: 1000, pullBatchSize: 4000, onBatch: (kind, n) => kind === 'pull' && batches.push(n) });
    try {
      await engine.connect();
      const r = await engine.pull();
      expect(r).toMatchObject({ pulled: 12_000, rejected: 0 });
      expect(r.watermark).toBe(await engine.remoteHead());
      expect(batches).toEqual([1000, 2000, 4000, 4000, 1000]);
    } finally {
      await engine.close();
    }
    expect(sqliteContent(b.services, 'financial_metrics', ORDER)).toEqual(sqliteContent(a.services, 'financial_metrics', ORDER));
    // Pulled rows never queue for a push back, and the day index is still there and used.
    expect(b.sync.worker.status().pending).toBe(0);
    const plan = b.services.core.store.db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM financial_metrics WHERE day = '2020-06-01'`).all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/financial_metrics_day/);
  });

  it('rejects a malformed row inside a big batch on its own: the rows around it arrive, the watermark moves past it', async () => {
    const a = await client();
    const rows = marketRows({ assets: ['m0', 'm1', 'm2'], days: 3000, start: '2010-01-01' });
    a.services.core.store.write('financial_metrics', rows);
    expect((await a.sync.worker.syncOnce()).pushed).toBe(9000);
    // One row in the middle of the first entry gets a day that is not a day.
    const bad = rows[2500] as Row;
    // The entry holds its rows as COPY text (a line per row, tab-separated `copy_columns`).
    const first = (await admin.query<{ seq: string; rows_json: string | null; rows_copy: string; copy_columns: string[] }>('SELECT seq, rows_json, rows_copy, copy_columns FROM sync_changes ORDER BY seq LIMIT 1')).rows[0]!;
    expect(first.rows_json).toBeNull();
    const lines = first.rows_copy.split('\n').map((l) => l.split('\t'));
    const assetAt = first.copy_columns.indexOf('asset_id');
    const dayAt = first.copy_columns.indexOf('day');
    const at = lines.findIndex((f) => f[assetAt] === bad.asset_id && f[dayAt] === bad.day);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(lines.length - 1);
    lines[at]![dayAt] = '2010-02-30';
    await admin.query('UPDATE sync_changes SET rows_copy = $2 WHERE seq = $1', [first.seq, lines.map((f) => f.join('\t')).join('\n')]);

    const b = await client();
    const r = await b.sync.worker.syncOnce();
    expect(r).toMatchObject({ pulled: 8999, rejected: 1 });
    const expected = sqliteContent(a.services, 'financial_metrics', ORDER).filter((x) => !(x.asset_id === bad.asset_id && x.day === bad.day));
    expect(sqliteContent(b.services, 'financial_metrics', ORDER)).toEqual(expected);
    const rejects = await b.services.client.call('sync.rejects', {});
    expect(rejects).toHaveLength(1);
    expect(rejects[0]?.error).toMatch(/day: "2010-02-30" is not a YYYY-MM-DD day/);
    expect(b.sync.worker.status().lastError).toMatch(new RegExp(`financial_metrics change ${first.seq}: day`));
    // Past it: the next pull asks for nothing again.
    expect(await b.sync.worker.syncOnce()).toMatchObject({ pulled: 0, rejected: 0 });
  });

  it('keeps a local write waiting to be pushed over the pulled version of its key, and applies the rest of the batch', async () => {
    const a = await client();
    a.services.core.store.write('financial_metrics', marketRows({ assets: ['w0', 'w1'], days: 3000, seed: 1 }));
    await a.sync.worker.syncOnce();
    const b = await client();
    const mine = { asset_id: 'w1', day: '2023-01-05', source: 'test', close: 12345, volume_usd: 1, market_cap: null, updated_at: '2099-01-01T00:00:00.000Z' };
    b.services.core.store.write('financial_metrics', [mine]);
    const engine = engineOf(b, db.url, {});
    try {
      await engine.connect();
      expect(await engine.pull()).toMatchObject({ pulled: 5999, rejected: 0 });
    } finally {
      await engine.close();
    }
    const got = sqliteContent(b.services, 'financial_metrics', ORDER);
    expect(got).toHaveLength(6000);
    expect(got.find((x) => x.asset_id === 'w1' && x.day === '2023-01-05')).toMatchObject({ close: 12345, updated_at: mine.updated_at });
    expect(b.sync.worker.status().pending).toBe(1);
  });
});

describe('the store bulk writer', () => {
  let c: SyncClient | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('writes rows from one reused array, keeps a left-out column as it is, and hands the rows to hooks that want them', async () => {
    c = await createSyncClient({});
    const store = c.services.core.store;
    const cols = ['asset_id', 'day', 'source', 'close', 'updated_at'];
    expect(() => store.bulkWriter('financial_metrics', cols)).toThrow(AppError);
    store.write('financial_metrics', [{ asset_id: 'k', day: '2023-01-01', source: 't', close: 1, updated_at: 'old' }], { origin: 'remote' });
    const seen: Row[][] = [];
    const off = store.addWriteHook((_t, rows) => seen.push([...rows]), { origins: ['remote'] });
    const written = store.transaction(() => {
      const w = store.bulkWriter('financial_metrics', cols, { origin: 'remote' });
      const values: unknown[] = [];
      for (const [day, close, at] of [
        ['2023-01-01', undefined, 'new1'],
        ['2023-01-02', 3, 'new2'],
      ] as const) {
        values.splice(0, values.length, 'k', day, 't', close, at);
        w.write(values);
      }
      expect(() => w.write(['k', null, 't', 1, 'x'])).toThrow(/key column day is missing/);
      return w.end();
    });
    off();
    expect(written).toBe(2);
    expect(sqliteContent(c.services, 'financial_metrics', ORDER)).toEqual([
      expect.objectContaining({ day: '2023-01-01', close: 1, updated_at: 'new1' }),
      expect.objectContaining({ day: '2023-01-02', close: 3, updated_at: 'new2' }),
    ]);
    expect(seen).toEqual([
      [
        { asset_id: 'k', day: '2023-01-01', source: 't', updated_at: 'new1' },
        { asset_id: 'k', day: '2023-01-02', source: 't', close: 3, updated_at: 'new2' },
      ],
    ]);
  });
});
