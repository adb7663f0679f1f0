/**
 * The preload bridge: exposes exactly one object, `window.defimon`, whose `invoke` reaches only
 * the per-method contract channels (`defimon:invoke:<method>`) and whose `onEvent` hears only
 * the app's event channel. It imports nothing but electron and constants, because a sandboxed
 * preload cannot load other modules; the main process validates every input with the contract.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { DefimonBridge } from '../shared/bridge';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, METHOD_NAME_RE } from '../shared/ipc';

const bridge: DefimonBridge = {
  invoke(method, input) {
    if (typeof method !== 'string' || !METHOD_NAME_RE.test(method)) {
      return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_METHOD', message: `unknown method "${String(method)}"`, retryable: false } });
    }
    return ipcRenderer.invoke(`${IPC_INVOKE_CHANNEL}:${method}`, input);
  },
  onEvent(listener) {
    const wrapped = (_e: IpcRendererEvent, msg: { name?: unknown; payload?: unknown }): void => {
      if (typeof msg?.name === 'string') listener(msg.name, msg.payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.off(IPC_EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('defimon', bridge);
