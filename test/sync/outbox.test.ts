/** The outbox hook: what is queued, in the same transaction as the write, and what never is. */
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { parseHlc } from '../../src/main/services/kernel/hlc';
import { createTestServices } from '../helpers/app';
import { openOutbox } from '../../src/main/services/sync/local';
import { createSyncClient, marketRows, type SyncClient } from './helpers';

const outbox = (c: SyncClient): { tbl: string; key: string }[] => c.services.core.store.db.prepare('SELECT tbl, key FROM sync_outbox ORDER BY seq').all() as { tbl: string; key: string }[];

describe('sync outbox', () => {
  let client: SyncClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('queues each locally written key once, newest write last', async () => {
    client = await createSyncClient({});
    const store = client.services.core.store;
    store.write('financial_metrics', marketRows({ assets: ['a', 'b'], days: 2 }));
    expect(outbox(client).map((e) => e.key)).toEqual(['["a","2023-01-01","test"]', '["a","2023-01-02","test"]', '["b","2023-01-01","test"]', '["b","2023-01-02","test"]']);
    // A rewrite of the first key moves it to the end instead of adding a second entry.
    store.write('financial_metrics', [{ asset_id: 'a', day: '2023-01-01', source: 'test', close: 9, updated_at: 'x' }]);
    const keys = outbox(client).map((e) => e.key);
    expect(keys).toHaveLength(4);
    expect(keys.at(-1)).toBe('["a","2023-01-01","test"]');
    expect((await client.services.client.call('sync.status', {})).pending).toBe(4);
  });

  it('forgets acknowledged entries only, whether some are left or the outbox is drained, and never reuses a seq', async () => {
    client = await createSyncClient({});
    const store = client.services.core.store;
    const box = openOutbox(store.db);
    store.write('financial_metrics', marketRows({ assets: ['a'], days: 4 }));
    const seqs = box.read(10).map((e) => e.seq);
    expect(seqs).toHaveLength(4);
    // Acknowledging part of it keeps the later entries.
    expect(box.ackThrough(seqs[1] as number)).toBe(2);
    expect(box.read(10).map((e) => e.seq)).toEqual(seqs.slice(2));
    // Acknowledging past the last entry empties it, with the count of entries removed.
    expect(box.ackThrough((seqs[3] as number) + 100)).toBe(2);
    expect(box.pending()).toBe(0);
    expect(box.ackThrough(seqs[3] as number)).toBe(0);
    // A drained outbox hands out later seqs only (a team acknowledgement names them).
    store.write('financial_metrics', marketRows({ assets: ['b'], days: 1 }));
    const [next] = box.read(10);
    expect(next?.seq).toBeGreaterThan(seqs[3] as number);
    expect(next?.key).toBe('["b","2023-01-01","test"]');
  });

  it('does not queue rows pulled from the team or imported from the dataset', async () => {
    client = await createSyncClient({});
    const store = client.services.core.store;
    store.write('financial_metrics', marketRows({ assets: ['r'], days: 3 }), { origin: 'remote' });
    store.write('financial_metrics', marketRows({ assets: ['i'], days: 3 }), { origin: 'import' });
    expect(outbox(client)).toEqual([]);
    expect((store.db.prepare('SELECT count(*) AS n FROM financial_metrics').get() as { n: number }).n).toBe(6);
  });

  it("does not queue a client's own collector state", async () => {
    client = await createSyncClient({});
    const store = client.services.core.store;
    store.write('collector_status', [{ source: 'market', last_success_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z' }]);
    store.write('financial_metrics', marketRows({ assets: ['s'], days: 1 }));
    expect(outbox(client).map((e) => e.tbl)).toEqual(['financial_metrics']);
  });

  it('rolls the outbox entry back with a failed write (same transaction)', async () => {
    client = await createSyncClient({});
    const store = client.services.core.store;
    const bad = [...marketRows({ assets: ['ok'], days: 2 }), { asset_id: 'bad', day: '2023-01-01', source: 'test', no_such_column: 1, updated_at: 'x' }];
    expect(() => store.write('financial_metrics', bad)).toThrow(AppError);
    expect(outbox(client)).toEqual([]);
    expect((store.db.prepare('SELECT count(*) AS n FROM financial_metrics').get() as { n: number }).n).toBe(0);
    // And the other way round: a hook that throws after the outbox entry rolls back the row too.
    const off = store.addWriteHook(() => {
      throw new Error('disk full');
    });
    expect(() => store.write('financial_metrics', marketRows({ assets: ['x'], days: 1 }))).toThrow('disk full');
    off();
    expect(outbox(client)).toEqual([]);
    expect((store.db.prepare('SELECT count(*) AS n FROM financial_metrics').get() as { n: number }).n).toBe(0);
  });

  it('keeps one client id per database, used as the clock node id', async () => {
    const t = await createTestServices({ autoImport: false });
    const first = (await t.services.client.call('sync.status', {})).clientId;
    const stamp = parseHlc(t.services.core.clock.now());
    expect(stamp?.node).toBe(first);
    const dataDir = t.dataDir;
    await t.services.close();
    const again = await createSyncClient({ dataDir });
    try {
      expect((await again.services.client.call('sync.status', {})).clientId).toBe(first);
      expect(parseHlc(again.services.core.clock.now())?.node).toBe(first);
    } finally {
      await again.close();
      await t.cleanup();
    }
  });

  it('goes offline on an unreachable team database, with the password kept out of status', async () => {
    client = await createSyncClient({ pgUrl: 'postgres://analyst:s3cret-pw@127.0.0.1:1/team' });
    client.sync.worker.configure({ minBackoffMs: 5, maxBackoffMs: 10 });
    client.services.core.store.write('financial_metrics', marketRows({ assets: ['off'], days: 3 }));
    await expect(client.services.client.call('sync.now', {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const s = await client.services.client.call('sync.status', {});
    expect(s).toMatchObject({ configured: true, state: 'offline', pending: 3, pushed: 0, postgres: 'postgres://analyst:***@127.0.0.1:1/team' });
    expect(s.lastError).toMatch(/unreachable/);
    expect(s.nextRetryAt).not.toBeNull();
    expect(JSON.stringify(s)).not.toContain('s3cret-pw');
  });

  it('counts the bundled import as pending only once a team database is configured', async () => {
    client = await createSyncClient({ autoImport: true });
    const local = await client.services.client.call('sync.status', {});
    expect(local).toMatchObject({ configured: false, pending: 0 });
    // The user's own writes still wait for a team database.
    client.services.core.store.write('financial_metrics', marketRows({ assets: ['own'], days: 2 }));
    expect((await client.services.client.call('sync.status', {})).pending).toBe(2);
    await client.close();
    client = await createSyncClient({ autoImport: true, pgUrl: 'postgres://analyst@127.0.0.1:1/team' });
    const imported = client.services.core.store.db.prepare('SELECT count(*) AS n FROM financial_metrics').get() as { n: number };
    expect((await client.services.client.call('sync.status', {})).pending).toBeGreaterThanOrEqual(imported.n);
  });

  it('reports disabled without a team database and refuses sync.now clearly', async () => {
    client = await createSyncClient({});
    const s = await client.services.client.call('sync.status', {});
    expect(s).toMatchObject({ configured: false, state: 'disabled', postgres: null, redis: null, pushed: 0, pulled: 0 });
    await expect(client.services.client.call('sync.now', {})).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
  });
});
