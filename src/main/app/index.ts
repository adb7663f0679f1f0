/**
 * The desktop app's main process: the only code that imports electron. It stays a router:
 * the services (database, collectors, models, sync) run in a utility process, settings and the
 * OS keychain stay here, and the contract reaches the window over validated IPC. See README.md.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, screen, session, shell, utilityProcess, type WebContents } from 'electron';
import Store from 'electron-store';
import pino from 'pino';
import type { Envelope } from '../../shared/client';
import { IPC_EVENT_CHANNEL } from '../../shared/ipc';
import { childProcessEnv, dataDirFromEnv, loadConfig, SERVICES_HOST_ENV, type DefimonConfig } from '../services/config/config';
import { createEventBus } from '../services/events/bus';
import { createLogger, type Logger } from '../services/log/logger';
import { dispatch, type Handlers } from '../services/rpc/dispatch';
import { createSettingsDomain } from '../services/settings';
import { installCrashHandlers } from './crash';
import type { HostChild } from './host-protocol';
import { APP_SCHEME, isTrustedSender, registerIpc } from './ipc';
import { buildMenuTemplate } from './menu';
import { createServicesRouter, type ServicesRouter } from './services-router';
import { createDesktopSettings } from './settings-store';
import { createUpdateController } from './updates';
import { guardWebContents, recoverRendererCrashes, restoreWindowState, serveRenderer, windowOptions, type WindowState } from './window';

// electron-vite's development server address: a build-tool variable, not a DEFIMON setting.
// eslint-disable-next-line no-restricted-properties
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const rendererRoot = path.join(__dirname, '../renderer');

// Before `ready`: every renderer sandboxed, the app's own scheme treated like https, and one data
// folder for the app, the CLI and the server (Electron would otherwise name it after package.json's
// lower-case name in development).
app.enableSandbox();
app.setPath('userData', dataDirFromEnv());
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } }]);

const appWindows = new Set<number>();
let router: ServicesRouter | undefined;
let disposeIpc: (() => void) | undefined;
let quitting = false;

function sendCommand(command: 'openSettings' | 'openData' | 'openModels'): void {
  for (const w of BrowserWindow.getAllWindows()) w.webContents.send(IPC_EVENT_CHANNEL, { name: 'shell.command', payload: { command } });
}

function createWindow(stateStore: Store<{ bounds?: WindowState }>, log: Logger): BrowserWindow {
  const state = restoreWindowState(stateStore.get('bounds'), screen.getAllDisplays());
  const win = new BrowserWindow(windowOptions(path.join(__dirname, '../preload/index.js'), state, { devTools: !app.isPackaged }));
  const id = win.webContents.id;
  appWindows.add(id);
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => {
    stateStore.set('bounds', { ...win.getNormalBounds(), maximized: win.isMaximized() });
  });
  win.on('closed', () => appWindows.delete(id));
  recoverRendererCrashes(win.webContents, {
    log,
    reload: () => win.reload(),
    onGiveUp: (reason) => dialog.showErrorBox('DEFIMON window stopped', `The window's page stopped (${reason}) several times in a minute and was not reloaded again. Your data is safe; restart DEFIMON.`),
  });
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadURL(`${APP_SCHEME}://defimon/index.html`);
  return win;
}

function forkServices(): HostChild {
  const child = utilityProcess.fork(path.join(__dirname, 'services-host.js'), [], {
    serviceName: 'DEFIMON services',
    env: childProcessEnv({ [SERVICES_HOST_ENV]: '1' }),
    stdio: 'inherit',
  });
  return {
    post: (msg) => child.postMessage(msg),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', listener),
    kill: () => {
      child.kill();
    },
  };
}

function mainLogger(dataDir: string): Logger {
  // The services process owns the rotating log; main writes its own small file beside it.
  const destination = pino.destination({ dest: path.join(dataDir, 'logs', 'main.log'), mkdir: true, sync: false });
  return createLogger({ dataDir, level: 'info', toStderr: false, destination: destination as unknown as NodeJS.WritableStream });
}

async function start(): Promise<void> {
  await app.whenReady();
  const dataDir = dataDirFromEnv();
  const logsDir = path.join(dataDir, 'logs');
  const log = mainLogger(dataDir);
  installCrashHandlers({ proc: process, log, logsDir, showError: (title, detail) => dialog.showErrorBox(title, detail) });

  // Settings and secrets: hand-written clear-text secrets are encrypted before anything reads them.
  const settings = createDesktopSettings(dataDir, app.getVersion());
  const moved = settings.encryptClearSecrets();
  if (moved.length > 0) log.info({ keys: moved }, 'clear-text secrets in the settings file were encrypted with the OS keychain');
  /** The services' configuration from the settings file, env and keychain, read afresh at each (re)start. */
  const buildConfig = (): DefimonConfig => {
    const { secrets, unreadable } = settings.secretsForConfig();
    if (unreadable.length > 0) log.warn({ keys: unreadable }, 'stored secrets this keychain cannot decrypt were skipped');
    return loadConfig({
      overrides: {
        ...secrets,
        mode: 'desktop',
        dataDir,
        ...(app.isPackaged ? { datasetDir: path.join(process.resourcesPath, 'dataset') } : {}),
      },
    });
  };
  let config: DefimonConfig;
  try {
    config = buildConfig();
  } catch (err) {
    dialog.showErrorBox('DEFIMON cannot start', `The settings file ${settings.path} is invalid:\n${(err as Error).message}`);
    app.exit(1);
    return;
  }

  // Settings are answered here (the keychain is here); everything else goes to the services process.
  const bus = createEventBus();
  const settingsDomain = createSettingsDomain({ config, log, bus }, { service: settings, restart: () => services.restart() });
  const localHandlers = settingsDomain.handlers as unknown as Handlers;
  const local = {
    has: (method: string) => Object.prototype.hasOwnProperty.call(settingsDomain.handlers, method),
    call: (method: string, input: unknown): Promise<Envelope> => dispatch(localHandlers, method, input, { origin: 'ipc' }, log),
  };
  const services = createServicesRouter({
    spawn: forkServices,
    config: buildConfig,
    log,
    local,
    onFault: ({ error, fatal, context }) => {
      if (fatal) return; // the exit that follows is reported once, with the choice to restart
      dialog.showErrorBox('DEFIMON services hit an unexpected error', `${error.code}: ${error.message}\n(${context}; the services keep running. Details are in ${logsDir}.)`);
    },
    onUnexpectedExit: (code) => {
      if (quitting) return;
      void dialog
        .showMessageBox({
          type: 'error',
          buttons: ['Restart Services', 'Quit'],
          defaultId: 0,
          message: 'The DEFIMON services stopped unexpectedly',
          detail: `Exit code ${code ?? 'none'}. Your data is safe: every write is a transaction. Details are in ${logsDir}.`,
        })
        .then(({ response }) => (response === 0 ? services.restart() : app.quit()))
        .catch((err: unknown) => log.error({ err }, 'restarting the services failed'));
    },
  });
  router = services;
  try {
    await services.start();
  } catch (err) {
    dialog.showErrorBox('DEFIMON cannot start', `${(err as Error).message}\n\nDetails are in ${logsDir}.`);
    app.exit(1);
    return;
  }

  disposeIpc = registerIpc({
    ipcMain,
    call: services.call,
    subscribe: (listener) => {
      const offRemote = services.subscribe(listener);
      const offLocal = bus.onAny(listener);
      return () => {
        offRemote();
        offLocal();
      };
    },
    log,
    isTrustedSender: (event) => isTrustedSender(event, { devServerUrl, isAppWindow: (wc: WebContents) => appWindows.has(wc.id) }),
    targets: () => BrowserWindow.getAllWindows().filter((w) => appWindows.has(w.webContents.id)).map((w) => w.webContents),
  }).dispose;

  // No permission (camera, notifications, geolocation...) is ever granted to a page.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  protocol.handle(APP_SCHEME, (request) => serveRenderer(request, rendererRoot));

  const updates = createUpdateController({ load: async () => (await import('electron-updater')).autoUpdater, log, isPackaged: app.isPackaged });
  const stateStore = new Store<{ bounds?: WindowState }>({ cwd: dataDir, name: 'window-state' });
  const setMenu = (): void => {
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildMenuTemplate({
          platform: process.platform,
          devTools: !app.isPackaged,
          updatesEnabled: updates.feedUrl !== null,
          commands: {
            openSettings: () => sendCommand('openSettings'),
            openDataView: () => sendCommand('openData'),
            openModelsView: () => sendCommand('openModels'),
            openDataFolder: () => void shell.openPath(dataDir),
            openLogsFolder: () => void shell.openPath(logsDir),
            restartServices: () => void services.restart().catch((err: unknown) => dialog.showErrorBox('Restarting the services failed', (err as Error).message)),
            checkForUpdates: () => void updates.checkNow(),
            openAbout: () => void showAbout(services),
          },
        }),
      ),
    );
  };
  const applyUpdates = async (): Promise<void> => {
    await updates.apply(settings.pinnedUpdates());
    setMenu();
  };
  bus.on('settings.changed', ({ keys }) => {
    if (keys.includes('updates')) void applyUpdates().catch((err: unknown) => log.warn({ err }, 'applying the update settings failed'));
  });
  setMenu();
  createWindow(stateStore, log);
  // An update check may wait on the network: it never delays the window.
  void applyUpdates().catch((err: unknown) => log.warn({ err }, 'applying the update settings failed'));
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    } else createWindow(stateStore, log);
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(stateStore, log);
  });
}

async function showAbout(services: ServicesRouter): Promise<void> {
  const info = await services.call('system.info', {});
  const dataset = info.ok ? (info.data as { dataset: { name: string; cutoff: string; attribution: string } | null }).dataset : null;
  await dialog.showMessageBox({
    type: 'info',
    message: `DEFIMON ${app.getVersion()}`,
    detail: dataset ? `Bundled data: ${dataset.name}, up to ${dataset.cutoff}.\n${dataset.attribution}` : 'No bundled dataset is installed.',
  });
}

// Every webContents (windows, and anything a page tries to open) is guarded the same way.
app.on('web-contents-created', (_event, wc) => guardWebContents(wc, { devServerUrl, openExternal: (url) => void shell.openExternal(url) }));

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', (event) => {
  if (router === undefined) return;
  // Close the services (and with them the database) before the app exits.
  event.preventDefault();
  quitting = true;
  disposeIpc?.();
  const r = router;
  router = undefined;
  void r.shutdown().finally(() => app.quit());
});

if (!app.requestSingleInstanceLock()) {
  // Another DEFIMON is running: it gets focus (second-instance) and this one leaves.
  app.quit();
} else {
  void start().catch((err: unknown) => {
    dialog.showErrorBox('DEFIMON failed to start', (err as Error).message);
    app.exit(1);
  });
}
