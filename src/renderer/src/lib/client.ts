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

export function httpTransport(baseUrl = '', apiKey?: string): Transport {
  return {
    async invoke(method, input, signal) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (apiKey) headers.authorization = `Bearer ${apiKey}`;
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
      const source = new EventSource(`${baseUrl}/api/events`);
      const handle = (e: MessageEvent<string>): void => {
        try {
          listener(e.type, JSON.parse(e.data));
        } catch {
          /* a malformed event is dropped */
        }
      };
      // Named SSE events need a listener per name: one for each of the contract's events.
      for (const name of eventNames) source.addEventListener(name, handle as EventListener);
      return () => source.close();
    },
  };
}

export const client: Client = createClient(window.defimon ? bridgeTransport(window.defimon) : httpTransport());
export const isDesktop = window.defimon !== undefined;
