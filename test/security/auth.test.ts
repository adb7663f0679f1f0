/**
 * The API key is checked on the route the router matched, not on the URL's spelling: every way a
 * client can spell an API route or /metrics reaches either the authenticated route (401 without
 * a key) or no route at all (404) — never the data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyMatcher } from '../../src/main/headless/server';
import { API_KEY, api, errorCode, raw, startKeyedServer, type RunningServer } from './harness';

/** Spellings of POST /api/system.info a client can put on the request line. */
const API_SPELLINGS = [
  '/api/system.info',
  '/%61pi/system.info',
  '/%61%70%69/system.info',
  '/api/%73ystem.info',
  '/api/system%2Einfo',
  '/%2561pi/system.info',
  '//api/system.info',
  '/api//system.info',
  '/API/system.info',
  '/Api/system.info',
  '/api/system.info?',
  '/api/system.info?x=1',
  '/api/system.info/',
  '/api/system.info;x',
  '/./api/system.info',
  '/x/../api/system.info',
];

const METRICS_SPELLINGS = ['/metrics', '/metrics?', '/metrics?x=1', '/%6detrics', '/%6D%65trics', '//metrics', '/METRICS', '/metrics/', '/metrics;x', '/metrics#x'];

describe('API key on the matched route (server bound to 127.0.0.2 with keys)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startKeyedServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it('refuses every spelling of an API route without a key, and answers none of them with data', async () => {
    const answers: Record<string, number> = {};
    for (const p of API_SPELLINGS) {
      const res = await raw(srv, { method: 'POST', path: p, headers: { 'content-type': 'application/json' }, body: '{}' });
      answers[p] = res.status;
      expect(res.body, `${p} leaked the method's answer`).not.toContain(srv.dataDir);
      expect([401, 404], `${p} answered ${res.status}`).toContain(res.status);
    }
    // The decoded spellings reach the real route, and are refused there.
    expect(answers['/%61pi/system.info']).toBe(401);
    expect(answers['/api/%73ystem.info']).toBe(401);
    expect(answers['/api/system.info?x=1']).toBe(401);
  });

  it('refuses every spelling of /metrics (GET and HEAD) without a key', async () => {
    for (const p of METRICS_SPELLINGS) {
      for (const method of ['GET', 'HEAD']) {
        const res = await raw(srv, { method, path: p });
        expect(res.body, `${method} ${p} leaked the metrics`).not.toMatch(/defimon_/);
        // A spelling no route matches falls back to the web app's page (client-side routes).
        if (res.status === 200) expect(res.headers['content-type'], `${method} ${p}`).toMatch(/^text\/html/);
        else expect([401, 404], `${method} ${p} answered ${res.status}`).toContain(res.status);
      }
    }
    expect((await raw(srv, { path: '/%6detrics' })).status).toBe(401);
    expect((await raw(srv, { path: '/metrics?x=1' })).status).toBe(401);
  });

  it('refuses the event stream in every spelling without a key, and takes ?key= only there', async () => {
    for (const p of ['/api/events', '/%61pi/events', '/api/%65vents', '/api/events?', '/api/events?key=wrong-wrong-wrong-wrong']) {
      const res = await raw(srv, { path: p, headersOnly: true });
      expect([401, 404], `${p} answered ${res.status}`).toContain(res.status);
    }
    const withKey = await raw(srv, { path: `/%61pi/events?key=${API_KEY}`, headersOnly: true });
    expect(withKey.status).toBe(200);
    expect(withKey.headers['content-type']).toBe('text/event-stream');
    // The query key is not an API key for the other routes.
    expect((await raw(srv, { method: 'POST', path: `/api/system.info?key=${API_KEY}`, headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    expect((await raw(srv, { path: `/metrics?key=${API_KEY}` })).status).toBe(401);
  });

  it('answers with a valid key on the route however it is spelt, and refuses wrong keys', async () => {
    const ok = await api(srv, 'system.info', {}, { authorization: `Bearer ${API_KEY}` });
    expect(ok.status).toBe(200);
    const encoded = await raw(srv, { method: 'POST', path: '/%61pi/system.info', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: '{}' });
    expect(encoded.status).toBe(200);
    expect(encoded.body).toContain('"ok":true');
    for (const wrong of [API_KEY.slice(0, -1), `${API_KEY}x`, API_KEY.toUpperCase(), '', ' ']) {
      const res = await api(srv, 'system.info', {}, { authorization: `Bearer ${wrong}` });
      expect(res.status, `key "${wrong}"`).toBe(401);
      expect(errorCode(res)).toBe('FORBIDDEN');
    }
    expect((await raw(srv, { path: '/metrics', headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(200);
  });

  it('keeps /health open (it reveals no data)', async () => {
    const res = await raw(srv, { path: '/health' });
    expect(res.status).toBe(200);
    expect(res.body).not.toContain(srv.dataDir);
  });
});

describe('key comparison', () => {
  it('matches exactly one configured key, whatever its length', () => {
    const match = createKeyMatcher(['a'.repeat(16), 'b'.repeat(40)]);
    expect(match('a'.repeat(16))).toBe('a'.repeat(16));
    expect(match('b'.repeat(40))).toBe('b'.repeat(40));
    expect(match('a'.repeat(15))).toBeNull();
    expect(match('a'.repeat(17))).toBeNull();
    expect(match('')).toBeNull();
  });
});
