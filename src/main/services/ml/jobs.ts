/**
 * Runs a training job in a worker thread. From source (tsx, vitest) the worker is
 * worker.ts loaded through tsx's require hook; from the build it is the bundled ml-worker.js beside this code.
 * Cancelling terminates the worker at once: training holds nothing that needs cleaning up.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError, deserializeError, type SerializedError } from '../../../shared/errors';
import type { FitData, FoldJob, FoldOutput, TrainParams, TrainResult } from './pipeline';

export type WorkerJob =
  | { kind: 'train'; dbPath: string; until: string | undefined; params: Partial<TrainParams>; threads: number }
  | { kind: 'folds'; data: FitData; cols: number[]; params: TrainParams; jobs: FoldJob[] };

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'step'; message: string }
  | { type: 'result'; result: unknown }
  | { type: 'error'; error: SerializedError };

function createWorker(job: WorkerJob): Worker {
  if (__filename.endsWith('.ts')) {
    // From source: a tiny CommonJS stub registers tsx's require hook, then loads worker.ts. The hook
    // is resolved from this package's own location, not the process's working directory: an eval'd
    // worker resolves bare names from the cwd, so `cd /tmp && defimon train` could not find tsx.
    const entry = path.join(__dirname, 'worker.ts');
    const hook = createRequire(__filename).resolve('tsx/cjs');
    return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(entry)});`, { eval: true, workerData: job });
  }
  // Bundled: this code may sit in out/main or in a shared chunk below it.
  const candidates = [path.join(__dirname, 'ml-worker.js'), path.join(__dirname, '..', 'ml-worker.js')];
  const built = candidates.find((c) => existsSync(c));
  if (!built) throw new AppError('INTERNAL', `the training worker is missing (${candidates[0]}); rebuild the app`);
  return new Worker(built, { workerData: job });
}

function runWorker<T>(job: WorkerJob, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number, message: string) => void; onStep?: (message: string) => void }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new AppError('CANCELLED', `${job.kind} was cancelled`));
    let worker: Worker;
    try {
      worker = createWorker(job);
    } catch (err) {
      return reject(err);
    }
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      finish(() => reject(new AppError('CANCELLED', `${job.kind} was cancelled`)));
      void worker.terminate();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') opts.onProgress?.(m.done, m.total, m.message);
      else if (m.type === 'step') opts.onStep?.(m.message);
      else if (m.type === 'result') finish(() => resolve(m.result as T));
      else finish(() => reject(deserializeError(m.error)));
    });
    worker.on('error', (err) => finish(() => reject(new AppError('INTERNAL', `the ml worker failed: ${err.message}`, { cause: err }))));
    worker.on('exit', (code) => finish(() => reject(new AppError('INTERNAL', `the ml worker exited (code ${code}) without a result`))));
  });
}

export function trainInWorker(job: Omit<Extract<WorkerJob, { kind: 'train' }>, 'kind'>, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number, message: string) => void } = {}): Promise<TrainResult> {
  return runWorker<TrainResult>({ kind: 'train', ...job }, opts);
}

/** Fits a share of the fold jobs on another thread (used by the training worker itself). */
export function foldsInWorker(job: Omit<Extract<WorkerJob, { kind: 'folds' }>, 'kind'>, opts: { signal?: AbortSignal; onStep?: (message: string) => void } = {}): Promise<FoldOutput[]> {
  return runWorker<FoldOutput[]>({ kind: 'folds', ...job }, opts);
}
