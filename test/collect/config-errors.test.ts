/**
 * A URL the client refuses before connecting (undici's "bad port" for :9 or :6000, an unknown
 * scheme, an unparsable URL) is a configuration error: reported once, naming the setting to
 * change, never retried as a connection error and never taken for "offline".
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpClient } from '../../src/main/services/collect/http';
import { createRpcClient } from '../../src/main/services/collect/jsonrpc';
import { isConnectionError, isNoNetworkError, isRetryableError, urlConfigProblem } from '../../src/main/services/kernel/retry';
import { createLocalPorts } from '../../src/main/services/kernel/ports';
import { createLogger } from '../../src/main/services/log/logger';
import { createTestServices } from '../helpers/app';
import { tempDataDir } from '../helpers/services';
import { freePort } from './chain-helpers';

const realFetch = globalThis.fetch;
const logDir = tempDataDir('defimon-config-errors');
const core = { ports: createLocalPorts(), log: createLogger({ dataDir: logDir.dir, level: 'silent', toStderr: false }) };
afterAll(() => logDir.remove());
const rejection = (p: Promise<unknown>): Promise<{ code?: string; message: string; retryable?: boolean; details?: Record<string, unknown> }> => p.then(() => ({ message: 'resolved' }), (e: unknown) => e as { message: string });

/** fetch that counts what it is asked to send, then really sends it. */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let n = 0;
  return { fetch: ((input: string | URL | Request, init?: RequestInit) => (n++, realFetch(input, init))) as typeof fetch, calls: () => n };
}

describe('URL-level configuration errors', () => {
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('classifies the real fetch refusals as configuration problems, not connection or no-network errors', async () => {
    for (const url of ['http://127.0.0.1:9/', 'http://127.0.0.1:6000/', 'ftp://127.0.0.1/x', 'http://127.0.0.1:99999/']) {
      const err = await rejection(realFetch(url));
      expect(urlConfigProblem(err), url).not.toBeNull();
      expect([isRetryableError(err), isConnectionError(err), isNoNetworkError(err)], url).toEqual([false, false, false]);
    }
    // A refused connection is still "no network", not a configuration problem.
    const refused = await rejection(realFetch(`http://127.0.0.1:${await freePort()}/`));
    expect(urlConfigProblem(refused)).toBeNull();
    expect(isNoNetworkError(refused)).toBe(true);
  });

  it('an HTTP provider on a bad port: one attempt, NOT_CONFIGURED naming the setting and its variable', async () => {
    const f = countingFetch();
    const client = createHttpClient(core, { name: 'coingecko', ratePerSec: 100, maxRetries: 4, baseDelayMs: 1 }, { fetch: f.fetch });
    const err = await rejection(client.request({ url: 'http://127.0.0.1:9/api/v3/ping', schema: z.unknown(), what: 'ping' }));
    expect(err).toMatchObject({ code: 'NOT_CONFIGURED', retryable: false, details: { setting: 'coingeckoBaseUrl', configError: true } });
    expect(err.message).toMatch(/port 9.*coingeckoBaseUrl \(DEFIMON_COINGECKO_BASE_URL\)/);
    expect(f.calls()).toBe(1);
    expect(client.state()).toMatchObject({ retries: 0, failures: 1 });
  });

  it('the RPC client on a bad port: one request per call and per batch, the URL (and its key) never quoted', async () => {
    const f = countingFetch();
    const rpc = createRpcClient(core, { url: 'http://127.0.0.1:6000/secretkey0123456789', policy: { baseDelayMs: 1 }, fetch: f.fetch });
    const one = await rejection(rpc.call('eth_blockNumber', [], z.string()));
    expect(one).toMatchObject({ code: 'NOT_CONFIGURED', details: { setting: 'rpcUrl' } });
    expect(one.message).toMatch(/DEFIMON_RPC_URL/);
    expect(one.message).not.toContain('secretkey');
    expect(f.calls()).toBe(1);
    const batch = await rejection(rpc.batch([{ method: 'eth_chainId', params: [] }, { method: 'eth_blockNumber', params: [] }]));
    expect(batch).toMatchObject({ code: 'NOT_CONFIGURED' });
    expect(f.calls()).toBe(2);
  });

  it('a collection run with a provider URL on a bad port stops once with the setting named and leaves the app online', async () => {
    const f = countingFetch();
    globalThis.fetch = f.fetch;
    const { services, cleanup } = await createTestServices({ autoImport: false, coingeckoBaseUrl: 'http://127.0.0.1:9/cg', collect: { rates: { coingecko: 100 } } });
    try {
      const now = new Date().toISOString();
      services.core.store.write('crypto_assets', Array.from({ length: 4 }, (_, i) => ({ asset_id: `C${i}`, symbol: `C${i}`, name: `C${i}`, coingecko_id: `c-${i}`, source: 'test', updated_at: now })));
      const err = await rejection(services.client.call('collect.run', { source: 'market' }));
      expect(err).toMatchObject({ code: 'NOT_CONFIGURED' });
      expect(err.message).toMatch(/coingeckoBaseUrl/);
      // One request for four assets: the run stopped at the first, and nothing was retried.
      expect(f.calls()).toBe(1);
      const st = await services.client.call('collect.status', {});
      expect(st.network.online).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
