import { lz4Compression } from './lz4';
import type { Migration } from './types';

/**
 * Change-log entries that carry a pushed batch as the COPY text it went into the table with
 * (`rows_copy`: a line per row, tab-separated values of `copy_columns`, `\N` for null), instead
 * of a JSON array of row objects: the same rows in about a third of the bytes, which the push no
 * longer builds twice and Postgres stores (compresses, writes to WAL) once, and which a pull
 * reads as lines. Batches that cannot go as COPY text keep `rows_json`. A client without this
 * migration refuses a database that has it, so no client misreads an entry it cannot parse.
 */
export const m0504SyncBatchCopy: Migration = {
  id: '0504_sync_batch_copy',
  statements: [],
  postgres: [
    `ALTER TABLE sync_changes ADD COLUMN rows_copy TEXT`,
    `ALTER TABLE sync_changes ADD COLUMN copy_columns TEXT[]`,
    lz4Compression('sync_changes', 'rows_copy'),
  ],
};
