/**
 * The chain collector's new-head subscription over the RPC WebSocket (`rpcWsUrl`). Each head
 * pokes the chain collector. The socket follows the offline monitor: while the collectors are
 * offline it is closed and no connection is attempted; when the network is back one connection
 * is opened. A socket that fails or closes while online is reopened after an exponential backoff
 * (the shared policy of kernel/retry.ts), reset only once a head has arrived, so a server that
 * accepts and drops every connection is asked a handful of times, not in a loop. Without a
 * socket the interval schedule goes on as before.
 *
 * The subscription speaks JSON-RPC over the `ws` client itself (`eth_subscribe` `newHeads`, then
 * `eth_subscription` notifications): it has no pending request that closing could orphan, so a
 * socket closed before or during the handshake ends quietly whatever the timing.
 */
import type WebSocket from 'ws';
import type { Core } from '../core';
import { backoffDelay, type BackoffPolicy } from '../kernel/retry';
import type { NetworkMonitor } from './network';

export interface HeadSubscription {
  /** Connections opened so far (each a new socket). */
  readonly connects: number;
  readonly connected: boolean;
  stop(): void;
}

export interface HeadSubscriptionOptions {
  url: string;
  network: Pick<NetworkMonitor, 'online' | 'onChange'>;
  onHead: () => void;
  /** Between reopenings of a failed socket. @default 2 s doubling to 5 min, equal jitter */
  backoff?: BackoffPolicy;
}

/** The id of our one request on a socket: the `eth_subscribe` call. */
const SUBSCRIBE_ID = 1;

/** What a message on the socket means to the subscription; anything else is ignored. */
function readMessage(data: WebSocket.RawData, subscription: string | null): { kind: 'subscribed'; id: string } | { kind: 'refused'; why: string } | { kind: 'head' } | null {
  let msg: unknown;
  try {
    msg = JSON.parse(String(data));
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as { id?: unknown; result?: unknown; error?: { message?: unknown }; method?: unknown; params?: { subscription?: unknown } };
  if (m.id === SUBSCRIBE_ID) {
    if (typeof m.result === 'string') return { kind: 'subscribed', id: m.result };
    const why = typeof m.error?.message === 'string' ? m.error.message : 'eth_subscribe answered without a subscription id';
    return { kind: 'refused', why };
  }
  if (m.method === 'eth_subscription' && subscription !== null && m.params?.subscription === subscription) return { kind: 'head' };
  return null;
}

export function watchHeads(core: Pick<Core, 'log'>, o: HeadSubscriptionOptions): HeadSubscription {
  const backoff: BackoffPolicy = o.backoff ?? { baseMs: 2000, maxMs: 300_000, jitter: 'equal' };
  let socket: WebSocket | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  let connects = 0;
  let stopped = false;

  const close = (): void => {
    const s = socket;
    socket = null;
    // terminate() ends the connection at once, in whatever state the handshake is.
    if (s) s.terminate();
  };

  const clearTimer = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };

  /** The socket failed or closed: reopen later while online; offline waits for the monitor. */
  const lost = (s: WebSocket, why: string): void => {
    if (socket !== s) return; // an older socket, already replaced or closed on purpose
    close();
    if (stopped || !o.network.online || timer) return;
    const delay = backoffDelay(failures++, backoff);
    (failures === 1 ? core.log.warn : core.log.debug).call(core.log, { err: why, retryInMs: delay }, 'RPC WebSocket lost; the chain collector keeps its interval and reconnects later');
    timer = setTimeout(() => {
      timer = null;
      open();
    }, delay);
    timer.unref();
  };

  function open(): void {
    if (stopped || socket !== null || !o.network.online) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the WebSocket client loads when a socket is opened, not at every start
    const Client = require('ws') as typeof WebSocket;
    let s: WebSocket;
    try {
      s = new Client(o.url, { handshakeTimeout: 30_000 });
    } catch (err) {
      // A URL the client cannot use: said once, the interval schedule goes on.
      core.log.warn({ err: (err as Error).message }, 'RPC WebSocket URL not usable; the chain collector keeps its interval');
      return;
    }
    socket = s;
    connects++;
    let subscription: string | null = null;
    s.on('open', () => s.send(JSON.stringify({ jsonrpc: '2.0', id: SUBSCRIBE_ID, method: 'eth_subscribe', params: ['newHeads'] })));
    s.on('message', (data) => {
      const m = readMessage(data, subscription);
      if (m?.kind === 'subscribed') subscription = m.id;
      else if (m?.kind === 'refused') lost(s, m.why);
      else if (m?.kind === 'head') {
        failures = 0;
        o.onHead();
      }
    });
    s.on('error', (err) => lost(s, err.message));
    s.on('close', () => lost(s, 'closed'));
  }

  const unsubscribe = o.network.onChange((online) => {
    clearTimer();
    if (online) {
      failures = 0;
      open();
    } else close();
  });
  open();

  return {
    get connects() {
      return connects;
    },
    get connected() {
      return socket !== null;
    },
    stop() {
      stopped = true;
      clearTimer();
      unsubscribe();
      close();
    },
  };
}
