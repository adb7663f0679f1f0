/**
 * The UI's read models kept until the data changes. They are pure functions of the database, and
 * the database changes only on writes: each entry remembers the data version it was computed at
 * and is used only while that version still holds.
 *
 * The data version is two SQLite counters, read in one cheap statement per call: `total_changes()`
 * (rows this connection changed: every local write, whatever code path made it) and
 * `data_version` (bumped when another connection commits: the training worker, a CLI import or
 * sync into the same folder). No write path has to remember to invalidate anything.
 */
import type Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../../shared/errors';
import type { SqliteStore } from '../storage/sqlite';

export interface ReadCache {
  /**
   * `compute()`'s result for (method, input) at the current data version, computed at most once
   * per version: callers asking while it is being computed share that computation. A caller whose
   * `signal` aborts stops waiting (CANCELLED); the computation's own signal aborts only when every
   * caller waiting for it has left.
   */
  get<T>(method: string, input: unknown, compute: (signal: AbortSignal) => T | Promise<T>, signal?: AbortSignal): Promise<T>;
  readonly stats: { hits: number; misses: number };
}

const versionStatements = new WeakMap<Database.Database, Database.Statement<[], { c: number; v: number }>>();

/** The data version of a store's connection (see above): equal strings, equal data. */
export function dataVersionOf(store: SqliteStore): string {
  let stmt = versionStatements.get(store.db);
  if (!stmt) {
    stmt = store.db.prepare<[], { c: number; v: number }>('SELECT total_changes() AS c, (SELECT data_version FROM pragma_data_version) AS v');
    versionStatements.set(store.db, stmt);
  }
  const r = stmt.get();
  return `${r?.c ?? 0}:${r?.v ?? 0}`;
}

export interface ReadCacheOptions {
  /** Entries kept (least recently used go first). @default 256 */
  max?: number;
  /** Upper bound on an entry's age, whatever the data version says. @default 300000 (5 minutes) */
  ttlMs?: number;
  /** Off: every call computes (to measure what the cache saves). @default true */
  enabled?: boolean;
}

export function createReadCache(store: SqliteStore, opts: ReadCacheOptions = {}): ReadCache {
  const stats = { hits: 0, misses: 0 };
  if (opts.enabled === false) {
    return {
      stats,
      get: async (_method, _input, compute, signal) => {
        stats.misses++;
        return compute(signal ?? new AbortController().signal);
      },
    };
  }
  const cache = new LRUCache<string, { version: string; value: unknown }>({ max: opts.max ?? 256, ttl: opts.ttlMs ?? 300_000 });
  interface Inflight {
    version: string;
    value: Promise<unknown>;
    controller: AbortController;
    waiters: number;
  }
  const inflight = new Map<string, Inflight>();
  /** The shared computation's answer, or CANCELLED as soon as this caller's signal aborts. */
  const wait = (entry: Inflight, signal: AbortSignal | undefined): Promise<unknown> => {
    if (!signal) {
      entry.waiters++;
      return entry.value;
    }
    if (signal.aborted) return Promise.reject(new AppError('CANCELLED', 'the caller went away'));
    entry.waiters++;
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        if (--entry.waiters === 0) entry.controller.abort();
        reject(new AppError('CANCELLED', 'the caller went away'));
      };
      signal.addEventListener('abort', leave, { once: true });
      entry.value.then(
        (v) => {
          signal.removeEventListener('abort', leave);
          resolve(v);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(err);
        },
      );
    });
  };
  const dataVersion = (): string => dataVersionOf(store);
  return {
    stats,
    async get<T>(method: string, input: unknown, compute: (signal: AbortSignal) => T | Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) throw new AppError('CANCELLED', 'the caller went away');
      const key = `${method}\u0000${JSON.stringify(input ?? null)}`;
      const version = dataVersion();
      const hit = cache.get(key);
      if (hit && hit.version === version) {
        stats.hits++;
        return hit.value as T;
      }
      let entry = inflight.get(key);
      if (entry && entry.version === version && !entry.controller.signal.aborted) stats.hits++;
      else {
        stats.misses++;
        const controller = new AbortController();
        const value = Promise.resolve().then(() => compute(controller.signal));
        const made: Inflight = { version, value, controller, waiters: 0 };
        entry = made;
        inflight.set(key, made);
        value.then(
          (v) => {
            // Computing reads only: cached unless the data changed meanwhile (then the next call recomputes).
            if (dataVersion() === version) cache.set(key, { version, value: v });
          },
          () => undefined,
        ).finally(() => {
          if (inflight.get(key) === made) inflight.delete(key);
        });
      }
      return wait(entry, signal) as Promise<T>;
    },
  };
}
