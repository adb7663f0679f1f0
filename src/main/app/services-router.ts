/**
 * The main process's side of the services process: it starts it, routes contract calls to it,
 * relays its events, and survives its crash (pending calls answer UNAVAILABLE, the app is told
 * and may restart it). Methods that need the main process (settings: the OS keychain lives
 * here) are answered locally instead.
 */
import type { Envelope } from '../../shared/client';
import type { SerializedError } from '../../shared/errors';
import type { DefimonConfig } from '../services/config/config';
import type { Logger } from '../services/log/logger';
import type { FromHost, HostChild } from './host-protocol';

export interface ServicesRouter {
  /** Starts the services process and waits until it answers (or fails to start). */
  start(): Promise<void>;
  call(method: string, input: unknown): Promise<Envelope>;
  subscribe(listener: (name: string, payload: unknown) => void): () => void;
  /** Stops the services process (if running) and starts a new one. */
  restart(): Promise<void>;
  /** Asks the services to close cleanly; kills the process after `timeoutMs`. */
  shutdown(timeoutMs?: number): Promise<void>;
  readonly running: boolean;
}

export interface RouterOptions {
  /** Creates the services process (Electron's utilityProcess.fork; a Node child in tests). */
  spawn(): HostChild;
  /** The services' configuration, built afresh at each (re)start so changed settings apply. */
  config(): DefimonConfig;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** An unexpected error inside the services process (already logged there). */
  onFault?(fault: { error: SerializedError; fatal: boolean; context: string }): void;
  /** The services process ended without being asked to. */
  onUnexpectedExit?(code: number | null): void;
  /** Methods answered in the main process, by name. */
  local?: { has(method: string): boolean; call(method: string, input: unknown): Promise<Envelope> };
}

const unavailable = (message: string): Envelope => ({ ok: false, error: { code: 'UNAVAILABLE', message, retryable: true } });

export function createServicesRouter(opts: RouterOptions): ServicesRouter {
  const listeners = new Set<(name: string, payload: unknown) => void>();
  /** The running services process; `stopping` once it was asked to close (its exit is expected). */
  let current: { child: HostChild; stopping: boolean; ready: boolean } | undefined;
  let nextId = 1;
  let pending = new Map<number, (env: Envelope) => void>();

  const failPending = (message: string): void => {
    const was = pending;
    pending = new Map();
    for (const resolve of was.values()) resolve(unavailable(message));
  };

  function launch(): Promise<void> {
    const c = opts.spawn();
    const state = { child: c, stopping: false, ready: false };
    current = state;
    let settle: { resolve(): void; reject(err: Error): void } | undefined;
    const started = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    c.onMessage((msg: FromHost) => {
      switch (msg.type) {
        case 'ready':
          state.ready = true;
          settle?.resolve();
          return;
        case 'init-failed':
          settle?.reject(Object.assign(new Error(`the services failed to start: ${msg.error.message}`), { code: msg.error.code }));
          return;
        case 'result':
          pending.get(msg.id)?.(msg.envelope);
          pending.delete(msg.id);
          return;
        case 'event':
          for (const l of listeners) l(msg.name, msg.payload);
          return;
        case 'fault':
          opts.onFault?.({ error: msg.error, fatal: msg.fatal, context: msg.context });
          return;
        case 'closed':
          state.stopping = true;
          return;
      }
    });
    c.onExit((code) => {
      const expected = state.stopping || current !== state;
      if (current === state) current = undefined;
      failPending(`the services process exited (code ${code ?? 'none'})`);
      settle?.reject(new Error(`the services process exited before it was ready (code ${code ?? 'none'})`));
      if (!expected) {
        opts.log.error({ code }, 'the services process exited unexpectedly');
        opts.onUnexpectedExit?.(code);
      }
    });
    let config: DefimonConfig;
    try {
      config = opts.config();
    } catch (err) {
      state.stopping = true;
      c.kill();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    c.post({ type: 'init', config });
    return started;
  }

  async function stop(timeoutMs: number): Promise<void> {
    const state = current;
    if (state === undefined) return;
    state.stopping = true;
    const c = state.child;
    const exited = new Promise<void>((resolve) => c.onExit(() => resolve()));
    c.post({ type: 'shutdown' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      opts.log.warn({ timeoutMs }, 'the services process did not close in time; killing it');
      c.kill();
      await exited;
    }
  }

  return {
    get running() {
      return current?.ready ?? false;
    },
    start: () => launch(),
    call(method, input) {
      if (opts.local?.has(method)) return opts.local.call(method, input);
      const c = current?.ready ? current.child : undefined;
      if (c === undefined) return Promise.resolve(unavailable('the services are starting or restarting; try again in a moment'));
      const id = nextId++;
      return new Promise<Envelope>((resolve) => {
        pending.set(id, resolve);
        c.post({ type: 'call', id, method, input });
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async restart() {
      await stop(10_000);
      opts.log.info({}, 'restarting the services process');
      await launch();
    },
    shutdown: (timeoutMs = 10_000) => stop(timeoutMs),
  };
}
