/**
 * The CLI's V8 code cache (bin/code-cache.cjs): a module runs from its cache only when the cache
 * was made from exactly its bytes and is intact; anything else is ignored and replaced. Each load
 * runs in a fresh Node process, as each CLI start does (one process would reuse its own
 * in-memory compilation and never read the file).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execCli } from '../helpers/cli';
import { REPO_ROOT } from '../helpers/services';

const LOADER = path.join(REPO_ROOT, 'bin', 'code-cache.cjs');

interface Load {
  cached: boolean;
  exports: unknown;
}

/** Loads file in a new process with its cache at file.v8-cache, saves a fresh cache at exit as the CLI does. */
function load(file: string): Load {
  const script = `
    const { loadWithCodeCache } = require(${JSON.stringify(LOADER)});
    const r = loadWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(`${file}.v8-cache`)});
    process.once('exit', r.save);
    process.stdout.write(JSON.stringify({ cached: r.cached, exports: r.exports }));`;
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`load failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as Load;
}

/** What V8 alone makes of source with the cache's V8 data (the header skipped): accepted or not, and the result. */
function v8Alone(file: string, source: string, headerBytes: number): { rejected: boolean; result: unknown } {
  const script = `
    const vm = require('node:vm');
    const data = require('node:fs').readFileSync(${JSON.stringify(`${file}.v8-cache`)}).subarray(${headerBytes});
    const s = new vm.Script(require('node:module').wrap(${JSON.stringify(source)}), { filename: ${JSON.stringify(file)}, cachedData: data });
    const m = { exports: {} };
    if (!s.cachedDataRejected) s.runInThisContext().call(m.exports, m.exports, require, m, ${JSON.stringify(file)}, '.');
    process.stdout.write(JSON.stringify({ rejected: s.cachedDataRejected, result: m.exports }));`;
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`v8 load failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as { rejected: boolean; result: unknown };
}

/** A module whose result comes from a function, so the cache holds compiled code beyond the top level. */
const moduleSource = (word: string): string => `function shout(w) { return w.toUpperCase() + '!'; }\nmodule.exports = { word: shout(${JSON.stringify(word)}) };\n`;

/** The header's length: the magic line, then three 32-bit numbers. */
const HEADER_BYTES = 'DEFIMON V8 code cache 1\n'.length + 12;

describe('CLI code cache', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-code-cache-'));
    file = path.join(dir, 'mod.js');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a cache on the first load and runs from it on the next, with the same result', () => {
    writeFileSync(file, moduleSource('alpha'));
    expect(load(file)).toEqual({ cached: false, exports: { word: 'ALPHA!' } });
    expect(readFileSync(`${file}.v8-cache`).length).toBeGreaterThan(HEADER_BYTES);
    expect(load(file)).toEqual({ cached: true, exports: { word: 'ALPHA!' } });
  });

  it('does not run a cache made from other bytes of the same length, which V8 alone would accept', () => {
    writeFileSync(file, moduleSource('alpha'));
    load(file);
    const changed = moduleSource('omega');
    expect(changed.length).toBe(moduleSource('alpha').length);
    writeFileSync(file, changed);
    // V8 checks only the source's length: on its own it would run the old module's code.
    expect(v8Alone(file, changed, HEADER_BYTES)).toEqual({ rejected: false, result: { word: 'ALPHA!' } });
    expect(load(file)).toEqual({ cached: false, exports: { word: 'OMEGA!' } });
    // The stale cache was replaced by one of the new bytes.
    expect(load(file)).toEqual({ cached: true, exports: { word: 'OMEGA!' } });
  });

  it('ignores and replaces a damaged cache', () => {
    writeFileSync(file, moduleSource('alpha'));
    load(file);
    const cache = readFileSync(`${file}.v8-cache`);
    // Every byte of the V8 data in turn would take long; flip one in each eighth of it.
    for (let i = 0; i < 8; i++) {
      const damaged = Buffer.from(cache);
      const at = HEADER_BYTES + Math.floor(((cache.length - HEADER_BYTES) * (2 * i + 1)) / 16);
      damaged[at] = damaged[at]! ^ 0xff;
      writeFileSync(`${file}.v8-cache`, damaged);
      expect(load(file)).toEqual({ cached: false, exports: { word: 'ALPHA!' } });
      expect(load(file)).toEqual({ cached: true, exports: { word: 'ALPHA!' } });
    }
    for (const broken of [cache.subarray(0, cache.length - 1), cache.subarray(0, HEADER_BYTES), Buffer.from('not a cache'), Buffer.alloc(0)]) {
      writeFileSync(`${file}.v8-cache`, broken);
      expect(load(file)).toEqual({ cached: false, exports: { word: 'ALPHA!' } });
      expect(load(file)).toEqual({ cached: true, exports: { word: 'ALPHA!' } });
    }
  });

  it('runs the module when its cache cannot be written', () => {
    writeFileSync(file, moduleSource('beta'));
    // A directory where the cache file would go: writing fails, loading must not.
    mkdirSync(`${file}.v8-cache`);
    expect(load(file)).toEqual({ cached: false, exports: { word: 'BETA!' } });
    expect(load(file)).toEqual({ cached: false, exports: { word: 'BETA!' } });
  });
});

describe('the CLI with its code caches', () => {
  it('answers the same after every cache beside its bundle is damaged', async () => {
    const before = await execCli(['--help'], { timeoutMs: 120_000 });
    const version = await execCli(['--version'], { timeoutMs: 120_000 });
    expect(before.code).toBe(0);
    expect(version.code).toBe(0);
    // The development checkout's bundles (one directory per state of the sources), when this checkout runs from src/.
    const root = path.join(REPO_ROOT, 'node_modules', '.cache', 'defimon-cli');
    const caches = existsSync(root) ? readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.v8-cache')) : [];
    expect(caches.length).toBeGreaterThan(0);
    for (const f of caches) {
      const data = readFileSync(path.join(root, f));
      data[Math.floor(data.length / 2)] = data[Math.floor(data.length / 2)]! ^ 0xff;
      writeFileSync(path.join(root, f), data);
    }
    expect(await execCli(['--help'], { timeoutMs: 120_000 })).toEqual(before);
    expect(await execCli(['--version'], { timeoutMs: 120_000 })).toEqual(version);
  });
});
