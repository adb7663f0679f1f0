/**
 * The services process: an Electron utility process (or, for tests and diagnosis, a Node child
 * process) that runs createServices, so imports, collection, sync and scoring never block the
 * window's main process. It answers contract calls from the router in main and forwards every
 * event. An unexpected error is logged with context, reported to main (which shows it), and,
 * when it leaves the process in an unknown state, the services are closed (SQLite checkpoints
 * its WAL; every write was a transaction, so nothing is half-written) before the process exits.
 */
import { serializeError } from '../../shared/errors';
import { createServices, type Services } from '../services';
import { isServicesHostProcess, type DefimonConfig } from '../services/config/config';
import { createLogger, type Logger } from '../services/log/logger';
import type { HostPort, ToHost } from './host-protocol';

interface ElectronParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** Electron's parentPort in a utility process; Node's IPC channel in a forked child. */
export function hostPortOf(proc: NodeJS.Process): HostPort | null {
  const parentPort = (proc as NodeJS.Process & { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort) {
    return {
      onMessage: (listener) => parentPort.on('message', (e) => listener(e.data as ToHost)),
      post: (msg) => parentPort.postMessage(msg),
    };
  }
  if (typeof proc.send === 'function') {
    return {
      onMessage: (listener) => proc.on('message', (m) => listener(m as ToHost)),
      post: (msg) => {
        proc.send?.(msg);
      },
    };
  }
  return null;
}

export interface HostOptions {
  port: HostPort;
  /** Ends the process; injected so a test can observe it. */
  exit(code: number): void;
  proc?: Pick<NodeJS.Process, 'on'>;
}

export function runServicesHost(opts: HostOptions): void {
  const { port } = opts;
  let services: Services | undefined;
  let log: Logger | undefined;
  let closing: Promise<void> | undefined;

  const close = (code: number): Promise<void> => {
    closing ??= (async () => {
      try {
        await services?.close();
      } catch (err) {
        log?.error({ err }, 'closing the services failed');
      }
      port.post({ type: 'closed' });
      opts.exit(code);
    })();
    return closing;
  };

  const fault = (err: unknown, context: string, fatal: boolean): void => {
    log?.fatal({ err, context }, 'unexpected error in the services process');
    port.post({ type: 'fault', error: serializeError(err), fatal, context });
    if (fatal) void close(1);
  };
  const proc = opts.proc ?? process;
  // After an uncaught exception the process state is unknown: close the database cleanly and exit;
  // main restarts the services. A stray rejection is reported but the services keep running.
  proc.on('uncaughtException', (err: unknown) => fault(err, 'uncaughtException', true));
  proc.on('unhandledRejection', (reason: unknown) => fault(reason, 'unhandledRejection', false));

  const init = async (config: DefimonConfig): Promise<void> => {
    log = createLogger({ dataDir: config.dataDir, level: config.logLevel, toStderr: config.logToStderr });
    try {
      services = await createServices(config, { logger: log });
    } catch (err) {
      log.error({ err }, 'the services failed to start');
      port.post({ type: 'init-failed', error: serializeError(err) });
      await new Promise<void>((resolve) => log?.flush(() => resolve()));
      opts.exit(1);
      return;
    }
    services.core.bus.onAny((name, payload) => port.post({ type: 'event', name, payload }));
    port.post({ type: 'ready' });
  };

  port.onMessage((msg) => {
    switch (msg.type) {
      case 'init':
        if (services === undefined) void init(msg.config);
        return;
      case 'call':
        if (services === undefined || closing !== undefined) {
          port.post({ type: 'result', id: msg.id, envelope: { ok: false, error: { code: 'UNAVAILABLE', message: 'the services are not running', retryable: true } } });
          return;
        }
        void services.call(msg.method, msg.input, { origin: 'ipc' }).then((envelope) => port.post({ type: 'result', id: msg.id, envelope }));
        return;
      case 'shutdown':
        void close(0);
        return;
    }
  });
}

// The process entry: only when started as the services process, not when imported by a test.
const entryPort = isServicesHostProcess() ? hostPortOf(process) : null;
if (entryPort) runServicesHost({ port: entryPort, exit: (code) => process.exit(code) });
