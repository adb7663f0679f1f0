/** Sync test fixtures: clients (services on their own SQLite) against one test Postgres. */
import type { Row } from '../../src/main/services/storage/sqlite';
import { getSyncDomain, type SyncDomain } from '../../src/main/services/sync';
import type { Services } from '../../src/main/services';
import type { DefimonConfigInput } from '../../src/main/services/config/config';
import { createTestServices } from '../helpers/app';

export interface SyncClient {
  services: Services;
  sync: SyncDomain;
  dataDir: string;
  close(): Promise<void>;
}

export async function createSyncClient(overrides: Partial<DefimonConfigInput>): Promise<SyncClient> {
  const t = await createTestServices({ autoImport: false, ...overrides });
  return { services: t.services, sync: getSyncDomain(t.services.core), dataDir: t.dataDir, close: t.cleanup };
}

/** Deterministic market rows: `n` days for each asset, values derived from the seed. */
export function marketRows(opts: { assets: string[]; days: number; seed?: number; start?: string; source?: string }): Row[] {
  const rows: Row[] = [];
  const start = Date.parse(`${opts.start ?? '2023-01-01'}T00:00:00Z`);
  const seed = opts.seed ?? 1;
  for (const asset of opts.assets) {
    for (let d = 0; d < opts.days; d++) {
      const day = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
      rows.push({
        asset_id: asset,
        day,
        source: opts.source ?? 'test',
        close: Math.round((seed * 1000 + d * 3.7 + asset.length) * 100) / 100,
        volume_usd: seed * 1e6 + d,
        market_cap: null,
        updated_at: `2024-01-01T00:00:0${seed % 10}.000Z`,
      });
    }
  }
  return rows;
}

/** A table's full content in key order, for comparing stores. */
export function sqliteContent(services: Services, table: string, orderBy: string): Row[] {
  return services.core.store.db.prepare(`SELECT * FROM "${table}" ORDER BY ${orderBy}`).all() as Row[];
}

export async function waitFor(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Every (entry, asset_id, day) the team change log holds for `tbl`, from both entry formats: a
 * JSON array of rows (`rows_json`) and COPY text lines of `copy_columns` (`rows_copy`).
 */
export function changeLogKeysSql(tbl: string): string {
  const t = tbl.replace(/'/g, "''");
  return `SELECT seq, e->>'asset_id' AS asset_id, e->>'day' AS day FROM sync_changes, json_array_elements(rows_json::json) e WHERE rows_json IS NOT NULL AND tbl = '${t}'
    UNION ALL
    SELECT seq, split_part(l, E'\\t', array_position(copy_columns, 'asset_id')), split_part(l, E'\\t', array_position(copy_columns, 'day'))
      FROM sync_changes, regexp_split_to_table(rows_copy, E'\\n') l WHERE rows_copy IS NOT NULL AND tbl = '${t}'`;
}
