/**
 * How the renderer reaches the services, before any of the contract's schemas are loaded: the
 * preload bridge in the desktop app, `POST /api/<method>` in web mode. Light on purpose (no zod,
 * no React), so the page can start the calls its first sight needs while the rest of its code is
 * still being evaluated (`startCall`); the typed client (`client.ts`) takes such a call over
 * when it makes the identical call, and validates its answer as it validates every other.
 */
import type { DefimonBridge } from '../../../shared/bridge';
import { createStartedCalls, type Invoke } from './started-calls';

export type { Invoke } from './started-calls';

declare global {
  interface Window {
    defimon?: DefimonBridge;
  }
}

export function bridgeInvoke(bridge: DefimonBridge): Invoke {
  return (method, input) => bridge.invoke(method, input);
}

export function httpInvoke(baseUrl = '', apiKey: () => string | null = () => null): Invoke {
  return async (method, input, signal) => {
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

/** This renderer's way to the services. */
export const invoke: Invoke = window.defimon ? bridgeInvoke(window.defimon) : httpInvoke('', storedApiKey);

const startedCalls = createStartedCalls(invoke);

/** Starts a call the page will make, so its answer is on its way before the code that asks for it runs. */
export const startCall = startedCalls.start;
/** `invoke`, taking over calls started by `startCall`. */
export const invokeTakingStarted: Invoke = startedCalls.invoke;
