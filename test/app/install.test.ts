/**
 * A fresh checkout installs with npm 10 (the npm of Node 20 and 22) while Electron's binary
 * download is unreachable, with no environment variable to skip it, and `npx defimon score`
 * then answers. The download is made unreachable offline: ELECTRON_MIRROR points at a loopback
 * port that refuses connections and Electron's download cache is an empty directory.
 *
 * Slow (a full `npm ci` plus a first training), bounded by timeouts. It uses the machine's npm
 * cache (--prefer-offline), so it runs without the registry when the cache is warm; when npm 10
 * itself cannot be obtained the test is skipped with one line saying why.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDataDir } from '../helpers/services';

const NPM10 = ['-y', 'npm@10'];
const work = tempDataDir('fresh-install');
// Removing a full node_modules takes a while on a loaded machine.
afterAll(() => work.remove(), 10 * 60_000);

/** A loopback port nothing listens on: bound, then released. */
async function refusingPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Copies the checkout's tracked files (what a clone of this tree holds) into dir. */
function copyCheckout(dir: string): void {
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  expect(files.length).toBeGreaterThan(10);
  for (const f of files) {
    const from = path.join(REPO_ROOT, f);
    if (!existsSync(from)) continue;
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    copyFileSync(from, path.join(dir, f));
  }
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DEFIMON_') && !k.startsWith('ELECTRON_') && !k.startsWith('npm_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const npm10 = spawnSync(npx, [...NPM10, '--version'], { encoding: 'utf8', timeout: 180_000, env: cleanEnv({}) });
const npm10Version = npm10.status === 0 ? npm10.stdout.trim() : null;
if (!npm10Version) process.stderr.write(`skipping the fresh-install test: npm 10 cannot be obtained (${(npm10.stderr || String(npm10.error)).trim().split('\n')[0]})\n`);

describe.skipIf(!npm10Version)('fresh install with Electron unreachable', () => {
  it(
    'npm 10 `npm ci` succeeds without EBADENGINE warnings, leaves Electron out, and `npx defimon score` answers',
    async () => {
      expect(npm10Version).toMatch(/^10\./);
      const repo = path.join(work.dir, 'defimon');
      copyCheckout(repo);
      const port = await refusingPort();
      const env = cleanEnv({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: path.join(work.dir, 'electron-cache') });
      const started = Date.now();
      const install = spawnSync(npx, [...NPM10, 'ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: repo, env, encoding: 'utf8', timeout: 20 * 60_000 });
      const output = `${install.stdout}\n${install.stderr}`;
      expect(install.status, output).toBe(0);
      process.stderr.write(`fresh install with npm ${npm10Version}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      expect(output).not.toMatch(/EBADENGINE/);
      // Electron's install script failed (the mirror refuses), so npm left the optional package out.
      expect(existsSync(path.join(repo, 'node_modules', 'electron', 'dist'))).toBe(false);
      const score = spawnSync(npx, ['defimon', 'score', '--limit', '3', '--json'], {
        cwd: repo,
        env: { ...env, DEFIMON_DATA_DIR: path.join(work.dir, 'data'), DEFIMON_LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 15 * 60_000,
      });
      expect(score.status, score.stderr).toBe(0);
      const doc = JSON.parse(score.stdout) as { day: string; assets: { symbol: string; score: number }[] };
      expect(doc.assets).toHaveLength(3);
      const manifest = JSON.parse(readFileSync(path.join(repo, 'resources', 'dataset', 'manifest.json'), 'utf8')) as { cutoff: string };
      expect(doc.day <= manifest.cutoff).toBe(true);
      for (const a of doc.assets) expect(a.score).toBeGreaterThanOrEqual(0);
    },
    40 * 60_000,
  );
});
