/**
 * A web page the analyst visits must not drive the loopback server: a DNS-rebound name (foreign
 * Host), a foreign Origin, and the requests a page can send without a CORS preflight
 * (text/plain, form, body-less POST) are all refused before any method runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, errorCode, raw, startPlainServer, type RunningServer } from './harness';

describe('the loopback server against a hostile web page (127.0.0.1, no keys)', () => {
  let srv: RunningServer;
  const horizon = async (): Promise<number> => ((await api(srv, 'settings.get')).json() as { data: { values: { horizonDays: number } } }).data.values.horizonDays;
  beforeAll(async () => {
    srv = await startPlainServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it('answers only to the names it is bound to (DNS rebinding)', async () => {
    const p = srv.port;
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`]) {
      const res = await api(srv, 'system.info', {}, { host });
      expect(res.status, host).toBe(200);
    }
    for (const host of [`evil.example:${p}`, 'evil.example', `localhost.evil.example:${p}`, `127.0.0.1.nip.io:${p}`, '127.0.0.1', `127.0.0.1:${p + 1}`, `localhost:${p}@evil.example`, `0.0.0.0:${p}`]) {
      const res = await api(srv, 'system.info', {}, { host });
      expect(res.status, host).toBe(421);
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(res.body).not.toContain(srv.dataDir);
    }
    // Also for /health, /metrics and the event stream.
    for (const p2 of ['/health', '/metrics', '/api/events']) expect((await raw(srv, { path: p2, headers: { host: `evil.example:${p}` }, headersOnly: true })).status, p2).toBe(421);
    // No Host at all (an HTTP/1.1 request must carry one).
    expect((await raw(srv, { method: 'POST', path: '/api/system.info', headers: { host: null, 'content-type': 'application/json' }, body: '{}' })).status).not.toBe(200);
  });

  it('refuses a foreign Origin and cross-site fetches, and accepts its own', async () => {
    const self = `http://127.0.0.1:${srv.port}`;
    expect((await api(srv, 'system.info', {}, { origin: self, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await api(srv, 'system.info', {}, { origin: `http://localhost:${srv.port}`, host: `localhost:${srv.port}` })).status).toBe(200);
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${srv.port + 1}`, `http://localhost:${srv.port}`, 'file://', 'chrome-extension://abc']) {
      const res = await api(srv, 'settings.update', { values: { horizonDays: 7 } }, { origin });
      expect(res.status, origin).toBe(403);
      expect(errorCode(res)).toBe('FORBIDDEN');
    }
    expect((await api(srv, 'settings.update', { values: { horizonDays: 7 } }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const stream = await raw(srv, { path: '/api/events', headers: { origin: 'https://evil.example' }, headersOnly: true });
    expect(stream.status).toBe(403);
    expect(await horizon()).toBe(30);
  });

  it('refuses the simple requests a page sends without a preflight: text/plain, forms, body-less POSTs', async () => {
    const attempts: { name: string; headers: Record<string, string>; body?: string }[] = [
      { name: 'text/plain with JSON', headers: { 'content-type': 'text/plain' }, body: '{"values":{"horizonDays":7}}' },
      { name: 'text/plain;charset', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: '{"values":{"horizonDays":7}}' },
      { name: 'form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'values=1' },
      { name: 'multipart', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' },
      { name: 'no body, no type', headers: {} },
      { name: 'no type, a body', headers: {}, body: '{"values":{"horizonDays":7}}' },
    ];
    for (const a of attempts) {
      const res = await raw(srv, { method: 'POST', path: '/api/settings.update', headers: a.headers, ...(a.body === undefined ? {} : { body: a.body }) });
      expect(res.status, a.name).toBe(415);
      expect(errorCode(res), a.name).toBe('INVALID_INPUT');
    }
    // Methods that take no input are refused body-less too (these would start work).
    for (const m of ['ml.train', 'dataset.import', 'sync.now', 'settings.restart']) {
      const res = await raw(srv, { method: 'POST', path: `/api/${m}` });
      expect(res.status, m).toBe(415);
    }
    expect(await horizon()).toBe(30);
    const tasks = (await api(srv, 'tasks.list')).json() as { data: unknown[] };
    expect(tasks.data).toEqual([]);
  });

  it('takes only a JSON object body, and answers fastify-level refusals in the API envelope', async () => {
    const post = (body: string, type = 'application/json') => raw(srv, { method: 'POST', path: '/api/settings.update', headers: { 'content-type': type }, body });
    for (const body of ['', 'null', '[]', '7', '"x"']) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json(), JSON.stringify(body)).toMatchObject({ ok: false, error: { code: expect.stringMatching(/INVALID_INPUT|MALFORMED_DATA/) } });
    }
    const broken = await post('{"values":');
    expect(broken.status).toBe(400);
    expect(broken.json()).toMatchObject({ ok: false, error: { code: 'MALFORMED_DATA' } });
    const huge = await post(JSON.stringify({ values: { redisPrefix: 'x'.repeat(9 * 1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(huge.json()).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const charset = await post('{"values":{"horizonDays":21}}', 'application/json; charset=utf-8');
    expect(charset.status).toBe(200);
    expect(await horizon()).toBe(21);
    const notFound = await raw(srv, { method: 'DELETE', path: '/api/settings.update' });
    expect(notFound.status).toBe(404);
    expect(notFound.json()).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('sends CSP (frame-ancestors), X-Frame-Options and nosniff headers; the meta tag no longer carries frame-ancestors', async () => {
    for (const p of ['/health', '/nothing-here']) {
      const res = await raw(srv, { path: p });
      expect(res.headers['content-security-policy'], p).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['content-security-policy'], p).toMatch(/default-src 'self'/);
      expect(res.headers['x-frame-options'], p).toBe('DENY');
      expect(res.headers['x-content-type-options'], p).toBe('nosniff');
    }
    const stream = await raw(srv, { path: '/api/events', headersOnly: true });
    expect(stream.headers['x-frame-options']).toBe('DENY');
    const html = readFileSync(path.resolve(__dirname, '../../src/renderer/index.html'), 'utf8');
    expect(html).not.toMatch(/frame-ancestors/);
  });
});

describe('event streams are capped', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startPlainServer({ maxEventStreams: 2 });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('refuses a stream beyond the cap with 503, and takes one again when one closes', async () => {
    const http = await import('node:http');
    const open = () =>
      new Promise<{ status: number; close(): void }>((resolve, reject) => {
        const r = http.request({ host: srv.host, port: srv.port, path: '/api/events', agent: false }, (res) => resolve({ status: res.statusCode ?? 0, close: () => res.destroy() }));
        r.on('error', reject);
        r.end();
      });
    const a = await open();
    const b = await open();
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await raw(srv, { path: '/api/events' });
    expect(c.status).toBe(503);
    expect(c.json()).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', retryable: true } });
    a.close();
    let again = 0;
    for (let i = 0; i < 100 && again !== 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const d = await raw(srv, { path: '/api/events', headersOnly: true });
      again = d.status;
    }
    expect(again).toBe(200);
    b.close();
  });
});
