/**
 * The renderer's contract client. In the desktop app it speaks through the preload bridge
 * (`window.defimon`); in web mode it posts to the headless server and listens to its
 * server-sent events. Both are the same typed client.
 */
import { createClient, type Client, type Transport } from '../../../shared/client';
import type { DefimonBridge } from '../../../shared/bridge';
import { eventNames } from '../../../shared/contract';

declare global {
  interface Window {
    defimon?: DefimonBridge;
  }
}

export function bridgeTransport(bridge: DefimonBridge): Transport {
  return {
    invoke: (method, input) => bridge.invoke(method, input),
    subscribe: (listener) => bridge.onEvent(listener),
  };
}

export function httpTransport(baseUrl = '', apiKey: () => string | null = () => null): Transport {
  // One EventSource for every subscriber: browsers allow only ~6 connections per host over
  // HTTP/1.1, and each open stream holds one, so a stream per listener would starve the API calls.
  const listeners = new Set<(name: string, payload: unknown) => void>();
  let source: EventSource | null = null;
  const open = (): void => {
    if (source) return;
    // EventSource cannot send headers; a team server takes the stream's key as ?key=.
    const key = apiKey();
    source = new EventSource(`${baseUrl}/api/events${key ? `?key=${encodeURIComponent(key)}` : ''}`);
    const handle = (e: MessageEvent<string>): void => {
      let payload: unknown;
      try {
        payload = JSON.parse(e.data);
      } catch {
        return; // a malformed event is dropped
      }
      for (const l of [...listeners]) l(e.type, payload);
    };
    // Named SSE events need a listener per name: one for each of the contract's events.
    for (const name of eventNames) source.addEventListener(name, handle as EventListener);
  };
  return {
    async invoke(method, input, signal) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const key = apiKey();
      if (key) headers.authorization = `Bearer ${key}`;
      let res: Response;
      try {
        res = await fetch(`${baseUrl}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(input ?? {}), signal: signal ?? null });
      } catch (err) {
        return { ok: false, error: { code: 'UNAVAILABLE', message: `the DEFIMON server cannot be reached (${(err as Error).message}); is \`defimon serve\` running?`, retryable: true } };
      }
      try {
        return await res.json();
      } catch {
        return { ok: false, error: { code: 'INVALID_OUTPUT', message: `the server answered HTTP ${res.status} without a JSON body`, retryable: false } };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}

const API_KEY = 'defimon.apiKey';

/** A team server beyond loopback asks for an API key; the web app keeps it in this browser only. */
export function storedApiKey(): string | null {
  try {
    return localStorage.getItem(API_KEY);
  } catch {
    return null;
  }
}

export function storeApiKey(key: string | null): void {
  try {
    if (key) localStorage.setItem(API_KEY, key);
    else localStorage.removeItem(API_KEY);
  } catch {
    /* storage disabled: the key lasts until the page reloads */
  }
}

export const client: Client = createClient(window.defimon ? bridgeTransport(window.defimon) : httpTransport('', storedApiKey));
export const isDesktop = window.defimon !== undefined;
