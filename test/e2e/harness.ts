/**
 * The e2e harness: real services on a data directory with the bundled dataset, the headless
 * server on a free loopback port serving the built renderer, and Debian's Chromium.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer } from '../../src/main/headless/server';
import { createServices, type Services } from '../../src/main/services';
import { loadConfig } from '../../src/main/services/config/config';
import { createLogger } from '../../src/main/services/log/logger';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const WEB_ROOT = process.env.DEFIMON_WEB_ROOT ?? path.join(REPO_ROOT, 'out', 'renderer');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');

let seeded: string | null = null;

/** A data directory with the bundled dataset imported once per process, copied for each app. */
export async function seededDataDir(): Promise<string> {
  if (seeded && existsSync(seeded)) return seeded;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-e2e-seed-'));
  const services = await createServices(loadConfig({ overrides: { dataDir: dir, logLevel: 'silent', bundledModel: false }, env: {} }), { logger: createLogger({ dataDir: dir, level: 'silent', toStderr: false }) });
  await services.close();
  seeded = dir;
  return dir;
}

export interface RunningApp {
  url: string;
  services: Services;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * `fresh`: an empty store, nothing imported. `firstStart`: an empty data directory started as a
 * new user would, importing the bundled dataset and its shipped model. Otherwise a copy of a
 * seeded store (the bundled data, no model).
 */
export async function startApp(opts: { fresh?: boolean; firstStart?: boolean } = {}): Promise<RunningApp & { startMs: number }> {
  if (!existsSync(path.join(WEB_ROOT, 'index.html'))) throw new Error(`the renderer is not built at ${WEB_ROOT}: run npm run build first`);
  const t0 = performance.now();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defimon-e2e-'));
  if (!opts.fresh && !opts.firstStart) cpSync(await seededDataDir(), dataDir, { recursive: true });
  const config = loadConfig({ overrides: { dataDir, logLevel: 'silent', autoImport: !opts.fresh, bundledModel: opts.firstStart === true }, env: {} });
  const services = await createServices(config, { logger: createLogger({ dataDir, level: 'silent', toStderr: false }) });
  const server = await createServer({ services, host: '127.0.0.1', port: 0, webRoot: WEB_ROOT });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    startMs: Math.round(performance.now() - t0),
    url: `http://127.0.0.1:${port}`,
    services,
    dataDir,
    async close() {
      await server.close();
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export async function newPage(browser: Browser, opts: { theme?: 'dark' | 'light' } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  if (opts.theme) await context.addInitScript(`localStorage.setItem('defimon.theme', ${JSON.stringify(opts.theme)})`);
  return context.newPage();
}

/** The app on the bundled data, Chromium and one page whose uncaught errors go to `pageErrors`; `close` ends them. */
export async function openSession(pageErrors: string[]): Promise<{ app: RunningApp; browser: Browser; page: Page; close: () => Promise<void> }> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const app = await startApp();
  const browser = await launchChromium();
  const page = await newPage(browser);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    app,
    browser,
    page,
    close: async () => {
      await browser.close();
      await app.close();
    },
  };
}

/** Reads what a chart shows (its data-summary attribute) once it has rendered. */
export async function chartSummary<T = unknown>(page: Page, testId: string): Promise<T> {
  const el = page.getByTestId(testId);
  await el.waitFor({ state: 'attached' });
  const raw = await el.getAttribute('data-summary');
  if (raw === null) throw new Error(`${testId} has no data-summary`);
  return JSON.parse(raw) as T;
}
