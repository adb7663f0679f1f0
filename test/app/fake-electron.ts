/**
 * An in-memory stand-in for the parts of Electron the shell uses, behaving like Electron where
 * the shell depends on it: `ipcMain.handle` refuses a second handler for a channel, arguments and
 * messages are structured-cloned across the "process" boundary (so functions or class instances
 * fail as they would), `utilityProcess.fork` starts a real separate Node process, `safeStorage`
 * really encrypts (AES-256-GCM under a key held in this process), and windows record what they
 * were created with. Used through `vi.mock('electron', ...)`.
 */
import { fork as forkChild, type ChildProcess } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type Listener = (...args: unknown[]) => unknown;

export interface FakeWebContents extends EventEmitter {
  id: number;
  sent: { channel: string; args: unknown[] }[];
  destroyed: boolean;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  setWindowOpenHandler(fn: (details: { url: string }) => { action: string }): void;
}

let nextWebContentsId = 1;
export function createWebContents(): FakeWebContents {
  const wc = new EventEmitter() as FakeWebContents;
  wc.id = nextWebContentsId++;
  wc.sent = [];
  wc.destroyed = false;
  wc.windowOpenHandler = undefined;
  wc.send = (channel, ...args) => {
    if (wc.destroyed) throw new Error('Object has been destroyed');
    wc.sent.push({ channel, args: structuredClone(args) });
  };
  wc.isDestroyed = () => wc.destroyed;
  wc.setWindowOpenHandler = (fn) => {
    wc.windowOpenHandler = fn;
  };
  return wc;
}

/** What a navigation event handler receives. */
export function navigationEvent(): { preventDefault(): void; defaultPrevented: boolean } {
  const e = { defaultPrevented: false, preventDefault: () => (e.defaultPrevented = true) };
  return e;
}

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, fn: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, fn);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What `ipcRenderer.invoke(channel, ...args)` does from a page: arguments are cloned, results too. */
  async invoke(channel: string, event: { sender: FakeWebContents; senderFrame: { url: string; parent: unknown } | null }, ...args: unknown[]): Promise<unknown> {
    const fn = this.handlers.get(channel);
    if (!fn) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    const cloned = structuredClone(args);
    try {
      return structuredClone(await fn({ ...event, processId: 1, frameId: 1 }, ...cloned));
    } catch (err) {
      throw new Error(`Error invoking remote method '${channel}': ${String(err)}`);
    }
  }
}

const KEY = randomBytes(32);
export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret' as string,
  isEncryptionAvailable: () => safeStorage.available,
  getSelectedStorageBackend: () => safeStorage.backend,
  encryptString(plain: string): Buffer {
    if (!safeStorage.available) throw new Error('Encryption is not available.');
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', KEY, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  },
  decryptString(buf: Buffer): string {
    const d = createDecipheriv('aes-256-gcm', KEY, buf.subarray(0, 12));
    d.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
  },
};

class FakeApp extends EventEmitter {
  isPackaged = false;
  sandboxEnabled = false;
  quitCalls = 0;
  exitCode: number | undefined;
  singleInstance = true;
  /** Electron always knows userData; nothing is written there unless a test points at it. */
  paths: Record<string, string> = { userData: path.join(os.tmpdir(), 'defimon-fake-userdata') };
  private readyResolve: (() => void) | undefined;
  private readonly ready = new Promise<void>((resolve) => {
    this.readyResolve = resolve;
  });
  getPath(name: string): string {
    const p = this.paths[name];
    if (p === undefined) throw new Error(`no path ${name}`);
    return p;
  }
  getVersion(): string {
    return '0.1.0';
  }
  setPath(name: string, p: string): void {
    this.paths[name] = p;
  }
  whenReady(): Promise<void> {
    return this.ready;
  }
  fireReady(): void {
    this.readyResolve?.();
    this.emit('ready');
  }
  enableSandbox(): void {
    this.sandboxEnabled = true;
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  /** Like Electron: `will-quit` listeners may preventDefault. */
  quit(): void {
    this.quitCalls++;
    const event = navigationEvent();
    this.emit('will-quit', event);
  }
  exit(code: number): void {
    this.exitCode = code;
  }
}

export class BrowserWindow extends EventEmitter {
  static all: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.destroyed);
  }
  readonly options: Record<string, unknown>;
  readonly webContents: FakeWebContents;
  loadedUrl: string | undefined;
  destroyed = false;
  maximized = false;
  constructor(options: Record<string, unknown>) {
    super();
    this.options = structuredClone(options);
    this.webContents = createWebContents();
    BrowserWindow.all.push(this);
    electron.app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
  }
  async loadFile(file: string): Promise<void> {
    this.loadedUrl = `file://${file}`;
  }
  reloads = 0;
  reload(): void {
    this.reloads++;
  }
  show(): void {}
  focused = false;
  focus(): void {
    this.focused = true;
  }
  restore(): void {}
  maximize(): void {
    this.maximized = true;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isMinimized(): boolean {
    return false;
  }
  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    return { x: 40, y: 30, width: (this.options.width as number) ?? 1440, height: (this.options.height as number) ?? 900 };
  }
  /** Like Electron: closing the last window emits the app's `window-all-closed`. */
  close(): void {
    this.emit('close');
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
    if (BrowserWindow.getAllWindows().length === 0) electron.app.emit('window-all-closed');
  }
}

/** utilityProcess.fork: a real child process; the TypeScript source runs through tsx when no build exists. */
class FakeUtilityProcess extends EventEmitter {
  readonly child: ChildProcess;
  constructor(modulePath: string, args: string[], options: { env?: NodeJS.ProcessEnv; serviceName?: string }) {
    super();
    const file = existsSync(modulePath) ? modulePath : modulePath.replace(/\.js$/, '.ts');
    this.child = forkChild(file, args, { env: options.env ?? process.env, execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.child.on('message', (m) => this.emit('message', m));
    this.child.on('exit', (code) => this.emit('exit', code));
  }
  postMessage(message: unknown): void {
    this.child.send(message as never);
  }
  kill(): boolean {
    return this.child.kill('SIGKILL');
  }
}

export const utilityProcess = {
  forked: [] as { modulePath: string; options: Record<string, unknown>; process: FakeUtilityProcess }[],
  fork(modulePath: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv; serviceName?: string } = {}): FakeUtilityProcess {
    const p = new FakeUtilityProcess(modulePath, args, options);
    utilityProcess.forked.push({ modulePath, options: { ...options, env: undefined }, process: p });
    return p;
  },
};

export const electron = {
  app: new FakeApp(),
  ipcMain: new FakeIpcMain(),
  BrowserWindow,
  safeStorage,
  utilityProcess,
  screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
  session: {
    defaultSession: {
      permissionRequestHandler: undefined as undefined | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
      permissionCheckHandler: undefined as undefined | (() => boolean),
      setPermissionRequestHandler(fn: (wc: unknown, permission: string, cb: (ok: boolean) => void) => void) {
        this.permissionRequestHandler = fn;
      },
      setPermissionCheckHandler(fn: () => boolean) {
        this.permissionCheckHandler = fn;
      },
    },
  },
  protocol: {
    privileged: [] as unknown[],
    handlers: new Map<string, (req: { url: string }) => Response | Promise<Response>>(),
    registerSchemesAsPrivileged(schemes: unknown[]) {
      this.privileged.push(...schemes);
    },
    handle(scheme: string, fn: (req: { url: string }) => Response) {
      this.handlers.set(scheme, fn);
    },
  },
  Menu: {
    current: undefined as unknown,
    buildFromTemplate: (template: unknown) => template,
    setApplicationMenu(menu: unknown) {
      this.current = menu;
    },
  },
  dialog: {
    errors: [] as { title: string; detail: string }[],
    messages: [] as unknown[],
    showErrorBox(title: string, detail: string) {
      this.errors.push({ title, detail });
    },
    async showMessageBox(opts: unknown) {
      this.messages.push(opts);
      return { response: 1 };
    },
  },
  shell: {
    opened: [] as string[],
    async openExternal(url: string) {
      this.opened.push(url);
    },
    async openPath(p: string) {
      this.opened.push(p);
      return '';
    },
  },
  contextBridge: {
    exposed: new Map<string, unknown>(),
    exposeInMainWorld(name: string, api: unknown) {
      this.exposed.set(name, api);
    },
  },
  ipcRenderer: Object.assign(new EventEmitter(), {
    invoked: [] as { channel: string; args: unknown[] }[],
    async invoke(channel: string, ...args: unknown[]) {
      electron.ipcRenderer.invoked.push({ channel, args: structuredClone(args) });
      return { ok: true, data: null };
    },
  }),
};

/** The module shape `vi.mock('electron', ...)` returns: named exports and a default export. */
export const electronModule = { ...electron, default: electron };
