/**
 * The rate limit is keyed by what the server verified: an API key it knows, else a browser
 * session it issued, else the client's address. Random bearer tokens and forged session cookies
 * get no fresh buckets; a local script cannot spend the web app's budget.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY, api, errorCode, raw, startKeyedServer, startPlainServer, type RunningServer } from './harness';

const LIMIT = 5;
const junk = (): string => randomBytes(18).toString('base64url');

describe('rate limit keyed by verified identity', () => {
  let srv: RunningServer | undefined;
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });

  it('team server: random bearers share the address bucket; a valid key keeps its own', async () => {
    srv = await startKeyedServer({ rateLimitPerMinute: LIMIT });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) statuses.push((await api(srv, 'system.info', {}, { authorization: `Bearer ${junk()}` })).status);
    expect(statuses.slice(0, LIMIT).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual([429, 429, 429]);
    // x-api-key and ?key= junk go to the same bucket.
    const viaHeader = await api(srv, 'system.info', {}, { 'x-api-key': junk() });
    expect(viaHeader.status).toBe(429);
    expect(errorCode(viaHeader)).toBe('RATE_LIMITED');
    expect((await raw(srv, { path: `/api/events?key=${junk()}` })).status).toBe(429);
    // The verified key is not locked out by the junk from its address.
    expect((await api(srv, 'system.info', {}, { authorization: `Bearer ${API_KEY}` })).status).toBe(200);
  });

  it('loopback: random bearers get no fresh buckets', async () => {
    srv = await startPlainServer({ rateLimitPerMinute: LIMIT });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push((await api(srv, 'system.info', {}, { authorization: `Bearer ${junk()}` })).status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), 429, 429]);
    const res = await api(srv, 'system.info');
    expect(res.status).toBe(429);
    expect(res.json()).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryable: true } });
  });

  it('loopback: a local script hammering the API does not lock the web app (its own session) out', async () => {
    srv = await startPlainServer({ rateLimitPerMinute: LIMIT });
    // A script calling the API is issued no session...
    expect((await api(srv, 'system.info')).headers['set-cookie']).toBeUndefined();
    // ...the browser gets its session cookie with the page it loads first.
    const first = await raw(srv, { path: '/' });
    const cookie = String(first.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^defimon_session=[\w-]+\.[\w-]+$/);
    expect(String(first.headers['set-cookie']?.[0])).toMatch(/HttpOnly/);
    expect(String(first.headers['set-cookie']?.[0])).toMatch(/SameSite=Strict/);
    // A script without cookies uses up its address's budget...
    for (let i = 0; i < LIMIT - 1; i++) expect((await api(srv, 'system.info')).status).toBe(200);
    expect((await api(srv, 'system.info')).status).toBe(429);
    // ...and the web app's session still has all of its own.
    for (let i = 0; i < LIMIT; i++) expect((await api(srv, 'system.info', {}, { cookie })).status, `session call ${i + 1}`).toBe(200);
    expect((await api(srv, 'system.info', {}, { cookie })).status).toBe(429);
    // A session the server did not issue (or a tampered one) is no bucket of its own.
    const [name, value] = cookie.split('=') as [string, string];
    const [id] = value.split('.');
    for (const forged of [`${name}=${junk()}.${junk()}`, `${name}=${id}.${'A'.repeat(32)}`, `${name}=${junk()}`]) {
      expect((await api(srv, 'system.info', {}, { cookie: forged })).status, forged).toBe(429);
    }
  });
});
