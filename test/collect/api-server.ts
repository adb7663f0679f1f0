/**
 * A local HTTP server that speaks whatever the test scripts: routes answer from a queue of
 * scripted replies (status, headers, body, or a fault), and every request is recorded.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Reply =
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { status?: number; headers?: Record<string, string>; body: string }
  | { hang: true }
  | { truncate: string; declaredLength: number };

export interface Recorded {
  method: string;
  path: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface ApiServer {
  url: string;
  requests: Recorded[];
  /** Replies for a path (without query), used in order; the last one repeats. */
  on(path: string, ...replies: Reply[]): void;
  /** A function answering a path (query included in `url`). */
  handle(path: string, fn: (req: Recorded) => Reply): void;
  count(path: string): number;
  close(): Promise<void>;
}

export async function startApiServer(): Promise<ApiServer> {
  const queues = new Map<string, Reply[]>();
  const handlers = new Map<string, (req: Recorded) => Reply>();
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += String(d)));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const rec: Recorded = { method: req.method ?? 'GET', path: url.pathname, url, headers: req.headers, body, at: Date.now() };
      requests.push(rec);
      const fn = handlers.get(url.pathname);
      let reply: Reply | undefined;
      if (fn) reply = fn(rec);
      else {
        const q = queues.get(url.pathname);
        reply = q && q.length > 1 ? q.shift() : q?.[0];
      }
      if (!reply) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      if ('hang' in reply) return; // never answers
      if ('truncate' in reply) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(reply.declaredLength) });
        res.write(reply.truncate);
        setTimeout(() => res.destroy(), 20);
        return;
      }
      const text = 'json' in reply ? JSON.stringify(reply.json) : reply.body;
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(text);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on(path, ...replies) {
      queues.set(path, replies);
    },
    handle(path, fn) {
      handlers.set(path, fn);
    },
    count(path) {
      return requests.filter((r) => r.path === path).length;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
