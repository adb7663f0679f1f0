/** `npm start`: the desktop app when Electron is installed, else web mode with one clear line. */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDataDir } from '../helpers/services';

const START = path.join(REPO_ROOT, 'scripts/start.cjs');
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
function temp(label: string): string {
  const t = tempDataDir(label);
  dirs.push(t);
  return t.dir;
}
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DEFIMON_') && !k.startsWith('ELECTRON_')) env[k] = v;
  return { ...env, ...extra };
}

describe('npm start', () => {
  it('without an Electron binary says so in one line and serves the web app, printing the URL', async () => {
    const env = cleanEnv({ DEFIMON_DATA_DIR: temp('start-data'), DEFIMON_AUTO_IMPORT: '0', DEFIMON_LOG_LEVEL: 'silent', ELECTRON_OVERRIDE_DIST_PATH: temp('no-electron') });
    const child = spawn(process.execPath, [START, '--no-build', '--port', '0'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${stderr}`)), 60_000);
      child.stdout.on('data', (d) => {
        stdout += String(d);
        const m = /serving at (http:\/\/\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    try {
      const notices = stderr.split('\n').filter((l) => /Electron binary is not available/.test(l));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/starting web mode instead/);
      // ...and says how to get it.
      expect(notices[0]).toMatch(/get it with `npm (install --no-save electron@\d+\.\d+\.\d+|rebuild electron)`/);
      expect(new URL(url).hostname).toBe('127.0.0.1');
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it.skipIf(process.platform === 'win32')('with an Electron binary launches it on the app, never as plain Node', () => {
    const dist = temp('fake-electron');
    // Electron's own resolution honours ELECTRON_OVERRIDE_DIST_PATH; this stand-in reports how it was started.
    writeFileSync(path.join(dist, 'electron'), '#!/bin/sh\necho "launched: $* cwd=$(pwd) runAsNode=${ELECTRON_RUN_AS_NODE:-unset}"\n');
    chmodSync(path.join(dist, 'electron'), 0o755);
    const r = spawnSync(process.execPath, [START, '--no-build'], { cwd: REPO_ROOT, env: cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dist, ELECTRON_RUN_AS_NODE: '1' }), encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`launched: . cwd=${REPO_ROOT} runAsNode=unset`);
    expect(r.stderr).not.toMatch(/web mode/);
  });
});
