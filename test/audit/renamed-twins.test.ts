/**
 * Renamed twins: every vulnerable and fixed fixture audited again with each user-declared
 * identifier renamed (rename.ts). A detector that decides by names instead of by what the code
 * does gives different findings on the twin; the findings must be identical up to names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/main/services/audit/analyze';
import { renameIdentifiers } from './rename';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'audit');
const files = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(path.join(FIXTURES, d.name)).filter((f) => f.endsWith('.sol')).map((f) => `${d.name}/${f}`))
  .sort();

/** A finding without its names: what, where, how bad. */
const shape = (f: { detector: string; category: string; severity: string; swc: string; line: number; endLine: number }): string => `${f.line}-${f.endLine} ${f.detector} ${f.category} ${f.severity} ${f.swc}`;

describe('findings are the same on renamed twins', () => {
  it('renames something in every fixture and keeps the lines', () => {
    for (const f of files) {
      const src = readFileSync(path.join(FIXTURES, f), 'utf8');
      const twin = renameIdentifiers(src);
      expect(twin.names.size, f).toBeGreaterThan(0);
      expect(twin.source.split('\n').length, f).toBe(src.split('\n').length);
      for (const original of twin.names.keys()) expect(new RegExp(`\\b${original}\\b`).test(twin.source.replace(/\/\/.*|"[^"]*"/g, '')), `${f}: ${original} left in code`).toBe(false);
    }
  });

  for (const f of files) {
    it(f, () => {
      const src = readFileSync(path.join(FIXTURES, f), 'utf8');
      const original = analyzeSources([{ path: 'x.sol', content: src }]);
      const twin = analyzeSources([{ path: 'x.sol', content: renameIdentifiers(src).source }]);
      expect(twin.errors).toEqual([]);
      expect(twin.findings.map(shape).sort()).toEqual(original.findings.map(shape).sort());
      // Every token-risk item comes from what the code does: the same verdict, trigger and
      // evidence lines on the twin (the owner's name is a name, so only whether there is one).
      const view = (a: typeof original): Record<string, unknown> =>
        Object.fromEntries(Object.entries(a.tokenRisk).map(([key, v]) => [key, [key === 'owner_address' ? v.value !== null : v.value, v.who, v.evidence.map((e) => e.line)]]));
      expect(view(twin), f).toEqual(view(original));
    });
  }
});

describe('privilege and initialisers from what the code does', () => {
  const audit = (content: string) => analyzeSources([{ path: 'k.sol', content }]).findings.filter((f) => f.detector === 'unprotected-owner-change');

  it('a keeper guarded by a modifier is privileged whatever it is called; a public setter of it is a finding', () => {
    const src = `pragma solidity ^0.8.0;
contract K {
    address keeper;
    uint fee;
    modifier onlyK() { require(msg.sender == keeper); _; }
    function set(address a) public { keeper = a; }
    function setFee(uint f) public onlyK { fee = f; }
}`;
    expect(audit(src).map((f) => [f.line, f.endLine, f.severity])).toEqual([[6, 6, 'high']]);
    // Guarded the same way, written as if-revert in a helper the setter calls: no finding.
    const guarded = src.replace('function set(address a) public { keeper = a; }', 'function set(address a) public { check(msg.sender); keeper = a; }\n    function check(address who) internal view { if (who != keeper) revert(); }');
    expect(audit(guarded)).toEqual([]);
  });

  it('a role table keyed by the caller is privileged; a once-only setup of it is an initialiser, not a finding', () => {
    const src = `pragma solidity ^0.8.0;
contract R {
    mapping(address => bool) members;
    uint count;
    function setup(address first) external { members[first] = true; }
    function act() external { require(members[msg.sender], "no"); count++; }
}`;
    expect(audit(src).map((f) => f.line)).toEqual([5]);
    const once = src.replace('function setup(address first) external { members[first] = true; }', 'function setup(address first) external { require(count == 0); count = 1; members[first] = true; }');
    expect(audit(once)).toEqual([]);
  });

  it('a variable nobody guards with is not privileged, whatever its name', () => {
    const src = `pragma solidity ^0.8.0;
contract N {
    address owner;
    function set(address a) public { owner = a; }
}`;
    expect(audit(src)).toEqual([]);
  });
});
