/**
 * The sync domain: the outbox hook on every local write, the sync worker (push, pull, offline
 * and back), Redis-backed ports when a team Redis is configured, and its handlers.
 *
 * The worker starts by itself in the desktop app and the web server (`mode` other than 'cli');
 * CLI commands other than `defimon sync` leave it stopped, so a one-off command never waits on
 * the network.
 */
import type { syncMethods } from '../../../shared/contract/sync';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { createLocalPorts } from '../kernel/ports';
import { installOutboxHook, syncClientId } from './local';
import { createRedisPorts, openRedis, type RedisClient } from './redis';
import { createSyncWorker, type SyncWorker, type WorkerOptions } from './worker';

export { syncClientId } from './local';

export interface SyncDomain {
  handlers: HandlersFor<typeof syncMethods>;
  readonly worker: SyncWorker;
  /** Starts the background worker (the desktop app and the server do at start). */
  start(opts?: WorkerOptions): void;
  readonly redis: RedisClient | null;
}

const domains = new WeakMap<Core, SyncDomain>();

/** The sync domain built for these services (for the CLI and tests). */
export function getSyncDomain(core: Core): SyncDomain {
  const d = domains.get(core);
  if (!d) throw new Error('the sync domain was not created for these services');
  return d;
}

export function createSyncDomain(core: Core, opts: WorkerOptions = {}): SyncDomain {
  const clientId = syncClientId(core.store);
  let worker: SyncWorker | null = null;
  const removeHook = installOutboxHook(core.store, () => worker?.wake());

  let redis: RedisClient | null = null;
  if (core.config.redisUrl) {
    redis = openRedis(core.config.redisUrl);
    // Reconnection is automatic; errors surface in status, not as unhandled events.
    redis.on('error', (err: Error) => core.log.debug({ err: err.message }, 'redis connection error'));
    const shared = createRedisPorts({ redis, prefix: core.config.redisPrefix, fallback: createLocalPorts(), log: core.log });
    core.ports.cache = shared.cache;
    core.ports.limiter = shared.limiter;
    core.ports.locks = shared.locks;
  }

  worker = createSyncWorker({ core, clientId, redis, options: opts });
  const w = worker;

  core.onShutdown(async () => {
    removeHook();
    await w.stop();
    redis?.disconnect();
  });

  const domain: SyncDomain = {
    worker: w,
    redis,
    start: (startOpts) => w.start(startOpts),
    handlers: {
      'sync.status': () => w.status(),
      'sync.now': (_input, ctx) => core.tasks.run('sync', ({ signal, progress }) => w.syncOnce({ signal, progress: (done, message) => progress(done, null, message) }), ctx.signal ? { signal: ctx.signal } : {}),
      'sync.rejects': ({ limit }) =>
        (core.store.db.prepare<unknown[], {
          id: number;
          direction: 'push' | 'pull';
          table: string | null;
          seq: number | null;
          row: string | null;
          error: string;
          at: string;
        }>('SELECT id, direction, tbl AS "table", seq, row_data AS row, error, at FROM sync_rejects ORDER BY id DESC LIMIT ?').all(limit)),
    },
  };
  domains.set(core, domain);
  if (core.config.pgUrl && core.config.mode !== 'cli') w.start();
  return domain;
}
