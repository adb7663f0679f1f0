/**
 * Records the ledger after adding a migration: appends the new entries to
 * `storage/migrations/shipped.json` (never rewriting or inserting: an entry that sorts before a
 * shipped one is refused) and rewrites `storage/schema-snapshot.json` and the row types in
 * `storage/db-types.ts` from a fresh database.
 * Refuses when the schema guard refuses. Usage: `npx tsx scripts/schema-snapshot.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from '../src/main/services/storage/migrations';
import { checksum, migrateSqlite, orderedLedger, sequenceOf } from '../src/main/services/storage/migrator';
import { describeSqliteSchema, diffSchema, renderRowTypes, retirements, undeclaredDestructiveStatements, type SchemaSnapshot } from '../src/main/services/storage/schema-guard';

const storage = path.join(__dirname, '..', 'src', 'main', 'services', 'storage');
const shippedFile = path.join(storage, 'migrations', 'shipped.json');
const snapshotFile = path.join(storage, 'schema-snapshot.json');
const rowTypesFile = path.join(storage, 'db-types.ts');

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const shipped = JSON.parse(readFileSync(shippedFile, 'utf8')) as { id: string; checksum: string }[];
const highest = Math.max(0, ...shipped.map((s) => sequenceOf(s.id)));
const ledger = orderedLedger(migrations);
const known = new Set(shipped.map((s) => s.id));
for (const m of ledger) {
  if (known.has(m.id)) continue;
  if (sequenceOf(m.id) <= highest) fail(`${m.id} sorts before the shipped ${shipped.at(-1)?.id}: renumber it to ${String(highest + 1).padStart(4, '0')} or above`);
  shipped.push({ id: m.id, checksum: checksum(m) });
}

const problems = ledger.flatMap(undeclaredDestructiveStatements);
const db = new Database(':memory:');
migrateSqlite(db, ledger);
const current = describeSqliteSchema(db);
const rowTypes = renderRowTypes(db);
db.close();
const previous = JSON.parse(readFileSync(snapshotFile, 'utf8')) as SchemaSnapshot;
problems.push(...diffSchema(previous, current, retirements(ledger)).refused);
if (problems.length > 0) fail(`the schema guard refuses:\n  ${problems.join('\n  ')}`);

writeFileSync(shippedFile, `[\n${shipped.map((s) => `  ${JSON.stringify(s)}`).join(',\n')}\n]\n`);
// One line per column, so a diff of the snapshot reads as a list of column changes.
const tables = Object.entries(current).map(([t, cols]) => `  ${JSON.stringify(t)}: {\n${Object.entries(cols).map(([c, shape]) => `    ${JSON.stringify(c)}: ${JSON.stringify(shape)}`).join(',\n')}\n  }`);
writeFileSync(snapshotFile, `{\n${tables.join(',\n')}\n}\n`);
writeFileSync(rowTypesFile, rowTypes);
console.log(`ledger: ${shipped.length} shipped migrations, schema: ${Object.keys(current).length} tables`);
