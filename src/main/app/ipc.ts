/**
 * IPC registration, derived from the contract: one handler per method on
 * `defimon:invoke:<method>`. Each checks the sender (the app's own page, main frame), parses the
 * input with the method's schema (inside dispatch) and answers the serialisable envelope.
 * Events go only to the app's own windows. `dispose()` removes every handler and listener.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, methodNames } from '../../shared/contract';
import type { Services } from '../services';

export interface IpcDeps {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  services: Services;
  /** True for the app's own page in a main frame. */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
  /** The app's windows' webContents, for events. */
  targets(): WebContents[];
}

export function registerIpc(deps: IpcDeps): { dispose(): void; channels: string[] } {
  const channels: string[] = [];
  for (const method of methodNames) {
    const channel = `${IPC_INVOKE_CHANNEL}:${method}`;
    deps.ipcMain.handle(channel, async (event, input: unknown) => {
      if (!deps.isTrustedSender(event)) {
        deps.services.log.warn({ method, url: event.senderFrame?.url }, 'IPC call from an untrusted sender refused');
        return { ok: false, error: { code: 'FORBIDDEN', message: 'IPC from an untrusted sender', retryable: false } };
      }
      return deps.services.call(method, input, { origin: 'ipc' });
    });
    channels.push(channel);
  }
  const offEvents = deps.services.core.bus.onAny((name, payload) => {
    for (const wc of deps.targets()) if (!wc.isDestroyed()) wc.send(IPC_EVENT_CHANNEL, { name, payload });
  });
  return {
    channels,
    dispose() {
      for (const c of channels) deps.ipcMain.removeHandler(c);
      offEvents();
    },
  };
}

/** A sender is trusted when its frame is a main frame showing the app's own origin. */
export function isOwnPage(url: string | undefined, devServerUrl: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    if (u.protocol === 'file:') return u.pathname.endsWith('/renderer/index.html');
    if (devServerUrl) return u.origin === new URL(devServerUrl).origin;
    return false;
  } catch {
    return false;
  }
}
