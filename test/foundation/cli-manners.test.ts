/**
 * Unix manners of the CLI: a closed pipe ends quietly, every error is one `defimon: CODE: message`
 * line on stderr with a non-zero exit (`--json` too, commander's own errors too), a first import
 * shows progress, a mistyped --data-dir is refused, categories match in any case and can be
 * listed, and days outside the data are refused with the range that exists.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, foreignCwd, tempDataDir } from '../helpers/services';
import { execCli } from '../helpers/cli';

const BIN = path.join(REPO_ROOT, 'bin', 'defimon.cjs');
const CWD = foreignCwd();
afterAll(() => CWD.remove());
const CUTOFF = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'resources/dataset/manifest.json'), 'utf8')) as { cutoff: string }).cutoff;
const ERROR_LINE = /^defimon: [A-Z_]+: \S/;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DEFIMON_')) env[k] = v;
  return { ...env, DEFIMON_LOG_LEVEL: 'silent', ...extra };
}

async function defimon(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return execCli(args, { cwd: CWD.dir, env: cleanEnv(env), timeoutMs: 300_000 });
}

describe('CLI manners', () => {
  const tmp = tempDataDir('defimon-manners');
  afterAll(() => tmp.remove());
  let first: Result;
  beforeAll(async () => {
    // The first command on a new database imports the bundled dataset (stderr is a pipe here).
    first = await defimon(['info', '--data-dir', tmp.dir]);
  }, 300_000);

  it('a first import says what it does and shows progress on a pipe, then the command answers', () => {
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/importing the bundled dataset/);
    const steps = first.stderr.split('\n').filter((l) => /^defimon: first import \d+%/.test(l));
    expect(steps.length).toBeGreaterThan(2);
    expect(steps.at(-1)).toMatch(/first import 100%/);
    expect(first.stdout).toMatch(/^DEFIMON /);
  });

  it('info on a ready database answers without starting the services (no log is opened)', async () => {
    // Started services open the log file in <data-dir>/logs at this level.
    const env = { DEFIMON_LOG_LEVEL: 'info' };
    const logs = path.join(tmp.dir, 'logs');
    rmSync(logs, { recursive: true, force: true });
    const res = await defimon(['info', '--json', '--data-dir', tmp.dir], env);
    expect(res.code).toBe(0);
    const info = JSON.parse(res.stdout) as { dataDir: string; database: { migrations: number } };
    expect(info.dataDir).toBe(tmp.dir);
    expect(info.database.migrations).toBeGreaterThan(0);
    expect(existsSync(logs)).toBe(false);
    // The probe works: a command that starts the services does open it.
    expect((await defimon(['assets', '--json', '--data-dir', tmp.dir], env)).code).toBe(0);
    expect(existsSync(logs)).toBe(true);
  });

  it('output into a pipe closed by its reader ends quietly with exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'assets', '--all', '--json', '--data-dir', tmp.dir], { cwd: CWD.dir, env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader goes away before anything is written: every write meets a closed pipe (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it("commander's own errors use the same one-line format and exit 2, with --json too", async () => {
    for (const args of [['--frobnicate'], ['assets', '--frobnicate', '--json'], ['no-such-command'], ['score', '--as-of']]) {
      const res = await defimon([...args, '--data-dir', tmp.dir]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.split('\n')[0], args.join(' ')).toMatch(/^defimon: INVALID_INPUT: /);
    }
  });

  it("every command's failures end in one `defimon: CODE: message` line on stderr and a non-zero exit, --json too", async () => {
    const broken = path.join(tmp.dir, 'broken.sol');
    writeFileSync(broken, 'pragma solidity ^0.8.0;\ncontract B { function f( }\n');
    const notes = path.join(tmp.dir, 'notes.txt');
    writeFileSync(notes, 'not code\n');
    const cases: { args: string[]; code: string }[] = [
      { args: ['audit', path.join(tmp.dir, 'missing.sol')], code: 'NOT_FOUND' },
      { args: ['audit', '0x123'], code: 'INVALID_INPUT' },
      { args: ['audit', notes], code: 'INVALID_INPUT' },
      { args: ['audit', broken], code: 'MALFORMED_DATA' },
      { args: ['asset', 'no-such-asset-anywhere'], code: 'NOT_FOUND' },
      { args: ['import', '--dir', path.join(tmp.dir, 'no-such-dir')], code: 'NOT_FOUND' },
      { args: ['score', '--model', 'no-such-model'], code: 'NOT_FOUND' },
      { args: ['backtest', '--from', '2022-06-01', '--to', '2022-01-01'], code: 'INVALID_INPUT' },
      { args: ['ab', '--champion', 'no-such-model'], code: 'NOT_FOUND' },
      { args: ['sync', '--once'], code: 'NOT_CONFIGURED' },
      { args: ['metrics', 'onchain', '--token', 'no-such-token', '--from', 'yesterday'], code: 'INVALID_INPUT' },
    ];
    for (const c of cases) {
      for (const json of [false, true]) {
        const args = [...c.args, '--data-dir', tmp.dir, ...(json ? ['--json'] : [])];
        const res = await defimon(args);
        const what = args.join(' ');
        expect(res.code, what).not.toBe(0);
        const lines = res.stderr.split('\n').filter(Boolean);
        expect(lines.length, what).toBeGreaterThan(0);
        for (const l of lines) expect(l, what).toMatch(ERROR_LINE);
        expect(lines.some((l) => l.startsWith(`defimon: ${c.code}: `)), `${what}: ${res.stderr}`).toBe(true);
      }
    }
  }, 300_000);

  it('a day outside the data names the range that exists; non-zero exit with and without --json', async () => {
    for (const json of [false, true]) {
      const res = await defimon(['score', '--as-of', '2999-01-01', '--model', 'nonexistent-model', '--data-dir', tmp.dir, ...(json ? ['--json'] : [])]);
      expect(res.code).not.toBe(0);
      const line = res.stderr.split('\n').find((l) => l.startsWith('defimon:')) ?? '';
      expect(line).toMatch(ERROR_LINE);
      if (json) expect((JSON.parse(res.stdout) as { error: { code: string } }).error.code).toMatch(/^[A-Z_]+$/);
    }
  });

  it('train --until after the end of the data is refused before any training, naming the last day', async () => {
    const before = JSON.parse((await defimon(['models', '--json', '--data-dir', tmp.dir])).stdout) as { version: string }[];
    const res = await defimon(['train', '--until', '2999-01-01', '--data-dir', tmp.dir]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^defimon: INVALID_INPUT: until 2999-01-01 is after the data's last day \\(${CUTOFF}\\)`));
    const after = JSON.parse((await defimon(['models', '--json', '--data-dir', tmp.dir])).stdout) as { version: string }[];
    expect(after.map((m) => m.version)).toEqual(before.map((m) => m.version));
  });

  it('a --data-dir whose parent does not exist is an error and creates nothing', async () => {
    const missing = path.join(tmp.dir, 'no-such-parent', 'data');
    const res = await defimon(['info', '--data-dir', missing]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^defimon: INVALID_INPUT: --data-dir .*its parent directory .* does not exist/);
    expect(existsSync(path.dirname(missing))).toBe(false);
  });

  it('--categories lists every category with its count; --category matches in any case', async () => {
    const cats = await defimon(['assets', '--categories', '--json', '--data-dir', tmp.dir]);
    expect(cats.code).toBe(0);
    const rows = JSON.parse(cats.stdout) as { category: string; assets: number }[];
    const all = JSON.parse((await defimon(['assets', '--json', '--data-dir', tmp.dir])).stdout) as unknown[];
    expect(rows.reduce((n, r) => n + r.assets, 0)).toBe(all.length);
    const named = rows.find((r) => r.category !== '(none)' && r.category.toLowerCase() !== r.category.toUpperCase());
    expect(named).toBeDefined();
    for (const spelling of [named!.category.toUpperCase(), named!.category.toLowerCase()]) {
      const res = await defimon(['assets', '--category', spelling, '--json', '--data-dir', tmp.dir]);
      expect((JSON.parse(res.stdout) as unknown[]).length, spelling).toBe(named!.assets);
    }
  });
});
