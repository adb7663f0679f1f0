/**
 * CLI start-up: wall time and the process's own CPU time (every thread) of `defimon --help`,
 * `--version`, `info` and `assets` on an imported database, and of `audit` on one Solidity file
 * and on a folder (one worker for the folder), each the median of several runs, against the
 * budget (help and info under 0.3 s, assets under 1 s, one file's audit under 1 s of CPU). Beside them, a bare `node -e 0` of the
 * same run: on a shared, loaded machine wall time is mostly waiting for a core, so the CPU time
 * and the node baseline say what the CLI itself costs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAverage, machineLine, median, ms } from './util';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'defimon.cjs');
const RUNS = 5;
/** A small contract with findings, and a folder of separate contracts (audited as one worker's queue). */
const AUDIT_FILE = path.join(root, 'test', 'fixtures', 'audit', 'reentrancy-eth', 'vulnerable.sol');
const AUDIT_DIR = path.join(root, 'test', 'fixtures', 'audit', 'tx-origin');

interface Sample {
  wall: number;
  cpu: number;
}

export async function run(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'defimon-cli-bench-'));
  // Records the process's own CPU time at exit (the child's; spawnSync does not report it).
  const hook = path.join(tmp, 'cpu-hook.cjs');
  const cpuFile = path.join(tmp, 'cpu.txt');
  writeFileSync(hook, `process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeFileSync(${JSON.stringify(cpuFile)}, String((u.user + u.system) / 1000)); });\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, DEFIMON_DATA_DIR: path.join(tmp, 'data'), DEFIMON_LOG_LEVEL: 'silent' };
  const once = (args: string[]): Sample => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--require', hook, ...args], { cwd: root, env, encoding: 'utf8' });
    const wall = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return { wall, cpu: Number(readFileSync(cpuFile, 'utf8')) };
  };
  try {
    console.log(machineLine());
    const first = once([bin, 'import']);
    console.log(`first import (bundled dataset into an empty database, includes any bundling of the sources): ${ms(first.wall)}`);
    const cases: { label: string; args: string[]; budget: number | null }[] = [
      { label: 'node -e 0 (baseline)', args: ['-e', '0'], budget: null },
      { label: 'defimon --version', args: [bin, '--version'], budget: 300 },
      { label: 'defimon --help', args: [bin, '--help'], budget: 300 },
      { label: 'defimon info', args: [bin, 'info'], budget: 300 },
      { label: 'defimon assets', args: [bin, 'assets'], budget: 1000 },
      { label: `defimon audit ${path.relative(root, AUDIT_FILE)} --json`, args: [bin, 'audit', AUDIT_FILE, '--json'], budget: 1000 },
      { label: `defimon audit ${path.relative(root, AUDIT_DIR)} --json (${readdirSync(AUDIT_DIR).length} files)`, args: [bin, 'audit', AUDIT_DIR, '--json'], budget: null },
    ];
    let node: Sample | null = null;
    for (const c of cases) {
      const samples = Array.from({ length: RUNS }, () => once(c.args));
      const wall = median(samples.map((s) => s.wall));
      const cpu = median(samples.map((s) => s.cpu));
      // Node's own start-up in the same run: the ratio to it holds across machine loads better than absolute times.
      const ratio = node ? `; ${(wall / node.wall).toFixed(2)}x node's wall, ${(cpu / node.cpu).toFixed(2)}x its cpu` : '';
      node ??= { wall, cpu };
      const verdict = c.budget === null ? '' : ` [budget ${c.budget} ms: wall ${wall <= c.budget ? 'met' : 'NOT met'}, cpu ${cpu <= c.budget ? 'met' : 'NOT met'}]`;
      console.log(`START ${c.label}: wall ${ms(wall)}, cpu ${ms(cpu)} (median of ${RUNS}${ratio}; load ${loadAverage()})${verdict}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
