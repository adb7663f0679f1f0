/**
 * The desktop main process, started for real against an in-memory Electron stand-in: its window,
 * navigation guards, permissions, app:// protocol, IPC (through a real services process) and
 * settings with the keychain stand-in, then a clean quit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { methodNames } from '../../src/shared/contract';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../src/shared/ipc';
import { tempDataDir } from '../helpers/services';
import { BrowserWindow, electron, navigationEvent, createWebContents, type FakeWebContents } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

const HF = 'hf_handwrittenSecretToken0123456789';
const RPC = 'https://polygon-mainnet.quiknode.pro/abcdef0123456789abcdef0123456789/';
const tmp = tempDataDir('desktop');
const savedEnv = { ...process.env };
let win: BrowserWindow;

function trusted(wc: FakeWebContents, url = 'app://defimon/index.html'): { sender: FakeWebContents; senderFrame: { url: string; parent: unknown } } {
  return { sender: wc, senderFrame: { url, parent: null } };
}
type Env = { ok: boolean; data?: unknown; error?: { code: string; message: string; details?: unknown } };
const invoke = (method: string, input: unknown, event = trusted(win.webContents)) => electron.ipcMain.invoke(`${IPC_INVOKE_CHANNEL}:${method}`, event, input) as Promise<Env>;

beforeAll(async () => {
  for (const k of Object.keys(process.env)) if (k.startsWith('DEFIMON_')) delete process.env[k];
  process.env.DEFIMON_DATA_DIR = tmp.dir;
  process.env.DEFIMON_AUTO_IMPORT = '0';
  process.env.DEFIMON_LOG_LEVEL = 'silent';
  // A secret an analyst wrote by hand into the shared settings file.
  writeFileSync(path.join(tmp.dir, 'defimon.config.json'), JSON.stringify({ horizonDays: 20, hfToken: HF }));
  electron.app.paths.userData = path.join(tmp.dir, 'unused');
  await import('../../src/main/app/index');
  electron.app.fireReady();
  await vi.waitFor(() => expect(BrowserWindow.getAllWindows()).toHaveLength(1), { timeout: 60_000, interval: 50 });
  win = BrowserWindow.getAllWindows()[0] as BrowserWindow;
});

afterAll(async () => {
  for (const f of electron.utilityProcess.forked) f.process.kill();
  process.env = savedEnv;
  tmp.remove();
});

describe('desktop main process', () => {
  it('sandboxes every renderer and registers its own secure scheme before ready', () => {
    expect(electron.app.sandboxEnabled).toBe(true);
    expect(electron.protocol.privileged).toEqual([expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })]);
  });

  it('opens one hardened window on the app scheme', () => {
    const prefs = win.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false });
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.js$/);
    expect(win.loadedUrl).toBe('app://defimon/index.html');
  });

  it('blocks navigation, new windows, webviews and permissions; allow-listed links go to the OS browser', () => {
    const wc = win.webContents;
    const away = navigationEvent();
    wc.emit('will-navigate', away, 'https://evil.example/phish');
    expect(away.defaultPrevented).toBe(true);
    const redirect = navigationEvent();
    wc.emit('will-redirect', redirect, 'file:///etc/passwd');
    expect(redirect.defaultPrevented).toBe(true);
    const home = navigationEvent();
    wc.emit('will-navigate', home, 'app://defimon/index.html#/assets');
    expect(home.defaultPrevented).toBe(false);
    const webview = navigationEvent();
    wc.emit('will-attach-webview', webview, {}, {});
    expect(webview.defaultPrevented).toBe(true);

    expect(wc.windowOpenHandler?.({ url: 'https://polygonscan.com/address/0x0000000000000000000000000000000000001010' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler?.({ url: 'http://github.com/' })).toEqual({ action: 'deny' });
    expect(electron.shell.opened).toEqual(['https://polygonscan.com/address/0x0000000000000000000000000000000000001010']);

    let granted: boolean | undefined;
    electron.session.defaultSession.permissionRequestHandler?.(wc, 'notifications', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(electron.session.defaultSession.permissionCheckHandler?.()).toBe(false);
  });

  it('serves app:// with the security headers and never outside the renderer folder', async () => {
    const handler = electron.protocol.handlers.get('app');
    expect(handler).toBeDefined();
    const escape = await handler!({ url: 'app://defimon/..%2f..%2fpackage.json' });
    expect(escape.status).toBe(403);
    expect(escape.headers.get('content-security-policy')).toContain("script-src 'self'");
    const foreign = await handler!({ url: 'app://elsewhere/index.html' });
    expect(foreign.status).toBe(403);
  });

  it('registers every contract method, and only those, over IPC', () => {
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual(methodNames.map((m) => `${IPC_INVOKE_CHANNEL}:${m}`).sort());
  });

  it('answers the app page through the services process', async () => {
    const info = await invoke('system.info', {});
    expect(info.ok).toBe(true);
    expect(info.data).toMatchObject({ mode: 'desktop', dataDir: tmp.dir });
    // The database is opened by the services process, not by main.
    expect(electron.utilityProcess.forked).toHaveLength(1);
    expect(electron.utilityProcess.forked[0]?.modulePath).toMatch(/services-host\.js$/);
  });

  it('refuses foreign senders: another origin, an iframe, a window the app did not create', async () => {
    const foreign = await invoke('system.info', {}, trusted(win.webContents, 'https://evil.example/'));
    expect(foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const fileUrl = await invoke('system.info', {}, trusted(win.webContents, 'file:///tmp/renderer/index.html'));
    expect(fileUrl).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const iframe = await invoke('system.info', {}, { sender: win.webContents, senderFrame: { url: 'app://defimon/index.html', parent: {} } });
    expect(iframe).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const stranger = await invoke('system.info', {}, trusted(createWebContents()));
    expect(stranger).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('rejects invalid input with the failing field named, as a plain serialisable error', async () => {
    const bad = await invoke('assets.prices', { assetId: 5 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(bad.error?.message).toContain('assetId');
    const extra = await invoke('tasks.cancel', { taskId: 'x', sneaky: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const notFound = await invoke('assets.get', { assetId: 'NOPE' });
    expect(notFound).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', retryable: false } });
  });

  it('encrypted the hand-written secret at start; settings never return a secret to the page', async () => {
    const file = path.join(tmp.dir, 'defimon.config.json');
    expect(readFileSync(file, 'utf8')).not.toContain(HF);
    const got = await invoke('settings.get', {});
    expect(got.ok).toBe(true);
    expect((got.data as { secrets: Record<string, unknown> }).secrets.hfToken).toMatchObject({ set: true, source: 'keychain' });
    expect((got.data as { values: { horizonDays: number } }).values.horizonDays).toBe(20);

    const updated = await invoke('settings.update', { secrets: { rpcUrl: RPC } });
    expect(updated.ok).toBe(true);
    expect(JSON.stringify(updated)).not.toContain('abcdef0123456789abcdef0123456789');
    expect(readFileSync(file, 'utf8')).not.toContain('abcdef0123456789abcdef0123456789');
    expect((updated.data as { secrets: Record<string, unknown> }).secrets.rpcUrl).toMatchObject({ set: true, source: 'keychain', host: 'polygon-mainnet.quiknode.pro' });
    const event = win.webContents.sent.find((s) => s.channel === IPC_EVENT_CHANNEL && (s.args[0] as { name: string }).name === 'settings.changed');
    expect(event?.args[0]).toEqual({ name: 'settings.changed', payload: { keys: ['rpcUrl'], restartRequired: true } });
  });

  it('settings.restart restarts the services process on the new settings and clears what was pending', async () => {
    const before = await invoke('settings.get', {});
    expect((before.data as { pendingRestart: string[] }).pendingRestart).toEqual(['rpcUrl']);
    const first = electron.utilityProcess.forked[0]!.process;
    const restarted = await invoke('settings.restart', {});
    expect(restarted).toEqual({ ok: true, data: { restarted: true } });
    expect(first.child.exitCode).toBe(0);
    expect(electron.utilityProcess.forked).toHaveLength(2);
    expect(electron.dialog.messages).toEqual([]); // a requested restart is not reported as a crash
    expect(((await invoke('settings.get', {})).data as { pendingRestart: string[] }).pendingRestart).toEqual([]);
    expect((await invoke('system.info', {})).ok).toBe(true);
  });

  it('relays the services process events to the app window', async () => {
    const before = win.webContents.sent.length;
    const failed = await invoke('dataset.import', { dir: path.join(tmp.dir, 'no-such-folder') });
    expect(failed.ok).toBe(false);
    await vi.waitFor(() => {
      const progress = win.webContents.sent.slice(before).filter((s) => (s.args[0] as { name: string }).name === 'progress');
      expect(progress.map((p) => (p.args[0] as { payload: { finished: boolean } }).payload.finished)).toContain(true);
    });
  });

  it('reloads a crashed renderer, but not in a loop', () => {
    const gone = (reason: string) => win.webContents.emit('render-process-gone', {}, { reason, exitCode: 9 });
    gone('clean-exit');
    expect(win.reloads).toBe(0);
    for (let i = 0; i < 5; i++) gone('crashed');
    expect(win.reloads).toBe(3);
    expect(electron.dialog.errors.map((e) => e.title)).toEqual(['DEFIMON window stopped', 'DEFIMON window stopped']);
    electron.dialog.errors.length = 0;
  });

  it('keeps one instance: a second launch focuses the window', () => {
    win.focused = false;
    electron.app.emit('second-instance', {}, ['defimon']);
    expect(win.focused).toBe(true);
    expect(BrowserWindow.getAllWindows()).toHaveLength(1);
  });

  it('uses the same data folder as the CLI and the server', () => {
    expect(electron.app.paths.userData).toBe(tmp.dir);
  });

  it('closing the last window quits cleanly: window state saved, handlers removed, services closed', async () => {
    const host = electron.utilityProcess.forked.at(-1)!.process;
    const exited = new Promise<number | null>((resolve) => host.child.once('exit', (code) => resolve(code)));
    win.close();
    expect(JSON.parse(readFileSync(path.join(tmp.dir, 'window-state.json'), 'utf8'))).toEqual({ bounds: { x: 40, y: 30, width: 1440, height: 900, maximized: false } });
    expect(electron.ipcMain.handlers.size).toBe(0);
    expect(await exited).toBe(0);
    await vi.waitFor(() => expect(electron.app.quitCalls).toBe(2));
    expect(electron.dialog.errors).toEqual([]);
  });
});
