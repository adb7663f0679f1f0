/** The application menu: the platforms' usual roles plus DEFIMON's own commands. */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuCommands {
  openSettings(): void;
  openDataView(): void;
  openModelsView(): void;
  openDataFolder(): void;
  openLogsFolder(): void;
  restartServices(): void;
  checkForUpdates(): void;
  openAbout(): void;
}

export function buildMenuTemplate(opts: { platform: NodeJS.Platform; devTools: boolean; updatesEnabled: boolean; commands: MenuCommands }): MenuItemConstructorOptions[] {
  const isMac = opts.platform === 'darwin';
  const c = opts.commands;
  const settingsItem: MenuItemConstructorOptions = { label: isMac ? 'Settings…' : 'Settings', accelerator: 'CmdOrCtrl+,', click: () => c.openSettings() };
  const updatesItem: MenuItemConstructorOptions = { label: 'Check for Updates…', enabled: opts.updatesEnabled, click: () => c.checkForUpdates() };
  const template: MenuItemConstructorOptions[] = [];
  if (isMac) {
    template.push({
      label: 'DEFIMON',
      submenu: [{ role: 'about' }, updatesItem, { type: 'separator' }, settingsItem, { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
    });
  }
  template.push({
    label: 'File',
    submenu: [
      ...(isMac ? [] : [settingsItem, { type: 'separator' } as MenuItemConstructorOptions]),
      { label: 'Open Data Folder', click: () => c.openDataFolder() },
      { label: 'Open Logs Folder', click: () => c.openLogsFolder() },
      { type: 'separator' },
      { label: 'Restart Services', click: () => c.restartServices() },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  });
  template.push({ role: 'editMenu' });
  template.push({
    label: 'View',
    submenu: [
      { label: 'Models', accelerator: 'CmdOrCtrl+M', click: () => c.openModelsView() },
      { label: 'Data and Collectors', accelerator: 'CmdOrCtrl+D', click: () => c.openDataView() },
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(opts.devTools ? [{ type: 'separator' } as MenuItemConstructorOptions, { role: 'reload' } as MenuItemConstructorOptions, { role: 'toggleDevTools' } as MenuItemConstructorOptions] : []),
    ],
  });
  template.push({ role: 'windowMenu' });
  template.push({
    role: 'help',
    submenu: [...(isMac ? [] : [updatesItem, { type: 'separator' } as MenuItemConstructorOptions]), { label: 'About DEFIMON and the Bundled Data', click: () => c.openAbout() }],
  });
  return template;
}
