/**
 * The headless HTTP server (web mode and team servers): `POST /api/<method>` validated by the
 * contract's schemas, `GET /api/events` (server-sent events), `/health`, `/metrics`
 * (Prometheus), and the built renderer as a web app. Beyond loopback it requires API keys and
 * rate-limits per key.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import client from 'prom-client';
import { isMethodName } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import type { Services } from '../services';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface ServerOptions {
  services: Services;
  host?: string;
  port?: number;
  /** Built renderer to serve; absent means API only. */
  webRoot?: string | null;
}

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

export function statusFor(code: string): number {
  switch (code) {
    case 'INVALID_INPUT':
    case 'MALFORMED_DATA':
      return 400;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
    case 'UNKNOWN_METHOD':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'RATE_LIMITED':
      return 429;
    case 'UNAVAILABLE':
    case 'NOT_CONFIGURED':
      return 503;
    case 'UPSTREAM':
      return 502;
    case 'TIMEOUT':
      return 504;
    case 'CANCELLED':
      return 499;
    default:
      return 500;
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const key = req.headers['x-api-key'];
  if (typeof key === 'string') return key;
  // EventSource cannot send headers: the event stream alone also takes the key as ?key=.
  if (req.url.startsWith('/api/events?')) {
    const q = new URL(req.url, 'http://localhost').searchParams.get('key');
    if (q) return q;
  }
  return undefined;
}

export async function createServer(opts: ServerOptions): Promise<FastifyInstance> {
  const { services } = opts;
  const cfg = services.config.server;
  const host = opts.host ?? cfg.host;
  const apiKeys = new Set(cfg.apiKeys);
  const requireKey = !isLoopback(host);
  if (requireKey && apiKeys.size === 0) {
    throw new AppError('NOT_CONFIGURED', `refusing to listen on ${host} without API keys: set DEFIMON_API_KEYS (comma-separated, 16+ characters each) or bind to 127.0.0.1`);
  }

  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'defimon_' });
  const latency = new client.Histogram({
    name: 'defimon_http_request_duration_seconds',
    help: 'API request latency by method and outcome',
    labelNames: ['method', 'code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const eventsCounter = new client.Counter({ name: 'defimon_events_total', help: 'Events emitted by the services, by name (collector and sync progress among them)', labelNames: ['event'] as const, registers: [registry] });
  const offEvents = services.core.bus.onAny((name) => eventsCounter.inc({ event: name }));
  app.addHook('onClose', async () => offEvents());

  await app.register(fastifyRateLimit, {
    max: cfg.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (req) => bearer(req) ?? req.ip,
    allowList: (req) => req.url === '/health',
    errorResponseBuilder: (_req, ctx) => ({ ok: false, error: { code: 'RATE_LIMITED', message: `rate limit of ${ctx.max} requests per minute exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`, retryable: true }, statusCode: 429 }),
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!requireKey || req.url === '/health') return;
    if (!req.url.startsWith('/api/') && req.url !== '/metrics') return; // the web app's static files
    const key = bearer(req);
    if (key === undefined || !apiKeys.has(key)) {
      await reply.code(401).send({ ok: false, error: { code: 'FORBIDDEN', message: 'missing or unknown API key (send Authorization: Bearer <key>)', retryable: false } });
    }
  });

  app.get('/health', async () => ({ ok: true, version: (await services.call('system.info', {}, { origin: 'http' })).ok }));

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  app.post<{ Params: { method: string } }>('/api/:method', async (req, reply) => {
    const { method } = req.params;
    const end = latency.startTimer({ method: isMethodName(method) ? method : 'unknown' });
    const controller = new AbortController();
    // The request stream closes as soon as its body is read; only the response closing before it
    // finished means the client went away, and only then is the call cancelled.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    const env = await services.call(method, req.body ?? undefined, { origin: 'http', signal: controller.signal });
    end({ code: env.ok ? 'ok' : env.error.code });
    return reply.code(env.ok ? 200 : statusFor(env.error.code)).send(env);
  });

  app.get('/api/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const off = services.core.bus.onAny((name, payload) => {
      res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(ping);
      off();
    });
  });

  const webRoot = opts.webRoot === undefined ? (cfg.webRoot ?? null) : opts.webRoot;
  if (webRoot && existsSync(path.join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: path.resolve(webRoot), wildcard: false });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api/')) return reply.sendFile('index.html');
      return reply.code(404).send({ ok: false, error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, retryable: false } });
    });
  }
  return app;
}
