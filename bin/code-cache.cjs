// Loads a CommonJS file as require() does, but with a V8 code cache kept in a file beside it, so
// a later start deserialises the compiled code instead of parsing and compiling the source again.
//
// V8 itself accepts a code cache for any source of the same length and, in release builds, does
// not verify the cache's checksum: a cache made from other bytes, or damaged on disk, would run
// the wrong code. The cache file therefore carries a header with the CRC-32 and length of the
// source it was made from and the CRC-32 of the V8 data; a cache that does not match in every
// one is ignored, and a fresh one is written by save().
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const zlib = require('node:zlib');
const Module = require('node:module');

const MAGIC = Buffer.from('DEFIMON V8 code cache 1\n', 'latin1');
/** Magic, then CRC-32 of the source bytes, source byte length, CRC-32 of the V8 data (uint32 LE each). */
const HEADER_BYTES = MAGIC.length + 12;

/** zlib.crc32 and the main context's loader for import() in vm scripts (Node >= 20.15). */
const supported = typeof zlib.crc32 === 'function' && vm.constants !== undefined && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER !== undefined;

/** The V8 data of cacheFile when its header matches the source, else undefined (absent, stale or damaged). */
function readCache(cacheFile, sourceCrc, sourceLength) {
  let buf;
  try {
    buf = fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  if (buf.length <= HEADER_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (buf.readUInt32LE(MAGIC.length) !== sourceCrc || buf.readUInt32LE(MAGIC.length + 4) !== sourceLength) return undefined;
  const data = buf.subarray(HEADER_BYTES);
  return zlib.crc32(data) === buf.readUInt32LE(MAGIC.length + 8) ? data : undefined;
}

/**
 * Writes the cache beside, then renames: concurrent writers each write whole files, one wins. A
 * cache that cannot be written is skipped, and then not even made (serialising takes milliseconds,
 * which a read-only install would pay on every run).
 */
function writeCache(cacheFile, sourceCrc, sourceLength, makeData) {
  const tmp = `${cacheFile}.tmp-${process.pid}`;
  let fd;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch {
    return;
  }
  try {
    const data = makeData();
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header);
    header.writeUInt32LE(sourceCrc, MAGIC.length);
    header.writeUInt32LE(sourceLength, MAGIC.length + 4);
    header.writeUInt32LE(zlib.crc32(data), MAGIC.length + 8);
    fs.writeSync(fd, header);
    fs.writeSync(fd, data);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, cacheFile);
  } catch {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Runs `file` as a CommonJS module and returns { exports, cached, save }: `cached` says whether a
 * valid code cache was used; save() writes a fresh cache when there was none (or it did not match),
 * best called once the program has run, so the cache holds every function it compiled.
 */
function loadWithCodeCache(file, cacheFile) {
  if (!supported) return { exports: require(file), cached: false, save() {} };
  const bytes = fs.readFileSync(file);
  const sourceCrc = zlib.crc32(bytes);
  let source = bytes.toString('utf8');
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);
  const cachedData = readCache(cacheFile, sourceCrc, bytes.length);
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  const mod = new Module(file, module);
  mod.filename = file;
  const fn = script.runInThisContext({ displayErrors: true });
  fn.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  let saved = cached;
  return {
    exports: mod.exports,
    cached,
    save() {
      if (saved) return;
      saved = true;
      writeCache(cacheFile, sourceCrc, bytes.length, () => script.createCachedData());
    },
  };
}

module.exports = { loadWithCodeCache };
