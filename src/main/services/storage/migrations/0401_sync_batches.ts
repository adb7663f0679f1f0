import type { Migration } from './types';

/**
 * Batched change log (Postgres only). A sync push now records each pushed batch as ONE
 * `sync_changes` entry holding the rows as a JSON array (`rows_json`, `row_count` rows), written
 * in the same transaction as the upserts, instead of one jsonb copy per row by trigger: the
 * per-row copy halved push throughput. The capture trigger stays for every other writer (hand
 * edits, server-side jobs) and steps aside when the pushing session sets `defimon.batch_capture`.
 */
export const m0401SyncBatches: Migration = {
  id: '0401_sync_batches',
  statements: [],
  postgres: [
    `ALTER TABLE sync_changes ALTER COLUMN row_data DROP NOT NULL`,
    `ALTER TABLE sync_changes ADD COLUMN row_count BIGINT NOT NULL DEFAULT 1`,
    `ALTER TABLE sync_changes ADD COLUMN rows_json JSON`,
    `CREATE OR REPLACE FUNCTION sync_capture() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF current_setting('defimon.batch_capture', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(724400);
  INSERT INTO sync_changes (tbl, origin, row_data)
    SELECT TG_TABLE_NAME, current_setting('defimon.client_id', true), to_jsonb(n) FROM sync_new_rows n;
  RETURN NULL;
END
$fn$`,
  ],
};
