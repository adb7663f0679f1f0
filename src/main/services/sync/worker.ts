/**
 * The sync worker: push then pull, whenever something was written here, whenever Redis says a
 * teammate pushed, and otherwise on a polling interval. When the team database goes away the
 * state turns `offline` and attempts continue with capped exponential backoff and jitter, so
 * sync resumes by itself; nothing is lost because the outbox is only emptied after COMMIT.
 */
import type { SyncRunResult, SyncState, SyncStatus } from '../../../shared/contract/sync';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import { redactUrl, redactUrlsIn } from '../config/config';
import { sleep } from '../kernel/sleep';
import { backoffDelay, isConnectionError, isRetryableError, withRetry } from '../kernel/retry';
import { createSyncEngine, type SyncEngine } from './engine';
import { acquireDirLock } from '../storage/dir-lock';
import { openOutbox, openSyncState } from './local';
import { isRedisReady, openSyncChannel, type RedisClient, type SyncChannel } from './redis';

export interface WorkerOptions {
  /** Polling interval while Redis pub/sub can wake the worker. @default 30000 */
  pollMs?: number;
  /** Polling interval without Redis, or while it is away. @default 5000 */
  offlinePollMs?: number;
  /** First retry delay after a failure. @default 500 */
  minBackoffMs?: number;
  /** Longest retry delay. @default 30000 */
  maxBackoffMs?: number;
  /** Rows per transaction. @default 5000 for a push; a pull grows its transactions from 5000 to 50000 rows */
  batchSize?: number;
  /** Delay between a local write and the push it triggers (writes close together share one). @default 250 */
  debounceMs?: number;
}

export interface SyncWorker {
  status(): SyncStatus;
  /** One full cycle (imports, outbox, pull), retried with backoff up to `maxAttempts` times. */
  syncOnce(opts?: { signal?: AbortSignal; maxAttempts?: number; progress?: (done: number, message: string) => void }): Promise<SyncRunResult>;
  /** Changes options before the first cycle (batch size is fixed once connected). */
  configure(opts: WorkerOptions): void;
  /** Starts the background loop (idempotent). */
  start(opts?: WorkerOptions): void;
  stop(): Promise<void>;
  /** Asks a running loop for a cycle soon (after a local write). */
  wake(): void;
  readonly running: boolean;
}

function isLockConflict(err: unknown): boolean {
  return err instanceof AppError && err.code === 'CONFLICT' && /another DEFIMON process/.test(err.message);
}

/**
 * The wait after the `failures`-th failure in a row, by the shared policy (kernel/retry.ts) with
 * equal jitter: never at once, and a team's laptops do not retry in lockstep after an outage.
 */
export function backoffMs(failures: number, min: number, max: number): number {
  return backoffDelay(failures - 1, { baseMs: min, maxMs: max, jitter: 'equal' });
}

export function createSyncWorker(o: { core: Core; clientId: string; redis: RedisClient | null; options?: WorkerOptions }): SyncWorker {
  const { core } = o;
  const { config, store, log } = core;
  const db = store.db;
  const state = openSyncState(db);
  const outbox = openOutbox(db);
  let opts: WorkerOptions = o.options ?? {};
  let engine: SyncEngine | null = null;
  let channel: SyncChannel | null = null;
  let current: SyncState = config.pgUrl ? 'idle' : 'disabled';
  let nextRetryAt: string | null = null;
  let loopAbort: AbortController | null = null;
  let loopDone: Promise<void> | null = null;
  let wakeLoop: (() => void) | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let lastEmit = 0;
  let emitTimer: NodeJS.Timeout | null = null;

  /** Error text for status and logs, with any configured URL replaced by its redacted form. */
  const clean = (msg: string): string => redactUrlsIn(msg, [config.pgUrl, config.pgReplicaUrl, config.redisUrl]);

  /** Imported dataset rows not yet shared with the team: nothing is pending without a team database to share with. */
  function pendingImportRows(): number {
    if (!config.pgUrl) return 0;
    const done = new Set(JSON.parse(state.get('imports_pushed') ?? '[]') as string[]);
    let n = 0;
    const rows = db.prepare<unknown[], { source: string; fingerprint: string; summary: string }>('SELECT source, fingerprint, summary FROM dataset_imports').all();
    for (const r of rows) {
      if (done.has(`${r.source}|${r.fingerprint}`)) continue;
      try {
        const s = JSON.parse(r.summary) as Record<string, unknown>;
        for (const k of ['assets', 'financialRows', 'onchainRows', 'githubRows', 'contracts']) if (typeof s[k] === 'number') n += s[k] as number;
      } catch {
        /* a summary we cannot read counts as nothing */
      }
    }
    return n;
  }

  function status(): SyncStatus {
    return {
      configured: Boolean(config.pgUrl),
      running: loopDone !== null,
      state: current,
      postgres: config.pgUrl ? (redactUrl(config.pgUrl) ?? null) : null,
      replica: config.pgReplicaUrl ? (redactUrl(config.pgReplicaUrl) ?? null) : null,
      redis: config.redisUrl ? { url: redactUrl(config.redisUrl) ?? '', connected: o.redis ? isRedisReady(o.redis) : false } : null,
      clientId: o.clientId,
      pending: outbox.pending() + pendingImportRows(),
      pushed: state.num('pushed'),
      pulled: state.num('pulled'),
      rejected: state.num('rejected'),
      watermark: state.num('watermark'),
      lastPushAt: state.get('last_push_at'),
      lastPullAt: state.get('last_pull_at'),
      lastError: state.get('last_error'),
      lastErrorAt: state.get('last_error_at'),
      nextRetryAt,
    };
  }

  function emitStatus(force = false): void {
    const now = Date.now();
    if (!force && now - lastEmit < 250) {
      emitTimer ??= setTimeout(() => {
        emitTimer = null;
        emitStatus(true);
      }, 250);
      return;
    }
    lastEmit = now;
    try {
      core.bus.emit('sync.status', status());
    } catch (err) {
      log.debug({ err }, 'sync status event failed');
    }
  }

  function setState(s: SyncState): void {
    if (s === current) return;
    current = s;
    emitStatus(true);
  }

  function getEngine(): SyncEngine {
    if (!config.pgUrl) throw new AppError('NOT_CONFIGURED', 'no team Postgres is configured (settings, DEFIMON_PG_URL or --pg)');
    engine ??= createSyncEngine({
      store,
      log,
      clock: core.clock,
      clientId: o.clientId,
      pgUrl: config.pgUrl,
      pgReplicaUrl: config.pgReplicaUrl,
      batchSize: opts.batchSize ?? 5000,
      // A batch size chosen by the caller holds for pulls too.
      pullBatchSize: opts.batchSize,
      onBatch: () => emitStatus(),
    });
    return engine;
  }

  // Redis going away or coming back changes the polling interval and may mean missed
  // wake-ups: either way, run a cycle now.
  const onRedisChange = (): void => wakeLoop?.();

  function ensureChannel(): void {
    if (channel || !o.redis) return;
    o.redis.on('close', onRedisChange);
    o.redis.on('ready', onRedisChange);
    channel = openSyncChannel({
      redis: o.redis,
      prefix: config.redisPrefix,
      log,
      onMessage: (m) => {
        if (m.clientId !== o.clientId && m.head > state.num('watermark')) wakeLoop?.();
      },
    });
  }

  /** One cycle; serialised so a `sync.now` and the loop never run at once. */
  type CycleResult = { pushed: number; pulled: number; rejected: number; pushMs: number; pullMs: number };
  /**
   * One cycle under the data directory's writer lock: two processes syncing (or importing into)
   * one folder would push the same rows twice and count them twice. `lockWaitMs` 0 (the
   * background loop) gives up at once when another process holds the folder: it syncs for both.
   */
  function cycle(signal: AbortSignal | undefined, progress?: (done: number, message: string) => void, lockWaitMs = 600_000): Promise<CycleResult> {
    const run = async (): Promise<CycleResult> => {
      const e = getEngine();
      const lock = await acquireDirLock(config.dataDir, 'syncing this folder', {
        waitMs: lockWaitMs,
        ...(signal ? { signal } : {}),
        onWait: (holder) => log.info({ pid: holder?.pid ?? null }, 'another DEFIMON process is using this folder; sync waits for it'),
      });
      try {
        return await locked(e);
      } finally {
        lock.release();
      }
    };
    const locked = async (e: SyncEngine): Promise<CycleResult> => {
      setState('syncing');
      await e.connect();
      progress?.(0, 'pushing');
      const t0 = performance.now();
      const imported = await e.pushImports(signal);
      const push = await e.push(signal);
      if (imported + push.pushed > 0 && channel) await channel.publish({ clientId: o.clientId, head: await e.remoteHead() });
      progress?.(imported + push.pushed, 'pulling');
      const t1 = performance.now();
      const pull = await e.pull(signal);
      const t2 = performance.now();
      nextRetryAt = null;
      setState('idle');
      emitStatus(true);
      return { pushed: imported + push.pushed, pulled: pull.pulled, rejected: push.rejected + pull.rejected, pushMs: Math.round(t1 - t0), pullMs: Math.round(t2 - t1) };
    };
    const p = chain.then(run, run);
    chain = p.catch(() => undefined);
    return p;
  }

  function recordFailure(err: unknown, failures: number, delay: number): void {
    const message = clean((err as Error).message ?? String(err));
    const offline = isConnectionError(err);
    state.set('last_error', message);
    state.set('last_error_at', new Date().toISOString());
    nextRetryAt = new Date(Date.now() + delay).toISOString();
    log.warn({ err: message, failures, retryInMs: delay }, offline ? 'team database unreachable; sync is offline' : 'sync failed');
    setState(offline ? 'offline' : 'error');
    emitStatus(true);
  }

  const worker: SyncWorker = {
    status,
    get running() {
      return loopDone !== null;
    },

    async syncOnce(run = {}) {
      const t0 = performance.now();
      const maxAttempts = run.maxAttempts ?? 5;
      const policy = { baseMs: opts.minBackoffMs ?? 500, maxMs: opts.maxBackoffMs ?? 30_000, jitter: 'equal' as const };
      // A folder still held by another process after the lock's own wait is not retried on top.
      const stops = (err: unknown): boolean => (err as AppError).code === 'CANCELLED' || (err as AppError).code === 'NOT_CONFIGURED' || run.signal?.aborted === true || isLockConflict(err);
      let failures = 0;
      try {
        // Worth another attempt by the shared taxonomy: the connection, a deadlock or serialisation conflict, a retryable AppError.
        const r = await withRetry(() => cycle(run.signal, run.progress), {
          ...policy,
          maxRetries: maxAttempts - 1,
          signal: run.signal,
          retryable: (err) => !stops(err) && isRetryableError(err),
          onRetry: (err, n, delay) => {
            failures = n;
            recordFailure(err, n, delay);
          },
        });
        return { ...r, pending: outbox.pending() + pendingImportRows(), ms: Math.round(performance.now() - t0) };
      } catch (err) {
        if (stops(err)) throw err;
        failures++;
        recordFailure(err, failures, backoffDelay(failures - 1, policy));
        const e = err as { code?: unknown };
        if (err instanceof AppError) throw err;
        throw new AppError(isConnectionError(err) ? 'UNAVAILABLE' : 'INTERNAL', `sync failed after ${failures} attempt(s): ${clean((err as Error).message)}`, { retryable: isConnectionError(err), details: { pgCode: typeof e.code === 'string' ? e.code : null } });
      }
    },

    configure(more) {
      opts = { ...opts, ...more };
    },

    start(startOpts) {
      if (loopDone) return;
      if (startOpts) opts = { ...opts, ...startOpts };
      getEngine();
      ensureChannel();
      const abort = new AbortController();
      loopAbort = abort;
      loopDone = (async () => {
        let failures = 0;
        while (!abort.signal.aborted) {
          // Pub/sub wakes the worker while Redis is up; otherwise polling is all there is.
          let delay = o.redis && isRedisReady(o.redis) ? (opts.pollMs ?? 30_000) : Math.min(opts.offlinePollMs ?? 5000, opts.pollMs ?? Infinity);
          try {
            await cycle(abort.signal, undefined, 0);
            failures = 0;
          } catch (err) {
            if (abort.signal.aborted) break;
            if (isLockConflict(err)) {
              // Another process holds the folder (an import, or a `defimon sync` of its own): not
              // a failure; the next cycle comes after the usual wait.
              log.debug({ err: (err as Error).message }, 'sync skipped a cycle: the folder is busy');
            } else {
              failures++;
              delay = backoffMs(failures, opts.minBackoffMs ?? 500, opts.maxBackoffMs ?? 30_000);
              recordFailure(err, failures, delay);
            }
          }
          const wakeable = new AbortController();
          const onAbort = (): void => wakeable.abort();
          abort.signal.addEventListener('abort', onAbort, { once: true });
          // While offline only the backoff timer (or stop) ends the wait.
          wakeLoop = failures === 0 ? () => wakeable.abort() : null;
          // A wake-up or stop aborts the wait: either way the loop goes on (or ends) at once.
          await sleep(delay, wakeable.signal).catch(() => undefined);
          abort.signal.removeEventListener('abort', onAbort);
          wakeLoop = null;
        }
      })();
      emitStatus(true);
    },

    async stop() {
      if (debounce) clearTimeout(debounce);
      debounce = null;
      if (emitTimer) clearTimeout(emitTimer);
      emitTimer = null;
      loopAbort?.abort();
      await loopDone?.catch(() => undefined);
      loopDone = null;
      loopAbort = null;
      await chain.catch(() => undefined);
      await channel?.close();
      channel = null;
      o.redis?.off('close', onRedisChange);
      o.redis?.off('ready', onRedisChange);
      await engine?.close();
      engine = null;
      if (current !== 'disabled') current = 'idle';
    },

    wake() {
      if (!loopDone || debounce) return;
      debounce = setTimeout(() => {
        debounce = null;
        wakeLoop?.();
      }, opts.debounceMs ?? 250);
    },
  };
  return worker;
}
