/**
 * Damaged, unwritable, newer, locked and copied data directories: each gets a diagnosis that says
 * what is wrong and what to do, never `INTERNAL`. Every directory is a copy made by the test of
 * one freshly imported database.
 */
import { chmodSync, copyFileSync, mkdirSync, openSync, closeSync, statSync, writeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDirLock } from '../../src/main/services/storage/dir-lock';
import { openSqlite } from '../../src/main/services/storage/sqlite';
import { syncClientId } from '../../src/main/services/sync/local';
import { foreignCwd, tempDataDir } from '../helpers/services';
import { runCli } from './cli';

const DB = 'defimon.sqlite';

describe('damaged and unwritable data directories', () => {
  const tmp = tempDataDir('defimon-datadir');
  const cwd = foreignCwd();
  const base = path.join(tmp.dir, 'base');
  afterAll(() => {
    // Read-only copies must be writable again to be removed.
    for (const d of ['ro']) {
      try {
        chmodSync(path.join(tmp.dir, d), 0o755);
        chmodSync(path.join(tmp.dir, d, DB), 0o644);
      } catch {
        /* not created */
      }
    }
    tmp.remove();
    cwd.remove();
  });
  beforeAll(async () => {
    const res = await runCli(['import', '--json', '--data-dir', base], { cwd: cwd.dir });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  }, 240_000);

  function copyOf(name: string): string {
    const dir = path.join(tmp.dir, name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(base, DB), path.join(dir, DB));
    return dir;
  }

  it('a read-only data directory: read commands work, writes say why not', async () => {
    const dir = copyOf('ro');
    chmodSync(path.join(dir, DB), 0o444);
    chmodSync(dir, 0o555);
    // Permissions do not bind root: as root the CLI runs as an unprivileged user instead.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    chmodSync(tmp.dir, 0o755);
    chmodSync(cwd.dir, 0o755);
    const opts = { cwd: cwd.dir, ...asUser };

    const assets = await runCli(['assets', '--json', '--data-dir', dir], opts);
    expect(assets.stderr).toBe('');
    expect(assets.code).toBe(0);
    expect((JSON.parse(assets.stdout) as unknown[]).length).toBeGreaterThan(100);
    const info = await runCli(['info', '--data-dir', dir], opts);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(path.join(dir, DB));

    for (const args of [['import'], ['train', '--folds', '2']]) {
      const res = await runCli([...args, '--data-dir', dir], opts);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/read-only: reading works, but importing, syncing, collecting and training need write access/);
      expect(res.stderr).not.toMatch(/INTERNAL|MALFORMED_DATA|EACCES/);
    }
    const doctor = await runCli(['doctor', '--data-dir', dir], opts);
    expect(doctor.stdout).toMatch(/data-directory +.*read-only/);
  }, 240_000);

  it('a file damaged in its middle: every command names the file, `doctor` and the recovery', async () => {
    const dir = copyOf('corrupt');
    const file = path.join(dir, DB);
    // Overwrite pages in the middle of the file (its header stays intact, so it still opens).
    const pages = Math.floor(statSync(file).size / 4096);
    const fd = openSync(file, 'r+');
    const junk = Buffer.alloc(4096, 0xa5);
    for (let p = Math.floor(pages / 3); p < Math.floor(pages / 3) + 300 && p < pages; p += 5) writeSync(fd, junk, 0, junk.length, p * 4096);
    closeSync(fd);

    for (const args of [['assets'], ['import']]) {
      const res = await runCli([...args, '--data-dir', dir], { cwd: cwd.dir });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`defimon: MALFORMED_DATA: the database ${file} is damaged`);
      expect(res.stderr).toContain('defimon doctor');
      expect(res.stderr).toMatch(/move the file aside .* `defimon import` .* `defimon sync --once`/);
      expect(res.stderr).not.toMatch(/INTERNAL/);
    }
    const doctor = await runCli(['doctor', '--json', '--data-dir', dir], { cwd: cwd.dir });
    expect(doctor.code).toBe(1);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { name: string; ok: boolean; message: string }[] };
    const check = report.checks.find((c) => c.name === 'database');
    expect(check?.ok).toBe(false);
    expect(check?.message).toMatch(/is damaged: .*move the file aside/);
  }, 240_000);

  it('`doctor` diagnoses a database from a newer version and a folder another process holds', async () => {
    const dir = copyOf('newer');
    const db = new Database(path.join(dir, DB));
    db.prepare('INSERT INTO schema_migrations (id, checksum, applied_at) VALUES (?, ?, ?)').run('9999_from_the_future', 'x', new Date().toISOString());
    db.close();
    const res = await runCli(['doctor', '--data-dir', dir], { cwd: cwd.dir });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/FAIL +database-schema +.*newer version of DEFIMON \(migration\(s\) 9999_from_the_future/);

    const held = copyOf('held');
    const lock = await acquireDirLock(held, 'importing into this folder', { waitMs: 0 });
    try {
      const doc = await runCli(['doctor', '--data-dir', held], { cwd: cwd.dir });
      expect(doc.stdout).toContain(`another DEFIMON process is importing into this folder (pid ${process.pid})`);
    } finally {
      lock.release();
    }
  }, 240_000);

  it('a config file holding `null` is a clear config error', async () => {
    const dir = copyOf('nullconfig');
    writeFileSync(path.join(dir, 'defimon.config.json'), 'null');
    for (const cmd of ['info', 'doctor']) {
      const res = await runCli([cmd, '--data-dir', dir], { cwd: cwd.dir });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toBe(`defimon: MALFORMED_DATA: config file ${path.join(dir, 'defimon.config.json')} must hold a JSON object of settings (like {"logLevel": "info"}), not null\n`);
    }
  }, 120_000);

  it('a copied data directory gets its own sync client id; the original keeps its id', () => {
    const original = copyOf('original');
    const store = openSqlite({ file: path.join(original, DB) });
    const id = syncClientId(store);
    store.close();
    const copy = copyOf('copy');
    copyFileSync(path.join(original, DB), path.join(copy, DB));

    const copied = openSqlite({ file: path.join(copy, DB) });
    const copyId = syncClientId(copied);
    copied.close();
    expect(copyId).not.toBe(id);
    expect(copyId).toMatch(/^[0-9a-f]{12}$/);

    const again = openSqlite({ file: path.join(original, DB) });
    expect(syncClientId(again)).toBe(id);
    again.close();
    const copyAgain = openSqlite({ file: path.join(copy, DB) });
    expect(syncClientId(copyAgain)).toBe(copyId);
    copyAgain.close();
  });
});
