/**
 * Code hygiene with a security edge: pragmas (missing, floating), state variables without a
 * visibility in old code, dead code (unused locals, unused private functions, statements after
 * a return or revert), hard-coded gas, and `assert` on what a caller chooses.
 */
import { args, calleeName, endLine, isMember, line, statementsOf, subNodesOf, variablesOf, walk, type Node } from '../ast';
import type { ContractInfo, FnInfo } from '../model';
import { pragmaFloats, versionBelow } from '../parse';
import { fnLabel, type Detector } from './types';

/** Every function and modifier with code, once (not once per contract that inherits it). */
function* ownFunctions(contracts: readonly ContractInfo[]): Generator<FnInfo> {
  for (const c of contracts) {
    if (c.kind === 'interface') continue;
    for (const fn of [...c.functions, ...c.modifiers]) if (fn.node.body) yield fn;
  }
}

/** SWC-103: a file without `pragma solidity`, and each pragma line that admits several compilers. */
export const pragmas: Detector = ({ p, report }) => {
  for (const file of p.files) {
    const top = file.ast.children ?? [];
    const lines = top.flatMap((c) => (c.type === 'PragmaDirective' && c.name === 'solidity' ? [c] : []));
    if (lines.length === 0) {
      const first = top.find((c) => c.type === 'ContractDefinition' || c.type === 'FunctionDefinition');
      if (!first) continue;
      // Code that runs (a contract or library with bodies) is compiled by whatever compiler is at hand.
      const hasCode = top.some((c) => c.type === 'ContractDefinition' && c.kind !== 'interface' && (subNodesOf(c) ?? []).some((s) => s.type === 'FunctionDefinition' && !!s.body));
      report({
        detector: 'missing-pragma',
        swc: 'SWC-103',
        category: 'other',
        severity: hasCode ? 'low' : 'info',
        confidence: 'high',
        at: line(first),
        file: file.path,
        contract: null,
        fn: null,
        title: 'No pragma solidity',
        description: 'The file does not say which compiler it was written for; any release, with other semantics (checked arithmetic, constructors, visibility defaults), may compile it.',
        recommendation: 'Add `pragma solidity` pinned to the compiler used for testing and deployment.',
      });
      continue;
    }
    for (const pragma of lines) {
      const value = String(pragma.value ?? '');
      if (!pragmaFloats(value)) continue;
      report({
        detector: 'floating-pragma',
        swc: 'SWC-103',
        category: 'other',
        severity: 'info',
        confidence: 'high',
        at: pragma,
        file: file.path,
        contract: null,
        fn: null,
        title: 'Floating pragma',
        description: `pragma solidity ${value} lets the code be compiled with compilers it was not tested with.`,
        recommendation: 'Pin the compiler version used for deployment (libraries meant for reuse may keep a range).',
      });
    }
  }
};

/** SWC-108: state variables without a visibility in code for compilers before 0.5. */
export const stateVisibility: Detector = ({ p, report }) => {
  for (const c of p.contracts) {
    if (c.kind === 'interface' || !versionBelow(c.file.version, [0, 5, 0])) continue;
    for (const v of c.ownState.values()) {
      if (v.constant || (v.node.visibility ?? 'default') !== 'default') continue;
      report({
        detector: 'state-default-visibility',
        swc: 'SWC-108',
        category: 'other',
        severity: 'low',
        confidence: 'high',
        at: v.node,
        file: c.file.path,
        contract: c,
        fn: null,
        title: `State variable ${v.name} has no visibility`,
        description: `${c.name}.${v.name} declares no visibility; it is internal by default, which may not be what the author meant (and every state variable is readable on chain anyway).`,
        recommendation: 'Declare the visibility of every state variable explicitly.',
      });
    }
  }
};

const ENDS_FLOW = (s: Node): boolean =>
  s.type === 'ReturnStatement' ||
  s.type === 'RevertStatement' ||
  s.type === 'ThrowStatement' ||
  s.type === 'BreakStatement' ||
  s.type === 'ContinueStatement' ||
  (s.type === 'ExpressionStatement' && s.expression?.type === 'FunctionCall' && s.expression.expression?.type === 'Identifier' && (calleeName(s.expression) === 'revert' || calleeName(s.expression) === 'selfdestruct'));

/** Strips comments and string literals so a name in them does not count as a use. */
const codeOnly = (text: string): string => text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, ' ');
const mentions = (text: string, name: string): number => (codeOnly(text).match(new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g')) ?? []).length;
const slice = (src: string, n: Node): string => src.slice(n.range?.[0] ?? 0, (n.range?.[1] ?? -1) + 1);

/** SWC-131 / SWC-135: unused local variables and private functions, statements no path reaches. */
export const deadCode: Detector = ({ p, report }) => {
  for (const fn of ownFunctions(p.contracts)) {
    const src = p.src(fn);
    const body = fn.node.body;
    const base = { category: 'other' as const, confidence: 'high' as const, file: fn.contract.file.path, contract: fn.contract, fn };
    // Locals declared and never read or written again (assembly included: the text is searched).
    walk(body, (n) => {
      if (n.type !== 'VariableDeclarationStatement') return;
      for (const v of variablesOf(n) ?? []) {
        if (!v?.name || !body?.range || !n.range) continue;
        const after = src.slice(n.range[1] + 1, body.range[1] + 1);
        if (mentions(after, v.name) > 0) continue;
        report({ ...base, detector: 'unused-variable', swc: 'SWC-131', severity: 'info', at: n, title: `Unused local variable ${v.name}`, description: `${fnLabel(fn)} declares ${v.name} and never uses it.`, recommendation: 'Remove it, or use it where it was meant to be used.' });
      }
    });
    // Statements after a return, revert or break in the same block never run.
    walk(body, (n) => {
      const list = n.type === 'Block' ? (statementsOf(n) ?? []) : [];
      const stop = list.findIndex(ENDS_FLOW);
      if (stop < 0 || stop === list.length - 1) return;
      const first = list[stop + 1];
      const last = list[list.length - 1];
      if (!first || !last) return;
      report({ ...base, detector: 'unreachable-code', swc: 'SWC-135', severity: 'low', at: first, to: last, title: 'Unreachable code', description: `In ${fnLabel(fn)}, the statements from line ${line(first)} to ${endLine(last)} follow a statement that always leaves the block; they never run, so what they were meant to do does not happen.`, recommendation: 'Remove the dead statements, or move them before the return/revert if they are needed.' });
    });
  }
  for (const c of p.contracts) {
    if (c.kind === 'interface') continue;
    const text = slice(c.file.content, c.node);
    for (const fn of c.functions) {
      if (fn.visibility !== 'private' || !fn.name || !fn.node.body) continue;
      const own = slice(c.file.content, fn.node);
      // Uses are the mentions outside the function's own definition (recursion does not count).
      if (mentions(text, fn.name) - mentions(own, fn.name) > 0) continue;
      report({ detector: 'unused-function', swc: 'SWC-131', category: 'other', severity: 'info', confidence: 'high', at: line(fn.node), file: c.file.path, contract: c, fn, title: `Unused private function ${fn.name}`, description: `${fnLabel(fn)} is private and nothing in ${c.name} calls it: dead code that reviewers still have to read.`, recommendation: 'Remove it, or call it where it was meant to be called.' });
    }
  }
};

const isLiteralNumber = (n: Node | null | undefined): boolean => !!n && (n.type === 'NumberLiteral' || n.type === 'HexNumber' || (n.type === 'BinaryOperation' && isLiteralNumber(n.left) && isLiteralNumber(n.right)));

/** SWC-134: gas amounts fixed in the code (transfer/send's 2300 stipend, `{gas: N}`, `.gas(N)`): gas costs change between forks. */
export const hardCodedGas: Detector = ({ p, report }) => {
  for (const fn of ownFunctions(p.contracts)) {
    const stipends = new Set<Node>();
    for (const ctx of [fn.contract]) for (const call of p.facts(ctx, fn).extCalls) if (call.kind === 'transfer' || call.kind === 'send') stipends.add(call.node);
    walk(fn.node.body, (n) => {
      let what: string | null = null;
      if (n.type === 'FunctionCall' && stipends.has(n)) what = `${calleeName(n) ?? 'send'} forwards a fixed 2300 gas`;
      else if (n.type === 'NameValueExpression') {
        const nv = n.arguments;
        const i = (nv?.names ?? []).indexOf('gas');
        const amount = i >= 0 ? nv?.arguments?.[i] : undefined;
        if (isLiteralNumber(amount)) what = 'the call is given a fixed amount of gas';
      } else if (n.type === 'FunctionCall' && n.expression?.type === 'MemberAccess' && n.expression.memberName === 'gas' && !isMember(n.expression, 'msg', 'gas') && isLiteralNumber(args(n)[0])) what = 'the call is given a fixed amount of gas';
      if (!what) return;
      report({
        detector: 'hard-coded-gas',
        swc: 'SWC-134',
        category: 'other',
        severity: 'info',
        confidence: 'high',
        at: n,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: 'Hard-coded gas amount',
        description: `In ${fnLabel(fn)} ${what}; repricing of opcodes (as in past forks) can make the recipient or callee run out of gas, so the call fails where it used to work.`,
        recommendation: 'Forward gas with call{value: v}("") and check the result (guard against reentrancy), instead of relying on a fixed stipend.',
      });
    });
  }
};

/** SWC-110: `assert` on a value the caller chooses; a failed assert reads as a bug (and before 0.8 burns all gas). */
export const assertOnInput: Detector = ({ p, report }) => {
  for (const fn of ownFunctions(p.contracts)) {
    if (fn.contract.kind === 'library' || fn.kind === 'modifier' || fn.kind === 'constructor') continue;
    if (!['public', 'external', 'default'].includes(fn.visibility) && fn.kind === 'function') continue;
    const f = p.facts(fn.contract, fn);
    // A parameter or msg.value / msg.data anywhere, or the caller compared with something (as a
    // lookup key, msg.sender only picks which entry an invariant is checked for).
    const callerChosen = (e: Node): boolean => {
      let found = false;
      walk(e, (x, parent) => {
        if (isMember(x, 'msg', 'value') || isMember(x, 'msg', 'data') || (x.type === 'Identifier' && !!x.name && fn.params.has(x.name))) found = true;
        if (isMember(x, 'msg', 'sender') && parent?.type === 'BinaryOperation' && (parent.operator === '==' || parent.operator === '!=')) found = true;
        return !found;
      });
      return found;
    };
    for (const c of f.conditions) {
      if (c.node.type !== 'FunctionCall' || calleeName(c.node) !== 'assert' || c.node.expression?.type !== 'Identifier' || !callerChosen(c.expr)) continue;
      report({
        detector: 'assert-on-input',
        swc: 'SWC-110',
        category: 'other',
        severity: 'low',
        confidence: 'medium',
        at: c.node,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: 'assert on a caller-controlled condition',
        description: `${fnLabel(fn)} asserts a condition on what the caller passes; assert is for invariants that can never fail, so a failure reads as a bug in the contract${versionBelow(fn.contract.file.version, [0, 8, 0]) ? ' and consumes all the gas of the transaction' : ''}.`,
        recommendation: 'Validate inputs with require (or if ... revert) and keep assert for internal invariants.',
      });
    }
  }
};
