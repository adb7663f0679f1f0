/** Window security: options, CSP (header and the page's meta), app:// serving, window state, the preload bridge. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isOwnPage, isTrustedSender } from '../../src/main/app/ipc';
import { CONTENT_SECURITY_POLICY, isAllowedExternal, resolveRendererRequest, restoreWindowState, serveRenderer, windowOptions } from '../../src/main/app/window';
import { METHOD_NAME_RE } from '../../src/shared/ipc';
import { REPO_ROOT, tempDataDir } from '../helpers/services';
import { createWebContents, electron } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

const tmp = tempDataDir('renderer');
afterAll(() => tmp.remove());

function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...values] = d.split(/\s+/);
    return [name as string, values];
  }));
}

describe('window options', () => {
  it('are secure by default whatever the remembered state', () => {
    const o = windowOptions('/app/out/preload/index.js', { x: 10, y: 20, width: 1200, height: 800, maximized: true });
    expect(o.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false, preload: '/app/out/preload/index.js' });
    expect(o).toMatchObject({ x: 10, y: 20, width: 1200, height: 800, show: false });
  });

  it('restores a state only onto a connected display, within minimum sizes', () => {
    const displays = [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }];
    expect(restoreWindowState({ x: 100, y: 50, width: 1300, height: 700, maximized: true }, displays)).toEqual({ x: 100, y: 50, width: 1300, height: 700, maximized: true });
    // A window left on an unplugged monitor comes back at its size, placed by the OS.
    expect(restoreWindowState({ x: 4000, y: 50, width: 1300, height: 700, maximized: false }, displays)).toEqual({ width: 1300, height: 700, maximized: false });
    expect(restoreWindowState({ width: 200, height: 100 }, displays)).toMatchObject({ width: 960, height: 600 });
    expect(restoreWindowState('garbage', displays)).toMatchObject({ width: 1440, height: 900 });
    expect(restoreWindowState({ width: Number.NaN, height: 5 }, displays)).toMatchObject({ width: 1440 });
  });
});

describe('content security policy', () => {
  it('the header allows no remote, inline or eval script and no plugins or frames', () => {
    const d = directives(CONTENT_SECURITY_POLICY);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('connect-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-src')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it("the renderer page carries a meta policy at least as strict for scripts and connections", () => {
    const html = readFileSync(path.join(REPO_ROOT, 'src/renderer/index.html'), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
    expect(meta).not.toBeNull();
    const d = directives(meta![1] as string);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    for (const v of d.get('connect-src') ?? d.get('default-src') ?? []) expect(v).toMatch(/^'self'$|^ws:|^http:\/\/(127\.0\.0\.1|localhost)/);
    expect(meta![1]).not.toContain('unsafe-eval');
  });
});

describe('app:// serving', () => {
  const root = path.join(tmp.dir, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(tmp.dir, 'secret.txt'), 'not for the page');

  it('serves files with their type, routes to index.html, and refuses to leave the folder', () => {
    expect(resolveRendererRequest('app://defimon/assets/app.js', root)).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(resolveRendererRequest('app://defimon/', root)).toMatchObject({ status: 200, file: path.join(root, 'index.html') });
    expect(resolveRendererRequest('app://defimon/assets/overview', root)).toMatchObject({ status: 200, file: path.join(root, 'index.html') });
    expect(resolveRendererRequest('app://defimon/assets/missing.js', root)).toEqual({ status: 404 });
    expect(resolveRendererRequest('app://defimon/..%2fsecret.txt', root)).toEqual({ status: 403 });
    expect(resolveRendererRequest('app://defimon/%2e%2e/secret.txt', root).status).not.toBe(200);
    expect(resolveRendererRequest('app://other/index.html', root)).toEqual({ status: 403 });
    expect(resolveRendererRequest('https://defimon/index.html', root)).toEqual({ status: 403 });
  });

  it('sends the security headers with every response', async () => {
    const ok = serveRenderer({ url: 'app://defimon/index.html' }, root);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await ok.text()).toContain('<title>x</title>');
    expect(serveRenderer({ url: 'app://defimon/..%2fsecret.txt' }, root).headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });
});

describe('senders and links', () => {
  it('trusts only the app page in a main frame of an app window', () => {
    const own = createWebContents();
    const isAppWindow = (wc: { id: number }) => wc.id === own.id;
    const ev = (url: string, parent: unknown = null, sender = own) => ({ sender, senderFrame: { url, parent } }) as never;
    expect(isTrustedSender(ev('app://defimon/index.html'), { devServerUrl: undefined, isAppWindow })).toBe(true);
    expect(isTrustedSender(ev('app://defimon/index.html', {}), { devServerUrl: undefined, isAppWindow })).toBe(false);
    expect(isTrustedSender(ev('app://defimon/index.html', null, createWebContents()), { devServerUrl: undefined, isAppWindow })).toBe(false);
    expect(isTrustedSender({ sender: own, senderFrame: null } as never, { devServerUrl: undefined, isAppWindow })).toBe(false);
    // The dev server is trusted only when the app runs from it.
    expect(isOwnPage('http://localhost:5173/', undefined)).toBe(false);
    expect(isOwnPage('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
    expect(isOwnPage('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
    expect(isOwnPage('file:///x/renderer/index.html', undefined)).toBe(false);
  });

  it('opens only https links on the allow-list', () => {
    expect(isAllowedExternal('https://polygonscan.com/tx/0x1')).toBe(true);
    expect(isAllowedExternal('https://api.github.com/repos')).toBe(true);
    expect(isAllowedExternal('https://github.com.evil.example/')).toBe(false);
    expect(isAllowedExternal('https://user:pw@github.com/')).toBe(false);
    expect(isAllowedExternal('http://github.com/')).toBe(false);
    expect(isAllowedExternal('javascript:alert(1)')).toBe(false);
    expect(isAllowedExternal('file:///etc/passwd')).toBe(false);
  });
});

describe('preload bridge', () => {
  it('exposes one object that reaches only contract channels', async () => {
    await import('../../src/preload/index');
    const bridge = electron.contextBridge.exposed.get('defimon') as { invoke(m: string, i: unknown): Promise<unknown>; onEvent(l: (n: string, p: unknown) => void): () => void };
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['defimon']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'onEvent']);
    await bridge.invoke('assets.list', { search: 'aave' });
    expect(electron.ipcRenderer.invoked).toEqual([{ channel: 'defimon:invoke:assets.list', args: [{ search: 'aave' }] }]);
    for (const bad of ['../x', 'ELECTRON_BROWSER_REQUIRE', 'assets', 'a.b:c', '']) {
      expect(await bridge.invoke(bad, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    }
    expect(electron.ipcRenderer.invoked).toHaveLength(1);
    const heard: unknown[] = [];
    const off = bridge.onEvent((name, payload) => heard.push([name, payload]));
    electron.ipcRenderer.emit('defimon:event', {}, { name: 'progress', payload: { done: 1 } });
    electron.ipcRenderer.emit('defimon:event', {}, { nope: true });
    off();
    electron.ipcRenderer.emit('defimon:event', {}, { name: 'progress', payload: { done: 2 } });
    expect(heard).toEqual([['progress', { done: 1 }]]);
    expect(electron.ipcRenderer.listenerCount('defimon:event')).toBe(0);
  });

  it('imports nothing but electron and import-free constants (a sandboxed preload cannot load modules)', () => {
    const src = readFileSync(path.join(REPO_ROOT, 'src/preload/index.ts'), 'utf8');
    const valueImports = [...src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
    expect(valueImports.sort()).toEqual(['../shared/ipc', 'electron']);
    const constants = readFileSync(path.join(REPO_ROOT, 'src/shared/ipc.ts'), 'utf8');
    expect(constants).not.toMatch(/^import\s/m);
    expect(METHOD_NAME_RE.test('settings.update')).toBe(true);
  });
});
