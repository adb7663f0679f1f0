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
import { AppError, deserializeError, type SerializedError } from '../../../shared/errors';
import type { Logger } from '../log/logger';

export interface ReadRequest {
  id: number;
  method: string;
  input: unknown;
}
export type ReadReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

export interface ReadPool {
  /**
   * The read model's answer from the worker; `fallback()` when the worker is not available.
   * Aborting `signal` while the read still waits for the worker drops it (CANCELLED).
   */
  compute<T>(method: string, input: unknown, fallback: () => T, signal?: AbortSignal): Promise<T>;
  /** Reads answered in the worker / on the calling thread, worker restarts, reads dropped because their caller left. */
  readonly stats: { offThread: number; inline: number; restarts: number; dropped: number };
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

interface Job {
  id: number;
  method: string;
  input: unknown;
  signal: AbortSignal | undefined;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export function createReadPool(file: string, log: Logger): ReadPool {
  const stats = { offThread: 0, inline: 0, restarts: 0, dropped: 0 };
  // The worker computes one read at a time; the rest wait here, where a read whose caller has
  // gone (the HTTP client disconnected) is dropped before it costs anything.
  const queue: Job[] = [];
  let current: Job | null = null;
  let worker: Worker | null = null;
  let disabled = false;
  let closed = false;
  let nextId = 1;

  const cancelled = (): AppError => new AppError('CANCELLED', 'the caller went away before the read was computed');

  const pump = (): void => {
    if (current || closed) return;
    while (queue.length > 0 && queue[0]!.signal?.aborted) {
      stats.dropped++;
      queue.shift()!.reject(cancelled());
    }
    if (queue.length === 0) return;
    const w = ensure();
    if (!w) {
      for (const job of queue.splice(0)) job.reject(new WorkerLost('is not available'));
      return;
    }
    const next = queue.shift()!;
    current = next;
    w.postMessage({ id: next.id, method: next.method, input: next.input } satisfies ReadRequest);
  };

  const ensure = (): Worker | null => {
    if (worker || disabled || closed) return worker;
    try {
      const w = startWorker(file);
      w.unref();
      w.on('message', (r: ReadReply) => {
        const job = current;
        if (!job || job.id !== r.id) return;
        current = null;
        if (r.ok) job.resolve(r.value);
        else job.reject(deserializeError(r.error));
        pump();
      });
      const lost = (why: string) => (detail?: unknown): void => {
        if (worker !== w) return;
        worker = null;
        if (!closed) {
          stats.restarts++;
          log.warn({ err: detail }, `read-model worker ${why}; the next read starts a new one`);
        }
        const job = current;
        current = null;
        job?.reject(new WorkerLost(why));
        pump();
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
    async compute<T>(method: string, input: unknown, fallback: () => T, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) throw cancelled();
      if (!disabled && !closed) {
        try {
          const value = await new Promise<unknown>((resolve, reject) => {
            const job: Job = { id: nextId++, method, input, signal, resolve, reject };
            // A caller that leaves while its read waits takes it out of the queue at once.
            signal?.addEventListener(
              'abort',
              () => {
                const i = queue.indexOf(job);
                if (i < 0) return;
                queue.splice(i, 1);
                stats.dropped++;
                reject(cancelled());
              },
              { once: true },
            );
            queue.push(job);
            pump();
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
      for (const job of queue.splice(0)) job.reject(new WorkerLost('stopped'));
      current?.reject(new WorkerLost('stopped'));
      current = null;
      if (w) await w.terminate();
    },
  };
}

class WorkerLost extends Error {
  constructor(why: string) {
    super(`the read-model worker ${why}`);
  }
}
