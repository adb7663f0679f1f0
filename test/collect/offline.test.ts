/**
 * An offline laptop stays quiet: with no network at all (a local port that refuses connections,
 * or a resolver failure simulated in the client), the scheduled collectors detect it once, pause,
 * and send one slow probe at a time; the calls made over a bounded period stay a handful. When
 * the network comes back, collection resumes by itself. A one-shot run says "no network" in one
 * line after one call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collectDomainOf } from '../../src/main/services/collect';
import type { Services } from '../../src/main/services';
import { createTestServices } from '../helpers/app';
import { startApiServer } from './api-server';
import { freePort } from './chain-helpers';

const realFetch = globalThis.fetch;

async function seed(services: Services): Promise<void> {
  const now = new Date().toISOString();
  services.core.store.write(
    'crypto_assets',
    Array.from({ length: 6 }, (_, i) => ({ asset_id: `O${i}`, symbol: `O${i}`, name: `O${i}`, coingecko_id: `o-${i}`, defillama_slug: `o-${i}`, github_org: `org${i}`, source: 'test', updated_at: now })),
  );
}

const tuning = { intervals: { market: 1, tvl: 1, github: 1 }, concurrency: 3, offlineProbeSec: 5, rates: { coingecko: 100, defillama: 100, github: 100 } };

async function waitFor(cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  for (let t = 0; t < ms; t += 100) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('offline: no network is detected once and probed slowly', () => {
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('a refusing port: a handful of calls in 12 s of scheduled collection every second, then back online by itself', async () => {
    const refused = await freePort();
    const base = `http://127.0.0.1:${refused}`;
    const api = await startApiServer();
    let calls = 0;
    let networkBack = false;
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
      calls++;
      const url = String(input instanceof Request ? input.url : input);
      return realFetch(networkBack ? url.replace(base, api.url) : url, init);
    }) as typeof fetch;
    const { services, cleanup } = await createTestServices({ autoImport: false, collect: tuning, coingeckoBaseUrl: `${base}/cg`, defillamaBaseUrl: `${base}/llama`, githubBaseUrl: `${base}/gh` });
    let stop: (() => Promise<void>) | null = null;
    try {
      await seed(services);
      stop = await collectDomainOf(services.core).watch(['market', 'tvl', 'github']);
      // A bounded observation: 12 s of schedule with three sources due every second.
      await new Promise((r) => setTimeout(r, 12_000));
      const offline = await services.client.call('collect.status', {});
      expect(offline.network.online).toBe(false);
      expect(offline.network.reason).toMatch(/no network/);
      // Three first failures (one call each, no retries) and a probe every 5 s.
      expect(calls).toBeLessThanOrEqual(6);
      expect(calls).toBeGreaterThanOrEqual(3);

      // The network comes back: the next probe sees it and the sources run without being asked.
      api.handle('/cg/coins/o-0/market_chart', () => ({ json: { prices: [], market_caps: [], total_volumes: [] } }));
      networkBack = true;
      expect(await waitFor(async () => (await services.client.call('collect.status', {})).network.online, 10_000)).toBe(true);
      expect(await waitFor(() => api.requests.some((r) => r.path.startsWith('/cg/')), 10_000)).toBe(true);
    } finally {
      await stop?.();
      await cleanup();
      await api.close();
    }
  }, 60_000);

  it('a resolver failure (ENOTFOUND) simulated in the client: one call per source, then slow probes; a one-shot run says it in one line', async () => {
    let calls = 0;
    globalThis.fetch = (async (input: string | URL | Request) => {
      calls++;
      const host = new URL(String(input instanceof Request ? input.url : input)).hostname;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host }) });
    }) as typeof fetch;
    const { services, cleanup } = await createTestServices({ autoImport: false, collect: tuning });
    let stop: (() => Promise<void>) | null = null;
    try {
      await seed(services);
      const err = (await services.client.call('collect.run', { source: 'market' }).then(() => null, (e: unknown) => e)) as { code: string; message: string };
      expect(err).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^coingecko: no network .*ENOTFOUND/) });
      expect(err.message).not.toContain('\n');
      expect(calls).toBe(1);
      stop = await collectDomainOf(services.core).watch(['market', 'tvl', 'github']);
      await new Promise((r) => setTimeout(r, 8000));
      // Already offline: no run starts; one probe in 8 s with a 5 s period.
      expect(calls).toBeLessThanOrEqual(3);
      const st = await services.client.call('collect.status', {});
      expect(st.network.online).toBe(false);
      expect(st.network.probes).toBeGreaterThanOrEqual(1);
      // Peers computed on this machine (no Hugging Face key: TF-IDF) succeed offline; that says
      // nothing about the network, so the collectors stay offline and ask nothing more.
      const before = calls;
      const peers = await services.client.call('collect.run', { source: 'hf' });
      expect(peers[0]?.source).toBe('hf');
      const after = await services.client.call('collect.status', {});
      expect(after.network).toMatchObject({ online: false, since: st.network.since });
      await new Promise((r) => setTimeout(r, 1500));
      expect(calls - before).toBeLessThanOrEqual(1);
    } finally {
      await stop?.();
      await cleanup();
    }
  }, 60_000);
});
