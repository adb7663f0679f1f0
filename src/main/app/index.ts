/**
 * The desktop app's main process: the only code that imports electron. It builds the services,
 * registers the contract over IPC and opens a hardened window; it stays a router.
 */
import path from 'node:path';
import { app, BrowserWindow, ipcMain, shell } from 'electron';
import { loadConfig } from '../services/config/config';
import { createServices, type Services } from '../services';
import { isOwnPage, registerIpc } from './ipc';

const devServerUrl = process.env.ELECTRON_RENDERER_URL;
let services: Services | undefined;
let disposeIpc: (() => void) | undefined;

export function windowOptions(preloadPath: string): Electron.BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#0f1217',
    title: 'DEFIMON',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  };
}

async function createWindow(): Promise<BrowserWindow> {
  const win = new BrowserWindow(windowOptions(path.join(__dirname, '../preload/index.js')));
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isOwnPage(url, devServerUrl)) event.preventDefault();
  });
  if (devServerUrl) await win.loadURL(devServerUrl);
  else await win.loadFile(path.join(__dirname, '../renderer/index.html'));
  return win;
}

async function start(): Promise<void> {
  await app.whenReady();
  const config = loadConfig({
    overrides: {
      mode: 'desktop',
      dataDir: process.env.DEFIMON_DATA_DIR ?? app.getPath('userData'),
      ...(app.isPackaged ? { datasetDir: path.join(process.resourcesPath, 'dataset') } : {}),
    },
  });
  services = await createServices(config);
  disposeIpc = registerIpc({
    ipcMain,
    services,
    isTrustedSender: (event) => event.senderFrame !== null && event.senderFrame.parent === null && isOwnPage(event.senderFrame.url, devServerUrl),
    targets: () => BrowserWindow.getAllWindows().map((w) => w.webContents),
  }).dispose;
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', (event) => {
  if (!services) return;
  event.preventDefault();
  disposeIpc?.();
  const s = services;
  services = undefined;
  void s.close().finally(() => app.quit());
});

void start().catch((err: unknown) => {
  console.error('DEFIMON failed to start:', err);
  app.exit(1);
});
