/** Reentrancy, unchecked low-level calls, delegatecall targets, and denial of service through calls and loops. */
import { modifiersOf, args, asNode, calleeName, endLine, expressionOf, is, line, nameOf, rootIdentifier, some, textOf, variablesOf, walk, type Node } from '../ast';
import { orderedEffects, type ContractInfo, type ExtCall, type FnInfo } from '../model';
import { fnLabel, unitsOf, type Detector } from './types';

const isPayingCall = (c: ExtCall): boolean => c.withValue;

/** SWC-107: state written after an external call that hands control (and gas) to another contract. */
export const reentrancy: Detector = ({ p, report }) => {
  for (const ctx of p.contracts) {
    if (!ctx.isLeaf || ctx.kind === 'interface' || ctx.kind === 'library') continue;
    for (const entry of p.entries(ctx)) {
      if (entry.mutability === 'view' || entry.mutability === 'pure' || entry.mutability === 'constant') continue;
      const effects = orderedEffects(p, ctx, entry);
      // A lock anywhere on the path (entry or an internal function it calls) serialises the whole call.
      const onPath = new Set<FnInfo>([entry, ...effects.map((e) => e.fn)]);
      if ([...onPath].some((f) => modifiersOf(f.node).some((m) => isLockModifier(p, ctx, m.name ?? '')))) continue;
      const entryGuarded = p.guardsOf(ctx, entry).length > 0;
      const readsBefore = new Set<string>();
      for (let i = 0; i < effects.length; i++) {
        const cur = effects[i];
        if (!cur) continue;
        const { effect, fn } = cur;
        if (effect.kind === 'read') readsBefore.add(effect.name);
        if (effect.kind !== 'ext') continue;
        const call = effect.call;
        if (call.readOnly || call.kind === 'staticcall' || call.kind === 'delegatecall' || call.kind === 'callcode') continue;
        // send/transfer forward only the 2300-gas stipend: effects after them are a weaker form.
        const stipend = call.kind === 'send' || call.kind === 'transfer';
        if (call.targetKind === 'self') continue;
        if (internalGuarded(p, ctx, fn)) continue;
        const writes: { name: string; node: Node; fn: FnInfo }[] = [];
        for (const later of effects.slice(i + 1)) if (later.effect.kind === 'write') writes.push({ name: later.effect.name, node: later.effect.node, fn: later.fn });
        if (writes.length === 0) continue;
        const readThenWritten = writes.some((w) => readsBefore.has(w.name));
        const untrusted = call.targetKind === 'sender' || call.targetKind === 'param' || call.targetKind === 'other';
        let severity: 'high' | 'medium' | 'low';
        if (call.kind === 'call' && isPayingCall(call)) severity = untrusted && readThenWritten ? 'high' : 'medium';
        else if (call.kind === 'call') severity = untrusted ? 'medium' : 'low';
        // A typed call to the caller's own contract is the classic re-entry point; token calls to a
        // listed asset are left as low (the asset's code is fixed and known).
        else severity = call.targetKind === 'sender' ? 'medium' : 'low';
        // Executors (target and calldata both chosen by the caller, e.g. governance execute) call out by design.
        const executor = call.kind === 'call' && args(call.node).some((a) => a.type !== 'StringLiteral' && some(a, (n) => n.type === 'Identifier' && !!n.name && p.facts(ctx, fn).paramDerived.has(n.name)));
        if (entryGuarded || executor) severity = 'low';
        if (stipend) {
          if (!readThenWritten) continue;
          severity = 'low';
        }
        const sameFile = writes.filter((w) => w.fn.contract.file === fn.contract.file);
        const last = sameFile.length > 0 ? Math.max(...sameFile.map((w) => endLine(w.node))) : endLine(call.node);
        const names = [...new Set(writes.map((w) => w.name))].slice(0, 4).join(', ');
        // One finding per flaw. A call made by a modifier belongs to every function it guards: the
        // range runs from the call to the last write, through the guarded function's header.
        const viaModifier = fn.kind === 'modifier' && entry.contract.file === fn.contract.file;
        const via = fn === entry ? '' : viaModifier ? ` (modifier ${fn.name} of ${fnLabel(entry)}, before its body runs)` : ` (reached from ${fnLabel(entry)})`;
        const from = viaModifier ? Math.min(line(call.node), line(entry.node)) : line(call.node);
        report({
          detector: 'reentrancy',
          swc: 'SWC-107',
          category: 'reentrancy',
          severity,
          confidence: call.kind === 'call' ? 'high' : 'medium',
          at: from,
          to: Math.max(last, endLine(call.node), viaModifier ? line(entry.node) : 0),
          file: fn.contract.file.path,
          contract: viaModifier ? entry.contract : fn.contract,
          fn: viaModifier ? entry : fn,
          title: stipend ? `State written after ${call.kind} (relies on the 2300-gas stipend)` : call.kind === 'call' ? 'Reentrancy: state written after a low-level call' : `Reentrancy: state written after an external call to ${call.method ?? 'another contract'}`,
          description: `${fnLabel(fn)}${via} calls ${textOf(p.src(fn), call.target) || 'an external address'}${isPayingCall(call) ? ' sending ether with all remaining gas' : ''} and afterwards writes ${names}. The callee can re-enter ${fnLabel(entry)} before that state is updated.`,
          recommendation: viaModifier ? 'Do not call untrusted contracts from modifiers; apply checks-effects-interactions or a reentrancy lock.' : 'Apply checks-effects-interactions (update state before the call) or guard the function with a reentrancy lock.',
        });
      }
    }
  }
};

/** A lock in the function itself (require(!locked); locked = true) counts like a nonReentrant modifier. */
function internalGuarded(p: Parameters<Detector>[0]['p'], ctx: ContractInfo, fn: FnInfo): boolean {
  const f = p.facts(ctx, fn);
  const written = new Set(f.effects.flatMap((e) => (e.kind === 'write' ? [e.name] : [])));
  return f.conditions.some((c) => c.gate && some(c.expr, (n) => n.type === 'Identifier' && !!n.name && !f.locals.has(n.name) && ctx.state.has(n.name) && written.has(n.name)));
}

/** Writes storage: a state variable, or a raw slot (sstore/tstore, a StorageSlot's `.value`). */
const writesSlot = (p: Parameters<Detector>[0]['p'], fn: FnInfo): boolean => /\b[st]store\s*\(|\.value\s*=[^=]/.test(p.src(fn).slice(fn.node.range?.[0] ?? 0, (fn.node.range?.[1] ?? 0) + 1));

/**
 * A reentrancy lock, however it is written: a modifier that checks something and writes storage
 * before its placeholder (directly or in the helpers it calls) and writes again after it. A
 * modifier whose code is not in the sources is judged by the usual naming.
 */
function isLockModifier(p: Parameters<Detector>[0]['p'], ctx: ContractInfo, name: string): boolean {
  const mod = p.resolveModifier(ctx, name);
  if (!mod) return UNSEEN_LOCK.test(name);
  const effects = orderedEffects(p, ctx, mod);
  const at = effects.findIndex((e) => e.effect.kind === 'placeholder');
  if (at < 0) return false;
  const before = effects.slice(0, at);
  const after = effects.slice(at + 1);
  const fnsBefore = new Set<FnInfo>([mod, ...before.map((e) => e.fn), ...before.flatMap((e) => (e.effect.kind === 'internal' ? [e.effect.fn] : []))]);
  const fnsAfter = new Set<FnInfo>([...after.map((e) => e.fn), ...after.flatMap((e) => (e.effect.kind === 'internal' ? [e.effect.fn] : []))]);
  const checks = [...fnsBefore].some((f) => p.facts(ctx, f).conditions.some((c) => c.gate));
  const setsBefore = before.some((e) => e.effect.kind === 'write') || [...fnsBefore].some((f) => f !== mod && writesSlot(p, f));
  const setsAfter = after.some((e) => e.effect.kind === 'write') || [...fnsAfter].some((f) => f !== mod && writesSlot(p, f));
  return checks && setsBefore && setsAfter;
}

const UNSEEN_LOCK = /nonreentrant|noreentran|reentrancyguard|lock/i;

/** SWC-104: the success flag of call/send/delegatecall dropped; checked low-level calls noted at info. */
export const uncheckedCalls: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    // `addr.call.value(x);` configures a call and never makes it.
    walk(fn.node.body, (n) => {
      const e = n.type === 'ExpressionStatement' ? n.expression : null;
      if (e?.type !== 'FunctionCall' || e.expression?.type !== 'MemberAccess' || !['value', 'gas'].includes(e.expression.memberName ?? '')) return;
      const inner = e.expression.expression;
      if (inner?.type !== 'MemberAccess' || !['call', 'delegatecall', 'callcode'].includes(inner.memberName ?? '')) return;
      report({
        detector: 'call-never-made',
        swc: 'SWC-104',
        category: 'unchecked_low_level_calls',
        severity: 'medium',
        confidence: 'high',
        at: n,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: `${inner.memberName}.${e.expression.memberName}(...) is never invoked`,
        description: `${fnLabel(fn)} prepares a ${inner.memberName} but omits the final (): nothing is sent and nothing is checked.`,
        recommendation: 'Invoke the call and check its result.',
      });
    });
    const parents = parentMap(fn.node.body);
    for (const call of p.facts(ctx, fn).extCalls) {
      if (call.kind === 'high' || call.kind === 'transfer') continue;
      const base = { file: fn.contract.file.path, contract: fn.contract, fn, at: call.node, swc: 'SWC-104', category: 'unchecked_low_level_calls', confidence: 'high' } as const;
      const unchecked = { ...base, detector: 'unchecked-call', severity: 'medium' } as const;
      const ignored = call.checked ? failureIgnored(call.node, parents, fn.node.body) : null;
      if (ignored) {
        report({
          ...unchecked,
          to: ignored.at,
          title: `Failure of ${call.kind} checked but ignored`,
          description: `${fnLabel(fn)} looks at whether ${call.kind} succeeded but ${ignored.why}; a failed ${call.kind === 'send' ? 'payment' : 'call'} is treated as done.`,
          recommendation: 'Revert on failure (require the flag), or record what is owed so it can be retried.',
        });
      } else if (!call.checked) {
        report({
          ...unchecked,
          title: `Unchecked return value of ${call.kind}`,
          description: `${fnLabel(fn)} ignores whether ${call.kind} succeeded; a failed ${call.kind === 'send' ? 'transfer' : 'call'} is silently treated as done.`,
          recommendation: 'Check the returned success flag (require it, or handle the failure), or use a call that reverts on failure.',
        });
      } else if (call.kind === 'call' || call.kind === 'delegatecall' || call.kind === 'callcode') {
        report({
          ...base,
          detector: 'low-level-call',
          severity: 'info',
          title: `Low-level ${call.kind}`,
          description: `${fnLabel(fn)} uses a low-level ${call.kind}; its success flag is checked.`,
          recommendation: 'Prefer typed interface calls where possible.',
        });
      }
    }
  }
};

const isTrue = (n: Node | null | undefined): boolean => n?.type === 'BooleanLiteral' && n.value === true;

/** Each node's parent, for reading what surrounds a call. */
function parentMap(body: Node | null | undefined): Map<Node, Node> {
  const out = new Map<Node, Node>();
  walk(body, (n, parent) => {
    if (parent) out.set(n, parent);
  });
  return out;
}

const isEmptyBlock = (s: Node | null | undefined): boolean => !!s && s.type === 'Block' && (s.statements ?? []).length === 0;
const leavesBlock = (s: Node | null | undefined): boolean =>
  !!s && (s.type === 'RevertStatement' || s.type === 'ThrowStatement' || (s.type === 'ExpressionStatement' && s.expression?.type === 'FunctionCall' && calleeName(s.expression) === 'revert') || (s.type === 'Block' && leavesBlock(asNode(s.statements?.[s.statements.length - 1]))));

/**
 * A success flag that is looked at but changes nothing on failure: `x.send(v) || true`, an
 * empty failure branch (`if (!x.send(v)) {}`), a branch that reverts on success instead of
 * failure, or the same through a local that holds the flag. Null when failure is handled.
 */
function failureIgnored(call: Node, parents: Map<Node, Node>, body: Node | null | undefined): { at: Node; why: string } | null {
  const judge = (use: Node): { at: Node; why: string } | null => {
    let cur = use;
    let negated = false;
    for (;;) {
      const up = parents.get(cur);
      if (!up) return null;
      if (up.type === 'TupleExpression' && up.components?.length === 1) cur = up;
      else if (up.type === 'UnaryOperation' && up.operator === '!') {
        negated = !negated;
        cur = up;
      } else if (up.type === 'BinaryOperation' && (up.operator === '==' || up.operator === '!=') && (up.left?.type === 'BooleanLiteral' || up.right?.type === 'BooleanLiteral')) {
        const lit = up.left?.type === 'BooleanLiteral' ? up.left : up.right;
        if ((is(lit, 'BooleanLiteral') && lit.value === false) !== (up.operator === '!=')) negated = !negated;
        cur = up;
      } else break;
    }
    const up = parents.get(cur);
    if (!up) return null;
    if (up.type === 'BinaryOperation' && up.operator === '||' && (up.left?.type === 'BooleanLiteral' || up.right?.type === 'BooleanLiteral') && (isTrue(up.left) || isTrue(up.right))) return { at: up, why: 'ORs it with true, so the result is always success' };
    if (up.type === 'IfStatement' && up.condition === cur) {
      const onFailure = negated ? up.trueBody : up.falseBody;
      const onSuccess = negated ? up.falseBody : up.trueBody;
      if (isEmptyBlock(onFailure)) return { at: up, why: 'does nothing when it failed' };
      if (!onFailure && leavesBlock(onSuccess)) return { at: up, why: 'reverts when it succeeded and carries on when it failed' };
    }
    return null;
  };
  const direct = judge(call);
  if (direct) return direct;
  // bool ok = x.send(v); if (!ok) {} — every use of the flag ignores a failure.
  const decl = parents.get(call);
  const name = decl?.type === 'VariableDeclarationStatement' && decl.initialValue === call ? variablesOf(decl)?.[0]?.name : null;
  if (!name) return null;
  const uses: Node[] = [];
  walk(body, (n) => {
    if (n.type === 'Identifier' && n.name === name) uses.push(n);
  });
  const verdicts = uses.map(judge);
  const [first] = verdicts;
  return verdicts.length > 0 && verdicts.every((v) => v) ? (first ?? null) : null;
}

/** SWC-112: delegatecall whose target or payload the caller controls. */
export const delegatecall: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const f = p.facts(ctx, fn);
    for (const call of f.extCalls) {
      if (call.kind !== 'delegatecall' && call.kind !== 'callcode') continue;
      const who = p.reach(ctx, fn).who;
      const dataFromCaller = args(call.node).some((a) => some(a, (n) => (n.type === 'MemberAccess' && n.memberName === 'data' && nameOf(n.expression) === 'msg') || (n.type === 'Identifier' && !!n.name && f.paramDerived.has(n.name))));
      const isEntry = fn.visibility === 'public' || fn.visibility === 'external' || fn.visibility === 'default';
      // An internal helper's parameter is whatever its callers pass; only an entry's parameter is the caller's choice.
      const targetControlled = call.targetKind === 'sender' || (call.targetKind === 'param' && isEntry && fn.kind === 'function');
      // abi.encodeWithSignature("fixed(...)", ...) fixes the function; raw bytes let the caller pick it.
      const fixedSelector = args(call.node).some((a) => a.type === 'FunctionCall' && /^(encodeWithSignature|encodeWithSelector|encodeCall)$/.test(calleeName(a) ?? '') && ['StringLiteral', 'MemberAccess', 'Identifier'].includes(args(a)[0]?.type ?? ''));
      const paramsAsData = !fixedSelector && args(call.node).some((a) => some(a, (n) => n.type === 'Identifier' && !!n.name && f.paramDerived.has(n.name)));
      // initialize(logic, data) behind require(implementation == 0) runs once, at deployment.
      const onceOnly = f.conditions.some((c) => c.gate && some(c.expr, (n) => n.type === 'BinaryOperation' && n.operator === '==' && (isZeroAddress(n.right) || isZeroAddress(n.left))));
      let severity: 'high' | 'medium' | 'low' | 'info';
      // address(this).delegatecall(data): a multicall into the contract's own functions, each with its own checks.
      if (call.targetKind === 'self') severity = 'info';
      // A proxy forwarding to the implementation it stores: the design, not a flaw (who may change it is another finding).
      else if (call.targetKind === 'state' && !targetControlled) severity = 'info';
      else if (onceOnly) severity = 'low';
      else if (targetControlled && who === 'anyone') severity = 'high';
      else if (paramsAsData && isEntry && fn.kind === 'function' && who === 'anyone') severity = 'medium';
      else severity = 'low';
      report({
        detector: 'delegatecall',
        swc: 'SWC-112',
        category: 'access_control',
        severity,
        confidence: targetControlled ? 'high' : 'medium',
        at: call.node,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: targetControlled ? 'Delegatecall to a caller-supplied address' : 'Delegatecall with caller-controlled data',
        description: `${fnLabel(fn)} runs code of ${textOf(p.src(fn), call.target)} in this contract's storage${targetControlled ? '; the caller chooses that address' : dataFromCaller ? '; the caller chooses which function and arguments' : ''}. Callable by ${who}.`,
        recommendation: 'Delegate only to a fixed, trusted implementation and restrict which functions can be reached.',
      });
    }
  }
};

/** SWC-113 / SWC-128: calls in loops, loops over arrays anyone can grow, a failing transfer that blocks progress. */
export const denialOfService: Detector = ({ p, report }) => {
  // State arrays that any account can grow with push (per-key arrays only hurt their own key).
  const growable = new Map<string, Set<string>>();
  for (const { ctx, fn } of unitsOf(p)) {
    if (p.reach(ctx, fn).who !== 'anyone') continue;
    const f = p.facts(ctx, fn);
    for (const e of f.effects) {
      if (e.kind !== 'write' || e.node.type !== 'FunctionCall' || calleeName(e.node) !== 'push') continue;
      const recv = expressionOf(e.node.expression);
      if (recv?.type === 'Identifier' && recv.name) {
        const set = growable.get(ctx.name) ?? new Set();
        set.add(recv.name);
        growable.set(ctx.name, set);
      }
    }
  }
  for (const { ctx, fn } of unitsOf(p)) {
    if (fn.mutability === 'view' || fn.mutability === 'pure' || fn.mutability === 'constant') continue;
    const f = p.facts(ctx, fn);
    const who = p.reach(ctx, fn).who;
    const file = fn.contract.file.path;
    for (const call of f.extCalls) {
      if (!call.inLoop || call.readOnly) continue;
      const paying = call.withValue;
      report({
        detector: 'call-in-loop',
        swc: 'SWC-113',
        category: 'denial_of_service',
        severity: paying && call.kind !== 'high' && who === 'anyone' && !args(call.node).some((a) => a.type !== 'StringLiteral' && some(a, (n) => n.type === 'Identifier' && !!n.name && f.paramDerived.has(n.name))) ? 'medium' : 'low',
        confidence: 'medium',
        at: call.node,
        file,
        contract: fn.contract,
        fn,
        title: paying ? 'Ether transfer inside a loop' : 'External call inside a loop',
        description: `${fnLabel(fn)} calls out inside a loop; one failing or gas-hungry recipient ${paying ? 'blocks every payment in the batch' : 'reverts the whole loop'}.`,
        recommendation: 'Let recipients withdraw (pull payments) or bound and isolate each call so one failure does not block the rest.',
      });
    }
    for (const loop of f.loops) {
      const cond = loop.type === 'ForStatement' ? loop.conditionExpression : loop.condition;
      const overState = [...(growable.get(ctx.name) ?? [])].find((name) => some(cond, (n) => n.type === 'MemberAccess' && n.memberName === 'length' && n.expression?.type === 'Identifier' && n.expression.name === name));
      const bodyPushes = some(loop.body, (n) => n.type === 'FunctionCall' && calleeName(n) === 'push' && !!rootIdentifier(expressionOf(n.expression))?.name && ctx.state.has(rootIdentifier(expressionOf(n.expression))?.name ?? ''));
      const byParam = some(cond, (n) => n.type === 'Identifier' && !!n.name && fn.params.get(n.name)?.type === 'ElementaryTypeName');
      const writesState = some(loop.body, (n) => (n.type === 'BinaryOperation' && (n.operator ?? '').endsWith('=') && n.operator !== '==' && !!rootIdentifier(n.left)?.name && ctx.state.has(rootIdentifier(n.left)?.name ?? '')) || (n.type === 'MemberAccess' && n.memberName === 'length' && !!nameOf(n.expression) && ctx.state.has(nameOf(n.expression) ?? '')));
      let why: string | null = null;
      if (overState) why = `iterates over ${overState}, which any account can grow`;
      else if (bodyPushes && who === 'anyone') why = 'grows a storage array on every iteration';
      else if (byParam && writesState && who === 'anyone') why = 'runs as many storage writes as the caller asks for';
      if (!why) continue;
      // The storage written on every iteration is part of the same flaw: named in its description.
      const written = new Set<string>();
      walk(loop.body, (n) => {
        const grows = (n.type === 'FunctionCall' && calleeName(n) === 'push') || (n.type === 'BinaryOperation' && (n.operator ?? '').endsWith('=') && !['==', '<=', '>=', '!='].includes(n.operator ?? ''));
        const name = rootIdentifier(n.type === 'FunctionCall' ? expressionOf(n.expression) : n.type === 'BinaryOperation' ? n.left : undefined)?.name;
        if (grows && name && ctx.state.has(name) && !f.locals.has(name)) written.add(name);
      });
      report({
        detector: 'unbounded-loop',
        swc: 'SWC-128',
        category: 'denial_of_service',
        severity: who === 'anyone' ? 'medium' : 'low',
        confidence: 'medium',
        at: line(loop),
        to: endLine(loop),
        file,
        contract: fn.contract,
        fn,
        title: 'Loop with unbounded gas cost',
        description: `A loop in ${fnLabel(fn)} ${why}${written.size > 0 ? ` and writes ${[...written].slice(0, 4).join(', ')} on every iteration` : ''}; once it needs more gas than a block holds the function can never complete.`,
        recommendation: 'Bound the iterations, paginate the work, or use a pull pattern.',
      });
    }
    // Resetting an array anyone can grow (x = new T[](0), delete x) costs gas per element.
    const grown = growable.get(ctx.name) ?? new Set<string>();
    if (grown.size > 0) {
      walk(fn.node.body, (n, _parent, parents) => {
        const target = n.type === 'BinaryOperation' && n.operator === '=' && some(n.right, (x) => x.type === 'NewExpression') ? n.left : n.type === 'UnaryOperation' && n.operator === 'delete' ? n.subExpression : null;
        if (target?.type !== 'Identifier' || !target.name || !grown.has(target.name)) return;
        const guardIf = [...parents].reverse().find((x) => x.type === 'IfStatement' && some(x.condition, (y) => y.type === 'MemberAccess' && y.memberName === 'length'));
        report({
          detector: 'array-reset',
          swc: 'SWC-128',
          category: 'denial_of_service',
          severity: who === 'anyone' ? 'medium' : 'low',
          confidence: 'low',
          at: guardIf ?? n,
          to: guardIf ? endLine(guardIf) : n,
          file,
          contract: fn.contract,
          fn,
          title: `Clearing ${target.name} costs gas for every element`,
          description: `${fnLabel(fn)} resets ${target.name}, which any account can grow; past a size the reset exceeds the block gas limit and the function is stuck.`,
          recommendation: 'Bound the array, or track a start index instead of clearing storage.',
        });
      }, { declarationParts: true });
    }
    // require(current.send(x)) / current.transfer(x) to a stored address any account can take
    // over (the previous leader): one refusing recipient blocks everyone.
    if (who !== 'anyone') continue;
    for (const call of f.extCalls) {
      if (call.inLoop || !call.withValue || call.targetKind !== 'state') continue;
      // A single stored recipient (the current leader), not one entry of a table of users.
      const targetVar = call.target?.type === 'Identifier' ? call.target.name : null;
      if (!targetVar || !anyoneWrites(p, ctx, targetVar)) continue;
      if (!(call.kind === 'transfer' || call.kind === 'send' || call.kind === 'call')) continue;
      const required = call.kind === 'transfer' || f.conditions.some((c) => c.gate && some(c.expr, (n) => n === call.node));
      if (!required) continue;
      report({
        detector: 'blocking-transfer',
        swc: 'SWC-113',
        category: 'denial_of_service',
        severity: 'medium',
        confidence: 'medium',
        at: call.node,
        file,
        contract: fn.contract,
        fn,
        title: 'A failing payment to a stored address blocks the function',
        description: `${fnLabel(fn)} must pay ${textOf(p.src(fn), call.target)} before anyone else can proceed; a recipient contract that rejects ether blocks the function for everybody.`,
        recommendation: 'Record what is owed and let the recipient withdraw it.',
      });
    }
  }
};

/** Whether an entry any account can call writes the state variable. */
function anyoneWrites(p: Parameters<Detector>[0]['p'], ctx: ContractInfo, name: string): boolean {
  return p.entries(ctx).some((e) => p.reach(ctx, e).who === 'anyone' && orderedEffects(p, ctx, e).some((x) => x.effect.kind === 'write' && x.effect.name === name));
}

const isZeroNumber = (n: Node | undefined): boolean => n?.type === 'NumberLiteral' && Number(n.number) === 0;
const isZeroAddress = (n: Node | undefined): boolean => !!n && (isZeroNumber(n) || (n.type === 'FunctionCall' && calleeName(n) === 'address' && isZeroNumber(args(n)[0])));

export { endLine };
