#!/usr/bin/env node
// Runs the DEFIMON CLI.
//
// In a development checkout (src/ present) the CLI runs from a bundle of the sources that esbuild
// writes to node_modules/.cache/defimon-cli and rewrites only when a source file, the build
// configuration, package.json or this file is newer than it: plain Node then starts it, with no TypeScript
// compiler at run time. Packages stay outside the bundle and load in the commands that use them,
// except the few every command needs at start-up (BUNDLED_PACKAGES).
// The bundle holds every main-process entry of electron.vite.config.ts (the CLI and the workers
// it starts), under the same names as the build, so code finds its workers as it does in out/main.
// The bundle starts from a V8 code cache kept beside it (code-cache.cjs), one per command, written
// by the command's first successful run on each bundle, so later starts skip compiling it.
// Without src/ (or without esbuild) the build's out/main/cli.js runs.
const path = require('node:path');
const fs = require('node:fs');
const { loadWithCodeCache } = require('./code-cache.cjs');

const root = path.join(__dirname, '..');
const srcDir = path.join(root, 'src');
const viteConfig = path.join(root, 'electron.vite.config.ts');
const built = path.join(root, 'out', 'main', 'cli.js');

function fail(code, message) {
  process.stderr.write(`defimon: ${code}: ${message}\n`);
  process.exit(1);
}

/** Newest modification time (ms) of the files below dir (an absolute, normalised path). */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    // Joined by hand: every CLI start walks the sources, and path.join normalises each time.
    const p = `${dir}${path.sep}${entry.name}`;
    const t = entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** The main-process entries of the build configuration: { name: absolute source path }. */
function mainEntries() {
  const text = fs.readFileSync(viteConfig, 'utf8');
  const mainStart = text.indexOf('main:');
  const preloadStart = text.indexOf('preload:', mainStart);
  const section = text.slice(mainStart, preloadStart === -1 ? undefined : preloadStart);
  const entries = {};
  for (const m of section.matchAll(/['"]?([\w-]+)['"]?\s*:\s*resolve\(__dirname,\s*['"]([^'"]+)['"]\)/g)) entries[m[1]] = path.join(root, m[2]);
  if (!entries.cli) entries.cli = path.join(srcDir, 'main', 'headless', 'cli.ts');
  return entries;
}

/**
 * Packages bundled into the CLI instead of loaded from node_modules: small pure-JS libraries
 * every command loads at start-up, where one bundled file starts faster than a tree of modules.
 */
const BUNDLED_PACKAGES = new Set(['zod', 'commander']);

/** Every other package (and its subpaths) stays external and loads in the commands that use it. */
function externalPackages() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const names = new Set(['electron', ...Object.keys(pkg.dependencies || {}), ...Object.keys(pkg.optionalDependencies || {}), ...Object.keys(pkg.devDependencies || {})]);
  return [...names].filter((n) => !BUNDLED_PACKAGES.has(n)).flatMap((n) => [n, `${n}/*`]);
}

/** The path of an up-to-date bundled cli.js, building it when the sources changed; null without esbuild. */
function devBundle() {
  const stamp = Math.floor(Math.max(newestMtime(srcDir), fs.statSync(viteConfig).mtimeMs, fs.statSync(path.join(root, 'package.json')).mtimeMs, fs.statSync(__filename).mtimeMs));
  const cache = path.join(root, 'node_modules', '.cache', 'defimon-cli');
  const dir = path.join(cache, String(stamp));
  const cli = path.join(dir, 'cli.js');
  // An up-to-date bundle starts without loading esbuild.
  if (fs.existsSync(cli)) return cli;
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    return null;
  }
  // Build beside, then rename: concurrent first runs each build, one rename wins, none sees half a bundle.
  const tmp = `${dir}.tmp-${process.pid}`;
  const result = esbuild.buildSync({
    entryPoints: mainEntries(),
    outdir: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    external: externalPackages(),
    logLevel: 'silent',
  });
  if (result.errors.length > 0) fail('INTERNAL', `the sources do not build: ${result.errors.map((e) => e.text).join('; ')}`);
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  // Bundles of older sources are no longer used.
  for (const old of fs.readdirSync(cache)) if (old !== String(stamp) && !old.includes('.tmp-')) fs.rmSync(path.join(cache, old), { recursive: true, force: true });
  return cli;
}

let entry = null;
if (fs.existsSync(srcDir) && fs.existsSync(viteConfig)) {
  try {
    entry = devBundle();
  } catch (err) {
    fail('INTERNAL', `could not bundle the sources: ${err && err.message ? err.message : String(err)}`);
  }
}
if (!entry) entry = built;
if (!fs.existsSync(entry)) fail('NOT_FOUND', 'the CLI is not built; run `npm ci && npm run build` first');

/**
 * The name of the code cache a run uses. Each command compiles different code (`--help` none of the
 * configuration, `info` none of the services), so each has its own cache: named by the first
 * argument that reads as a command, else the first option (`--help`), else `main`. A name only
 * picks a cache file; any name runs the same program.
 */
function cacheName(args) {
  return args.find((a) => /^[a-z][a-z0-9-]*$/.test(a)) ?? args.find((a) => /^--?[A-Za-z][\w-]*$/.test(a)) ?? 'main';
}

let cli;
if (entry === built) cli = require(entry);
else {
  const loaded = loadWithCodeCache(entry, `${entry}.${cacheName(process.argv.slice(2))}.v8-cache`);
  cli = loaded.exports;
  // Written once the command has run, so it holds the functions the command compiled too; only
  // after a successful run, so mistyped commands leave no caches behind.
  if (!loaded.cached) process.once('exit', (code) => code === 0 && loaded.save());
}
cli
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`defimon: ${err && typeof err.code === 'string' ? err.code : 'INTERNAL'}: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
