/**
 * The UI's read models are computed once per data version: a repeated read costs no queries, and
 * any write — through this process, or another connection to the same file (the training worker,
 * a CLI import or sync) — shows in the next read.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadCache } from '../../src/main/services/ui/read-cache';
import { createTestServices } from '../helpers/app';
import { marketRows } from '../sync/helpers';

describe('read-model cache', () => {
  let t: Awaited<ReturnType<typeof createTestServices>>;
  beforeAll(async () => {
    t = await createTestServices({ autoImport: false });
    const store = t.services.core.store;
    store.write('crypto_assets', ['cache0', 'cache1', 'cache2'].map((id, i) => ({ asset_id: id, symbol: `C${i}`, name: `Cache ${i}`, source: 'test' })));
    store.write('financial_metrics', marketRows({ assets: ['cache0', 'cache1', 'cache2'], days: 60 }));
  });
  afterAll(() => t.cleanup());

  it('answers a repeated overview from the cache, and the next read after a local write from the database', async () => {
    const first = await t.services.client.call('ui.overview', {});
    const again = await t.services.client.call('ui.overview', {});
    expect(again).toEqual(first);
    expect(first.rows).toHaveLength(3);

    t.services.core.store.write('crypto_assets', [{ asset_id: 'cache3', symbol: 'C3', name: 'Cache 3', source: 'test' }]);
    t.services.core.store.write('financial_metrics', marketRows({ assets: ['cache3'], days: 60 }));
    const after = await t.services.client.call('ui.overview', {});
    expect(after.rows.map((r) => r.assetId).sort()).toEqual(['cache0', 'cache1', 'cache2', 'cache3']);
  });

  it('sees a write committed by another connection to the same file', async () => {
    const before = await t.services.client.call('ui.overview', {});
    const other = new Database(path.join(t.dataDir, 'defimon.sqlite'));
    try {
      other.prepare("INSERT INTO crypto_assets (asset_id, symbol, name, source) VALUES ('cache4', 'C4', 'Cache 4', 'test')").run();
      const ins = other.prepare('INSERT INTO financial_metrics (asset_id, day, source, close, volume_usd, market_cap, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const r of marketRows({ assets: ['cache4'], days: 60 })) ins.run(r.asset_id, r.day, r.source, r.close, r.volume_usd, r.market_cap, r.updated_at);
    } finally {
      other.close();
    }
    const after = await t.services.client.call('ui.overview', {});
    expect(after.rows.length).toBe(before.rows.length + 1);
  });

  it('computes once per data version and input', () => {
    const cache = createReadCache(t.services.core.store);
    let computed = 0;
    const compute = (): number => ++computed;
    expect(cache.get('m', { a: 1 }, compute)).toBe(1);
    expect(cache.get('m', { a: 1 }, compute)).toBe(1);
    expect(cache.get('m', { a: 2 }, compute)).toBe(2);
    expect(cache.stats).toEqual({ hits: 1, misses: 2 });
    t.services.core.store.write('crypto_assets', [{ asset_id: 'cache5', symbol: 'C5', name: 'Cache 5', source: 'test' }]);
    expect(cache.get('m', { a: 1 }, compute)).toBe(3);
    const off = createReadCache(t.services.core.store, { enabled: false });
    off.get('m', null, compute);
    off.get('m', null, compute);
    expect(computed).toBe(5);
  });
});
