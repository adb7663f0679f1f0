/**
 * Parses Solidity source files (already expanded by sources.ts) into source units. Old syntax (0.4.x) parses as is; a
 * file that does not parse becomes an error entry, never an exception.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import type * as SolidityParser from '@solidity-parser/parser';
import type { ParseOptions } from '@solidity-parser/parser';
import type { SourceUnit } from '@solidity-parser/parser/dist/src/ast-types';
import type { AuditError } from '../../../shared/contract/audit';
import { expandSourceInputs, type SourceInput } from './sources';

/** Version bounds of `pragma solidity`: the lowest allowed and the exclusive upper bound. */
export interface VersionRange {
  text: string | null;
  min: [number, number, number] | null;
  /** Exclusive upper bound; null when the pragma leaves it open. */
  max: [number, number, number] | null;
  floating: boolean;
}
export type { SourceInput };

export interface ParsedFile {
  path: string;
  content: string;
  lines: number;
  ast: SourceUnit;
  version: VersionRange;
}

const STRICT: ParseOptions = { loc: true, range: true, tolerant: false };
const TOLERANT: ParseOptions = { loc: true, range: true, tolerant: true };

interface SyntaxIssue {
  message: string;
  line: number;
  column: number;
}

export function parseSources(inputs: readonly SourceInput[]): { files: ParsedFile[]; errors: AuditError[] } {
  const files: ParsedFile[] = [];
  const errors: AuditError[] = [];
  for (const input of expandSourceInputs(inputs)) {
    const content = input.content.replace(/^\uFEFF/, '');
    const { ast, issues, failure } = parseOne(content);
    for (const i of issues.slice(0, 5)) errors.push({ file: input.path, line: i.line, code: 'MALFORMED_DATA', message: `syntax error at line ${i.line}:${i.column}: ${i.message}` });
    if (failure && issues.length === 0) errors.push({ file: input.path, line: null, code: 'MALFORMED_DATA', message: `syntax error: not valid Solidity (the parser stopped: ${failure})` });
    // A partial tree from the tolerant parser is still analysed; its errors are reported beside the findings.
    if (ast) files.push({ path: input.path, content, lines: content.split('\n').length, ast, version: versionOf(ast) });
  }
  return { files, errors };
}

type ParseFn = typeof SolidityParser.parse;
let llParse: ParseFn | undefined;

/**
 * The package's own (LL) parser, loaded only when the SLL variant below cannot decide or is
 * unavailable: most files never need it, and loading it is a second copy of the parser.
 */
function parse(content: string, opts: ParseOptions): ReturnType<ParseFn> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  llParse ??= (require('@solidity-parser/parser') as typeof SolidityParser).parse;
  return llParse(content, opts);
}
const KEYWORD_CALL = /\b(emit|revert)(\s+)(?=[A-Za-z_$][\w$.]*\s*\()/g;

/**
 * SLL cannot decide `emit E(...)` and `revert Err(...)`. The keywords are blanked (same length,
 * so every line and offset stays put) and the calls they introduced are turned back into
 * EmitStatement / RevertStatement nodes afterwards.
 */
function parseSll(fast: ParseFn, content: string): SourceUnit {
  const marks = new Map<number, { kind: string; start: number }>();
  const blanked = content.replace(KEYWORD_CALL, (m: string, kw: string, ws: string, offset: number) => {
    marks.set(offset + kw.length + ws.length, { kind: kw, start: offset });
    return ' '.repeat(m.length);
  });
  const ast = fast(blanked, STRICT);
  if (marks.size === 0) return ast;
  const fix = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) fix(n);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; expression?: { type?: string; range?: [number, number] }; range?: [number, number]; loc?: { start: { line: number; column: number } } } & Record<string, unknown>;
    if (n.type === 'ExpressionStatement' && n.expression?.type === 'FunctionCall' && n.range) {
      const mark = marks.get(n.range[0]);
      if (mark) {
        const call = n.expression;
        delete n.expression;
        n.type = mark.kind === 'emit' ? 'EmitStatement' : 'RevertStatement';
        n[mark.kind === 'emit' ? 'eventCall' : 'revertCall'] = call;
        if (n.loc && content.lastIndexOf('\n', mark.start) === content.lastIndexOf('\n', n.range[0])) n.loc.start.column -= n.range[0] - mark.start;
        n.range = [mark.start, n.range[1]];
      }
    }
    for (const key in n) if (key !== 'loc' && key !== 'range') fix(n[key]);
  };
  fix(ast);
  return ast;
}
/**
 * The parser release the SLL switch below was written against, and the one text it replaces in
 * that release's bundle. Another release (a different bundle) gets the plain parser until the
 * switch is checked against it; test/audit/parser-patch.test.ts fails when the installed
 * release is not this one or the text is no longer there.
 */
export const SLL_PARSER_VERSION = '0.20.2';
const SLL_MARK = 'this.predictionMode = ee.LL,';
let sllParse: ParseFn | null | undefined;

/**
 * The same parser with ANTLR's SLL prediction: about 1.8 times less CPU per file on the clean
 * suite, and exact whenever it succeeds; when SLL cannot decide (it then fails), the normal LL
 * parser runs. Built once from the installed package; null when the package is not the release
 * the switch was written for or its bundle does not hold the expected text.
 */
export function sllParser(): ParseFn | null {
  if (sllParse !== undefined) return sllParse;
  sllParse = null;
  try {
    const file = require.resolve('@solidity-parser/parser');
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(file), '..', 'package.json'), 'utf8')) as { version?: string };
    if (pkg.version !== SLL_PARSER_VERSION) return null;
    const code = readFileSync(file, 'utf8');
    if (code.split(SLL_MARK).length !== 2) return null;
    const M = Module as unknown as { new (id: string): NodeModuleLike; _nodeModulePaths(dir: string): string[] };
    const m = new M(file);
    m.filename = file;
    m.paths = M._nodeModulePaths(path.dirname(file));
    m._compile(code.replace(SLL_MARK, 'this.predictionMode = ee.SLL,'), file);
    const fn = (m.exports as { parse?: ParseFn }).parse;
    sllParse = typeof fn === 'function' ? fn : null;
  } catch {
    sllParse = null;
  }
  return sllParse;
}

interface NodeModuleLike {
  filename: string;
  paths: string[];
  exports: unknown;
  _compile(code: string, file: string): void;
}

/** SLL, then strict LL; on a syntax error, the tolerant parser for what it can recover. */
function parseOne(content: string): { ast: SourceUnit | null; issues: SyntaxIssue[]; failure: string | null } {
  const fast = sllParser();
  if (fast) {
    try {
      return { ast: parseSll(fast, content), issues: [], failure: null };
    } catch {
      /* undecidable for SLL or a real syntax error: the LL parser says which */
    }
  }
  try {
    return { ast: parse(content, STRICT), issues: [], failure: null };
  } catch (strictErr) {
    // Pre-0.4 forms the grammar no longer accepts, rewritten only when parsing failed.
    const legacy = legacyFixups(content);
    if (legacy !== content) {
      try {
        return { ast: parse(legacy, STRICT), issues: [], failure: null };
      } catch {
        /* report the original error below */
      }
    }
    const issues = ((strictErr as { errors?: SyntaxIssue[] }).errors ?? []).filter((e) => typeof e.line === 'number');
    try {
      const ast = parse(content, TOLERANT) as SourceUnit & { errors?: SyntaxIssue[] };
      const more = ast.errors ?? [];
      return { ast: ast.children.length > 0 ? ast : null, issues: issues.length > 0 ? issues : more, failure: (strictErr as Error).message };
    } catch {
      return { ast: null, issues, failure: (strictErr as Error).message };
    }
  }
}

/**
 * Very old syntax, kept on the same lines: a modifier placeholder without its semicolon
 * (`_ }`; with no space before the brace the line gains one column) and the assembly assignment
 * written `x: = y`.
 */
export function legacyFixups(content: string): string {
  return content.replace(/(^|[\s{;])_(\s*)(?=\})/g, (_m: string, pre: string, ws: string) => `${pre}_;${ws.slice(1)}`).replace(/:(\s+)=(?!=)/g, (_m: string, ws: string) => `:=${ws}`);
}

type V = [number, number, number];
const cmp = (a: V, b: V): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Reads `pragma solidity` into bounds; several pragmas intersect, `||` alternatives unite. */
export function versionOf(ast: SourceUnit): VersionRange {
  const pragmas = ast.children.filter((c): c is Extract<typeof c, { type: 'PragmaDirective' }> => c.type === 'PragmaDirective' && c.name === 'solidity');
  if (pragmas.length === 0) return { text: null, min: null, max: null, floating: false };
  let min: V | null = null;
  let max: V | null = null;
  let floating = false;
  const texts: string[] = [];
  for (const p of pragmas) {
    texts.push(p.value);
    const r = rangeOf(p.value);
    floating ||= r.floating;
    if (r.min && (!min || cmp(r.min, min) > 0)) min = r.min;
    if (r.max && (!max || cmp(r.max, max) < 0)) max = r.max;
  }
  return { text: texts.join(' '), min, max, floating };
}

/** Whether one `pragma solidity` value admits more than one compiler release (^, ~, >=, an open range). */
export const pragmaFloats = (value: string): boolean => rangeOf(value).floating;

function rangeOf(value: string): { min: V | null; max: V | null; floating: boolean } {
  const alternatives = value.split('||');
  let min: V | null = null;
  let max: V | null = null;
  let floating = false;
  let unbounded = false;
  for (const alt of alternatives) {
    let amin: V | null = null;
    let amax: V | null = null;
    const re = /(\^|~|>=|<=|>|<|=)?\s*v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/g;
    for (const m of alt.matchAll(re)) {
      const op = m[1] ?? '=';
      const v: V = [Number(m[2]), m[3] && /\d/.test(m[3]) ? Number(m[3]) : 0, m[4] && /\d/.test(m[4]) ? Number(m[4]) : 0];
      if (op === '^') {
        floating = true;
        amin = v;
        amax = v[0] > 0 ? [v[0] + 1, 0, 0] : [0, v[1] + 1, 0];
      } else if (op === '~') {
        floating = true;
        amin = v;
        amax = [v[0], v[1] + 1, 0];
      } else if (op === '>=' || op === '>') {
        floating = true;
        amin = op === '>' ? [v[0], v[1], v[2] + 1] : v;
      } else if (op === '<') amax = v;
      else if (op === '<=') amax = [v[0], v[1], v[2] + 1];
      else {
        amin = v;
        amax = [v[0], v[1], v[2] + 1];
      }
    }
    if (amin && (!min || cmp(amin, min) < 0)) min = amin;
    if (!amax) unbounded = true;
    else if (!max || cmp(amax, max) > 0) max = amax;
  }
  return { min, max: unbounded ? null : max, floating };
}

/** Whether checked arithmetic (0.8+) is certain, impossible, or depends on the compiler chosen. */
export function arithmeticMode(v: VersionRange): 'checked' | 'unchecked' | 'unknown' {
  const eight: V = [0, 8, 0];
  if (v.min && cmp(v.min, eight) >= 0) return 'checked';
  if (v.max && cmp(v.max, eight) <= 0) return 'unchecked';
  if (v.min && cmp(v.min, eight) < 0) return 'unknown';
  return 'unknown';
}

/** True when every compiler the pragma allows is older than `[major, minor, patch]`. */
export function versionBelow(v: VersionRange, bound: V): boolean {
  if (v.max) return cmp(v.max, bound) <= 0;
  return false;
}

/** True when the lowest compiler the pragma allows is older than `bound` (or no pragma). */
export function mayBeBelow(v: VersionRange, bound: V): boolean {
  if (!v.min) return true;
  return cmp(v.min, bound) < 0;
}
