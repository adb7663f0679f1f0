import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignCwd, tempDataDir } from '../helpers/services';
import { execCli } from '../helpers/cli';

// Every command runs from a temporary folder, not the repository: the CLI must work from anywhere.
const CWD = foreignCwd();
afterAll(() => CWD.remove());

async function defimon(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return execCli(args, { cwd: CWD.dir, env: { ...process.env, ...env }, timeoutMs: 120_000 });
}

describe('defimon CLI', () => {
  const tmp = tempDataDir('defimon-cli');
  afterAll(() => tmp.remove());
  let imported: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    imported = await defimon(['import', '--json', '--data-dir', tmp.dir]);
  });

  it('prints help listing the commands', async () => {
    const res = await defimon(['--help']);
    expect(res.code).toBe(0);
    for (const c of ['import', 'assets', 'doctor', 'serve']) expect(res.stdout).toMatch(new RegExp(`\\b${c}\\b`));
  });

  it('rejects an unknown flag with a clear message and exit code 2', async () => {
    const res = await defimon(['assets', '--frobnicate', '--data-dir', tmp.dir]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('imports the bundled set, then lists 148 assets as JSON', async () => {
    expect(imported.code).toBe(0);
    const summary = JSON.parse(imported.stdout) as { assets: number; financialRows: number };
    expect(summary.financialRows).toBeGreaterThan(100_000);
    const res = await defimon(['assets', '--json'], { DEFIMON_DATA_DIR: tmp.dir });
    expect(res.code).toBe(0);
    const assets = JSON.parse(res.stdout) as { symbol: string; price: number | null; families: string[] }[];
    expect(assets).toHaveLength(148);
    expect(assets.every((a) => a.price !== null && a.families.includes('market'))).toBe(true);
    const again = await defimon(['import', '--json', '--data-dir', tmp.dir]);
    expect(JSON.parse(again.stdout).skipped.some((s: { reason: string }) => /already imported/.test(s.reason))).toBe(true);
  });

  it('reports a malformed import directory as an error with a non-zero exit', async () => {
    const res = await defimon(['import', '--dir', path.join(tmp.dir, 'nope'), '--data-dir', tmp.dir]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/NOT_FOUND: dataset directory .* does not exist/);
  });

  it('rejects a sync interval or batch beyond its bound instead of polling in a tight loop', async () => {
    const pg = 'postgres://analyst:s3cret-pw@127.0.0.1:1/team';
    const res = await defimon(['sync', '--no-import', '--interval', '3000000', '--data-dir', tmp.dir, '--pg', pg]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/INVALID_INPUT: --interval must be an integer from 1 to 86400, got "3000000"/);
    const batch = await defimon(['sync', '--once', '--no-import', '--batch', '0', '--data-dir', tmp.dir, '--pg', pg]);
    expect(batch.code).not.toBe(0);
    expect(batch.stderr).toMatch(/INVALID_INPUT: --batch must be an integer from 1 to 100000/);
  });

  it('doctor says plainly what works, and fails on an unreachable Postgres without leaking its password', async () => {
    const ok = await defimon(['doctor', '--json', '--data-dir', tmp.dir]);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { ok: boolean; checks: { name: string; ok: boolean; configured: boolean }[] };
    expect(report.checks.find((c) => c.name === 'database')?.ok).toBe(true);
    expect(report.checks.find((c) => c.name === 'postgres')?.configured).toBe(false);
    const bad = await defimon(['doctor', '--data-dir', tmp.dir, '--pg', 'postgres://analyst:s3cret-pw@127.0.0.1:1/team']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL\s+postgres\s+unreachable/);
    expect(bad.stdout + bad.stderr).not.toMatch(/s3cret-pw/);
  });
});
