/**
 * The chain collector's new-head WebSocket follows the offline monitor: closed and never
 * reopened while offline, one connection when the network is back; a server that drops every
 * connection is asked again only after a growing wait, so the attempts in a bounded time stay a
 * handful. Local WebSocket servers on 127.0.0.1 stand in for the provider.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { collectDomainOf } from '../../src/main/services/collect';
import { watchHeads, type HeadSubscription } from '../../src/main/services/collect/heads';
import { createLogger } from '../../src/main/services/log/logger';
import { createTestServices } from '../helpers/app';
import { tempDataDir } from '../helpers/services';
import { freePort } from './chain-helpers';

interface WsSocket {
  on(ev: 'message', fn: (data: Buffer) => void): void;
  on(ev: 'close', fn: () => void): void;
  send(text: string): void;
  terminate(): void;
}
interface WsServer {
  on(ev: 'connection', fn: (s: WsSocket) => void): void;
  once(ev: 'listening', fn: () => void): void;
  address(): AddressInfo;
  close(cb?: () => void): void;
  clients: Set<WsSocket>;
}
// The WebSocket library the head subscription connects with.
const { WebSocketServer } = createRequire(path.join(process.cwd(), 'package.json'))('ws') as { WebSocketServer: new (o: { host: string; port: number }) => WsServer };

/** A provider's WebSocket: `drop` closes every connection at once; `serve` answers eth_subscribe and sends a head every 100 ms. */
async function startWsProvider(mode: 'drop' | 'serve'): Promise<{ url: string; connections: () => number; open: () => number; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', r));
  let connections = 0;
  let open = 0;
  const timers = new Set<NodeJS.Timeout>();
  server.on('connection', (socket) => {
    connections++;
    if (mode === 'drop') return socket.terminate();
    open++;
    socket.on('close', () => open--);
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id: number; method: string };
      if (msg.method === 'eth_subscribe') {
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: '0xfeed' }));
        let n = 100;
        const t = setInterval(() => socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: '0xfeed', result: { number: `0x${(n++).toString(16)}`, hash: `0x${'ab'.repeat(32)}` } } })), 100);
        timers.add(t);
        socket.on('close', () => clearInterval(t));
      } else socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: msg.method === 'eth_chainId' ? '0x89' : null }));
    });
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    connections: () => connections,
    open: () => open,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearInterval(t);
        for (const c of server.clients) c.terminate();
        server.close(() => r());
      }),
  };
}

/** The offline monitor as the head subscription sees it, switched by the test. */
function fakeNetwork(online: boolean) {
  const listeners = new Set<(online: boolean) => void>();
  return {
    online,
    onChange(fn: (online: boolean) => void) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    set(next: boolean) {
      this.online = next;
      for (const fn of listeners) fn(next);
    },
  };
}

const logs = tempDataDir('defimon-heads');
const core = { log: createLogger({ dataDir: logs.dir, level: 'silent', toStderr: false }) };
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  for (let t = 0; t < ms && !cond(); t += 50) await wait(50);
  return cond();
}

describe('new-head WebSocket', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a server that drops every connection: reconnects with a growing wait, a handful of attempts in 4 s', async () => {
    const ws = await startWsProvider('drop');
    cleanups.push(ws.close);
    const network = fakeNetwork(true);
    const sub: HeadSubscription = watchHeads(core, { url: ws.url, network, onHead: () => undefined, backoff: { baseMs: 200, maxMs: 10_000, jitter: 'equal' } });
    cleanups.push(() => sub.stop());
    await wait(4000);
    // Waits of 100-200, 200-400, 400-800, 800-1600, 1600-3200 ms: at most 6 connections in 4 s.
    expect(ws.connections()).toBeGreaterThanOrEqual(2);
    expect(ws.connections()).toBeLessThanOrEqual(6);
    expect(sub.connects).toBe(ws.connections());
  }, 20_000);

  it('closes while offline, attempts nothing, and resubscribes once when the network is back', async () => {
    const ws = await startWsProvider('serve');
    cleanups.push(ws.close);
    const network = fakeNetwork(false);
    let heads = 0;
    const sub = watchHeads(core, { url: ws.url, network, onHead: () => heads++, backoff: { baseMs: 200, maxMs: 10_000, jitter: 'equal' } });
    cleanups.push(() => sub.stop());
    // Started offline: no connection at all.
    await wait(1000);
    expect([ws.connections(), sub.connects]).toEqual([0, 0]);

    network.set(true);
    expect(await until(() => heads >= 2, 10_000)).toBe(true);
    expect(ws.connections()).toBe(1);

    // Offline: the socket is closed and stays closed, whatever the time.
    network.set(false);
    expect(await until(() => ws.open() === 0, 5000)).toBe(true);
    const seen = heads;
    await wait(1500);
    expect([ws.connections(), sub.connects, sub.connected]).toEqual([1, 1, false]);
    expect(heads).toBe(seen);

    // Back online: one new connection, heads flow again.
    network.set(true);
    expect(await until(() => heads >= seen + 2, 10_000)).toBe(true);
    expect(ws.connections()).toBe(2);
  }, 40_000);

  it('closing at any moment of the handshake (refused, connecting, subscribing) raises no error in the process', async () => {
    const faults: unknown[] = [];
    const onFault = (err: unknown): void => void faults.push(err);
    process.on('unhandledRejection', onFault);
    process.on('uncaughtException', onFault);
    cleanups.push(() => {
      process.off('unhandledRejection', onFault);
      process.off('uncaughtException', onFault);
    });
    const ws = await startWsProvider('serve');
    cleanups.push(ws.close);
    const refused = `ws://127.0.0.1:${await freePort()}`;
    for (const url of [ws.url, refused]) {
      for (const afterMs of [0, 1, 3, 10, 30]) {
        const network = fakeNetwork(true);
        const sub = watchHeads(core, { url, network, onHead: () => undefined, backoff: { baseMs: 5, maxMs: 20, jitter: 'equal' } });
        await wait(afterMs);
        network.set(false); // the monitor closes the socket wherever the handshake is
        network.set(true); // and opens a new one at once
        await wait(afterMs);
        sub.stop();
        expect(sub.connected).toBe(false);
      }
    }
    await wait(300); // a late error or rejection would surface here
    expect(faults).toEqual([]);
    expect(ws.open()).toBe(0);
  }, 40_000);

  it('in the app: the chain schedule finding no network closes the head socket and opens none while offline', async () => {
    const ws = await startWsProvider('serve');
    cleanups.push(ws.close);
    const { services, cleanup } = await createTestServices({ autoImport: false, rpcWsUrl: ws.url, rpcUrl: `http://127.0.0.1:${await freePort()}`, collect: { offlineProbeSec: 60, intervals: { chain: 1 } } });
    cleanups.push(cleanup);
    const stop = await collectDomainOf(services.core).watch(['chain']);
    cleanups.push(stop);
    // The first chain run meets a refusing RPC port: offline, and the head socket is closed.
    expect(await until(() => ws.connections() >= 1, 10_000)).toBe(true);
    expect(await until(() => collectDomainOf(services.core).status.sources().length > 0 && ws.open() === 0, 10_000)).toBe(true);
    expect((await services.client.call('collect.status', {})).network.online).toBe(false);
    await wait(3000);
    expect(ws.connections()).toBe(1);
  }, 40_000);
});

afterAll(() => logs.remove());
