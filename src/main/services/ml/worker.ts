/**
 * Worker thread entry: training runs here, never on the main thread. It opens its own
 * read-only connection to the database, so only the results cross back (the main thread writes
 * them through the store, where the sync outbox hooks in).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { serializeError } from '../../../shared/errors';
import type { WorkerJob, WorkerMessage } from './jobs';
import { parallelExecutor } from './parallel';
import { loadPanel } from './panel';
import { runPipeline, sequentialExecutor } from './pipeline';

async function runJob(job: WorkerJob, post: (m: WorkerMessage) => void): Promise<unknown> {
  if (job.kind === 'folds') return sequentialExecutor(job.data, job.cols, job.params, job.jobs, (message) => post({ type: 'step', message }));
  const db = new Database(job.dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const panel = loadPanel(db, { until: job.until });
    return await runPipeline(panel, job.params, { progress: (done, total, message) => post({ type: 'progress', done, total, message }), executor: parallelExecutor(job.threads) });
  } finally {
    db.close();
  }
}

if (parentPort) {
  const port = parentPort;
  const post = (m: WorkerMessage): void => port.postMessage(m);
  runJob(workerData as WorkerJob, post).then(
    (result) => post({ type: 'result', result }),
    (err: unknown) => post({ type: 'error', error: serializeError(err) }),
  );
}
