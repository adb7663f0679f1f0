/**
 * The security suite's harness: the real headless server on its own data directory and port,
 * attacked over real HTTP with node:http, so the request line, the path and every header go on
 * the wire exactly as written (fetch would normalise the path and add its own headers).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../../src/main/headless/server';
import type { DefimonConfigInput } from '../../src/main/services/config/config';
import { createTestServices } from '../helpers/app';

export const API_KEY = 'team-key-0123456789abcdef';
export const ADMIN_KEY = 'admin-key-0123456789abcdef';

export interface RunningServer {
  host: string;
  port: number;
  app: FastifyInstance;
  services: Awaited<ReturnType<typeof createTestServices>>['services'];
  dataDir: string;
  close(): Promise<void>;
}

/** Starts the server bound to `host` (port 0) on a fresh data directory. */
export async function startServer(host: string, server: Partial<NonNullable<DefimonConfigInput['server']>> = {}, overrides: Partial<DefimonConfigInput> = {}): Promise<RunningServer> {
  const ctx = await createTestServices({ autoImport: false, autoCollect: false, ...overrides, server: { host, port: 0, ...server } });
  // A stand-in for the built web app: the server serves whatever index.html it is given.
  const webRoot = path.join(ctx.dataDir, 'web');
  mkdirSync(webRoot, { recursive: true });
  writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>DEFIMON</title>');
  const app = await createServer({ services: ctx.services, host, port: 0, webRoot });
  await app.listen({ host, port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    host,
    port,
    app,
    services: ctx.services,
    dataDir: ctx.dataDir,
    async close() {
      await app.close();
      await ctx.cleanup();
    },
  };
}

/** Keyed server: bound to 127.0.0.2, which is not a loopback name the server trusts, so keys are required. */
export function startKeyedServer(server: Partial<NonNullable<DefimonConfigInput['server']>> = {}, overrides: Partial<DefimonConfigInput> = {}): Promise<RunningServer> {
  return startServer('127.0.0.2', { apiKeys: [API_KEY], ...server }, overrides);
}

export function startPlainServer(server: Partial<NonNullable<DefimonConfigInput['server']>> = {}, overrides: Partial<DefimonConfigInput> = {}): Promise<RunningServer> {
  return startServer('127.0.0.1', server, overrides);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): unknown;
}

export interface RawRequest {
  method?: string;
  path: string;
  /** Sent exactly; `host` defaults to the server's own `address:port`. `null` removes a header. */
  headers?: Record<string, string | null>;
  body?: string | Buffer;
  /** Resolve after the status line and headers (for streams); the socket is then destroyed. */
  headersOnly?: boolean;
}

/** One request with the path and headers exactly as given. */
export function raw(srv: Pick<RunningServer, 'host' | 'port'>, req: RawRequest): Promise<RawResponse> {
  const headers: Record<string, string> = { host: `${srv.host}:${srv.port}` };
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    if (v === null) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  if (req.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const r = http.request({ host: srv.host, port: srv.port, method: req.method ?? 'GET', path: req.path, headers, setHost: false, agent: false }, (res) => {
      if (req.headersOnly) {
        const out = { status: res.statusCode ?? 0, headers: res.headers, body: '', json: () => null };
        res.destroy();
        resolve(out);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as unknown });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.setTimeout(30_000, () => r.destroy(new Error(`no answer to ${req.method ?? 'GET'} ${req.path} in 30 s`)));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** A JSON API call, as the web app makes it. */
export function api(srv: Pick<RunningServer, 'host' | 'port'>, method: string, input: unknown = {}, headers: Record<string, string | null> = {}): Promise<RawResponse> {
  return raw(srv, { method: 'POST', path: `/api/${method}`, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(input) });
}

export function errorCode(res: RawResponse): string | undefined {
  try {
    return (res.json() as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
