/**
 * Messages between the main process (the router) and the services process (a utility process
 * running createServices). Plain data only: they cross a process boundary. The configuration,
 * with the secrets the main process decrypted, travels once in `init`, over the private pipe
 * between the two processes; it is never written anywhere.
 */
import type { Envelope } from '../../shared/client';
import type { SerializedError } from '../../shared/errors';
import type { DefimonConfig } from '../services/config/config';

export type ToHost =
  | { type: 'init'; config: DefimonConfig }
  | { type: 'call'; id: number; method: string; input: unknown }
  | { type: 'shutdown' };

export type FromHost =
  | { type: 'ready' }
  | { type: 'init-failed'; error: SerializedError }
  | { type: 'result'; id: number; envelope: Envelope }
  | { type: 'event'; name: string; payload: unknown }
  /** An unexpected error in the services process, already logged there; shown to the user by main. */
  | { type: 'fault'; error: SerializedError; fatal: boolean; context: string }
  | { type: 'closed' };

/** The services process's end of the pipe: Electron's `process.parentPort`, or Node's IPC channel. */
export interface HostPort {
  onMessage(listener: (msg: ToHost) => void): void;
  post(msg: FromHost): void;
}

/** The main process's end: an Electron UtilityProcess, or a Node child process in tests. */
export interface HostChild {
  post(msg: ToHost): void;
  onMessage(listener: (msg: FromHost) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}
