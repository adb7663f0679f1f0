/**
 * The audit CLI (`defimon audit <file|dir> [--json]`), the audit.source method, and parsing of
 * every Solidity generation: old syntax, the explorer's multi-file JSON, and broken files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/main/services/audit/analyze';
import { arithmeticMode, parseSources } from '../../src/main/services/audit/parse';
import { expandSourceInputs, groupByImports } from '../../src/main/services/audit/sources';
import type { Services } from '../../src/main/services';
import { createTestServices } from '../helpers/app';
import { tempDataDir } from '../helpers/services';
import { execCli } from '../helpers/cli';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'audit');

async function defimon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return execCli(args, { timeoutMs: 120_000 });
}

const OLD = `pragma solidity ^0.4.11;
contract Old {
    address owner;
    mapping(address => uint) balances;
    function Old() { owner = msg.sender; }
    function pay(uint v) {
        var amount = v;
        if (!msg.sender.call.value(amount)()) throw;
        bytes32 h = sha3(amount);
        if (h == 0) suicide(owner);
    }
    function () payable {}
}
`;

describe('parsing', () => {
  it('parses 0.4 syntax (named constructors, throw, var, suicide, sha3, call.value()())', () => {
    const { files, errors } = parseSources([{ path: 'Old.sol', content: OLD }]);
    expect(errors).toEqual([]);
    expect(files[0]?.version).toMatchObject({ min: [0, 4, 11], max: [0, 5, 0], floating: true });
    expect(arithmeticMode(files[0]!.version)).toBe('unchecked');
    const a = analyzeSources([{ path: 'Old.sol', content: OLD }]);
    const titles = a.findings.map((f) => f.title);
    expect(titles).toEqual(expect.arrayContaining(['Deprecated construct: throw', 'Deprecated construct: suicide', 'Deprecated construct: sha3', 'Deprecated construct: var']));
    // The named constructor is a constructor, not a public owner setter.
    expect(a.findings.filter((f) => f.detector === 'unprotected-owner-change')).toEqual([]);
  });

  it('parses pre-0.4 forms the grammar dropped, keeping line numbers', () => {
    const src = 'contract Ancient {\n  address owner;\n  modifier noEther() { if (msg.value > 0) throw; _ }\n  modifier onlyOwner() { if (msg.sender != owner) throw; _}\n  function size(address a) constant returns (uint len) {\n    assembly { len: = extcodesize(a) }\n  }\n  function kill() noEther { suicide(owner); }\n}\n';
    const a = analyzeSources([{ path: 'Ancient.sol', content: src }]);
    expect(a.errors).toEqual([]);
    const sd = a.findings.find((f) => f.detector === 'unprotected-selfdestruct');
    expect(sd).toMatchObject({ line: 8, severity: 'high' });
  });

  it('reads pragma ranges', () => {
    const v = (p: string) => parseSources([{ path: 'a.sol', content: `pragma solidity ${p};\ncontract A {}` }]).files[0]!.version;
    expect(arithmeticMode(v('>=0.6.0 <0.8.0'))).toBe('unchecked');
    expect(arithmeticMode(v('^0.8.20'))).toBe('checked');
    expect(arithmeticMode(v('>=0.7.0'))).toBe('unknown');
    expect(v('0.5.16').floating).toBe(false);
  });

  it('expands the explorer multi-file and standard-JSON forms', () => {
    const files = { 'contracts/A.sol': { content: 'import "./B.sol"; contract A is B {}' }, 'contracts/B.sol': { content: 'contract B {}' } };
    const std = JSON.stringify({ language: 'Solidity', sources: files, settings: {} });
    expect(expandSourceInputs([{ path: 'x.json', content: `{${std}}` }]).map((f) => f.path)).toEqual(['contracts/A.sol', 'contracts/B.sol']);
    expect(expandSourceInputs([{ path: 'x.json', content: JSON.stringify(files) }]).map((f) => f.path)).toEqual(['contracts/A.sol', 'contracts/B.sol']);
    const parsed = parseSources([{ path: 'x.json', content: std }, { path: 'C.sol', content: 'contract C {}' }]).files;
    // A imports B: one project; C stands alone.
    expect(groupByImports(parsed).map((g) => g.map((f) => f.path).sort())).toEqual([['contracts/A.sol', 'contracts/B.sol'], ['C.sol']]);
  });

  it('reports a broken file as an error and still audits the others', () => {
    const a = analyzeSources([
      { path: 'broken.sol', content: 'contract B { function g( }' },
      { path: 'ok.sol', content: 'pragma solidity ^0.4.24;\ncontract K { function k() public { selfdestruct(msg.sender); } }' },
    ]);
    expect(a.errors).toHaveLength(1);
    expect(a.errors[0]).toMatchObject({ file: 'broken.sol', line: 1 });
    expect(a.errors[0]?.message).toMatch(/syntax error at line 1/);
    expect(a.findings.some((f) => f.file === 'ok.sol' && f.detector === 'unprotected-selfdestruct' && f.severity === 'high')).toBe(true);
  });
});

describe('audit CLI and audit.source', () => {
  const tmp = tempDataDir('defimon-audit');
  let services: Services;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    mkdirSync(path.join(tmp.dir, 'src'), { recursive: true });
    writeFileSync(path.join(tmp.dir, 'src', 'broken.sol'), 'pragma solidity ^0.8.0;\ncontract X { function f( }\n');
    ({ services, cleanup } = await createTestServices({ autoImport: false }));
  });
  afterAll(async () => {
    await cleanup?.();
    tmp.remove();
  });

  it('prints exactly one JSON document with the documented fields', async () => {
    const res = await defimon(['audit', path.join(FIXTURES, 'reentrancy-eth', 'vulnerable.sol'), '--json']);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as { findings: Record<string, unknown>[]; tokenRisk: object; score: number; errors: unknown[] };
    expect(Object.keys(doc)).toEqual(['findings', 'tokenRisk', 'score', 'errors', 'incomplete']);
    expect(doc.errors).toEqual([]);
    const r = doc.findings.find((f) => f.category === 'reentrancy');
    expect(r).toMatchObject({ swc: 'SWC-107', severity: 'high', line: 12, endLine: 13 });
    for (const k of ['swc', 'category', 'severity', 'confidence', 'line', 'endLine', 'title', 'description', 'recommendation']) expect(r).toHaveProperty(k);
    expect(doc.score).toBeGreaterThanOrEqual(0);
    expect(doc.score).toBeLessThan(90);
  });

  it('audits a directory; an unparsable file is an error, not a crash', async () => {
    const json = await defimon(['audit', path.join(tmp.dir, 'src'), '--json']);
    const doc = JSON.parse(json.stdout) as { findings: unknown[]; errors: { file: string; message: string }[] };
    expect(doc.errors[0]).toMatchObject({ file: 'broken.sol' });
    expect(doc.errors[0]?.message).toMatch(/syntax error/);
    const text = await defimon(['audit', path.join(tmp.dir, 'src')]);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/broken\.sol:2: syntax error/);
    const missing = await defimon(['audit', path.join(tmp.dir, 'nope.sol'), '--json']);
    expect(JSON.parse(missing.stdout)).toMatchObject({ findings: [], score: 0, errors: [{ message: expect.stringMatching(/no such file/) }] });
  });

  it('prints findings with severity, SWC, place and a score for people', async () => {
    const res = await defimon(['audit', path.join(FIXTURES, 'tx-origin', 'vulnerable.sol')]);
    expect(res.stdout).toMatch(/^HIGH\s+SWC-115\s+access_control\s+vulnerable\.sol:9\s+Authorisation through tx\.origin$/m);
    expect(res.stdout).toMatch(/^score: \d+\/100$/m);
  });

  it('audit.source takes file contents or a path, and stores nothing', async () => {
    const byPath = await services.client.call('audit.source', { path: path.join(FIXTURES, 'dos') });
    expect(byPath.files.map((f) => f.path)).toEqual(['fixed.sol', 'vulnerable.sol']);
    expect(byPath.findings.some((f) => f.file === 'vulnerable.sol' && f.category === 'denial_of_service')).toBe(true);
    const byContent = await services.client.call('audit.source', { files: [{ path: 'Old.sol', content: OLD }] });
    expect(byContent.target.kind).toBe('source');
    expect(byContent.files[0]?.contracts).toEqual([{ name: 'Old', kind: 'contract', line: 2, endLine: 13 }]);
    expect((services.core.store.db.prepare('SELECT count(*) AS n FROM audit_findings').get() as { n: number }).n).toBe(0);
    await expect(services.client.call('audit.source', {} as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(services.client.call('audit.source', { path: path.join(tmp.dir, 'absent') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A web client cannot make the server read its own disk.
    const viaHttp = await services.call('audit.source', { path: path.join(FIXTURES, 'dos') }, { origin: 'http' });
    expect(viaHttp).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});
