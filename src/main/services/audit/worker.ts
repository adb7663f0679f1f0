/**
 * Worker thread entry of source audits: parses and analyses one group of files per message and
 * says which step it is on, so the runner can hold each step to its time budget and stop this
 * thread (never the caller's) when a file runs too long.
 */
import { parentPort } from 'node:worker_threads';
import { analyzeGroup, warmUp } from './analyze';
import type { WorkerReply, WorkerRequest } from './runner';

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: WorkerRequest) => {
    const post = (m: WorkerReply): void => port.postMessage(m);
    try {
      const result = analyzeGroup(req.group, (step) => post({ id: req.id, type: 'step', step }));
      post({ id: req.id, type: 'result', result });
    } catch (err) {
      post(
        err instanceof RangeError
          ? { id: req.id, type: 'failed', code: 'MALFORMED_DATA', reason: 'the code is nested too deeply for the analyser' }
          : { id: req.id, type: 'failed', code: 'INTERNAL', reason: 'the analyser failed on this code' },
      );
    }
  });
  // Load and build the parser before the first file, so its budget is spent on the file alone.
  warmUp();
  port.postMessage({ id: -1, type: 'ready' } satisfies WorkerReply);
}
