/** Weak randomness, timestamp dependence, front-running, storage pointers, shadowing, deprecated constructs, pragma. */
import type { BinaryOperation, FunctionCall, PragmaDirective } from '@solidity-parser/parser/dist/src/ast-types';
import { returnsOf, args, asNode, calleeName, isMember, line, nameOf, rootIdentifier, some, textOf, typeText, variablesOf, walk, type Node } from '../ast';
import { isBlockValue, isTimestamp, orderedEffects, type ContractInfo, type FnInfo } from '../model';
import { mayBeBelow, versionBelow } from '../parse';
import { fnLabel, unitsOf, type Detector, type DetectorContext } from './types';

const HASHES = new Set(['keccak256', 'sha3', 'sha256', 'ripemd160']);

/** Per contract: state variables assigned from block values (they carry no secret either). */
function blockDerivedState(ctx: ContractInfo): Set<string> {
  const out = new Set<string>();
  for (const v of ctx.state.values()) if (v.node.expression && some(v.node.expression, isBlockValue)) out.add(v.name);
  return out;
}

/** SWC-120 (randomness) and SWC-116 (timestamp dependence), one walk over every expression. */
export const blockValues: Detector = ({ p, report }) => {
  // State variable initialisers: `uint salt = block.timestamp;`
  for (const c of p.contracts) {
    for (const v of c.ownState.values()) {
      if (!v.node.expression || !some(v.node.expression, isBlockValue)) continue;
      // `deadline = now + 30 days` is a time, not a seed; a value that feeds a hash-made number or a modulo is.
      const entropy = c.functions.some((fn) => usedAsEntropy(fn.node.body, v.name)) || p.contracts.some((d) => d.linear.includes(c) && d.functions.some((fn) => usedAsEntropy(fn.node.body, v.name)));
      const seedLike = entropy || some(v.node.expression, (n) => isBlockValue(n) && !isTimestamp(n));
      if (seedLike) report({
        detector: 'weak-randomness',
        swc: 'SWC-120',
        category: 'bad_randomness',
        severity: entropy ? 'high' : 'low',
        confidence: 'medium',
        at: v.node,
        file: c.file.path,
        contract: c,
        fn: null,
        title: `${v.name} is seeded from block values`,
        description: `State variable ${v.name} is initialised from block data that miners and every observer know in advance.`,
        recommendation: 'Use a verifiable randomness source (VRF) or commit-reveal.',
      });
      if (some(v.node.expression, isTimestamp)) {
        report({
          detector: 'timestamp-dependence',
          swc: 'SWC-116',
          category: 'time_manipulation',
          severity: 'low',
          confidence: 'medium',
          at: v.node,
          file: c.file.path,
          contract: c,
          fn: null,
          title: `${v.name} starts from the deployment block's timestamp`,
          description: 'The block producer chooses the timestamp within a small window.',
          recommendation: 'Acceptable for coarse times; do not derive outcomes from it.',
        });
      }
    }
  }
  for (const { ctx, fn } of unitsOf(p)) {
    const src = p.src(fn);
    const f = p.facts(ctx, fn);
    const stateFromBlock = blockDerivedState(ctx);
    // Locals derived from block values, flow-insensitively.
    const tainted = new Set<string>();
    const taintedExpr = (e: Node | null | undefined): boolean => some(e, (x) => isBlockValue(x) || (x.type === 'Identifier' && !!x.name && (tainted.has(x.name) || stateFromBlock.has(x.name))));
    for (let pass = 0; pass < 2; pass++) {
      for (const [name, l] of f.locals) if (l.init && taintedExpr(l.init)) tainted.add(name);
      walk(fn.node.body, (x) => {
        if (x.type === 'BinaryOperation' && x.operator === '=' && x.left?.type === 'Identifier' && x.left.name && f.locals.has(x.left.name) && taintedExpr(x.right)) tainted.add(x.left.name);
      });
    }
    const base = { file: fn.contract.file.path, contract: fn.contract, fn };
    const seenLines = new Set<number>();
    // The nearest 13 enclosing nodes decide how a block value is used.
    const visit = (n: Node, parents: readonly Node[]): void => {
      const direct = isBlockValue(n);
      const viaLocal = n.type === 'Identifier' && !!n.name && (tainted.has(n.name) || stateFromBlock.has(n.name)) && !f.locals.get(n.name)?.decl.isStateVar;
      if (n.type === 'BinaryOperation' && n.operator === '%' && some(n.left, (x) => isMember(x, 'msg', 'sender'))) {
        report({ ...base, detector: 'weak-randomness', swc: 'SWC-120', category: 'bad_randomness', severity: 'medium', confidence: 'medium', at: n, title: 'Randomness from the caller address', description: `${fnLabel(fn)} picks with ${textOf(src, n)}; the caller chooses its own address.`, recommendation: 'Use a verifiable randomness source (VRF) or commit-reveal.' });
      }
      if (direct || viaLocal) {
        // A hash used as a number (uint(keccak256(...)), % n, a "seed") is randomness; as an id or key it is not.
        const hashAt = parents.findIndex((x) => x.type === 'FunctionCall' && HASHES.has(calleeName(x) ?? '') && x.expression?.type === 'Identifier');
        const returnsNumber = returnsOf(fn.node).some((r) => /^u?int\d*$/.test(typeText(r.typeName)));
        const declaresEntropy = (x: Node): boolean => (x.type === 'VariableDeclarationStatement' && (variablesOf(x) ?? []).some((v) => !!v?.name && usedAsEntropy(fn.node.body, v.name))) || (x.type === 'BinaryOperation' && x.operator === '=' && !!rootIdentifier(x.left)?.name && usedAsEntropy(fn.node.body, rootIdentifier(x.left)?.name ?? ''));
        const inHash = hashAt >= 0 && parents.slice(0, hashAt).some((x) => (x.type === 'FunctionCall' && /^u?int\d*$/.test(nameOf(x.expression) ?? '')) || (x.type === 'BinaryOperation' && x.operator === '%') || declaresEntropy(x) || (x.type === 'ReturnStatement' && returnsNumber));
        // x % 2**32 truncates; it does not pick an outcome.
        const inMod = parents.some((x) => x.type === 'BinaryOperation' && x.operator === '%' && !isPowerOfTwoWidth(x.right) && !isCalendarMath(x));
        const blockhash = direct && (isMember(n, 'block', 'blockhash') || (n.type === 'FunctionCall' && calleeName(n) === 'blockhash' && n.expression?.type === 'Identifier'));
        const namedRandom = parents.some(declaresEntropy);
        const ts = direct ? isTimestamp(n) : false;
        // uint b = block.number; ... keccak256(blockhash(b), ...): the assignment is where the entropy comes from.
        const declParent = [...parents].reverse().find((x) => x.type === 'VariableDeclarationStatement');
        const feedsHash = direct && declParent?.type === 'VariableDeclarationStatement' && (variablesOf(declParent) ?? []).some((v) => !!v?.name && usedAsEntropy(fn.node.body, v.name));
        const storedBlock = direct && !ts && parents.some((x) => (x.type === 'BinaryOperation' && x.operator === '=' && !!rootIdentifier(x.left)?.name && ctx.state.has(rootIdentifier(x.left)?.name ?? '')) || (x.type === 'FunctionCall' && calleeName(x) === 'push'));
        if (inHash || inMod || blockhash || namedRandom || feedsHash || storedBlock) {
          report({
            ...base,
            detector: 'weak-randomness',
            swc: 'SWC-120',
            category: 'bad_randomness',
            severity: inHash || inMod || namedRandom || feedsHash ? 'high' : 'low',
            confidence: direct ? 'high' : 'medium',
            at: n,
            title: 'Randomness from block values',
            description: `${fnLabel(fn)} derives a value from ${textOf(src, n)}${inHash ? ' through a hash' : inMod ? ' with a modulo' : ''}; block data is public and miners can influence it, so the outcome can be predicted or chosen.`,
            recommendation: 'Use a verifiable randomness source (VRF) or commit-reveal.',
          });
        }
        if (ts || (viaLocal && n.name && f.locals.get(n.name)?.init && some(f.locals.get(n.name)?.init, isTimestamp))) {
          const cmpEq = parents.some((x) => x.type === 'BinaryOperation' && (x.operator === '==' || x.operator === '!='));
          const inCondition = parents.some((x) => isConditionOf(x, parents, n)) || parents.some((x) => x.type === 'BinaryOperation' && ['<', '>', '<=', '>=', '==', '!='].includes(x.operator ?? ''));
          const stored = parents.some((x) => (x.type === 'BinaryOperation' && x.operator === '=' && !!rootIdentifier(x.left)?.name && ctx.state.has(rootIdentifier(x.left)?.name ?? '')) || (x.type === 'ReturnStatement' && x.expression === n));
          const ln = line(n);
          if ((inCondition || inHash || inMod || stored) && !seenLines.has(ln)) {
            seenLines.add(ln);
            report({
              ...base,
              detector: 'timestamp-dependence',
              swc: 'SWC-116',
              category: 'time_manipulation',
              severity: inHash || inMod ? 'medium' : 'low',
              confidence: 'medium',
              at: n,
              title: inHash || inMod ? 'Block timestamp used as entropy' : cmpEq ? 'Exact comparison with the block timestamp' : 'Logic depends on the block timestamp',
              description: `${fnLabel(fn)} uses ${textOf(src, n)}${inCondition ? ' in a condition' : stored ? ' as stored state' : ''}; the block producer can shift it by several seconds.`,
              recommendation: inHash || inMod || cmpEq ? 'Do not derive outcomes from the timestamp.' : 'Acceptable for coarse deadlines (vesting, expiries); avoid where seconds matter.',
            });
          }
        }
      }
    };
    walk(fn.node.body, (n, _parent, ancestors) => visit(n, ancestors.slice(-13)), { declarationParts: true });
  }
};

/** (now / 1 hours) % 24, now % 1 days: time-unit arithmetic, not a draw. */
function isCalendarMath(mod: BinaryOperation): boolean {
  const l = mod.left?.type === 'TupleExpression' ? asNode(mod.left.components?.[0]) : mod.left;
  if (l?.type === 'BinaryOperation' && l.operator === '/') return true;
  const r = mod.right;
  return r?.type === 'NumberLiteral' && /^(seconds|minutes|hours|days|weeks|years)$/.test(String(r.subdenomination ?? ''));
}

function isPowerOfTwoWidth(n: Node | undefined): boolean {
  if (!n) return false;
  if (n.type === 'TupleExpression' && n.components?.length === 1) return isPowerOfTwoWidth(asNode(n.components[0]) ?? undefined);
  if (n.type === 'BinaryOperation' && n.operator === '**' && n.left?.type === 'NumberLiteral' && n.left.number === '2') return true;
  if (n.type === 'NumberLiteral' || n.type === 'HexNumber') {
    try {
      const v = BigInt(String((n.type === 'NumberLiteral' ? n.number : n.value) ?? ''));
      return v >= 256n && (v & (v - 1n)) === 0n;
    } catch {
      return false;
    }
  }
  return false;
}

/** Whether a local flows into a hash, a modulo or blockhash() in this body. */
function usedAsEntropy(body: Node | null | undefined, name: string): boolean {
  const mentions = (x: Node): boolean => some(x, (y) => y.type === 'Identifier' && y.name === name);
  return some(body, (x) => {
    if (x.type === 'BinaryOperation' && x.operator === '%') return mentions(x);
    if (x.type === 'FunctionCall' && calleeName(x) === 'blockhash') return mentions(x);
    // uint(keccak256(... name ...)): a hash turned into a number.
    if (x.type === 'FunctionCall' && /^u?int\d*$/.test(nameOf(x.expression) ?? '')) return some(x, (h) => h.type === 'FunctionCall' && HASHES.has(calleeName(h) ?? '') && mentions(h));
    return false;
  });
}

function isConditionOf(x: Node, _parents: readonly Node[], _n: Node): boolean {
  return (x.type === 'FunctionCall' && (calleeName(x) === 'require' || calleeName(x) === 'assert')) || x.type === 'IfStatement' || x.type === 'WhileStatement' || x.type === 'Conditional';
}

/** SWC-114: transaction-order dependence: approve race, rewards read from mutable state, solutions sent in the clear. */
export const frontRunning: Detector = ({ p, report }) => {
  for (const ctx of p.contracts) {
    if (!ctx.isLeaf || ctx.kind === 'interface' || ctx.kind === 'library') continue;
    const entries = p.entries(ctx).filter((e) => !(e.mutability === 'view' || e.mutability === 'pure' || e.mutability === 'constant'));
    // Which scalar state variables each entry writes.
    const writers = new Map<string, Set<FnInfo>>();
    for (const e of entries) {
      for (const { effect } of orderedEffects(p, ctx, e)) {
        if (effect.kind !== 'write') continue;
        const set = writers.get(effect.name) ?? new Set();
        set.add(e);
        writers.set(effect.name, set);
      }
    }
    for (const entry of entries) {
      const f = p.facts(ctx, entry);
      const base = { file: entry.contract.file.path, contract: entry.contract, fn: entry, swc: 'SWC-114', category: 'front_running' as const };
      // ERC-20 approve race: an entry taking (spender, amount) that overwrites a caller's
      // allowance table entry (mapping(address => mapping(address => uint))) without requiring it
      // to be zero first.
      const params = entry.node.parameters ?? [];
      if (params.length === 2 && typeText(params[0]?.typeName) === 'address' && /^uint\d*$/.test(typeText(params[1]?.typeName))) {
        const allowanceWrite = orderedEffects(p, ctx, entry).find(
          (x) => x.effect.kind === 'write' && x.effect.node.type === 'BinaryOperation' && x.effect.node.operator === '=' && /^mapping\(address=>mapping\(address=>uint\d*\)\)$/.test(ctx.state.get(x.effect.name)?.typeText ?? '') && x.effect.node.left?.type === 'IndexAccess' && x.effect.node.left.base?.type === 'IndexAccess',
        );
        const zeroCheck = f.conditions.some((c) => some(c.expr, (n) => n.type === 'NumberLiteral' && n.number === '0') && some(c.expr, (n) => n.type === 'IndexAccess'));
        if (allowanceWrite && allowanceWrite.effect.kind === 'write' && !zeroCheck) {
          const sameFile = allowanceWrite.fn.contract.file === entry.contract.file;
          report({
            ...base,
            detector: 'approve-race',
            severity: 'low',
            confidence: 'medium',
            at: line(entry.node),
            to: sameFile && allowanceWrite.fn === entry ? allowanceWrite.effect.node : line(entry.node),
            file: entry.contract.file.path,
            title: 'ERC-20 approve race',
            description: `${fnLabel(entry)} lets an allowance be overwritten; a spender who sees the change pending can spend the old allowance first and the new one after.`,
            recommendation: 'Require the allowance to be zero before changing it, or offer increaseAllowance/decreaseAllowance.',
          });
        }
      }
      // Payouts whose amount is state another transaction can change first.
      for (const call of f.extCalls) {
        if (!call.withValue || (call.kind !== 'transfer' && call.kind !== 'send' && call.kind !== 'call')) continue;
        const amount = call.kind === 'call' ? valueArg(call.node) : args(call.node)[0];
        if (!amount || amount.type !== 'Identifier' || !amount.name || !ctx.state.has(amount.name) || f.locals.has(amount.name)) continue;
        const w = [...(writers.get(amount.name) ?? [])].filter((e) => orderedEffects(p, ctx, e).some((x) => x.effect.kind === 'write' && x.effect.name === amount.name && x.effect.node.type === 'BinaryOperation' && x.effect.node.operator === '=' && some(x.effect.node.right, (y) => isMember(y, 'msg', 'value') || (y.type === 'Identifier' && !!y.name && e.params.has(y.name)))));
        if (w.length === 0) continue;
        report({
          ...base,
          detector: 'transaction-order',
          severity: 'medium',
          confidence: 'medium',
          at: call.node,
          title: `Payout of ${amount.name} depends on transaction order`,
          description: `${fnLabel(entry)} pays ${amount.name}, which ${w.map((x) => x.name || x.kind).join(', ')} can set; whoever gets mined first decides what is paid.`,
          recommendation: 'Fix the amount per round, or let callers state the amount they expect.',
        });
      }
      // Solutions compared in the clear: hash(solution) == answer, then a payout or the caller recorded as winner.
      const pays = f.extCalls.some((c) => c.withValue);
      const namesWinner = f.effects.some((e) => e.kind === 'write' && e.node.type === 'BinaryOperation' && e.node.operator === '=' && isMember(e.node.right, 'msg', 'sender'));
      if (pays || namesWinner) {
        for (const c of f.conditions) {
          // A hash that binds the sender (commit-reveal) cannot be copied by someone else.
          const hashOfParam = some(c.expr, (eq) => eq.type === 'BinaryOperation' && (eq.operator === '==' || eq.operator === '!=') && some(eq, (n) => n.type === 'FunctionCall' && HASHES.has(calleeName(n) ?? '') && args(n).some((a) => some(a, (x) => x.type === 'Identifier' && !!x.name && entry.params.has(x.name))) && !some(n, (x) => isMember(x, 'msg', 'sender'))));
          if (!hashOfParam) continue;
          report({
            ...base,
            detector: 'revealed-solution',
            severity: 'medium',
            confidence: 'medium',
            at: c.node,
            title: 'Answer revealed in a pending transaction',
            description: `${fnLabel(entry)} pays whoever submits the preimage; the answer is visible in the mempool and can be copied with a higher gas price.`,
            recommendation: 'Use commit-reveal (submit a hash bound to the sender first, reveal later).',
          });
        }
      }
      // Choices stored in plain text by a payable game entry.
      if (entry.mutability === 'payable' && entry.params.size > 0) {
        for (const { effect, fn } of orderedEffects(p, ctx, entry)) {
          if (effect.kind !== 'write' || fn !== entry || effect.node.type !== 'BinaryOperation') continue;
          const value = effect.node.right;
          const storesParam = some(value, (x) => x.type === 'Identifier' && !!x.name && entry.params.has(x.name) && !/address/.test(String(nameOf(entry.params.get(x.name)) ?? '')));
          if (!storesParam || !some(value, (x) => isMember(x, 'msg', 'sender'))) continue;
          report({
            ...base,
            detector: 'plaintext-commitment',
            severity: 'low',
            confidence: 'low',
            at: effect.node,
            title: 'Player choice stored in plain text',
            description: `${fnLabel(entry)} stores the caller's choice in storage, which is public: the next player (or a miner) can read it before choosing.`,
            recommendation: 'Use commit-reveal: store a hash of the choice with a secret, reveal later.',
          });
        }
      }
    }
  }
};

function valueArg(call: FunctionCall): Node | null {
  let e: Node | null | undefined = call.expression;
  while (e?.type === 'FunctionCall') {
    if (e.expression?.type === 'MemberAccess' && e.expression.memberName === 'value') return args(e)[0] ?? null;
    e = e.expression?.type === 'MemberAccess' ? e.expression.expression : null;
  }
  if (e?.type === 'NameValueExpression') {
    const nv = e.arguments;
    const i = (nv?.names ?? []).indexOf('value');
    return i >= 0 ? (nv?.arguments?.[i] ?? null) : null;
  }
  return null;
}

/** SWC-109 uninitialised storage pointers, SWC-119 shadowed state, SWC-111 deprecated, SWC-102 outdated compiler. */
export const codeQuality: Detector = (dc: DetectorContext) => {
  const { p, report } = dc;
  for (const { ctx, fn } of unitsOf(p)) {
    if (!mayBeBelow(fn.contract.file.version, [0, 5, 0])) continue;
    const f = p.facts(ctx, fn);
    const src = p.src(fn);
    for (const [name, l] of f.locals) {
      const t = l.type;
      if (l.init || l.storage || l.decl.type !== 'VariableDeclaration' || fn.params.has(name)) continue;
      if (returnsOf(fn.node).some((r) => r.name === name)) continue;
      const refType = t && (t.type === 'ArrayTypeName' || t.type === 'Mapping' || (t.type === 'UserDefinedTypeName' && p.structs.has((t.namePath ?? '').split('.').pop() ?? '')));
      if (!refType) continue;
      const uses: Node[] = [];
      walk(fn.node.body, (n) => {
        if (n.type === 'BinaryOperation' && (n.operator ?? '').endsWith('=') && !['==', '<=', '>=', '!='].includes(n.operator ?? '') && rootIdentifier(n.left)?.name === name && n.left?.type !== 'Identifier') uses.push(n);
      });
      report({
        detector: 'uninitialized-storage',
        swc: 'SWC-109',
        category: 'other',
        severity: 'high',
        confidence: 'high',
        at: l.decl,
        to: uses.length > 0 ? uses[uses.length - 1] : undefined,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: `Uninitialised storage pointer ${name}`,
        description: `${fnLabel(fn)} declares ${textOf(src, l.decl)} without a location; old compilers make it a storage pointer to slot 0, so writing it${uses.length > 0 ? ` (${uses.map((u) => `line ${line(u)}`).join(', ')})` : ''} overwrites the first state variables.`,
        recommendation: 'Declare it memory, or point it at a real storage element.',
      });
    }
  }
  for (const c of p.contracts) {
    const file = c.file.path;
    // Shadowed state variables (allowed before 0.6).
    for (const [name, v] of c.ownState) {
      const base = c.linear.slice(1).find((b) => b.ownState.has(name) && b.ownState.get(name)?.node.visibility !== 'private');
      // From 0.6 the compiler rejects shadowing, so only older code can have it.
      if (!base || !mayBeBelow(c.file.version, [0, 6, 0])) continue;
      report({
        detector: 'shadowed-state',
        swc: 'SWC-119',
        category: 'other',
        severity: v.constant ? 'low' : 'medium',
        confidence: 'high',
        at: v.node,
        file,
        contract: c,
        fn: null,
        title: `State variable ${name} shadows ${base.name}.${name}`,
        description: `${c.name} declares ${name} again; functions of ${base.name} keep using their own copy, so the two silently diverge.`,
        recommendation: 'Remove the duplicate declaration and use the inherited variable.',
      });
    }
    // Deprecated constructs.
    walk(c.node, (n) => {
      let what: string | null = null;
      if (n.type === 'ThrowStatement') what = 'throw';
      else if (n.type === 'FunctionCall' && n.expression?.type === 'Identifier' && (n.expression.name === 'suicide' || n.expression.name === 'sha3')) what = n.expression.name;
      else if (n.type === 'MemberAccess' && ((n.memberName === 'blockhash' && nameOf(n.expression) === 'block') || (n.memberName === 'gas' && nameOf(n.expression) === 'msg') || n.memberName === 'callcode')) what = `${nameOf(n.expression) ?? ''}.${n.memberName}`;
      else if (n.type === 'FunctionDefinition' && n.stateMutability === 'constant') what = 'constant functions';
      else if (n.type === 'VariableDeclarationStatement' && (variablesOf(n) ?? []).some((v) => nameOf(v?.typeName) === 'var')) what = 'var';
      if (!what) return;
      report({
        detector: 'deprecated',
        swc: 'SWC-111',
        category: 'other',
        severity: 'info',
        confidence: 'high',
        at: n.type === 'FunctionDefinition' ? line(n) : n,
        file,
        contract: c,
        fn: null,
        title: `Deprecated construct: ${what}`,
        description: `${what} is deprecated and removed from later compilers.`,
        recommendation: 'Use revert/require, selfdestruct, keccak256, blockhash, gasleft(), view/pure, explicit types.',
      });
    });
  }
  for (const file of p.files) {
    const v = file.version;
    const pragma = file.ast.children?.find((c): c is PragmaDirective => c.type === 'PragmaDirective' && c.name === 'solidity');
    if (!pragma) continue;
    if (versionBelow(v, [0, 8, 0])) {
      report({
        detector: 'outdated-compiler',
        swc: 'SWC-102',
        category: 'other',
        severity: versionBelow(v, [0, 5, 0]) ? 'low' : 'info',
        confidence: 'high',
        at: pragma,
        file: file.path,
        contract: null,
        fn: null,
        title: 'Outdated compiler',
        description: `pragma solidity ${v.text ?? ''} targets a compiler without checked arithmetic and with known bugs fixed later.`,
        recommendation: 'Compile with a recent 0.8.x release.',
      });
    }
  }
};

const BIDI = /[\u202A-\u202E\u2066-\u2069]/;

/**
 * Source text that does not say what it does: SWC-130 right-to-left override and other bidi
 * controls (the text shown is not the code compiled), SWC-129 `x =+ y` / `x =- y` typos (an
 * assignment of +y / -y where `+=` / `-=` was meant).
 */
export const misleadingText: Detector = ({ p, report }) => {
  for (const file of p.files) {
    file.content.split('\n').forEach((text, i) => {
      if (!BIDI.test(text)) return;
      report({
        detector: 'bidi-override',
        swc: 'SWC-130',
        category: 'other',
        severity: 'high',
        confidence: 'high',
        at: i + 1,
        file: file.path,
        contract: null,
        fn: null,
        title: 'Right-to-left override character in the source',
        description: 'A Unicode bidirectional control character makes the text read differently from the code the compiler sees (arguments or comments appear reordered).',
        recommendation: 'Remove the control character; review the line as the compiler reads it.',
      });
    });
  }
  for (const { ctx, fn } of unitsOf(p)) {
    void ctx;
    const src = p.src(fn);
    walk(fn.node.body, (n) => {
      if (n.type !== 'BinaryOperation' || n.operator !== '=' || n.right?.type !== 'UnaryOperation' || !['+', '-'].includes(n.right.operator ?? '') || !n.left?.range || !n.right.range) return;
      const between = src.slice(n.left.range[1] + 1, n.right.range[0] + 1);
      // `x =+ 1` / `x =-1`: the sign glued to `=`, which reads as `+=` / `-=` turned round.
      if (!/=[+-]$/.test(between.replace(/\s+$/, ''))) return;
      report({
        detector: 'assignment-typo',
        swc: 'SWC-129',
        category: 'other',
        severity: 'medium',
        confidence: 'medium',
        at: n,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: `Assignment of a signed value where ${n.right.operator}= was likely meant`,
        description: `${textOf(src, n)} assigns ${n.right.operator}${textOf(src, n.right.subExpression)} instead of adding to or subtracting from ${textOf(src, n.left)}.`,
        recommendation: `Write ${n.right.operator}= if the value should accumulate; otherwise write = ${n.right.operator}x with a space to show intent.`,
      });
    });
  }
};
