/** SWC-101: integer overflow/underflow where the compiler does not check (before 0.8, or inside unchecked blocks). */
import type { BinaryOperation, UnaryOperation } from '@solidity-parser/parser/dist/src/ast-types';
import { asNode, isMember, rootIdentifier, some, textOf, variablesOf, walk, type Node } from '../ast';
import type { FnInfo, Project, ContractInfo } from '../model';
import { arithmeticMode } from '../parse';
import { lower, unitsOf, type Detector } from './types';

const OPS = new Set(['+', '-', '*', '+=', '-=', '*=']);
const isLiteral = (n: Node | null | undefined): boolean =>
  !!n && (n.type === 'NumberLiteral' || n.type === 'HexNumber' || (n.type === 'TupleExpression' && (n.components ?? []).every((c) => isLiteral(asNode(c)))) || (n.type === 'BinaryOperation' && isLiteral(n.left) && isLiteral(n.right)));

export const arithmetic: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const mode = arithmeticMode(fn.contract.file.version);
    const body = fn.node.body;
    if (!body) continue;
    if (mode === 'checked' && !some(body, (n) => n.type === 'UncheckedStatement')) continue;
    const src = p.src(fn);
    const f = p.facts(ctx, fn);
    const constants = new Set([...ctx.state.values()].filter((v) => v.constant).map((v) => v.name));
    const isConst = (n: Node | null | undefined): boolean => isLiteral(n) || (n?.type === 'Identifier' && constants.has(n.name ?? ''));
    const loopCounters = new Set<Node>();
    for (const loop of f.loops) if (loop.type === 'ForStatement' && loop.loopExpression) walk(loop.loopExpression, (n) => void loopCounters.add(n));

    const consider = (n: BinaryOperation | UnaryOperation, inUnchecked: boolean, parents: readonly Node[]): void => {
      const op = n.operator ?? '';
      let left: Node | undefined;
      let right: Node | undefined;
      if (n.type === 'UnaryOperation') {
        if (op !== '++' && op !== '--') return;
        if (loopCounters.has(n)) return;
        left = n.subExpression;
      } else {
        if (!OPS.has(op)) return;
        if (loopCounters.has(n)) return;
        left = n.left;
        right = n.right;
      }
      if (!left) return;
      if (isConst(left) && (right === undefined || isConst(right))) return;
      // Inside a string/bytes concatenation or a type-level expression there is no integer to overflow.
      if (parents.some((x) => x.type === 'IndexRangeAccess')) return;
      const sub = op === '-' || op === '-=' || op === '--';
      if (guarded(p, ctx, fn, n, left, right, sub)) return;
      const assignTarget = n.type === 'UnaryOperation' || op.endsWith('=') ? left : assignmentTargetOf(n, parents);
      const stateName = assignTarget ? rootIdentifier(assignTarget)?.name : null;
      const writesState = !!stateName && (ctx.state.has(stateName) && !f.locals.has(stateName) || f.storageAliases.has(stateName));
      const operands = [left, right].filter((x): x is Node => !!x);
      // Caller-chosen: a parameter of an externally callable function (or a local made from one), or msg.value.
      const isEntryFn = fn.kind !== 'modifier' && fn.kind !== 'constructor' && fn.visibility !== 'internal' && fn.visibility !== 'private';
      const userInput = operands.some((o) => some(o, (x) => (isEntryFn && x.type === 'Identifier' && !!x.name && f.paramDerived.has(x.name)) || isMember(x, 'msg', 'value')));
      if (ternaryGuarded(src, parents, n, left, right, sub)) return;
      const counterStep = n.type === 'UnaryOperation' || (right !== undefined && isLiteral(right) && right.type === 'NumberLiteral' && Number(right.number) === 1);
      const timeMath = operands.some((o) => some(o, (x) => (x.type === 'Identifier' && x.name === 'now') || isMember(x, 'block', 'timestamp') || isMember(x, 'block', 'number'))) && operands.some((o) => isConst(o));
      const lengthMinusOne = sub && some(left, (x) => x.type === 'MemberAccess' && x.memberName === 'length') && isLiteral(right);
      let severity: 'high' | 'medium' | 'low' = writesState ? (userInput ? 'high' : 'low') : userInput ? 'medium' : 'low';
      // Adding ether amounts (msg.value) cannot reach 2^256: all the ether in existence is far below.
      const onlyEther = !sub && op !== '*' && op !== '*=' && operands.some((o) => some(o, (x) => isMember(x, 'msg', 'value'))) && !operands.some((o) => some(o, (x) => x.type === 'Identifier' && !!x.name && f.paramDerived.has(x.name) && fn.params.has(x.name)));
      if (counterStep || timeMath || lengthMinusOne || onlyEther) severity = 'low';
      if (fn.mutability === 'view' || fn.mutability === 'pure' || fn.mutability === 'constant') severity = severity === 'high' ? 'medium' : 'low';
      // In 0.8 code an unchecked block is a deliberate choice: only an unguarded, caller-driven
      // subtraction stored in state is worth more than a note.
      const isEntry = fn.kind === 'function' && (fn.visibility === 'public' || fn.visibility === 'external');
      const entryParam = isEntry && operands.some((o) => some(o, (x) => x.type === 'Identifier' && !!x.name && fn.params.has(x.name)));
      let final: 'high' | 'medium' | 'low' | 'info' = severity;
      if (inUnchecked && mode === 'checked') final = sub && writesState && entryParam && !mentionedBefore(p, ctx, fn, n, right) ? 'medium' : entryParam ? 'low' : 'info';
      else if (mode === 'unknown') final = lower(severity) === 'info' ? 'low' : lower(severity);
      // No operand a caller chooses: accumulators, fee growth, timestamps, internal bookkeeping.
      // Wrapping there is the author's arithmetic, not a path for an attacker: a note, not a finding.
      if (!userInput) final = 'info';
      const kind = sub ? 'underflow' : 'overflow';
      report({
        detector: 'integer-overflow',
        swc: 'SWC-101',
        category: 'arithmetic',
        severity: final,
        confidence: userInput ? 'medium' : 'low',
        at: n,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: `Integer ${kind} in ${textOf(src, n)}`,
        description: `${textOf(src, n)} is ${inUnchecked ? 'inside an unchecked block' : 'compiled without overflow checks (Solidity < 0.8)'} and nothing bounds its operands first${writesState ? `; the result is stored in ${stateName}` : ''}.`,
        recommendation: inUnchecked ? 'Move the operation out of unchecked, or check the bound before it.' : 'Use SafeMath (or Solidity 0.8+), or require the bound before the operation.',
      });
    };
    // How an operation is used is read from its nearest 8 enclosing nodes (the block of an
    // `unchecked` statement not counted).
    walk(body, (n, _parent, ancestors) => {
      if (n.type !== 'BinaryOperation' && n.type !== 'UnaryOperation') return;
      const inUnchecked = ancestors.some((x) => x.type === 'UncheckedStatement');
      if (mode === 'checked' && !inUnchecked) return;
      consider(n, inUnchecked, ancestors.filter((x, i) => !(x.type === 'Block' && ancestors[i - 1]?.type === 'UncheckedStatement')).slice(-8));
    }, { declarationParts: true });
  }
};

/** Text without enclosing parentheses: (a-b) and a-b are the same operand. */
const bare = (t: string): string => {
  let x = t;
  while (x.startsWith('(') && x.endsWith(')')) x = x.slice(1, -1);
  return x;
};

/** a > b ? a - b : 0 */
function ternaryGuarded(src: string, parents: readonly Node[], n: Node, left: Node, right: Node | undefined, sub: boolean): boolean {
  if (!right) return false;
  const L = bare(textOf(src, left));
  const R = bare(textOf(src, right));
  return parents.some((x) => {
    if (x.type !== 'Conditional' || !x.condition || some(x.condition, (y) => y === n)) return false;
    const c = x.condition;
    if (c.type !== 'BinaryOperation' || !['<', '>', '<=', '>='].includes(c.operator ?? '')) return false;
    const a = bare(textOf(src, c.left));
    const b = bare(textOf(src, c.right));
    void sub;
    return ((a.includes(L) && b.includes(R)) || (a.includes(R) && b.includes(L)));
  });
}

function assignmentTargetOf(n: Node, parents: readonly Node[]): Node | null {
  for (let i = parents.length - 1; i >= 0; i--) {
    const p = parents[i];
    if (!p) break;
    if (p.type === 'BinaryOperation' && (p.operator ?? '').endsWith('=') && !['==', '<=', '>=', '!='].includes(p.operator ?? '')) return p.left ?? null;
    if (p.type === 'VariableDeclarationStatement') return null;
    if (p.type.endsWith('Statement') || p.type === 'Block') return null;
    if (p.type === 'FunctionCall') return null;
  }
  return null;
}

/**
 * The operation is safe when a condition relates its operands (require(a >= b); a - b), or the
 * result is checked afterwards the way SafeMath does (c = a + b; require(c >= a)).
 */
function guarded(p: Project, ctx: ContractInfo, fn: FnInfo, n: Node, left: Node, right: Node | undefined, sub: boolean): boolean {
  const src = p.src(fn);
  const f = p.facts(ctx, fn);
  const L = bare(textOf(src, left));
  const R = right ? bare(textOf(src, right)) : '';
  const start = n.range?.[0] ?? 0;
  const resultVar = resultVariable(fn, n);
  for (const c of f.conditions) {
    const texts: { op: string; a: string; b: string }[] = [];
    walk(c.expr, (x) => {
      if (x.type === 'BinaryOperation' && ['<', '>', '<=', '>=', '==', '!='].includes(x.operator ?? '')) texts.push({ op: x.operator ?? '', a: textOf(src, x.left), b: textOf(src, x.right) });
    });
    const cStart = c.node.range?.[0] ?? 0;
    const enclosing = (c.node.range?.[0] ?? 0) <= start && (c.node.range?.[1] ?? 0) >= (n.range?.[1] ?? 0);
    for (const t of texts) {
      const mentions = (s: string): boolean => s !== '' && (t.a.includes(s) || t.b.includes(s));
      const apart = R !== '' && ((t.a.includes(L) && t.b.includes(R)) || (t.a.includes(R) && t.b.includes(L)));
      if (cStart < start || enclosing) {
        if (sub && apart) return true;
        if (!sub && apart && (t.op === '<=' || t.op === '<' || t.op === '>=' || t.op === '>')) return true;
        if (R === '1' && mentions(L) && t.op !== '>=' && !(t.b === '0' || t.a === '0')) return true;
      } else if (resultVar && cStart > start) {
        // c = a + b; require(c >= a)   or   c = a * b; require(c / a == b)
        const isOperand = (x: string): boolean => x === L || x === R;
        if ((t.a === resultVar && isOperand(t.b)) || (t.b === resultVar && isOperand(t.a))) return true;
        if ((t.a.startsWith(`${resultVar}/`) && isOperand(t.b)) || (t.b.startsWith(`${resultVar}/`) && isOperand(t.a))) return true;
      }
    }
  }
  return false;
}

/** Whether any condition before `n` mentions the operand at all (the author checked it somewhere). */
function mentionedBefore(p: Project, ctx: ContractInfo, fn: FnInfo, n: Node, operand: Node | undefined): boolean {
  if (!operand) return false;
  const src = p.src(fn);
  const t = textOf(src, operand);
  const start = n.range?.[0] ?? 0;
  return p.facts(ctx, fn).conditions.some((c) => (c.node.range?.[0] ?? 0) < start && textOf(src, c.expr).includes(t));
}

function resultVariable(fn: FnInfo, n: Node): string | null {
  let found: string | null = null;
  walk(fn.node.body, (x) => {
    if (found) return false;
    if (x.type === 'VariableDeclarationStatement' && x.initialValue === n) {
      const declared = variablesOf(x)?.[0]?.name;
      if (declared) found = declared;
    }
    if (x.type === 'BinaryOperation' && x.operator === '=' && x.right === n && x.left?.type === 'Identifier') found = x.left.name ?? null;
    return true;
  });
  return found;
}
