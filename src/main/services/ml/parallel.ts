/**
 * Spreads the independent model fits of a training (each walk-forward fold and the final fit)
 * over threads: this thread takes one share, helper worker threads the others. Jobs are dealt
 * largest first to the least-loaded thread. Results do not depend on the thread count: every fit
 * is seeded the same way wherever it runs.
 */
import os from 'node:os';
import { foldsInWorker } from './jobs';
import { sequentialExecutor, type FoldExecutor, type FoldJob } from './pipeline';

/** Threads worth using for training: the cores, at most 4 (memory grows with each). */
export function trainingThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, 4));
}

export function parallelExecutor(threads: number): FoldExecutor {
  return async (data, cols, p, jobs, step, signal) => {
    if (threads < 2 || jobs.length < 2) return sequentialExecutor(data, cols, p, jobs, step, signal);
    const loads = new Array<number>(threads).fill(0);
    const shares: FoldJob[][] = loads.map(() => []);
    for (const job of [...jobs].sort((a, b) => b.trainRows.length - a.trainRows.length)) {
      const t = loads.indexOf(Math.min(...loads));
      shares[t]!.push(job);
      loads[t] = loads[t]! + job.trainRows.length;
    }
    // One failure (or a cancel) stops every helper instead of leaving it computing.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const helpers = shares
        .slice(1)
        .filter((share) => share.length > 0)
        .map((share) => foldsInWorker({ data, cols, params: p, jobs: share }, { signal: stop.signal, onStep: step }));
      const results = await Promise.all([sequentialExecutor(data, cols, p, shares[0]!, step, stop.signal), ...helpers]);
      return results.flat();
    } catch (err) {
      stop.abort(err);
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };
}
