/**
 * IPC registration, derived from the contract: one handler per method on
 * `defimon:invoke:<method>`. Each checks the sender (the app's own page, in a main frame, of one
 * of the app's windows), bounds the payload, has the input parsed with the method's schema
 * (by the dispatcher behind `call`) and answers the serialisable envelope; nothing thrown
 * crosses to the renderer as anything but that envelope. Events go only to the app's windows.
 * `dispose()` removes every handler and listener it added.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Envelope } from '../../shared/client';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, methodNames } from '../../shared/contract';
import { serializeError, type SerializedError } from '../../shared/errors';
import type { Logger } from '../services/log/logger';

/** The app's URL scheme and host: the renderer is served from `app://defimon/`. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'defimon';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Inputs larger than this are refused before parsing (a renderer has no reason to send more). */
export const MAX_IPC_INPUT_BYTES = 1024 * 1024;

export interface IpcDeps {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  /** Runs a contract method and answers its envelope (in-process services or the services process). */
  call(method: string, input: unknown): Promise<Envelope>;
  /** Hears every event of the services; returns an unsubscribe. */
  subscribe(listener: (name: string, payload: unknown) => void): () => void;
  log: Pick<Logger, 'warn' | 'error'>;
  /** True for the app's own page in a main frame of one of its windows. */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
  /** The app's windows' webContents, for events. */
  targets(): WebContents[];
}

function refuse(code: SerializedError['code'], message: string): Envelope {
  return { ok: false, error: { code, message, retryable: false } };
}

function payloadTooLarge(input: unknown): boolean {
  if (input === undefined) return false;
  try {
    return JSON.stringify(input).length > MAX_IPC_INPUT_BYTES;
  } catch {
    return true; // not plain data: the contract's schemas would refuse it anyway
  }
}

export function registerIpc(deps: IpcDeps): { dispose(): void; channels: string[] } {
  const channels: string[] = [];
  let disposed = false;
  const register = (method: string): void => {
    const channel = `${IPC_INVOKE_CHANNEL}:${method}`;
    deps.ipcMain.handle(channel, async (event, input: unknown): Promise<Envelope> => {
      if (!deps.isTrustedSender(event)) {
        deps.log.warn({ method, url: event.senderFrame?.url ?? null }, 'IPC call from an untrusted sender refused');
        return refuse('FORBIDDEN', 'IPC from an untrusted sender');
      }
      if (disposed) return refuse('UNAVAILABLE', 'the app is shutting down');
      if (payloadTooLarge(input)) return refuse('INVALID_INPUT', `${method}: input larger than ${MAX_IPC_INPUT_BYTES} bytes`);
      try {
        return await deps.call(method, input);
      } catch (err) {
        // `call` answers envelopes; this catches a transport failure so the renderer still gets one.
        deps.log.error({ method, err }, 'IPC call failed outside its handler');
        return { ok: false, error: serializeError(err) };
      }
    });
    channels.push(channel);
  };
  try {
    for (const method of methodNames) register(method);
  } catch (err) {
    // All or nothing: a failed registration leaves no handler behind.
    for (const c of channels) deps.ipcMain.removeHandler(c);
    throw err;
  }
  const offEvents = deps.subscribe((name, payload) => {
    for (const wc of deps.targets()) if (!wc.isDestroyed()) wc.send(IPC_EVENT_CHANNEL, { name, payload });
  });
  return {
    channels,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const c of channels) deps.ipcMain.removeHandler(c);
      offEvents();
    },
  };
}

/**
 * A page is the app's own when it is served from `app://defimon/` or, in development, from the
 * electron-vite dev server's origin. Nothing else (file:, http(s) elsewhere, about:blank) is.
 */
export function isOwnPage(url: string | undefined, devServerUrl: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    if (u.protocol === `${APP_SCHEME}:`) return u.host === APP_HOST;
    if (devServerUrl) return u.origin === new URL(devServerUrl).origin;
    return false;
  } catch {
    return false;
  }
}

/**
 * The sender check for `ipcMain.handle`: a main frame (not an iframe) showing the app's own
 * page, in a window the app created.
 */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'senderFrame' | 'sender'>,
  opts: { devServerUrl: string | undefined; isAppWindow: (sender: WebContents) => boolean },
): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame === undefined) return false;
  if (frame.parent !== null) return false;
  if (!opts.isAppWindow(event.sender)) return false;
  return isOwnPage(frame.url, opts.devServerUrl);
}
