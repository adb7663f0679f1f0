/** A second DEFIMON leaves at once when one is already running (the first one is focused instead). */
import { expect, it, vi } from 'vitest';
import { BrowserWindow, electron } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

it('quits without opening a window, a database or a services process', async () => {
  electron.app.singleInstance = false;
  await import('../../src/main/app/index');
  expect(electron.app.quitCalls).toBe(1);
  electron.app.fireReady();
  await new Promise((r) => setTimeout(r, 200));
  expect(BrowserWindow.getAllWindows()).toHaveLength(0);
  expect(electron.utilityProcess.forked).toHaveLength(0);
  expect(electron.ipcMain.handlers.size).toBe(0);
});
