#!/usr/bin/env node
// Runs the DEFIMON CLI: from source through tsx in a development checkout, else the build.
const path = require('node:path');
const fs = require('node:fs');
const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'main', 'headless', 'cli.ts');
const built = path.join(root, 'out', 'main', 'cli.js');
let entry;
if (fs.existsSync(source)) {
  try {
    require('tsx/cjs');
    entry = source;
  } catch {
    entry = built;
  }
} else entry = built;
if (!fs.existsSync(entry)) {
  process.stderr.write('defimon: the CLI is not built; run `npm ci && npm run build` first\n');
  process.exit(1);
}
require(entry)
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`defimon: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
