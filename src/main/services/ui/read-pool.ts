/**
 * Runs the UI's read models in a worker thread, so a long read model (the overview over every
 * asset, a long series) never holds the request thread: health checks, cached reads and other
 * calls are answered meanwhile. The worker starts on the first read and is stopped with the
 * services. If it cannot start or dies, the read model is computed on the calling thread instead:
 * the answer is the same, only slower for everyone else.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { deserializeError, type SerializedError } from '../../../shared/errors';
import type { Logger } from '../log/logger';

export interface ReadRequest {
  id: number;
  method: string;
  input: unknown;
}
export type ReadReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

export interface ReadPool {
  /** The read model's answer from the worker; `fallback()` when the worker is not available. */
  compute<T>(method: string, input: unknown, fallback: () => T): Promise<T>;
  /** Answers computed in the worker / on the calling thread (for tests and metrics). */
  readonly stats: { offThread: number; inline: number; restarts: number };
  /** Stops the current worker as a crash would: reads in flight are answered on the calling thread, the next read starts a new worker. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

function startWorker(file: string): Worker {
  if (__filename.endsWith('.ts')) {
    // From source (tsx, vitest): register tsx's require hook from this package's own location.
    const entry = path.join(__dirname, 'read-worker.ts');
    const hook = createRequire(__filename).resolve('tsx/cjs');
    return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(entry)});`, { eval: true, workerData: { file } });
  }
  const candidates = [path.join(__dirname, 'ui-worker.js'), path.join(__dirname, '..', 'ui-worker.js')];
  const built = candidates.find((c) => existsSync(c));
  if (!built) throw new Error(`the read-model worker is missing (${candidates[0]})`);
  return new Worker(built, { workerData: { file } });
}

export function createReadPool(file: string, log: Logger): ReadPool {
  const stats = { offThread: 0, inline: 0, restarts: 0 };
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let worker: Worker | null = null;
  let disabled = false;
  let closed = false;
  let nextId = 1;

  const failAll = (err: Error): void => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  const ensure = (): Worker | null => {
    if (worker || disabled || closed) return worker;
    try {
      const w = startWorker(file);
      w.unref();
      w.on('message', (r: ReadReply) => {
        const p = pending.get(r.id);
        if (!p) return;
        pending.delete(r.id);
        if (r.ok) p.resolve(r.value);
        else p.reject(deserializeError(r.error));
      });
      const lost = (why: string) => (detail?: unknown): void => {
        if (worker !== w) return;
        worker = null;
        if (!closed) {
          stats.restarts++;
          log.warn({ err: detail }, `read-model worker ${why}; the next read starts a new one`);
        }
        failAll(new WorkerLost(why));
      };
      w.on('error', lost('failed'));
      w.on('exit', lost('exited'));
      worker = w;
    } catch (err) {
      disabled = true;
      log.warn({ err }, 'read models run on the request thread: the worker did not start');
    }
    return worker;
  };

  return {
    stats,
    async compute<T>(method: string, input: unknown, fallback: () => T): Promise<T> {
      const w = ensure();
      if (w) {
        const id = nextId++;
        try {
          const value = await new Promise<unknown>((resolve, reject) => {
            pending.set(id, { resolve, reject });
            w.postMessage({ id, method, input } satisfies ReadRequest);
          });
          stats.offThread++;
          return value as T;
        } catch (err) {
          // A lost worker is not the caller's error: answer from this thread.
          if (!(err instanceof WorkerLost)) throw err;
        }
      }
      stats.inline++;
      return fallback();
    },
    async kill() {
      await worker?.terminate();
    },
    async close() {
      closed = true;
      const w = worker;
      worker = null;
      failAll(new WorkerLost('stopped'));
      if (w) await w.terminate();
    },
  };
}

class WorkerLost extends Error {
  constructor(why: string) {
    super(`the read-model worker ${why}`);
  }
}
