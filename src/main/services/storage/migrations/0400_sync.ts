import type { Migration } from './types';

/**
 * Team sync infrastructure. Nothing here is part of the shared logical schema, so every table is
 * named `sync_*` and lives on one side only.
 *
 * SQLite (each client):
 * - `sync_outbox`: one entry per locally written natural key, replaced on every new write so the
 *   newest write has the highest `seq`; the push reads the row's current content by its key.
 * - `sync_state`: counters, watermark, client id (name -> value).
 * - `sync_rejects`: rows refused in either direction, with the reason, kept for the Data view.
 *
 * Postgres (the team):
 * - `sync_changes`: the server-side change sequence. Statement triggers on every synced table
 *   copy each inserted or updated row here; an advisory lock held to commit makes `seq` order
 *   equal commit order, so a reader's watermark never skips a transaction still in flight.
 * - `sync_clients`: the highest outbox `seq` each client has had acknowledged, in the same
 *   transaction as its rows, so a client that dies before recording the ack does not re-push.
 * - `sync_install_triggers()`: attaches the capture triggers to tables that lack them; clients
 *   call it on connect so tables from later migrations are captured too.
 */
export const m0400Sync: Migration = {
  id: '0400_sync',
  statements: [],
  sqlite: [
    `CREATE TABLE sync_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      tbl TEXT NOT NULL,
      key TEXT NOT NULL,
      written_at TEXT NOT NULL
    )`,
    `CREATE UNIQUE INDEX sync_outbox_key ON sync_outbox (tbl, key)`,
    `CREATE TABLE sync_state (
      name TEXT NOT NULL PRIMARY KEY,
      value TEXT NOT NULL
    )`,
    `CREATE TABLE sync_rejects (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      direction TEXT NOT NULL,
      tbl TEXT,
      seq BIGINT,
      row_data TEXT,
      error TEXT NOT NULL,
      at TEXT NOT NULL
    )`,
  ],
  postgres: [
    `CREATE TABLE sync_changes (
      seq BIGSERIAL PRIMARY KEY,
      tbl TEXT NOT NULL,
      origin TEXT,
      row_data JSONB NOT NULL,
      changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE sync_clients (
      client_id TEXT NOT NULL PRIMARY KEY,
      acked_seq BIGINT NOT NULL,
      last_push_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`,
    `CREATE FUNCTION sync_capture() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(724400);
  INSERT INTO sync_changes (tbl, origin, row_data)
    SELECT TG_TABLE_NAME, current_setting('defimon.client_id', true), to_jsonb(n) FROM sync_new_rows n;
  RETURN NULL;
END
$fn$`,
    `CREATE FUNCTION sync_install_triggers() RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  t record;
  n integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(724401);
  FOR t IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
    WHERE ns.nspname = current_schema() AND c.relkind = 'r'
      AND c.relname NOT LIKE 'sync\\_%' AND c.relname <> 'schema_migrations'
      AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'sync_capture_insert')
  LOOP
    EXECUTE format('CREATE TRIGGER sync_capture_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS sync_new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture()', t.relname);
    EXECUTE format('CREATE TRIGGER sync_capture_update AFTER UPDATE ON %I REFERENCING NEW TABLE AS sync_new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture()', t.relname);
    n := n + 1;
  END LOOP;
  RETURN n;
END
$fn$`,
    `SELECT sync_install_triggers()`,
  ],
};
