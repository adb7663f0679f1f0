import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@solidity-parser/parser';
import { describe, expect, it } from 'vitest';
import { parseSources, sllParser, SLL_PARSER_VERSION } from '../../src/main/services/audit/parse';

/**
 * parse.ts switches the installed parser bundle to SLL prediction by replacing one text in it.
 * That text belongs to one release: these tests fail when the release changes or the text is
 * gone, so that the switch is checked again (or dropped) with the new release.
 */
const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'audit');

function fixtureSources(): { path: string; content: string }[] {
  const out: { path: string; content: string }[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.sol')) out.push({ path: path.relative(FIXTURES, full), content: readFileSync(full, 'utf8') });
    }
  };
  walk(FIXTURES);
  return out;
}

describe('the SLL switch of the Solidity parser', () => {
  it('is written for the installed parser release', () => {
    const pkg = JSON.parse(readFileSync(require.resolve('@solidity-parser/parser/package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toBe(SLL_PARSER_VERSION);
  });

  it('applies to the installed bundle', () => {
    expect(sllParser()).toBeTypeOf('function');
  });

  it('gives the same tree as the plain parser, emit and revert statements included', () => {
    const extra = {
      path: 'Errors.sol',
      content: 'pragma solidity ^0.8.4;\ncontract E {\n  error Low(uint a);\n  event Paid(address to);\n  function f(uint a) external {\n    if (a < 2) revert Low(a);\n    emit  Paid(msg.sender);\n    revert();\n  }\n}\n',
    };
    const sources = [...fixtureSources(), extra];
    expect(sources.length).toBeGreaterThan(20);
    const { files, errors } = parseSources(sources);
    expect(errors).toEqual([]);
    for (const f of files) {
      const plain = parse(f.content, { loc: true, range: true });
      expect(JSON.parse(JSON.stringify(f.ast)), f.path).toEqual(JSON.parse(JSON.stringify(plain)));
    }
  });
});
