/** Crash reporting, the application menu, updates, and IPC registration details. */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { installCrashHandlers } from '../../src/main/app/crash';
import { MAX_IPC_INPUT_BYTES, registerIpc } from '../../src/main/app/ipc';
import { buildMenuTemplate, type MenuCommands } from '../../src/main/app/menu';
import { hostPortOf } from '../../src/main/app/services-host';
import { createUpdateController } from '../../src/main/app/updates';
import type { Envelope } from '../../src/shared/client';
import { methodNames } from '../../src/shared/contract';
import { createLogger } from '../../src/main/services/log/logger';
import { createWebContents, electron } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ dataDir: '/unused', level: 'info', toStderr: false, destination }), lines };
}

describe('crash handlers (main process)', () => {
  it('log with context, scrub secrets, show one dialog per interval, and uninstall', async () => {
    const { log, lines } = memoryLogger();
    const proc = new EventEmitter();
    const shown: { title: string; detail: string }[] = [];
    let t = 0;
    const off = installCrashHandlers({ proc: proc as unknown as NodeJS.Process, log, logsDir: '/data/logs', showError: (title, detail) => shown.push({ title, detail }), now: () => t, minDialogIntervalMs: 1000 });
    proc.emit('uncaughtException', new Error('connect failed for postgres://analyst:topsecret@db.example/defimon'));
    proc.emit('unhandledRejection', new Error('second failure'));
    t = 5000;
    proc.emit('unhandledRejection', 'third');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.context, l.process])).toEqual([
      [60, 'uncaughtException', 'main'],
      [50, 'unhandledRejection', 'main'],
      [50, 'unhandledRejection', 'main'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('topsecret');
    expect(shown).toHaveLength(2);
    expect(shown[0]?.detail).toContain('postgres://analyst:***@db.example');
    expect(shown[0]?.detail).toContain('/data/logs');
    off();
    expect(proc.listenerCount('uncaughtException')).toBe(0);
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
  });

  it('survives a dialog that throws', () => {
    const proc = new EventEmitter();
    installCrashHandlers({ proc: proc as unknown as NodeJS.Process, log: { fatal: () => undefined, error: () => undefined } as never, logsDir: '/l', showError: () => { throw new Error('no display'); } });
    expect(() => proc.emit('uncaughtException', new Error('x'))).not.toThrow();
  });
});

describe('application menu', () => {
  const commands = (): MenuCommands & Record<string, ReturnType<typeof vi.fn>> =>
    ({ openSettings: vi.fn(), openDataView: vi.fn(), openModelsView: vi.fn(), openDataFolder: vi.fn(), openLogsFolder: vi.fn(), restartServices: vi.fn(), checkForUpdates: vi.fn(), openAbout: vi.fn() }) as never;
  type Item = { label?: string; role?: string; submenu?: Item[]; click?: () => void; enabled?: boolean };
  const flat = (items: Item[]): Item[] => items.flatMap((i) => [i, ...flat(i.submenu ?? [])]);

  it('has the usual roles and the app commands, with dev tools only in development', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const c = commands();
      const items = flat(buildMenuTemplate({ platform, devTools: false, updatesEnabled: false, commands: c }) as Item[]);
      const roles = items.map((i) => i.role).filter(Boolean);
      expect(roles).toEqual(expect.arrayContaining(['editMenu', 'windowMenu', 'togglefullscreen', 'zoomIn']));
      expect(roles).toContain(platform === 'darwin' ? 'hide' : 'quit');
      expect(roles).not.toContain('toggleDevTools');
      const byLabel = (re: RegExp) => items.find((i) => i.label !== undefined && re.test(i.label));
      byLabel(/^Settings/)?.click?.();
      byLabel(/Restart Services/)?.click?.();
      expect(c.openSettings).toHaveBeenCalledTimes(1);
      expect(c.restartServices).toHaveBeenCalledTimes(1);
      expect(byLabel(/Check for Updates/)?.enabled).toBe(false);
    }
    const dev = flat(buildMenuTemplate({ platform: 'linux', devTools: true, updatesEnabled: true, commands: commands() }) as Item[]);
    expect(dev.map((i) => i.role)).toContain('toggleDevTools');
  });
});

describe('updates', () => {
  function fakeUpdater() {
    return { autoDownload: false, logger: {} as unknown, feeds: [] as unknown[], checks: 0, setFeedURL(o: unknown) { this.feeds.push(o); }, async checkForUpdatesAndNotify() { this.checks++; return null; } };
  }
  const log = { info: () => undefined, warn: () => undefined };

  it('are off by default and load nothing until turned on with an https feed', async () => {
    const updater = fakeUpdater();
    const load = vi.fn(async () => updater as never);
    const u = createUpdateController({ load, log, isPackaged: true });
    await u.apply({ enabled: false, feedUrl: 'https://updates.example/defimon' });
    await u.apply({ enabled: true, feedUrl: null });
    await u.apply({ enabled: true, feedUrl: 'http://insecure.example/' });
    expect(load).not.toHaveBeenCalled();
    expect(await u.checkNow()).toBe(false);
    // Set in another way than this app's window (no matching pin): not followed.
    await u.apply({ enabled: true, feedUrl: 'https://updates.example/defimon', pinned: false });
    await u.apply({ enabled: true, feedUrl: 'https://updates.example/defimon' });
    expect(load).not.toHaveBeenCalled();
    await u.apply({ enabled: true, feedUrl: 'https://updates.example/defimon', pinned: true });
    expect(updater.feeds).toEqual([{ provider: 'generic', url: 'https://updates.example/defimon' }]);
    expect(updater.autoDownload).toBe(true);
    expect(updater.checks).toBe(1);
    await u.apply({ enabled: false, feedUrl: 'https://updates.example/defimon' });
    expect(u.feedUrl).toBeNull();
    expect(await u.checkNow()).toBe(false);
  });

  it('never check from an unpackaged development run', async () => {
    const updater = fakeUpdater();
    const u = createUpdateController({ load: async () => updater as never, log, isPackaged: false });
    await u.apply({ enabled: true, feedUrl: 'https://updates.example/defimon', pinned: true });
    expect(updater.checks).toBe(0);
  });
});

describe('IPC registration', () => {
  function setup(call: (m: string, i: unknown) => Promise<Envelope>) {
    const own = createWebContents();
    const bus = new EventEmitter();
    const warnings: unknown[] = [];
    const reg = registerIpc({
      ipcMain: electron.ipcMain as never,
      call,
      subscribe: (l) => {
        bus.on('e', l);
        return () => bus.off('e', l);
      },
      log: { warn: (o: unknown) => warnings.push(o), error: () => undefined } as never,
      isTrustedSender: (e) => e.sender === (own as never),
      targets: () => [own as never],
    });
    return { own, bus, reg, warnings };
  }
  const ev = (sender: unknown) => ({ sender, senderFrame: { url: 'app://defimon/index.html', parent: null } }) as never;

  it('answers envelopes, bounds the payload, turns a transport failure into a serialised error, and cleans up', async () => {
    const call = vi.fn(async (m: string) => {
      if (m === 'tasks.list') throw new Error('pipe closed');
      return { ok: true as const, data: m };
    });
    const { own, bus, reg, warnings } = setup(call);
    expect(reg.channels).toHaveLength(methodNames.length);
    // A second registration on the same channels is refused, as Electron refuses it.
    expect(() => setup(call)).toThrow(/second handler/);
    expect(await electron.ipcMain.invoke('defimon:invoke:system.info', ev(own), {})).toEqual({ ok: true, data: 'system.info' });
    expect(await electron.ipcMain.invoke('defimon:invoke:tasks.list', ev(own), {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'pipe closed', retryable: false } });
    const huge = { search: 'x'.repeat(MAX_IPC_INPUT_BYTES + 10) };
    expect(await electron.ipcMain.invoke('defimon:invoke:assets.list', ev(own), huge)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(call).toHaveBeenCalledTimes(2);
    expect(await electron.ipcMain.invoke('defimon:invoke:system.info', ev(createWebContents()), {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(warnings).toHaveLength(1);
    // Arguments cross like Electron's: a function cannot be sent.
    await expect(electron.ipcMain.invoke('defimon:invoke:system.info', ev(own), { f: () => 1 })).rejects.toThrow();

    bus.emit('e', 'progress', { done: 1 });
    own.destroyed = true;
    bus.emit('e', 'progress', { done: 2 }); // a closed window is skipped, not an error
    expect(own.sent).toEqual([{ channel: 'defimon:event', args: [{ name: 'progress', payload: { done: 1 } }] }]);

    reg.dispose();
    reg.dispose();
    expect(electron.ipcMain.handlers.size).toBe(0);
    expect(bus.listenerCount('e')).toBe(0);
  });

  it('registers all handlers or none', () => {
    electron.ipcMain.handle('defimon:invoke:tasks.list', () => 'taken by someone else');
    expect(() => setup(async () => ({ ok: true, data: null }))).toThrow(/second handler/);
    expect([...electron.ipcMain.handlers.keys()]).toEqual(['defimon:invoke:tasks.list']);
    electron.ipcMain.removeHandler('defimon:invoke:tasks.list');
  });
});

describe('services process port', () => {
  it("speaks Electron's parentPort (message events carry `data`) and falls back to Node's IPC channel", () => {
    const parent = new EventEmitter() as EventEmitter & { postMessage(m: unknown): void; posted: unknown[] };
    parent.posted = [];
    parent.postMessage = (m) => parent.posted.push(m);
    const port = hostPortOf({ parentPort: parent } as unknown as NodeJS.Process);
    const got: unknown[] = [];
    port?.onMessage((m) => got.push(m));
    parent.emit('message', { data: { type: 'shutdown' } });
    port?.post({ type: 'ready' });
    expect(got).toEqual([{ type: 'shutdown' }]);
    expect(parent.posted).toEqual([{ type: 'ready' }]);

    const proc = new EventEmitter() as EventEmitter & { send(m: unknown): boolean; sent: unknown[] };
    proc.sent = [];
    proc.send = (m) => proc.sent.push(m) > 0;
    const nodePort = hostPortOf(proc as unknown as NodeJS.Process);
    nodePort?.post({ type: 'closed' });
    expect(proc.sent).toEqual([{ type: 'closed' }]);
    // Neither: not started as a services process.
    expect(hostPortOf(new EventEmitter() as unknown as NodeJS.Process)).toBeNull();
  });
});
