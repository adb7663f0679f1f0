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

  it('computes once per data version and input', () => {
    const cache = createReadCache(t.services.core.store);
    let computed = 0;
    const compute = (): number => ++computed;
    expect(cache.get('m', { a: 1 }, compute)).toBe(1);
    expect(cache.get('m', { a: 1 }, compute)).toBe(1);
    expect(cache.get('m', { a: 2 }, compute)).toBe(2);
    expect(cache.stats).toEqual({ hits: 1, misses: 2 });
    t.services.core.store.write('watchlist_items', [{ watchlist: 'probe', asset_id: 'UNI', added_at: '2024-01-01T00:00:00Z', hlc: '0', deleted: 0 }]);
    expect(cache.get('m', { a: 1 }, compute)).toBe(3);
    const off = createReadCache(t.services.core.store, { enabled: false });
    off.get('m', null, compute);
    off.get('m', null, compute);
    expect(computed).toBe(5);
  });
});
