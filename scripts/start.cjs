#!/usr/bin/env node
// `npm start`: the desktop app on the bundled dataset. Where no Electron binary is installed
// (a server, a CI image, a machine where the download was blocked) it says so in one line and
// starts the same app in web mode instead: `defimon serve`, which prints the URL to open.
//
//   npm start                      desktop app (builds first when the build is missing or stale)
//   npm start -- --web [--port N]  web mode even where Electron is installed; other flags go to `serve`
//   npm start -- --no-build        skip the build step
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const forceWeb = args.includes('--web');
const skipBuild = args.includes('--no-build');
const passThrough = args.filter((a) => a !== '--web' && a !== '--no-build');

/** The Electron executable, or null with the reason (Electron's own resolution, so ELECTRON_OVERRIDE_DIST_PATH works). */
function findElectron() {
  let bin;
  try {
    bin = require('electron');
  } catch {
    // Electron is an optional dependency: npm 10 leaves it out when its binary download fails;
    // npm 11 keeps the package without the binary, and then require('electron') throws.
    let present = false;
    try {
      require.resolve('electron/package.json');
      present = true;
    } catch {
      present = false;
    }
    return present
      ? { bin: null, why: 'its binary was not downloaded', fix: '`npm rebuild electron`' }
      : { bin: null, why: 'Electron is not installed', fix: `\`npm install --no-save electron@${electronVersion()}\`` };
  }
  if (typeof bin !== 'string' || !fs.existsSync(bin)) return { bin: null, why: `no executable at ${bin}`, fix: '`npm rebuild electron`' };
  return { bin, why: null, fix: null };
}

/** The Electron version this checkout declares (an optional dependency). */
function electronVersion() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return (pkg.optionalDependencies && pkg.optionalDependencies.electron) || (pkg.devDependencies && pkg.devDependencies.electron) || 'latest';
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when an output is missing or older than any source file. */
function buildIsStale() {
  const outputs = ['out/main/index.js', 'out/main/cli.js', 'out/main/services-host.js', 'out/preload/index.js', 'out/renderer/index.html'].map((p) => path.join(root, p));
  if (outputs.some((p) => !fs.existsSync(p))) return true;
  const oldestOutput = Math.min(...outputs.map((p) => fs.statSync(p).mtimeMs));
  return newestMtime(path.join(root, 'src')) > oldestOutput;
}

function build() {
  process.stderr.write('defimon: building (electron-vite build)...\n');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('defimon: the build failed; see the output above\n');
    process.exit(r.status || 1);
  }
}

/** Runs a child in the foreground: signals go to it, its exit code becomes ours. */
function foreground(cmd, argv, env) {
  const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit', env });
  const forward = (sig) => () => child.kill(sig);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, forward(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

const electron = forceWeb ? { bin: null, why: null, fix: null } : findElectron();
if (!skipBuild && buildIsStale()) build();

if (electron.bin) {
  const env = { ...process.env };
  // Set by some tools; it would make Electron run as plain Node instead of the app.
  delete env.ELECTRON_RUN_AS_NODE;
  foreground(electron.bin, ['.', ...passThrough], env);
} else {
  if (!forceWeb) {
    process.stderr.write(
      `defimon: the Electron binary is not available (${electron.why}; get it with ${electron.fix} where its download is reachable, or through ELECTRON_MIRROR); starting web mode instead, open the URL below in a browser\n`,
    );
  }
  foreground(process.execPath, [path.join(root, 'bin', 'defimon.cjs'), 'serve', ...passThrough], process.env);
}
