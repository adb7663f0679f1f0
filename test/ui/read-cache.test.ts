/**
 * The UI's read models are computed once per data version: a repeated read costs no queries, and
 * any write — through this process, or another connection to the same file (the training worker,
 * a CLI import or sync) — shows in the next read.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadCache } from '../../src/main/services/ui/read-cache';
import { computeReadModel } from '../../src/main/services/ui/read-models';
import { createReadPool } from '../../src/main/services/ui/read-pool';
import { createTestServices } from '../helpers/app';

describe('read-model cache', () => {
  let t: Awaited<ReturnType<typeof createTestServices>>;
  beforeAll(async () => {
    t = await createTestServices({ autoImport: true });
  }, 240_000);
  afterAll(() => t.cleanup());

  const latest = (assetId: string): { day: string; source: string } =>
    t.services.core.store.db.prepare("SELECT day, source FROM financial_metrics WHERE asset_id = ? AND close IS NOT NULL ORDER BY day DESC LIMIT 1").get(assetId) as { day: string; source: string };

  it('answers a repeated overview from the cache, and the next read after a local write from the database', async () => {
    const first = await t.services.client.call('ui.overview', {});
    const again = await t.services.client.call('ui.overview', {});
    expect(again).toEqual(first);
    const row = first.rows[0]!;
    const l = latest(row.assetId);
    t.services.core.store.write('financial_metrics', [{ asset_id: row.assetId, day: l.day, source: l.source, close: 123456.5, updated_at: '2024-07-01T00:00:00Z' }]);
    const after = await t.services.client.call('ui.overview', {});
    expect(after.rows.find((r) => r.assetId === row.assetId)?.price).toBe(123456.5);
  });

  it('sees a write committed by another connection to the same file', async () => {
    const before = await t.services.client.call('ui.overview', {});
    const row = before.rows[1]!;
    const l = latest(row.assetId);
    const other = new Database(path.join(t.dataDir, 'defimon.sqlite'));
    try {
      other.prepare('UPDATE financial_metrics SET close = 654321.25 WHERE asset_id = ? AND day = ? AND source = ?').run(row.assetId, l.day, l.source);
    } finally {
      other.close();
    }
    const after = await t.services.client.call('ui.overview', {});
    expect(after.rows.find((r) => r.assetId === row.assetId)?.price).toBe(654321.25);
  });

  it('computes once per data version and input, and callers asking meanwhile share the computation', async () => {
    const cache = createReadCache(t.services.core.store);
    let computed = 0;
    const compute = (): number => ++computed;
    expect(await cache.get('m', { a: 1 }, compute)).toBe(1);
    expect(await cache.get('m', { a: 1 }, compute)).toBe(1);
    expect(await cache.get('m', { a: 2 }, compute)).toBe(2);
    expect(cache.stats).toEqual({ hits: 1, misses: 2 });
    t.services.core.store.write('watchlist_items', [{ watchlist: 'probe', asset_id: 'UNI', added_at: '2024-01-01T00:00:00Z', hlc: '0', deleted: 0 }]);
    expect(await cache.get('m', { a: 1 }, compute)).toBe(3);
    const slow = (): Promise<number> => new Promise((resolve) => setTimeout(() => resolve(++computed), 20));
    expect(await Promise.all([cache.get('s', null, slow), cache.get('s', null, slow)])).toEqual([4, 4]);
    const off = createReadCache(t.services.core.store, { enabled: false });
    await off.get('m', null, compute);
    await off.get('m', null, compute);
    expect(computed).toBe(6);
  });

  it('computes read models in a worker thread with its own connection: the same answers, and a lost worker costs no answer', async () => {
    const { store, log } = t.services.core;
    const pool = createReadPool(store.path, log);
    try {
      const q = { includeUnpriced: false, limit: 500, offset: 0, staleAfterDays: 30 };
      const here = (): unknown => computeReadModel(store, 'ui.overview', q);
      const fromWorker = await pool.compute('ui.overview', q, here);
      expect(fromWorker).toEqual(here());
      const assetId = (here() as { rows: { assetId: string }[] }).rows[0]!.assetId;
      const sq = { assetId, family: 'market' as const, maxPoints: 200 };
      expect(await pool.compute('ui.series', sq, () => computeReadModel(store, 'ui.series', sq))).toEqual(computeReadModel(store, 'ui.series', sq));
      expect(pool.stats).toEqual({ offThread: 2, inline: 0, restarts: 0, dropped: 0 });
      // A read model that fails in the worker fails for the caller with its own error.
      await expect(pool.compute('ui.asset', { asset: 'NO-SUCH-ASSET', staleAfterDays: 30 }, () => null)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // The worker dies while computing: the caller still gets the answer (computed here), and the next read starts a new worker.
      const killed = pool.compute('ui.overview', q, here);
      await pool.kill();
      expect(await killed).toEqual(here());
      // (Answered here, unless the worker finished before it was stopped.)
      expect(pool.stats.offThread + pool.stats.inline).toBe(3);
      expect(await pool.compute('ui.overview', q, here)).toEqual(here());
      expect(pool.stats.offThread + pool.stats.inline).toBe(4);
      expect(pool.stats.restarts).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('drops a read whose caller left while it waited for the worker, and computes a shared read until its last caller leaves', async () => {
    const { store, log } = t.services.core;
    const pool = createReadPool(store.path, log);
    try {
      const q = (limit: number) => ({ includeUnpriced: false, limit, offset: 0, staleAfterDays: 30 });
      const callers = [new AbortController(), new AbortController(), new AbortController()];
      const reads = callers.map((c, i) => pool.compute<{ rows: unknown[] }>('ui.overview', q(10 + i), () => ({ rows: [] }), c.signal));
      // The first is being computed; the other two wait in the queue. Their callers leave.
      callers[1]!.abort();
      callers[2]!.abort();
      const [first, second, third] = await Promise.allSettled(reads);
      expect(first).toMatchObject({ status: 'fulfilled' });
      expect(first?.status === 'fulfilled' ? first.value.rows : []).toHaveLength(10);
      for (const r of [second, third]) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'CANCELLED' } });
      expect(pool.stats).toMatchObject({ offThread: 1, inline: 0, dropped: 2 });
    } finally {
      await pool.close();
    }

    const cache = createReadCache(store);
    let seen: AbortSignal | null = null;
    let finish: (v: number) => void = () => undefined;
    const compute = (signal: AbortSignal): Promise<number> => {
      seen = signal;
      return new Promise<number>((resolve) => (finish = resolve));
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = cache.get('shared', 1, compute, a.signal);
    const pb = cache.get('shared', 1, compute, b.signal);
    await new Promise((r) => setTimeout(r, 0));
    a.abort();
    await expect(pa).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen!.aborted).toBe(false); // b still waits
    finish(42);
    expect(await pb).toBe(42);
    const c = new AbortController();
    const pc = cache.get('shared', 2, compute, c.signal);
    await new Promise((r) => setTimeout(r, 0));
    c.abort();
    await expect(pc).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen!.aborted).toBe(true); // nobody waits any more
  });

  it('the services answer ui.* from the worker, identically to computing on the calling thread', async () => {
    const inline = await createTestServices({ autoImport: false, dataDir: t.dataDir, readWorker: false, readCache: false });
    try {
      for (const [method, input] of [
        ['ui.overview', {}],
        ['ui.coverage', {}],
        ['ui.asset', { asset: 'AAVE' }],
      ] as const) {
        expect(await t.services.client.call(method, input as never), method).toEqual(await inline.services.client.call(method, input as never));
      }
    } finally {
      await inline.cleanup();
    }
  });
});
