/**
 * The audit under attack: limits checked before parsing, a worker thread with a time budget
 * per file, an incomplete audit that alerts and never scores clean, clear errors for bad
 * targets, and a server that keeps answering /health (and obeys SIGTERM) while a pathological
 * audit runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/main/services/audit/analyze';
import { DEFAULT_LIMITS, limitViolation } from '../../src/main/services/audit/limits';
import { buildReport } from '../../src/main/services/audit/report';
import { analyzeOffThread } from '../../src/main/services/audit/runner';
import { REPO_ROOT, tempDataDir } from '../helpers/services';
import { execCli } from '../helpers/cli';

const BIN = path.join(REPO_ROOT, 'bin', 'defimon.cjs');
const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'audit');

const nested = (depth: number): string => `pragma solidity ^0.8.0;\ncontract P { function f() public pure returns (uint) { return ${'('.repeat(depth)}1${')'.repeat(depth)}; } }\n`;
const chain = (terms: number): string => `pragma solidity ^0.8.0;\ncontract Q { function f() public pure returns (uint) { return ${Array(terms).fill('1').join(' + ')}; } }\n`;
/** Passes the default limits but costs the parser real time: many statements of deep nesting. */
const slow = (statements: number): string => `pragma solidity ^0.8.0;\ncontract S {\n${Array.from({ length: statements }, (_, i) => `  function f${i}() public pure returns (uint) { return ${'('.repeat(90)}${i}${')'.repeat(90)}; }`).join('\n')}\n}\n`;
const SELFDESTRUCT = 'pragma solidity ^0.4.24;\ncontract K { function k() public { selfdestruct(msg.sender); } }\n';

async function defimon(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return execCli(args, { timeoutMs: 120_000, env: { ...process.env, ...env } });
}

describe('limits checked before parsing', () => {
  it('refuses deep nesting, a long operator chain and an oversized file, naming the line', () => {
    expect(limitViolation(nested(14 * 1024 / 2), DEFAULT_LIMITS)).toMatch(/nesting too deep to audit at line 2/);
    expect(limitViolation(chain(7000), DEFAULT_LIMITS)).toMatch(/expression too long to audit in the statement at line 2/);
    expect(limitViolation(nested(5), { ...DEFAULT_LIMITS, maxFileBytes: 50 })).toMatch(/file too large/);
  });

  it('passes ordinary code, and ignores brackets and operators in comments and strings', () => {
    for (const c of ['reentrancy-eth', 'arithmetic-legacy', 'tx-origin']) {
      const src = readFileSync(path.join(FIXTURES, c, 'vulnerable.sol'), 'utf8');
      expect(limitViolation(src, DEFAULT_LIMITS)).toBeNull();
    }
    const commented = `contract C {\n// ${'('.repeat(500)}\n/* ${'+1'.repeat(900)} */\nstring s = "${'['.repeat(500)}";\n}`;
    expect(limitViolation(commented, DEFAULT_LIMITS)).toBeNull();
  });
});

describe('an audit that cannot analyse a file is incomplete', () => {
  it('names the refused file, still audits the others, alerts like a high finding and scores no better than its findings', () => {
    const clean = analyzeSources([{ path: 'ok.sol', content: SELFDESTRUCT }]);
    const a = analyzeSources([
      { path: 'ok.sol', content: SELFDESTRUCT },
      { path: 'parens.sol', content: nested(7000) },
    ]);
    expect(a.incomplete).toEqual(['parens.sol']);
    expect(a.errors).toEqual([{ file: 'parens.sol', line: null, code: 'INVALID_INPUT', message: expect.stringMatching(/^not analysed: nesting too deep/) }]);
    expect(a.findings.some((f) => f.file === 'ok.sol' && f.detector === 'unprotected-selfdestruct')).toBe(true);
    const report = buildReport(a, { target: { kind: 'source', address: null, chainId: null, name: null }, bytecode: null, sourceVerified: true, started: 0 });
    const cleanReport = buildReport(clean, { target: { kind: 'source', address: null, chainId: null, name: null }, bytecode: null, sourceVerified: true, started: 0 });
    expect(report.incomplete).toBe(true);
    expect(cleanReport.incomplete).toBe(false);
    expect(report.findings[0]).toMatchObject({ severity: 'high', detector: 'analysis-incomplete', file: 'parens.sol', title: 'Not analysed: parens.sol' });
    expect(report.score).toBeLessThan(cleanReport.score);
  });

  it('a file with only a syntax error cannot score 100', () => {
    const a = analyzeSources([{ path: 'broken.sol', content: 'contract B { function g( }' }]);
    const report = buildReport(a, { target: { kind: 'source', address: null, chainId: null, name: null }, bytecode: null, sourceVerified: true, started: 0 });
    expect(report.incomplete).toBe(true);
    expect(report.score).toBeLessThanOrEqual(80);
  });
});

describe('analysis in a worker thread with a time budget per file', () => {
  it('gives the same findings as the in-thread analysis', async () => {
    const inputs = [{ path: 'r.sol', content: readFileSync(path.join(FIXTURES, 'reentrancy-eth', 'vulnerable.sol'), 'utf8') }];
    const off = await analyzeOffThread(inputs);
    const on = analyzeSources(inputs);
    expect(off.findings).toEqual(on.findings);
    expect(off.incomplete).toEqual([]);
  });

  it('stops a file over its budget, names it, and goes on with the rest in a new worker', async () => {
    const events: number[] = [];
    const a = await analyzeOffThread(
      [
        { path: 'slow.sol', content: nested(3000) },
        { path: 'ok.sol', content: SELFDESTRUCT },
      ],
      // Nesting opened wide so the file reaches the parser, where it would run for minutes.
      { limits: { ...DEFAULT_LIMITS, timeoutMs: 3000, maxNesting: 1_000_000 }, onProgress: (done) => events.push(done) },
    );
    expect(a.incomplete).toEqual(['slow.sol']);
    expect(a.errors).toEqual([{ file: 'slow.sol', line: null, code: 'TIMEOUT', message: expect.stringMatching(/^not analysed: parsing took longer than the time budget \(3 s\)/) }]);
    expect(a.findings.some((f) => f.file === 'ok.sol' && f.detector === 'unprotected-selfdestruct')).toBe(true);
    expect(events.at(-1)).toBe(2);
  });

  it('cancelling ends the worker and rejects with CANCELLED', async () => {
    const controller = new AbortController();
    const pending = analyzeOffThread([{ path: 'slow.sol', content: slow(60) }], { signal: controller.signal, limits: { ...DEFAULT_LIMITS, timeoutMs: 600_000 } });
    setTimeout(() => controller.abort(), 200);
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('audit CLI on bad targets and hostile files', () => {
  const tmp = tempDataDir('defimon-audit-robust');
  afterAll(() => tmp.remove());

  it('says "invalid address" for 0x123, and that a non-Solidity path is not Solidity; exit 1 with --json too', async () => {
    const addr = await defimon(['audit', '0x123', '--json']);
    expect(addr.code).toBe(1);
    expect(JSON.parse(addr.stdout)).toMatchObject({ findings: [], incomplete: true, errors: [{ message: expect.stringMatching(/^invalid address: 0x123/) }] });
    const txt = path.join(tmp.dir, 'notes.txt');
    writeFileSync(txt, 'hello');
    const text = await defimon(['audit', txt]);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/not a Solidity file/);
    expect(text.stderr).not.toMatch(/Cannot read properties|TypeError|at .*\.ts:\d+/);
  });

  it('a 14 KB nested-parentheses file: an error naming it, an alert, INCOMPLETE and exit 1 (--json too)', async () => {
    const dir = path.join(tmp.dir, 'src');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'parens.sol'), nested(7000));
    writeFileSync(path.join(dir, 'ok.sol'), SELFDESTRUCT);
    const json = await defimon(['audit', dir, '--json']);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { findings: { file: string; severity: string; detector?: string; title: string }[]; errors: { file: string; message: string }[]; incomplete: boolean; score: number };
    expect(doc.incomplete).toBe(true);
    expect(doc.errors).toEqual([{ file: 'parens.sol', line: null, code: 'INVALID_INPUT', message: expect.stringMatching(/nesting too deep/) }]);
    expect(doc.findings[0]).toMatchObject({ file: 'parens.sol', severity: 'high', title: 'Not analysed: parens.sol' });
    expect(doc.findings.some((f) => f.file === 'ok.sol')).toBe(true);
    const text = await defimon(['audit', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^score: \d+\/100 INCOMPLETE/m);
    expect(text.stderr).toMatch(/parens\.sol: not analysed: nesting too deep/);
    // The CLI's one error form, --json too.
    for (const r of [json, text]) expect(r.stderr).toMatch(/^defimon: INVALID_INPUT: parens\.sol: not analysed: nesting too deep/m);
  });

  it('the time budget is configurable (DEFIMON_AUDIT_TIMEOUT_MS)', async () => {
    const file = path.join(tmp.dir, 'slow.sol');
    writeFileSync(file, slow(40));
    const res = await defimon(['audit', file, '--json'], { DEFIMON_AUDIT_TIMEOUT_MS: '100', DEFIMON_DATA_DIR: tmp.dir });
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ incomplete: true, errors: [{ file: 'slow.sol', message: expect.stringMatching(/time budget \(0\.1 s\)/) }] });
  });
});

describe('the server while a pathological audit runs', () => {
  const tmp = tempDataDir('defimon-audit-serve');
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    tmp.remove();
  });

  it('answers /health during the audit, and SIGTERM ends it', async () => {
    // Limits opened wide so the hostile file reaches the parser and runs for minutes in the worker.
    const config = path.join(tmp.dir, 'defimon.config.json');
    writeFileSync(config, JSON.stringify({ audit: { timeoutMs: 600_000, maxNesting: 1_000_000, maxStatementOperators: 1_000_000 } }));
    child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--config', config], {
      env: { ...process.env, DEFIMON_DATA_DIR: tmp.dir, DEFIMON_AUTO_IMPORT: 'false', DEFIMON_AUTO_COLLECT: 'false', DEFIMON_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 120_000);
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /serving at (http:\/\/[^\s]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      proc.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });

    let auditAnswered = false;
    const audit = fetch(`${base}/api/audit.source`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ files: [{ path: 'parens.sol', content: nested(7000) }] }) })
      .then(async (r) => ({ status: r.status, body: await r.text() }))
      .catch((err: unknown) => ({ status: 0, body: String(err) }))
      .finally(() => {
        auditAnswered = true;
      });
    // Each /health is its own ordinary request; all must answer while the audit is still running.
    let healthy = 0;
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(30_000) });
      expect(res.status).toBe(200);
      healthy++;
    }
    expect(healthy).toBe(5);
    expect(auditAnswered).toBe(false);

    proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
    expect(code, `serve did not end on SIGTERM; stderr: ${stderr}`).not.toBe('hung');
    await audit;
  }, 240_000);
});
