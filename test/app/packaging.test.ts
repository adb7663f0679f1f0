/**
 * Packaging, checked without the Electron binary: electron-builder.yml is loaded and validated by
 * electron-builder's own configuration loader and JSON schema, its targets and paths are
 * asserted, and the icons are real files in each platform's format. Where an Electron
 * distribution is installed, `electron-builder --dir` is run as well.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDataDir } from '../helpers/services';

const requireFromRoot = createRequire(path.join(REPO_ROOT, 'package.json'));
type BuilderConfig = Record<string, unknown> & {
  linux: { target: string[]; icon: string };
  mac: { target: { target: string; arch: string[] }[]; icon: string; entitlements: string };
  win: { target: { target: string }[]; icon: string };
  asarUnpack: string[];
  extraResources: { from: string; to: string }[];
  publish: { provider: string }[];
};

async function loadBuilderConfig(): Promise<{ config: BuilderConfig; validate(c: unknown): Promise<void> }> {
  const { getConfig, validateConfiguration } = requireFromRoot('app-builder-lib/out/util/config/config') as {
    getConfig(dir: string, file: string, extra: null): Promise<BuilderConfig>;
    validateConfiguration(c: unknown, logger: unknown): Promise<void>;
  };
  const { DebugLogger } = requireFromRoot('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  const config = await getConfig(REPO_ROOT, 'electron-builder.yml', null);
  return { config, validate: (c) => validateConfiguration(c, new DebugLogger(false)) };
}

describe('electron-builder configuration', () => {
  it("passes electron-builder's own schema validation; a broken copy does not", async () => {
    const { config, validate } = await loadBuilderConfig();
    await expect(validate(config)).resolves.toBeUndefined();
    await expect(validate({ ...config, linux: { ...config.linux, targets: ['AppImage'] } })).rejects.toThrow(/configuration/i);
  });

  it('targets AppImage and deb, dmg per arch, and nsis, with better-sqlite3 outside the asar and the dataset as a resource', async () => {
    const { config } = await loadBuilderConfig();
    expect(config.appId).toBe('io.defimon.desktop');
    expect(config.productName).toBe('DEFIMON');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.asarUnpack).toContain('node_modules/better-sqlite3/**');
    expect(config.fileAssociations).toEqual([]);
    expect(config.publish[0]?.provider).toBe('generic');
    const dataset = config.extraResources.find((r) => r.to === 'dataset');
    expect(dataset).toBeDefined();
    expect(existsSync(path.join(REPO_ROOT, dataset!.from, 'manifest.json'))).toBe(true);
    // The app looks for the dataset exactly where extraResources puts it.
    expect(readFileSync(path.join(REPO_ROOT, 'src/main/app/index.ts'), 'utf8')).toContain("path.join(process.resourcesPath, 'dataset')");
    expect(existsSync(path.join(REPO_ROOT, config.mac.entitlements))).toBe(true);
  });

  it('has real icons for each platform', () => {
    const png = (file: string): { w: number; h: number } => {
      const b = readFileSync(path.join(REPO_ROOT, file));
      expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      return { w: b.readUInt32BE(16), h: b.readUInt32BE(20) };
    };
    expect(png('build/icon.png')).toEqual({ w: 1024, h: 1024 });
    for (const n of [16, 32, 48, 64, 128, 256, 512]) expect(png(`build/icons/${n}x${n}.png`)).toEqual({ w: n, h: n });

    const icns = readFileSync(path.join(REPO_ROOT, 'build/icon.icns'));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let o = 8; o < icns.length; o += icns.readUInt32BE(o + 4)) types.push(icns.subarray(o, o + 4).toString('ascii'));
    expect(types).toEqual(expect.arrayContaining(['ic07', 'ic08', 'ic09', 'ic10']));

    const ico = readFileSync(path.join(REPO_ROOT, 'build/icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const count = ico.readUInt16LE(4);
    const widths = Array.from({ length: count }, (_, i) => ico[6 + i * 16] || 256);
    expect(widths).toContain(256); // electron-builder requires a 256 px entry
    const last = 6 + (count - 1) * 16;
    expect(ico.readUInt32LE(last + 12) + ico.readUInt32LE(last + 8)).toBe(ico.length);
  });

  it('the build and rebuild scripts exist and the services process is a build entry', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toBe('./out/main/index.js');
    expect(pkg.scripts.dist).toMatch(/electron-vite build && electron-builder --config electron-builder\.yml/);
    expect(pkg.scripts['dist:dir']).toContain('--dir');
    expect(pkg.scripts['rebuild:node']).toContain('better-sqlite3');
    expect(pkg.scripts['rebuild:electron']).toContain('install-app-deps');
    expect(readFileSync(path.join(REPO_ROOT, 'electron.vite.config.ts'), 'utf8')).toContain("'services-host': resolve(__dirname, 'src/main/app/services-host.ts')");
  });

  it('Electron is an optional dependency (its failed download never fails `npm ci`), pinned, and left out of the packaged app', async () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(pkg.optionalDependencies?.electron).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies?.electron).toBeUndefined();
    expect(pkg.devDependencies?.electron).toBeUndefined();
    const { config } = await loadBuilderConfig();
    const patterns = (config.files as (string | { filter?: string[] })[]).flatMap((f) => (typeof f === 'string' ? [f] : (f.filter ?? [])));
    const files = patterns.filter((f) => f.startsWith('!') && f.includes('node_modules'));
    expect(files.some((f) => /\{[^}]*\belectron\b[^}]*\}/.test(f))).toBe(true);
  });

  // Only where an Electron distribution is installed (not on this CI image): the real packager.
  const electronDist = path.join(REPO_ROOT, 'node_modules/electron/dist');
  it.runIf(existsSync(electronDist) && existsSync(path.join(REPO_ROOT, 'out/main/index.js')))('packages an unpacked app with electron-builder --dir', () => {
    const out = tempDataDir('dist');
    try {
      execFileSync(path.join(REPO_ROOT, 'node_modules/.bin/electron-builder'), ['--config', 'electron-builder.yml', '--dir', `-c.electronDist=${electronDist}`, `-c.directories.output=${out.dir}`], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 600_000 });
      expect(readdirSync(out.dir).some((d) => d.endsWith('-unpacked'))).toBe(true);
    } finally {
      out.remove();
    }
  }, 600_000);
});
