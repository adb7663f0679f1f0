/**
 * The chain collector's new-head subscription over the RPC WebSocket (`rpcWsUrl`). Each head
 * pokes the chain collector. The socket follows the offline monitor: while the collectors are
 * offline it is closed and no connection is attempted; when the network is back one connection
 * is opened. A socket that fails or closes while online is reopened after an exponential backoff
 * (the shared policy of kernel/retry.ts), reset only once a head has arrived, so a server that
 * accepts and drops every connection is asked a handful of times, not in a loop. Without a
 * socket the interval schedule goes on as before.
 */
import type { WebSocketProvider } from 'ethers';
import type * as Ethers from 'ethers';
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

export function watchHeads(core: Pick<Core, 'log'>, o: HeadSubscriptionOptions): HeadSubscription {
  const backoff: BackoffPolicy = o.backoff ?? { baseMs: 2000, maxMs: 300_000, jitter: 'equal' };
  let provider: WebSocketProvider | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  let connects = 0;
  let stopped = false;

  const close = (): void => {
    const p = provider;
    provider = null;
    // destroy() drops the subscription with the socket; unsubscribing first races the close.
    if (p) void p.destroy();
  };

  const clearTimer = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };

  /** The socket failed or closed: reopen later while online; offline waits for the monitor. */
  const lost = (p: WebSocketProvider, why: string): void => {
    if (provider !== p) return; // an older socket, already replaced or closed on purpose
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
    if (stopped || provider !== null || !o.network.online) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ethers loads when a WebSocket is opened, not at every start
    const { WebSocketProvider: Provider } = require('ethers') as typeof Ethers;
    const p = new Provider(o.url, undefined, { staticNetwork: true });
    provider = p;
    connects++;
    const socket = p.websocket as unknown as { onerror: ((e: unknown) => void) | null; onclose: ((e: unknown) => void) | null };
    // ethers leaves the socket's 'error' unhandled (a refused URL would end the process) and never reconnects.
    socket.onerror = (err: unknown) => lost(p, err instanceof Error ? err.message : String((err as { message?: unknown }).message ?? 'error'));
    socket.onclose = () => lost(p, 'closed');
    p.on('block', () => {
      failures = 0;
      o.onHead();
    }).catch((err: unknown) => lost(p, (err as Error).message));
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
      return provider !== null;
    },
    stop() {
      stopped = true;
      clearTimer();
      unsubscribe();
      close();
    },
  };
}
