/**
 * A JSON-RPC provider in front of a real local node that refuses what the hosted providers
 * refuse, in their exact words, status codes and shapes (taken from their documentation and
 * from answers recorded in public issue threads):
 *
 * - `alchemy-range`: the free tier's block-span cap, -32600 with a suggested range;
 * - `alchemy-size`: the response-size cap, -32602 "Log response size exceeded ..." with a range
 *   whose logs fit;
 * - `infura-range`: today's -32602 "range N exceeds limit of M";
 * - `infura-results`: the documented -32005 "query returned more than N results. Try with this
 *   block range [..]." (upper-case hex, as documented);
 * - `quicknode`: HTTP 413 with a -32614 "eth_getLogs is limited to a N range" body;
 * - `bare`: a bare -32602 "invalid params" for a span over the cap;
 * - `geth-batch`: an over-long batch answered with a one-element array for the first id;
 * - `erigon-batch`: an over-long batch answered with one `{"error": ...}` object.
 *
 * Everything else is forwarded to the node. Every request is counted. With `holdHeadersMs`, a
 * batch of block headers is answered that much later (a slow round trip), and
 * `headersBesideLogs` counts the header batches that had an eth_getLogs request in flight
 * beside them at some point.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeMode = 'alchemy-range' | 'alchemy-size' | 'infura-range' | 'infura-results' | 'quicknode' | 'bare' | 'geth-batch' | 'erigon-batch' | 'none';

export interface FakeRpc {
  url: string;
  stats: { requests: number; refusedRanges: number; refusedBatches: number; widestLogSpan: number; largestBatch: number; headersBesideLogs: number };
  close(): Promise<void>;
}

interface Req {
  jsonrpc?: string;
  id: number | string | null;
  method: string;
  params?: unknown[];
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export async function startFakeRpc(nodeUrl: string, mode: FakeMode, opts: { maxSpan?: number; maxLogs?: number; maxBatch?: number; holdHeadersMs?: number } = {}): Promise<FakeRpc> {
  const maxSpan = opts.maxSpan ?? 5;
  const maxLogs = opts.maxLogs ?? 300;
  const maxBatch = opts.maxBatch ?? 3;
  const stats = { requests: 0, refusedRanges: 0, refusedBatches: 0, widestLogSpan: 0, largestBatch: 0, headersBesideLogs: 0 };
  /** eth_getLogs requests being answered, and the header batches in flight (each flagged once it saw one). */
  let logsInFlight = 0;
  const headersInFlight = new Set<{ beside: boolean }>();
  const logsStarted = (): void => {
    logsInFlight++;
    for (const h of headersInFlight) h.beside = true;
  };
  const holdHeaders = async (): Promise<void> => {
    const h = { beside: logsInFlight > 0 };
    headersInFlight.add(h);
    await new Promise((resolve) => setTimeout(resolve, opts.holdHeadersMs));
    headersInFlight.delete(h);
    if (h.beside) stats.headersBesideLogs++;
  };

  const forward = async (body: unknown): Promise<unknown> => {
    const res = await fetch(nodeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  };

  /** The answer for one getLogs call, or null to forward it. */
  const refuseLogs = async (r: Req): Promise<{ status: number; body: unknown } | null> => {
    const f = (r.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
    const from = Number(BigInt(f.fromBlock ?? '0x0'));
    const to = Number(BigInt(f.toBlock ?? '0x0'));
    const span = to - from + 1;
    const err = (code: number, message: string, status = 200) => ({ status, body: { jsonrpc: '2.0', id: r.id, error: { code, message } } });
    if (mode === 'alchemy-range' && span > maxSpan) return err(-32600, `You can make eth_getLogs requests with up to a ${maxSpan} block range. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + maxSpan - 1)}]`);
    if (mode === 'infura-range' && to - from > maxSpan) return err(-32602, `range ${to - from} exceeds limit of ${maxSpan}`);
    if (mode === 'quicknode' && span > maxSpan) return err(-32614, `eth_getLogs is limited to a ${maxSpan.toLocaleString('en-US')} range`, 413);
    if (mode === 'bare' && span > maxSpan) return err(-32602, 'invalid params');
    // Result caps never refuse a single block (a block's logs are answered whole).
    if ((mode === 'alchemy-size' || mode === 'infura-results') && span > 1) {
      const answer = (await forward(r)) as { result?: { blockNumber: string }[] };
      const logs = answer.result ?? [];
      if (logs.length <= maxLogs) return { status: 200, body: answer };
      // The widest range from `from` whose logs still fit (at least one block).
      const cut = Number(BigInt((logs[maxLogs] as { blockNumber: string }).blockNumber));
      const fits = Math.max(from, cut - 1);
      if (mode === 'alchemy-size')
        return err(-32602, `Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [${hex(from)}, ${hex(fits)}]`);
      return err(-32005, `query returned more than ${maxLogs} results. Try with this block range [${hex(from).toUpperCase().replace('0X', '0x')}, ${hex(fits).toUpperCase().replace('0X', '0x')}].`);
    }
    return null;
  };

  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += String(d)));
    req.on('end', () => {
      void (async () => {
        stats.requests++;
        let answeringLogs = false;
        const send = (status: number, body: unknown): void => {
          if (answeringLogs) logsInFlight--;
          answeringLogs = false;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        try {
          const body = JSON.parse(text) as Req | Req[];
          if (Array.isArray(body)) {
            stats.largestBatch = Math.max(stats.largestBatch, body.length);
            if (mode === 'geth-batch' && body.length > maxBatch) {
              stats.refusedBatches++;
              return send(200, [{ jsonrpc: '2.0', id: body[0]?.id ?? null, error: { code: -32600, message: 'batch too large' } }]);
            }
            if (mode === 'erigon-batch' && body.length > maxBatch) {
              stats.refusedBatches++;
              return send(200, { error: { code: -32000, message: `batch limit ${maxBatch} exceeded: ${body.length} requests given` } });
            }
            if (opts.holdHeadersMs !== undefined && body.every((r) => r.method === 'eth_getBlockByNumber')) await holdHeaders();
            const out: unknown[] = [];
            for (const r of body) {
              if (r.method === 'eth_getLogs') {
                const refused = await refuseLogs(r);
                if (refused) {
                  stats.refusedRanges++;
                  out.push(refused.body);
                  continue;
                }
              }
              out.push(await forward(r));
            }
            return send(200, out);
          }
          if (body.method === 'eth_getLogs') {
            logsStarted();
            answeringLogs = true;
            const f = (body.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
            const refused = await refuseLogs(body);
            if (refused && (refused.body as { error?: unknown }).error) {
              stats.refusedRanges++;
              return send(refused.status, refused.body);
            }
            stats.widestLogSpan = Math.max(stats.widestLogSpan, Number(BigInt(f.toBlock ?? '0x0')) - Number(BigInt(f.fromBlock ?? '0x0')) + 1);
            if (refused) return send(200, refused.body);
          }
          send(200, await forward(body));
        } catch (err) {
          send(500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: (err as Error).message } });
        }
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
