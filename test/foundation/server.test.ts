import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/main/headless/server';
import { createTestServices } from '../helpers/app';

describe('headless HTTP server', () => {
  let ctx: Awaited<ReturnType<typeof createTestServices>>;
  let app: FastifyInstance;
  beforeAll(async () => {
    ctx = await createTestServices();
    app = await createServer({ services: ctx.services, host: '127.0.0.1', port: 0, webRoot: null });
  });
  afterAll(async () => {
    await app.close();
    await ctx.cleanup();
  });

  it('answers contract methods with the same data as the in-process client', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/assets.list', payload: {} });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { ok: boolean; data: { symbol: string; price: number }[] };
    expect(body.ok).toBe(true);
    const direct = await ctx.services.client.call('assets.list', {});
    expect(body.data).toEqual(direct);
    expect(body.data).toHaveLength(148);
  });

  it('gives an asset its latest known market cap and volume with day, source and stale flag, as the overview does', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/assets.get', payload: { assetId: 'SUSHI' } });
    expect(res.statusCode).toBe(200);
    const sushi = (res.json() as { data: Record<string, unknown> }).data;
    expect(sushi).toEqual(await ctx.services.client.call('assets.get', { assetId: 'SUSHI' }));
    const keys = ['marketCap', 'marketCapDay', 'marketCapSource', 'marketCapStale', 'volume', 'volumeDay', 'volumeSource', 'volumeStale'] as const;
    const row = (await ctx.services.client.call('ui.overview', {})).rows.find((r) => r.assetId === 'SUSHI')!;
    expect(Object.fromEntries(keys.map((k) => [k, sushi[k]]))).toEqual(Object.fromEntries(keys.map((k) => [k, row[k]])));
    // Its market cap ends before its price: known, with its own (earlier) day.
    expect(sushi.marketCap).toEqual(expect.any(Number));
    expect((sushi.marketCapDay as string) < (sushi.lastDay as string)).toBe(true);
  });

  it('rejects an invalid payload naming the field, and unknown methods', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/assets.prices', payload: { assetId: 'AAVE', maxPoints: 'many' } });
    expect(bad.statusCode).toBe(400);
    const err = (bad.json() as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(/maxPoints/);
    const extra = await app.inject({ method: 'POST', url: '/api/assets.get', payload: { assetId: 'AAVE', sneaky: 1 } });
    expect(extra.statusCode).toBe(400);
    expect(extra.body).toMatch(/sneaky/);
    const missing = await app.inject({ method: 'POST', url: '/api/assets.get', payload: { assetId: 'NOPE' } });
    expect(missing.statusCode).toBe(404);
    const serverDir = await app.inject({ method: 'POST', url: '/api/dataset.import', payload: { dir: '/etc' } });
    expect(serverDir.statusCode).toBe(403);
    expect((serverDir.json() as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const unknown = await app.inject({ method: 'POST', url: '/api/assets.drop', payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect((unknown.json() as { error: { code: string } }).error.code).toBe('UNKNOWN_METHOD');
  });

  it('serves /health and Prometheus /metrics with request latencies', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/defimon_http_request_duration_seconds_count\{method="assets.list",code="ok"\} \d+/);
    expect(metrics.body).toMatch(/defimon_http_request_duration_seconds_count\{method="assets.prices",code="INVALID_INPUT"\} 1/);
  });

  it('runs a long call over real HTTP to the end (the request closing is not a cancel)', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    // A long task (runs through the task runner, awaits between steps): without keys or RPC it
    // records what it could not do and answers; it must not come back CANCELLED.
    const res = await fetch(`${address}/api/audit.address`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address: `0x${'ab'.repeat(20)}` }) });
    const body = (await res.json()) as { ok: boolean; error?: { code: string; message: string } };
    // It ran to its own answer: it needs network and an explorer key (none configured, no RPC), not CANCELLED (499).
    expect(res.status).toBe(503);
    expect(body).toMatchObject({ ok: false, error: { code: 'NOT_CONFIGURED', message: expect.stringMatching(/needs network and an explorer key.*no explorer API key.*no RPC URL configured/) } });
  });

  it('streams events over SSE', async () => {
    const address = app.server.listening ? `http://127.0.0.1:${(app.server.address() as { port: number }).port}` : await app.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const res = await fetch(`${address}/api/events`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const received = (async () => {
      let text = '';
      while (!text.includes('event: progress')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return text;
    })();
    await new Promise((r) => setTimeout(r, 50));
    await ctx.services.core.tasks.run('probe', ({ progress }) => progress(1, 1, 'probe step'));
    const text = await received;
    controller.abort();
    expect(text).toMatch(/event: progress\ndata: \{.*"kind":"probe"/);
  });
});

describe('server beyond loopback', () => {
  it('refuses to start without API keys, and requires a key and rate-limits with them', async () => {
    const ctx = await createTestServices({ autoImport: false, server: { host: '0.0.0.0', port: 0, apiKeys: [], rateLimitPerMinute: 3 } });
    try {
      await expect(createServer({ services: ctx.services, host: '0.0.0.0', webRoot: null })).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
    } finally {
      await ctx.cleanup();
    }
    const key = 'k'.repeat(24);
    const ctx2 = await createTestServices({ autoImport: false, server: { host: '0.0.0.0', port: 0, apiKeys: [key], rateLimitPerMinute: 3 } });
    const app = await createServer({ services: ctx2.services, host: '0.0.0.0', webRoot: null });
    try {
      const anon = await app.inject({ method: 'POST', url: '/api/system.info', payload: {} });
      expect(anon.statusCode).toBe(401);
      const wrong = await app.inject({ method: 'POST', url: '/api/system.info', payload: {}, headers: { authorization: 'Bearer wrong-key-wrong-key' } });
      expect(wrong.statusCode).toBe(401);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await app.inject({ method: 'POST', url: '/api/system.info', payload: {}, headers: { authorization: `Bearer ${key}` } })).statusCode);
      }
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(statuses).toContain(429);
      // The event stream takes the key as a query parameter (EventSource cannot send headers).
      expect((await app.inject({ method: 'GET', url: '/api/events' })).statusCode).toBe(401);
      // Failed key attempts count against the caller's address: the fourth is rate-limited.
      expect((await app.inject({ method: 'GET', url: '/api/events?key=wrong-key-wrong-key' })).statusCode).toBe(429);
    } finally {
      await app.close();
      await ctx2.cleanup();
    }
  });
});

describe('web app files', () => {
  let ctx: Awaited<ReturnType<typeof createTestServices>>;
  let app: FastifyInstance;
  beforeAll(async () => {
    ctx = await createTestServices({ autoImport: false, autoCollect: false });
    const webRoot = path.join(ctx.dataDir, 'web');
    mkdirSync(path.join(webRoot, 'assets'), { recursive: true });
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>DEFIMON</title><script type="module" src="./assets/index-Ab12Cd34.js"></script>');
    writeFileSync(path.join(webRoot, 'assets', 'index-Ab12Cd34.js'), 'export {};');
    writeFileSync(path.join(webRoot, 'favicon.ico'), 'icon');
    app = await createServer({ services: ctx.services, host: '127.0.0.1', port: 0, webRoot });
  });
  afterAll(async () => {
    await app.close();
    await ctx.cleanup();
  });

  it('lets browsers keep the content-hashed build files and revalidate the page and other files', async () => {
    const code = await app.inject({ method: 'GET', url: '/assets/index-Ab12Cd34.js' });
    expect(code.statusCode).toBe(200);
    expect(code.body).toBe('export {};');
    expect(code.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const url of ['/', '/index.html', '/favicon.ico', '/asset/AAVE']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
    // Revalidation answers 304 when the page has not changed.
    const page = await app.inject({ method: 'GET', url: '/' });
    const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': String(page.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });
});
