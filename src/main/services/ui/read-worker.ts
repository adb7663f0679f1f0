/**
 * Worker thread entry: the UI's read models computed off the request thread. It holds its own
 * read-only connection to the database and answers one request at a time; only the answers
 * cross back. A write on the main connection is visible here from the next statement on (WAL).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../../shared/errors';
import { openSqlite } from '../storage/sqlite';
import { computeReadModel, isReadModel } from './read-models';
import type { ReadRequest, ReadReply } from './read-pool';

if (parentPort) {
  const port = parentPort;
  const store = openSqlite({ file: (workerData as { file: string }).file, readonly: true });
  port.on('message', (m: ReadRequest) => {
    let reply: ReadReply;
    try {
      if (!isReadModel(m.method)) throw new Error(`not a read model: ${m.method}`);
      reply = { id: m.id, ok: true, value: computeReadModel(store, m.method, m.input as never) };
    } catch (err) {
      reply = { id: m.id, ok: false, error: serializeError(err) };
    }
    port.postMessage(reply);
  });
}
