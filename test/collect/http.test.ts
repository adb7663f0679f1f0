/** The client discipline against a local server scripted with each fault case. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEtherscanClient } from '../../src/main/services/collect/explorer';
import { createHttpClient, parseRetryAfter, type ProviderPolicy } from '../../src/main/services/collect/http';
import { batchLimitFrom, createRpcClient, isRangeTooLarge, rangeHintFrom, rangeHintOf } from '../../src/main/services/collect/jsonrpc';
import { loadConfig } from '../../src/main/services/config/config';
import { createLogger } from '../../src/main/services/log/logger';
import { createLocalPorts, type Ports } from '../../src/main/services/kernel/ports';
import { tempDataDir } from '../helpers/services';
import { startApiServer, type ApiServer } from './api-server';

const Price = z.object({ price: z.number() });

describe('HTTP client discipline', () => {
  let api: ApiServer;
  let ports: Ports;
  const tmp = tempDataDir('defimon-http');
  const log = createLogger({ dataDir: tmp.dir, level: 'silent', toStderr: false });
  const policy: ProviderPolicy = { name: 'test', ratePerSec: 1000, burst: 1000, baseDelayMs: 5, maxDelayMs: 2000, maxRetries: 3, timeoutMs: 300 };
  const client = (p: Partial<ProviderPolicy> = {}) => createHttpClient({ ports, log }, { ...policy, ...p });

  beforeAll(async () => {
    api = await startApiServer();
  });
  afterEach(() => {
    api.requests.length = 0;
    ports = createLocalPorts();
  });
  afterAll(async () => {
    await api.close();
    tmp.remove();
  });
  ports = createLocalPorts();

  it('honours Retry-After on 429, then succeeds', async () => {
    api.on('/429', { status: 429, headers: { 'retry-after': '1' }, json: { error: 'slow down' } }, { json: { price: 3 } });
    const c = client();
    const res = await c.request({ url: `${api.url}/429`, schema: Price });
    expect(res.data.price).toBe(3);
    expect(api.count('/429')).toBe(2);
    const [a, b] = api.requests;
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(c.state().retries).toBe(1);
    expect(c.state().rateLimitedUntil).toBeNull();
  });

  it('retries 5xx with backoff and gives up after maxRetries with the status in the error', async () => {
    api.on('/flaky', { status: 503, body: 'unavailable' }, { status: 502, body: 'bad gateway' }, { json: { price: 1 } });
    expect((await client().request({ url: `${api.url}/flaky`, schema: Price })).data.price).toBe(1);
    expect(api.count('/flaky')).toBe(3);
    api.on('/down', { status: 500, body: 'boom' });
    await expect(client({ maxRetries: 2 }).request({ url: `${api.url}/down`, schema: Price, what: 'price' })).rejects.toMatchObject({ code: 'UPSTREAM', details: { provider: 'test', status: 500 } });
    expect(api.count('/down')).toBe(3);
  });

  it('never retries another 4xx', async () => {
    api.on('/bad', { status: 400, json: { message: 'bad request' } });
    await expect(client().request({ url: `${api.url}/bad`, schema: Price })).rejects.toMatchObject({ code: 'UPSTREAM', retryable: false });
    api.on('/gone', { status: 404, json: { message: 'nope' } });
    await expect(client().request({ url: `${api.url}/gone`, schema: Price })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(api.count('/bad')).toBe(1);
    expect(api.count('/gone')).toBe(1);
  });

  it('refuses a URL with a user name and password as a configuration error, never quoting the password', async () => {
    const err = (await client({ maxRetries: 0 })
      .request({ url: `http://analyst:s3cret-pw@127.0.0.1:${new URL(api.url).port}/price`, schema: Price })
      .catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('NOT_CONFIGURED');
    expect(err.message).toMatch(/user name or password/);
    expect(err.message).not.toContain('s3cret-pw');
  });

  it('times out a hanging request, retrying a bounded number of times', async () => {
    api.on('/hang', { hang: true });
    await expect(client({ timeoutMs: 150, maxRetries: 1 }).request({ url: `${api.url}/hang`, schema: Price })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(api.count('/hang')).toBe(2);
  });

  it('fails malformed JSON, a truncated body and schema drift without retrying, naming the problem', async () => {
    api.on('/malformed', { body: '{"price": 1,,}' });
    await expect(client().request({ url: `${api.url}/malformed`, schema: Price })).rejects.toMatchObject({ code: 'MALFORMED_DATA', message: expect.stringContaining('not valid JSON') });
    expect(api.count('/malformed')).toBe(1);
    api.on('/cut', { body: '{"price": 1' });
    await expect(client().request({ url: `${api.url}/cut`, schema: Price })).rejects.toMatchObject({ code: 'MALFORMED_DATA' });
    api.on('/drift', { json: { price: '1.5' } });
    await expect(client().request({ url: `${api.url}/drift`, schema: Price })).rejects.toMatchObject({ code: 'MALFORMED_DATA', message: expect.stringContaining('price') });
    expect(api.count('/drift')).toBe(1);
    // A connection cut mid-body is a transport failure: retried, then reported.
    api.on('/truncated', { truncate: '{"price": ', declaredLength: 200 });
    await expect(client({ maxRetries: 1 }).request({ url: `${api.url}/truncated`, schema: Price })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(api.count('/truncated')).toBe(2);
  });

  /** A fetch answering with `bytes` cut into the given chunk sizes (the last size repeats), counting its calls. */
  const chunkedFetch = (bytes: Uint8Array, sizes: number[], headers: Record<string, string> = {}) => {
    const calls = { n: 0 };
    const fetchImpl = (async () => {
      calls.n++;
      let at = 0;
      let k = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(ctl) {
          if (at >= bytes.length) return ctl.close();
          const size = sizes[Math.min(k++, sizes.length - 1)] as number;
          ctl.enqueue(bytes.slice(at, at + size));
          at += size;
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json', ...headers } });
    }) as typeof fetch;
    return { fetchImpl, calls };
  };

  it('decodes a body split across many chunks, a multi-byte character split between two of them included', async () => {
    const Named = z.object({ name: z.string(), notes: z.array(z.string()) });
    const value = { name: 'Zürich € 🦊 crème', notes: ['東京', 'naïve', 'x'.repeat(5000)] };
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    // '€' is 3 bytes and the fox 4: one-byte chunks split every character that is more than one byte.
    // Also an all-ASCII first chunk, then the rest in pieces that cut characters.
    for (const sizes of [[1], [2, 3], [bytes.indexOf(0xc3), 1], [bytes.indexOf(0xc3) + 1, 1000], [bytes.indexOf(0xe2) + 1, 1000], [bytes.indexOf(0xf0) + 2, 7]]) {
      const { fetchImpl } = chunkedFetch(bytes, sizes);
      const res = await createHttpClient({ ports, log }, policy, { fetch: fetchImpl }).request({ url: `${api.url}/chunked`, schema: Named });
      expect(res.data).toEqual(value);
    }
    // An all-ASCII body (the JSON-RPC case) in many chunks reads the same text.
    const ascii = { name: 'USDC', notes: Array.from({ length: 300 }, (_, i) => `0x${i.toString(16).padStart(64, '0')}`) };
    const { fetchImpl } = chunkedFetch(Buffer.from(JSON.stringify(ascii)), [1, 13, 4096]);
    expect((await createHttpClient({ ports, log }, policy, { fetch: fetchImpl }).request({ url: `${api.url}/chunked`, schema: Named })).data).toEqual(ascii);
    // Hundreds of KB of ASCII in ~500-byte chunks (a node writing an answer a log at a time), then
    // text beyond ASCII in the last chunks: every piece in its place.
    const long = { name: 'Zürich', notes: ['a'.repeat(300_000), 'b'.repeat(300_000), 'c'.repeat(1000), '東京 🦊'] };
    const longBytes = Buffer.from(JSON.stringify({ notes: long.notes, name: long.name }), 'utf8');
    for (const sizes of [[523], [100_000, 523], [700_000]]) {
      const chunked = chunkedFetch(longBytes, sizes);
      expect((await createHttpClient({ ports, log }, policy, { fetch: chunked.fetchImpl }).request({ url: `${api.url}/chunked`, schema: Named })).data).toEqual(long);
    }
  });

  it('refuses a body over its byte bound with a clear error, streamed or declared, without retrying', async () => {
    const bytes = Buffer.from(JSON.stringify({ price: 1, pad: 'p'.repeat(10_000) }));
    const streamed = chunkedFetch(bytes, [1000]);
    await expect(createHttpClient({ ports, log }, policy, { fetch: streamed.fetchImpl }).request({ url: `${api.url}/chunked`, schema: Price, what: 'prices', maxBytes: 4096 })).rejects.toMatchObject({
      code: 'MALFORMED_DATA',
      message: 'prices: the response passed the 4096-byte bound',
    });
    expect(streamed.calls.n).toBe(1);
    const declared = chunkedFetch(bytes, [1000], { 'content-length': String(bytes.length) });
    await expect(createHttpClient({ ports, log }, policy, { fetch: declared.fetchImpl }).request({ url: `${api.url}/chunked`, schema: Price, what: 'prices', maxBytes: 4096 })).rejects.toMatchObject({
      code: 'MALFORMED_DATA',
      message: `prices: the response is ${bytes.length} bytes, over the 4096-byte bound`,
    });
    expect(declared.calls.n).toBe(1);
    // At the bound exactly it is read.
    const exact = chunkedFetch(bytes, [999]);
    expect((await createHttpClient({ ports, log }, policy, { fetch: exact.fetchImpl }).request({ url: `${api.url}/chunked`, schema: Price, maxBytes: bytes.length })).data.price).toBe(1);
  });

  it('fails at once when told to wait longer than it may', async () => {
    api.on('/long', { status: 429, headers: { 'retry-after': '3600' }, json: {} });
    const c = client();
    await expect(c.request({ url: `${api.url}/long`, schema: Price })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(api.count('/long')).toBe(1);
    expect(c.state().rateLimitedUntil).not.toBeNull();
  });

  it('treats GitHub-style 403 with remaining 0 as a rate limit and records the limit headers', async () => {
    const reset = Math.floor(Date.now() / 1000) + 7200;
    api.on('/gh', { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '60', 'x-ratelimit-reset': String(reset) }, json: { message: 'API rate limit exceeded' } });
    const c = client();
    await expect(c.request({ url: `${api.url}/gh`, schema: Price })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(c.state()).toMatchObject({ remaining: 0, limit: 60 });
  });

  it('shares cached responses: two clients asking the same request within the TTL make one upstream call', async () => {
    api.on('/cached', { json: { price: 7 } });
    const a = client();
    const b = client();
    const [r1, r2] = await Promise.all([a.request({ url: `${api.url}/cached`, schema: Price, cacheTtlSec: 60 }), b.request({ url: `${api.url}/cached`, schema: Price, cacheTtlSec: 60 })]);
    const r3 = await b.request({ url: `${api.url}/cached`, schema: Price, cacheTtlSec: 60 });
    expect([r1.data.price, r2.data.price, r3.data.price]).toEqual([7, 7, 7]);
    expect(api.count('/cached')).toBe(1);
    expect(r3.cached).toBe(true);
    // Without a TTL every call goes upstream.
    await a.request({ url: `${api.url}/cached`, schema: Price });
    expect(api.count('/cached')).toBe(2);
  });

  it('is cancelled by its AbortSignal while waiting to retry', async () => {
    api.on('/slow429', { status: 429, headers: { 'retry-after': '1' }, json: {} });
    const ctrl = new AbortController();
    const p = client().request({ url: `${api.url}/slow429`, schema: Price, signal: ctrl.signal });
    setTimeout(() => ctrl.abort(), 100);
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(api.count('/slow429')).toBe(1);
  });

  it('waits for tokens of the provider bucket', async () => {
    api.on('/bucket', { json: { price: 1 } });
    const c = client({ ratePerSec: 20, burst: 1 });
    for (let i = 0; i < 4; i++) await c.request({ url: `${api.url}/bucket`, schema: Price });
    const times = api.requests.map((r) => r.at);
    // Four calls at 20/s with a burst of one span at least three intervals of 50 ms.
    expect((times[3] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(140);
  });

  it('takes provider rates from the configuration, whose schema refuses junk and zero (which would spin the limiter)', () => {
    const config = loadConfig({ overrides: { dataDir: tmp.dir }, env: { DEFIMON_ETHERSCAN_RATE: '2' } });
    expect(createEtherscanClient({ ports, log, config }).policy.ratePerSec).toBe(2);
    expect(createEtherscanClient({ ports, log, config: loadConfig({ overrides: { dataDir: tmp.dir }, env: {} }) }).policy.ratePerSec).toBe(2.5);
    for (const junk of ['fast', '0', '-1']) expect(() => loadConfig({ overrides: { dataDir: tmp.dir }, env: { DEFIMON_ETHERSCAN_RATE: junk } })).toThrow(/DEFIMON_ETHERSCAN_RATE|collect\.rates\.etherscan/);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });

  it('classifies JSON-RPC errors: reverts and bad params are final, range errors shrink, node hiccups retry', async () => {
    let calls = 0;
    api.handle('/rpc', (req) => {
      calls++;
      const body = JSON.parse(req.body) as { id: number; method: string } | { id: number; method: string }[];
      const one = (b: { id: number; method: string }) => {
        if (b.method === 'eth_call') return { jsonrpc: '2.0', id: b.id, error: { code: 3, message: 'execution reverted' } };
        if (b.method === 'eth_getLogs') return { jsonrpc: '2.0', id: b.id, error: { code: -32005, message: 'query returned more than 10000 results' } };
        if (b.method === 'eth_blockNumber') return calls < 2 ? { jsonrpc: '2.0', id: b.id, error: { code: -32000, message: 'header not found' } } : { jsonrpc: '2.0', id: b.id, result: '0x10' };
        return { jsonrpc: '2.0', id: b.id, error: { code: -32601, message: 'the method does not exist' } };
      };
      return { json: Array.isArray(body) ? body.map(one) : one(body) };
    });
    const rpc = createRpcClient({ ports, log }, { url: `${api.url}/rpc`, policy: { baseDelayMs: 5, maxRetries: 2 } });
    expect(await rpc.call('eth_blockNumber', [], z.string())).toBe('0x10');
    expect(calls).toBe(2);
    const before = calls;
    await expect(rpc.call('eth_call', [{}], z.string())).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('reverted') });
    await expect(rpc.call('eth_foo', [], z.string())).rejects.toMatchObject({ retryable: false });
    expect(calls).toBe(before + 2);
    const err = await rpc.call('eth_getLogs', [{}], z.array(z.unknown())).catch((e: unknown) => e);
    expect(isRangeTooLarge(err)).toBe(true);
    const batch = await rpc.batch([
      { method: 'eth_call', params: [] },
      { method: 'eth_blockNumber', params: [] },
    ]);
    expect(batch[0]?.ok).toBe(false);
    expect(batch[1]).toEqual({ ok: true, value: '0x10' });
  });

  it('falls back to single calls when the provider rejects JSON-RPC batches', async () => {
    let batches = 0;
    api.handle('/nobatch', (req) => {
      const body = JSON.parse(req.body) as { id: number; params: string[] } | unknown[];
      if (Array.isArray(body)) {
        batches++;
        return { json: { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'batch requests are not supported on this plan' } } };
      }
      return { json: { jsonrpc: '2.0', id: body.id, result: `0x${Number(body.params[0]).toString(16)}` } };
    });
    const rpc = createRpcClient({ ports, log }, { url: `${api.url}/nobatch`, policy: { baseDelayMs: 5 } });
    const calls = Array.from({ length: 12 }, (_, i) => ({ method: 'eth_echo', params: [String(i)] }));
    expect(await rpc.batch(calls)).toEqual(calls.map((_, i) => ({ ok: true, value: `0x${i.toString(16)}` })));
    expect(await rpc.batch(calls.slice(0, 2))).toHaveLength(2);
    expect(batches).toBe(1);
    expect(api.count('/nobatch')).toBe(1 + 14);
  });

  describe('provider range and batch refusals, classified by what they say', () => {
  it('reads each provider\'s eth_getLogs refusal: cap, suggested range, or no hint', () => {
    const alchemy = rangeHintFrom({ code: -32600, message: 'You can make eth_getLogs requests with up to a 500 block range. Based on your parameters, this block range should work: [0x1be4213, 0x1be4406]' });
    expect(alchemy).toEqual({ kind: 'limit', maxBlocks: 500, suggested: { from: 0x1be4213, to: 0x1be4406 } });
    const size = rangeHintFrom({ code: -32602, message: 'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x0, 0x87fe9]' });
    expect(size).toEqual({ kind: 'size', suggested: { from: 0, to: 0x87fe9 } });
    expect(rangeHintFrom({ code: -32602, message: 'range 1000000 exceeds limit of 10000' })).toEqual({ kind: 'limit', maxBlocks: 10_000 });
    expect(rangeHintFrom({ code: -32005, message: 'query returned more than 10000 results. Try with this block range [0xBDE5F8, 0x102DBCC].' })).toEqual({ kind: 'size', suggested: { from: 0xbde5f8, to: 0x102dbcc } });
    expect(rangeHintFrom({ code: -32614, message: 'eth_getLogs is limited to a 10,000 range' }, 413)).toEqual({ kind: 'limit', maxBlocks: 10_000 });
    expect(rangeHintFrom({ code: -32602, message: 'query exceeds max block range 5000' })).toEqual({ kind: 'limit', maxBlocks: 5000 });
    expect(rangeHintFrom({ code: -32602, message: 'invalid params' })).toEqual({ kind: 'unclear' });
    expect(rangeHintFrom({ code: -32000, message: 'block range is bigger than maxBlockRange' })).toEqual({ kind: 'unclear' });
    expect(rangeHintFrom({ code: -32601, message: 'the method eth_getLogs does not exist' })).toBeNull();
  });

  it('reads batch refusals: geth/Bor "batch too large" (size unknown), Erigon\'s stated limit', () => {
    expect(batchLimitFrom('batch too large')).toBe(0);
    expect(batchLimitFrom('batch limit 100 exceeded: 142 requests given')).toBe(100);
    expect(batchLimitFrom('execution reverted')).toBeNull();
  });

  it('a range refusal on eth_getLogs is not "bad params"; the same code on another method is final', async () => {
    api.handle('/q', (req) => {
      const b = JSON.parse(req.body) as { id: number; method: string };
      if (b.method === 'eth_getLogs') return { status: 413, json: { jsonrpc: '2.0', id: b.id, error: { code: -32614, message: 'eth_getLogs is limited to a 5 range' } } };
      return { status: 400, json: { jsonrpc: '2.0', id: b.id, error: { code: -32602, message: 'invalid params' } } };
    });
    const rpc = createRpcClient({ ports, log }, { url: `${api.url}/q`, policy: { baseDelayMs: 5, maxRetries: 1 } });
    const logs = await rpc.call('eth_getLogs', [{}], z.array(z.unknown())).catch((e: unknown) => e);
    expect(rangeHintOf(logs)).toEqual({ kind: 'limit', maxBlocks: 5 });
    const other = await rpc.call('eth_getBalance', [], z.string()).catch((e: unknown) => e);
    expect(other).toMatchObject({ retryable: false, message: expect.stringContaining('invalid params') });
    expect(rangeHintOf(other)).toBeNull();
  });
});
});
