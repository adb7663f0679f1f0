import type { Migration } from './types';

/**
 * The analyst's own data: watchlists, notes and alert rules. Synced last-writer-wins by `hlc`;
 * a delete sets `deleted` = 1 so the tombstone syncs too.
 */
export const m0500UiUserData: Migration = {
  id: '0500_ui_user_data',
  statements: [
    `CREATE TABLE watchlist_items (
      watchlist TEXT NOT NULL,
      asset_id TEXT NOT NULL,
      added_at TEXT NOT NULL,
      hlc TEXT NOT NULL,
      deleted BIGINT NOT NULL DEFAULT 0,
      PRIMARY KEY (watchlist, asset_id)
    )`,
    `CREATE TABLE notes (
      note_id TEXT NOT NULL PRIMARY KEY,
      asset_id TEXT NOT NULL,
      body TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      hlc TEXT NOT NULL,
      deleted BIGINT NOT NULL DEFAULT 0
    )`,
    `CREATE INDEX notes_asset ON notes (asset_id)`,
    `CREATE TABLE alert_rules (
      rule_id TEXT NOT NULL PRIMARY KEY,
      asset_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      threshold DOUBLE PRECISION,
      enabled BIGINT NOT NULL DEFAULT 1,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      hlc TEXT NOT NULL,
      deleted BIGINT NOT NULL DEFAULT 0
    )`,
  ],
};
