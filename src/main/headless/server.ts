/**
 * The headless HTTP server (web mode and team servers): `POST /api/<method>` validated by the
 * contract's schemas, `GET /api/events` (server-sent events), `/health`, `/metrics`
 * (Prometheus), and the built renderer as a web app.
 *
 * Trust boundary, in the order a request meets it:
 * 1. every request: its Host header must name this server (the address it was reached on, the
 *    loopback names, or a configured public name) — a DNS-rebound name is refused;
 * 2. the API routes (`/api/*`, `/metrics`) carry their own hooks, so they run on the route the
 *    router actually matched, whatever the spelling of the URL: the API key is verified
 *    (constant time), the rate limit is taken per verified key, else per browser session, else
 *    per client address, then a missing or unknown key is refused where keys are required;
 *    a foreign Origin (or a cross-site fetch) is refused;
 * 3. API calls must be `application/json` with a JSON object body (no form or text/plain
 *    request a web page can send without a preflight).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import client from 'prom-client';
import { isMethodName } from '../../shared/contract';
import { AppError, type ErrorCode, type SerializedError } from '../../shared/errors';
import { CONTENT_SECURITY_POLICY } from '../../shared/security';
import type { Services } from '../services';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const SESSION_COOKIE = 'defimon_session';
/** Where the renderer's build writes its code, styles and images, each named by its content hash (Vite's `assets/[name]-[hash]`). */
const HASHED_ASSETS_DIR = 'assets';

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

/** What the API hooks learnt about the caller; set before the rate limit runs. */
interface Caller {
  /** A verified key's fingerprint (never the key), or null. */
  keyId: string | null;
  admin: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    defimonCaller?: Caller;
  }
  interface FastifyContextConfig {
    /** The route reads the API key from `?key=` too (EventSource cannot send headers). */
    keyInQuery?: boolean;
  }
}

function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim();
  const key = req.headers['x-api-key'];
  if (typeof key === 'string') return key;
  if (req.routeOptions.config.keyInQuery === true) {
    const q = (req.query as Record<string, unknown> | undefined)?.key;
    if (typeof q === 'string' && q !== '') return q;
  }
  return undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Compares a presented key with every configured key in constant time: fixed-length digests
 * compared with timingSafeEqual, and no early exit, so neither the key's length nor which key
 * matched shows in the timing.
 */
export function createKeyMatcher(keys: readonly string[]): (presented: string) => string | null {
  const digests = keys.map((k) => ({ key: k, d: digest(k) }));
  return (presented) => {
    const d = digest(presented);
    let match: string | null = null;
    for (const k of digests) if (timingSafeEqual(d, k.d) && match === null) match = k.key;
    return match;
  };
}

function envelope(code: ErrorCode, message: string, retryable = false): { ok: false; error: SerializedError } {
  return { ok: false, error: { code, message, retryable } };
}

function hostOnly(value: string): string {
  return value.toLowerCase().replace(/\.$/, '');
}

/** `host[:port]` as sent in a Host header, with IPv6 in brackets. */
function hostWithPort(host: string, port: number): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** The path of a request URL, percent-decoded when it decodes (for choosing a fallback only, never for access). */
function decodedPath(url: string): string {
  const raw = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export async function createServer(opts: ServerOptions): Promise<FastifyInstance> {
  const { services } = opts;
  const cfg = services.config.server;
  const host = opts.host ?? cfg.host;
  const matchKey = createKeyMatcher([...cfg.apiKeys, ...cfg.adminKeys]);
  const adminKeys = new Set(cfg.adminKeys);
  const requireKey = !isLoopback(host);
  if (requireKey && cfg.apiKeys.length + cfg.adminKeys.length === 0) {
    throw new AppError('NOT_CONFIGURED', `refusing to listen on ${host} without API keys: set DEFIMON_API_KEYS (comma-separated, 16+ characters each) or bind to 127.0.0.1`);
  }
  const publicHosts = new Set(cfg.publicHosts.map(hostOnly));

  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  // Only JSON bodies: a web page can send text/plain (or a form) cross-site without a preflight.
  app.removeContentTypeParser(['text/plain']);

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

  // Fastify's own refusals (unparsable JSON 400, body too large 413, media type 415, rate limit
  // 429) answer in the API's error envelope like every other error.
  app.setErrorHandler((err: { statusCode?: number; code?: string; message?: string }, _req, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const code: ErrorCode = status === 429 ? 'RATE_LIMITED' : status === 400 && err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'MALFORMED_DATA' : status < 500 ? 'INVALID_INPUT' : 'INTERNAL';
    const message = status === 415 ? 'API calls take a JSON body: send content-type: application/json' : status < 500 ? (err.message ?? `HTTP ${status}`) : 'internal server error';
    return reply.code(status).send(envelope(code, message, status === 429));
  });

  // Host allow-list (DNS rebinding): the name must be one this server answers to, on the port the
  // connection came in on. An IP literal equal to the local address cannot be a rebound name.
  app.addHook('onRequest', async (req, reply) => {
    const raw = req.headers.host;
    const port = req.socket.localPort;
    const local = req.socket.localAddress?.replace(/^::ffff:/, '');
    const given = typeof raw === 'string' ? hostOnly(raw) : '';
    const names = ['localhost', '127.0.0.1', '::1', ...(local ? [local] : []), ...publicHosts];
    const allowed = new Set<string>(publicHosts);
    // No socket port means an in-process request (fastify's inject): nothing came over a network,
    // so only the name is checked.
    for (const name of names) allowed.add(port === undefined ? hostWithPort(name, Number(given.match(/:(\d+)$/)?.[1] ?? 80)) : hostWithPort(name, port));
    if (!allowed.has(given)) {
      return reply.code(421).send(envelope('FORBIDDEN', `this server does not answer to the host "${String(raw ?? '')}"; a team server lists the names it is reached by in DEFIMON_PUBLIC_HOSTS`));
    }
    return undefined;
  });

  // Security headers on every answer (the web app's pages among them).
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    return payload;
  });

  // Per-browser sessions, so the loopback rate limit is per browser rather than per address (a
  // local script cannot use up the web app's budget). The cookie only names a rate-limit bucket;
  // it grants nothing. Signed, so a client cannot pick a bucket the server did not issue.
  const sessionSecret = randomBytes(32);
  const sign = (id: string): string => createHmac('sha256', sessionSecret).update(id).digest('base64url').slice(0, 32);
  const sessionOf = (req: FastifyRequest): string | null => {
    const value = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (!value) return null;
    const [id, mac] = value.split('.');
    if (!id || !mac || mac.length !== 32) return null;
    return timingSafeEqual(Buffer.from(sign(id)), Buffer.from(mac)) ? id : null;
  };
  // Issued with the web app's page (what a browser loads first), not with API answers: a script
  // calling the API gets no session and stays in its address's bucket. Sessions are a fairness
  // device between local clients, not an access control (a local process could load the page).
  app.addHook('onSend', async (req, reply, payload) => {
    const html = /^text\/html\b/i.test(String(reply.getHeader('content-type') ?? ''));
    if (html && reply.statusCode < 400 && sessionOf(req) === null) {
      const id = randomBytes(16).toString('base64url');
      reply.header('set-cookie', `${SESSION_COOKIE}=${id}.${sign(id)}; Path=/; HttpOnly; SameSite=Strict`);
    }
    return payload;
  });

  await app.register(fastifyRateLimit, {
    global: false,
    max: cfg.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (req) => {
      const keyId = req.defimonCaller?.keyId;
      if (keyId) return `key:${keyId}`;
      const session = sessionOf(req);
      return session ? `session:${session}` : `addr:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error(`rate limit of ${ctx.max} requests per minute exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`), { statusCode: 429 }),
  });

  app.get('/health', async () => ({ ok: true, version: (await services.call('system.info', {}, { origin: 'http' })).ok }));

  const allowedOrigin = (origin: string, req: FastifyRequest): boolean => {
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file pages) and junk
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    // Same site as the page that was served: the Origin's host must be the Host this request
    // was accepted for (already checked against the allow-list above).
    return hostOnly(u.host) === hostOnly(req.headers.host ?? '') || publicHosts.has(hostOnly(u.host));
  };

  let openStreams = 0;
  await app.register(async (api) => {
    // 1. who is calling: a verified key (constant-time), never an unverified header.
    api.addHook('onRequest', async (req) => {
      const presented = presentedKey(req);
      const key = presented === undefined ? null : matchKey(presented);
      req.defimonCaller = { keyId: key === null ? null : digest(key).toString('hex').slice(0, 16), admin: key !== null && adminKeys.has(key) };
    });
    // 2. the rate limit, keyed by what step 1 verified (failed key attempts count per address).
    api.addHook('onRequest', api.rateLimit());
    // 3. refuse what is not allowed here.
    api.addHook('onRequest', async (req, reply) => {
      if (requireKey && req.defimonCaller?.keyId == null) {
        return reply.code(401).send(envelope('FORBIDDEN', 'missing or unknown API key (send Authorization: Bearer <key>)'));
      }
      const origin = req.headers.origin;
      const fetchSite = req.headers['sec-fetch-site'];
      if ((origin !== undefined && !allowedOrigin(origin, req)) || fetchSite === 'cross-site') {
        return reply.code(403).send(envelope('FORBIDDEN', `requests from another site (${origin ?? 'cross-site'}) are refused`));
      }
      return undefined;
    });

    api.get('/metrics', async (_req, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });

    api.post<{ Params: { method: string } }>('/api/:method', async (req, reply) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') return reply.code(415).send(envelope('INVALID_INPUT', 'API calls take a JSON body: send content-type: application/json'));
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
        return reply.code(400).send(envelope('INVALID_INPUT', 'the body must be a JSON object (send {} for a method without input)'));
      }
      const { method } = req.params;
      const end = latency.startTimer({ method: isMethodName(method) ? method : 'unknown' });
      const controller = new AbortController();
      // The request stream closes as soon as its body is read; only the response closing before it
      // finished means the client went away, and only then is the call cancelled.
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) controller.abort();
      });
      const ctx = { origin: 'http' as const, signal: controller.signal, ...(req.defimonCaller?.admin ? { admin: true } : {}) };
      const env = await services.call(method, req.body, ctx);
      end({ code: env.ok ? 'ok' : env.error.code });
      return reply.code(env.ok ? 200 : statusFor(env.error.code)).send(env);
    });

    api.get('/api/events', { config: { keyInQuery: true } }, (req, reply) => {
      if (openStreams >= cfg.maxEventStreams) {
        return reply.code(503).header('retry-after', '5').send(envelope('UNAVAILABLE', `${cfg.maxEventStreams} event streams are open, the most this server holds; close one or retry later`, true));
      }
      openStreams += 1;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'content-security-policy': CONTENT_SECURITY_POLICY,
      });
      res.write(': connected\n\n');
      const off = services.core.bus.onAny((name, payload) => {
        res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      let closed = false;
      res.on('close', () => {
        if (closed) return;
        closed = true;
        openStreams -= 1;
        clearInterval(ping);
        off();
      });
      return reply;
    });
  });

  const notFound = (req: FastifyRequest, reply: FastifyReply): FastifyReply => reply.code(404).send(envelope('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`));
  const webRoot = opts.webRoot === undefined ? (cfg.webRoot ?? null) : opts.webRoot;
  if (webRoot && existsSync(path.join(webRoot, 'index.html'))) {
    const root = path.resolve(webRoot);
    const hashedDir = path.join(root, HASHED_ASSETS_DIR) + path.sep;
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      // A content-hashed file never changes under its name: browsers keep it without asking
      // again. Everything else (the page naming those files) is revalidated on every load, so a
      // new build is picked up at once.
      setHeaders: (reply, file) => {
        reply.header('cache-control', path.resolve(file).startsWith(hashedDir) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    app.setNotFoundHandler((req, reply) => {
      // The web app's client-side routes; anything API-shaped is a 404 in the envelope.
      if (req.method === 'GET' && !/^\/+api(\/|$)/i.test(decodedPath(req.url))) return reply.sendFile('index.html');
      return notFound(req, reply);
    });
  } else {
    app.setNotFoundHandler(notFound);
  }
  return app;
}
