/**
 * The renderer's contract client. In the desktop app it speaks through the preload bridge
 * (`window.defimon`); in web mode it posts to the headless server and listens to its
 * server-sent events. Both are the same typed client.
 */
import { createClient, type Client, type Transport } from '../../../shared/client';
import type { DefimonBridge } from '../../../shared/bridge';
import { eventNames } from '../../../shared/contract';
import { bridgeInvoke, httpInvoke, invokeTakingStarted, storedApiKey } from './invoke';

export { storedApiKey, storeApiKey } from './invoke';

export function bridgeTransport(bridge: DefimonBridge): Transport {
  return {
    invoke: bridgeInvoke(bridge),
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
    invoke: httpInvoke(baseUrl, apiKey),
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

const transport = window.defimon ? bridgeTransport(window.defimon) : httpTransport('', storedApiKey);
/** The typed client; a call the page started early (`startCall`) is taken over, not sent twice. */
export const client: Client = createClient({ ...transport, invoke: invokeTakingStarted });
export const isDesktop = window.defimon !== undefined;
