/**
 * `defimon info` answers a ready database from a read-only connection (no services), and leaves
 * everything else (no file, pending migrations, a database waiting for its first import, a file
 * that does not open) to the services, which migrate, import or explain.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/main/services/config/config';
import { DB_FILE_NAME, quickInfo } from '../../src/main/services/system/info';
import { createTestServices } from '../helpers/app';
import { tempDataDir } from '../helpers/services';

describe('quick info', () => {
  let ctx: Awaited<ReturnType<typeof createTestServices>>;
  beforeAll(async () => {
    ctx = await createTestServices({ autoImport: false });
  });
  afterAll(() => ctx.cleanup());
  const config = (autoImport: boolean, dataDir = ctx.dataDir) => loadConfig({ overrides: { dataDir, autoImport }, env: {} });

  it("says what the services' system.info says, and writes nothing", async () => {
    const file = path.join(ctx.dataDir, DB_FILE_NAME);
    const before = readFileSync(file);
    const quick = quickInfo(config(false));
    expect(quick).not.toBeNull();
    const full = await ctx.services.client.call('system.info', {});
    expect({ ...quick, database: { ...quick!.database, sizeBytes: 0 } }).toEqual({ ...full, database: { ...full.database, sizeBytes: 0 } });
    expect(quick!.database.migrations).toBeGreaterThan(0);
    expect(quick!.database.sizeBytes).toBeGreaterThanOrEqual(statSync(file).size);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('leaves an empty database that would import first to the services', () => {
    expect(quickInfo(config(true))).toBeNull();
  });

  it('leaves a database with a pending migration to the services', () => {
    const db = new Database(path.join(ctx.dataDir, DB_FILE_NAME));
    const last = db.prepare('SELECT id, checksum, applied_at FROM schema_migrations ORDER BY id DESC LIMIT 1').get() as { id: string; checksum: string; applied_at: string };
    db.prepare('DELETE FROM schema_migrations WHERE id = ?').run(last.id);
    try {
      expect(quickInfo(config(false))).toBeNull();
    } finally {
      db.prepare('INSERT INTO schema_migrations (id, checksum, applied_at) VALUES (@id, @checksum, @applied_at)').run(last);
      db.close();
    }
    expect(quickInfo(config(false))).not.toBeNull();
  });

  it('leaves a missing or damaged file to the services', () => {
    const tmp = tempDataDir('defimon-info');
    try {
      expect(quickInfo(config(false, tmp.dir))).toBeNull();
      writeFileSync(path.join(tmp.dir, DB_FILE_NAME), 'not a database '.repeat(400));
      expect(quickInfo(config(false, tmp.dir))).toBeNull();
    } finally {
      rmSync(tmp.dir, { recursive: true, force: true });
    }
  });
});
