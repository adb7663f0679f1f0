/**
 * A per-data-directory writer lock, so two DEFIMON processes never run their long writes (an
 * import, a sync cycle) into one database at once: the second waits for the first, a bounded
 * time, and then says who holds the folder instead of failing with SQLITE_BUSY.
 *
 * The lock is an exclusive transaction on a small side database (`defimon.lock`): the operating
 * system releases it when its holder dies, so a killed process never leaves a stale lock behind.
 * The holder's pid and purpose sit in `defimon.lock.json` beside it, for the message only.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../../shared/errors';
import { sleep } from '../kernel/sleep';

export const LOCK_FILE_NAME = 'defimon.lock';

/** What the holder is doing, as the message reads: "another DEFIMON process is <purpose> (pid N)". */
export type LockPurpose = 'importing into this folder' | 'syncing this folder';

export interface DirLockHolder {
  pid: number;
  purpose: string;
  since: string;
}

export interface DirLockOptions {
  /** How long to wait for another holder. 0 = try once. @default 600000 (10 minutes) */
  waitMs?: number;
  /** Called once when the lock is held by another process and this one starts waiting. */
  onWait?: (holder: DirLockHolder | null) => void;
  signal?: AbortSignal;
  /** Poll interval while waiting. @default 200 */
  pollMs?: number;
}

export interface DirLock {
  release(): void;
}

function infoFile(dataDir: string): string {
  return path.join(dataDir, `${LOCK_FILE_NAME}.json`);
}

/** The current holder as recorded beside the lock (may be stale or absent: for messages only). */
export function readLockHolder(dataDir: string): DirLockHolder | null {
  try {
    const v = JSON.parse(readFileSync(infoFile(dataDir), 'utf8')) as Partial<DirLockHolder>;
    return typeof v.pid === 'number' && typeof v.purpose === 'string' ? { pid: v.pid, purpose: v.purpose, since: String(v.since ?? '') } : null;
  } catch {
    return null;
  }
}

export function describeHolder(holder: DirLockHolder | null): string {
  return holder ? `another DEFIMON process is ${holder.purpose} (pid ${holder.pid})` : 'another DEFIMON process is writing to this folder';
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function isReadOnly(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'EACCES' || code === 'EROFS' || code === 'EPERM');
}

/** Tries once; returns the open lock connection, or null when another process holds it. */
function tryLock(file: string): Database.Database | null {
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0 });
  } catch (err) {
    if (isReadOnly(err)) throw readOnlyError(path.dirname(file), err);
    throw err;
  }
  try {
    // Rollback journal (not WAL): an EXCLUSIVE transaction then really excludes other processes.
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (err) {
    db.close();
    if (isBusy(err)) return null;
    if (isReadOnly(err)) throw readOnlyError(path.dirname(file), err);
    throw err;
  }
}

export function readOnlyError(dataDir: string, cause?: unknown): AppError {
  return new AppError('FORBIDDEN', `the data directory ${dataDir} is read-only: reading works, but importing, syncing, collecting and training need write access (check its permissions, or pass another --data-dir)`, {
    details: { reason: 'read-only' },
    cause,
  });
}

/**
 * Takes the writer lock of `dataDir`, waiting up to `waitMs` for another holder; throws CONFLICT
 * naming the holder (pid and what it is doing) when it is still held after that.
 */
export async function acquireDirLock(dataDir: string, purpose: LockPurpose, opts: DirLockOptions = {}): Promise<DirLock> {
  const file = path.join(dataDir, LOCK_FILE_NAME);
  const deadline = Date.now() + (opts.waitMs ?? 600_000);
  let told = false;
  for (;;) {
    if (opts.signal?.aborted) throw new AppError('CANCELLED', `waiting for the data directory lock was cancelled`);
    const db = tryLock(file);
    if (db) {
      try {
        writeFileSync(infoFile(dataDir), JSON.stringify({ pid: process.pid, purpose, since: new Date().toISOString() }));
      } catch {
        /* the message loses its pid, the lock still holds */
      }
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(infoFile(dataDir), { force: true });
          try {
            db.exec('ROLLBACK');
          } finally {
            db.close();
          }
        },
      };
    }
    const holder = readLockHolder(dataDir);
    if (Date.now() >= deadline) throw new AppError('CONFLICT', `${describeHolder(holder)}; try again when it has finished`, { retryable: true, details: holder ? { pid: holder.pid } : {} });
    if (!told) {
      told = true;
      opts.onWait?.(holder);
    }
    await sleep(opts.pollMs ?? 200, opts.signal).catch(() => undefined);
  }
}

/** Runs `fn` holding the writer lock of `dataDir`. */
export async function withDirLock<T>(dataDir: string, purpose: LockPurpose, fn: () => Promise<T> | T, opts: DirLockOptions = {}): Promise<T> {
  const lock = await acquireDirLock(dataDir, purpose, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
