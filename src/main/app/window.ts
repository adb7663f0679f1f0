/**
 * The app's window and what keeps it safe: the renderer runs sandboxed with context isolation
 * and no Node; it is served from `app://defimon/` with a strict Content-Security-Policy header
 * (in addition to the page's own meta policy); it cannot navigate away, open windows, attach
 * webviews or get permissions; links to a short allow-list of https sites open in the OS
 * browser. The window's size and position are remembered.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BrowserWindowConstructorOptions, Rectangle, WebContents } from 'electron';
import { APP_HOST, APP_SCHEME, isOwnPage } from './ipc';

import { CONTENT_SECURITY_POLICY } from '../../shared/security';

export { CONTENT_SECURITY_POLICY };

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
};

/** Sites a link in the app may open, in the OS browser (never inside the app). */
export const EXTERNAL_HOSTS = [
  'polygonscan.com',
  'etherscan.io',
  'github.com',
  'www.coingecko.com',
  'coingecko.com',
  'defillama.com',
  'huggingface.co',
  'swcregistry.io',
  'docs.soliditylang.org',
];

export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return false;
    return EXTERNAL_HOSTS.some((h) => u.hostname === h || u.hostname.endsWith(`.${h}`));
  } catch {
    return false;
  }
}

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1440, height: 900, maximized: false };

/**
 * A remembered state, if it still fits a connected display (a monitor may have been unplugged);
 * otherwise the default size, centred by the OS.
 */
export function restoreWindowState(saved: unknown, displays: readonly { workArea: Rectangle }[]): WindowState {
  if (typeof saved !== 'object' || saved === null) return DEFAULT_WINDOW_STATE;
  const s = saved as Partial<WindowState>;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
  if (!ok(s.width) || !ok(s.height)) return DEFAULT_WINDOW_STATE;
  const width = Math.max(960, Math.round(s.width));
  const height = Math.max(600, Math.round(s.height));
  const maximized = s.maximized === true;
  if (!ok(s.x) || !ok(s.y)) return { width, height, maximized };
  const x = s.x;
  const y = s.y;
  // Visible when at least 100x50 px of the title-bar area lies on some display.
  const visible = displays.some(({ workArea: a }) => x + width - 100 >= a.x && x + 100 <= a.x + a.width && y >= a.y && y + 50 <= a.y + a.height);
  return visible ? { x, y, width, height, maximized } : { width, height, maximized };
}

/**
 * `devTools` is for development builds only: in an installed app DevTools would let anyone at the
 * keyboard (or a social-engineering script pasted into its console) drive the preload bridge.
 * @default false
 */
export function windowOptions(preloadPath: string, state: WindowState = DEFAULT_WINDOW_STATE, opts: { devTools?: boolean } = {}): BrowserWindowConstructorOptions {
  return {
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
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
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: opts.devTools ?? false,
    },
  };
}

/**
 * Guards one webContents: no navigation away from the app, no new windows (allow-listed https
 * links go to the OS browser), no webviews. `openExternal` is Electron's `shell.openExternal`.
 */
export function guardWebContents(wc: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, opts: { devServerUrl: string | undefined; openExternal(url: string): void }): void {
  wc.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) opts.openExternal(url);
    return { action: 'deny' };
  });
  const stayHome = (event: { preventDefault(): void }, url: string): void => {
    if (isOwnPage(url, opts.devServerUrl)) return;
    event.preventDefault();
    if (isAllowedExternal(url)) opts.openExternal(url);
  };
  wc.on('will-navigate', stayHome);
  wc.on('will-redirect', stayHome);
  wc.on('will-attach-webview', (event) => event.preventDefault());
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * What `app://defimon/<path>` serves from the built renderer folder: the file, or index.html for
 * an unknown path without an extension (client-side routes); 404 for anything else and for a
 * path that would leave the folder.
 */
export function resolveRendererRequest(url: string, root: string): { status: 200; file: string; type: string } | { status: 403 | 404 } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { status: 404 };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return { status: 403 };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return { status: 404 };
  }
  if (rel.includes('\0')) return { status: 404 };
  const base = path.resolve(root);
  const file = path.resolve(base, `.${rel === '/' ? '/index.html' : rel}`);
  if (file !== base && !file.startsWith(base + path.sep)) return { status: 403 };
  if (existsSync(file) && statSync(file).isFile()) return { status: 200, file, type: MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream' };
  if (path.extname(file) === '') return { status: 200, file: path.join(base, 'index.html'), type: MIME['.html'] as string };
  return { status: 404 };
}

/** Builds the response for `protocol.handle(APP_SCHEME, ...)`. */
export function serveRenderer(request: { url: string }, root: string): Response {
  const r = resolveRendererRequest(request.url, root);
  if (r.status !== 200) return new Response(null, { status: r.status, headers: SECURITY_HEADERS });
  return new Response(readFileSync(r.file), { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': r.type } });
}

/**
 * A renderer that crashes or is killed (out of memory, GPU reset) is logged and reloaded, at most
 * `maxReloads` times a minute so a page that crashes on load cannot loop; after that the window
 * stays as it is and the analyst sees the error dialog. A renderer that hangs is only logged.
 */
export function recoverRendererCrashes(
  wc: Pick<WebContents, 'on'>,
  opts: { log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void }; reload(): void; onGiveUp(reason: string): void; maxReloads?: number; now?: () => number },
): void {
  const now = opts.now ?? Date.now;
  const max = opts.maxReloads ?? 3;
  const reloads: number[] = [];
  wc.on('render-process-gone', (_event, details) => {
    if (details.reason === 'clean-exit') return;
    opts.log.error({ reason: details.reason, exitCode: details.exitCode }, 'the window renderer stopped');
    const t = now();
    while (reloads.length > 0 && t - (reloads[0] as number) > 60_000) reloads.shift();
    if (reloads.length >= max) {
      opts.onGiveUp(details.reason);
      return;
    }
    reloads.push(t);
    opts.reload();
  });
  wc.on('unresponsive', () => opts.log.warn({}, 'the window is not responding'));
}
