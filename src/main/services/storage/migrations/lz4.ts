/**
 * The Postgres statement that compresses a column with lz4 where the server was built with it;
 * elsewhere the column keeps the default compression. The text is part of shipped migrations'
 * checksums: never change it.
 */
export function lz4Compression(table: string, column: string): string {
  return `DO $do$
BEGIN
  ALTER TABLE ${table} ALTER COLUMN ${column} SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
  -- A server built without lz4 keeps its default compression.
  NULL;
END
$do$`;
}
