/**
 * Step 3 of the model: the facts of one function as seen from one contract (the contract
 * decides which state and overrides apply): effects in execution order (state reads and writes,
 * external and internal calls, the modifier placeholder), conditions, loops, selfdestructs,
 * locals with what they derive from, and storage references.
 */
import type { BinaryOperation, FunctionCall, UnaryOperation } from '@solidity-parser/parser/dist/src/ast-types';
import { modifiersOf, returnsOf, ASSIGN_OPS, args, asNode, calleeName, childrenOf, expressionOf, isMember, isMsgSender, isTxOrigin, nameOf, peel, rootIdentifier, shortName, some, typeText, variablesOf, type Node } from '../ast';
import { conditionParam, libraryFunction, resolveFunction, srcOf } from './resolve';
import type { ContractInfo, Declarations, ExtCall, FnFacts, FnInfo, TargetKind } from './types';

export function emptyFacts(fn: FnInfo): FnFacts {
  return {
    fn,
    effects: [],
    extCalls: [],
    internalCalls: [],
    conditions: [],
    loops: [],
    selfdestructs: [],
    locals: new Map(),
    storageAliases: new Map(),
    senderDerived: new Set(),
    paramDerived: new Set(),
  };
}

/**
 * Fills `f` (the caller may cache it first: the facts of a function calling itself are read
 * while they are being built).
 */
export function functionFacts(d: Declarations, ctx: ContractInfo, fn: FnInfo, f: FnFacts = emptyFacts(fn)): FnFacts {
  return new FactsBuilder(d, ctx, fn, f).build();
}

/** One pass over a function's modifiers' arguments and body, in execution order. */
class FactsBuilder {
  /** Library functions see only their own contract's state (none) and their parameters. */
  private readonly stateCtx: ContractInfo;
  private loopDepth = 0;

  constructor(
    private readonly d: Declarations,
    private readonly ctx: ContractInfo,
    private readonly fn: FnInfo,
    private readonly f: FnFacts,
  ) {
    this.stateCtx = fn.contract.kind === 'library' ? fn.contract : ctx;
  }

  build(): FnFacts {
    for (const p of this.fn.node.parameters ?? []) {
      if (!p.name) continue;
      this.f.locals.set(p.name, { decl: p, type: p.typeName ?? null, init: null, storage: p.storageLocation ?? null });
      this.f.paramDerived.add(p.name);
      if (p.storageLocation === 'storage') this.f.storageAliases.set(p.name, `@param:${p.name}`);
    }
    for (const p of returnsOf(this.fn.node)) if (p.name) this.f.locals.set(p.name, { decl: p, type: p.typeName ?? null, init: null, storage: p.storageLocation ?? null });
    // Modifiers run around the body: their code before `_` first, the body at `_`.
    const mods = this.fn.kind === 'modifier' ? [] : modifiersOf(this.fn.node);
    for (const m of mods) for (const a of args(m)) this.expr(a);
    this.stmt(this.fn.node.body);
    return this.f;
  }

  private isState(name: string | null | undefined): boolean {
    return !!name && !this.f.locals.has(name) && this.stateCtx.state.has(name);
  }

  private stateNameOf(n: Node | null | undefined): string | null {
    const root = rootIdentifier(n);
    if (!root?.name) return null;
    if (this.isState(root.name)) return root.name;
    const alias = this.f.storageAliases.get(root.name);
    return alias ?? null;
  }

  private refs(e: Node | null | undefined, set: Set<string>): boolean {
    return some(e, (n) => n.type === 'Identifier' && !!n.name && set.has(n.name));
  }

  // An address read from storage (even at a caller-chosen key) was put there by the contract;
  // only the caller's own address or a raw parameter is attacker-chosen.
  private classifyTarget(t0: Node | null): TargetKind {
    let t = t0;
    while (t && t.type === 'FunctionCall' && args(t).length === 1 && (t.expression?.type === 'Identifier' || t.expression?.type === 'ElementaryTypeName')) t = args(t)[0] ?? null;
    if (!t) return 'other';
    if (isMsgSender(t) || isTxOrigin(t) || (t.type === 'Identifier' && !!t.name && this.f.senderDerived.has(t.name) && !this.f.storageAliases.has(t.name))) return 'sender';
    if (t.type === 'Identifier' && t.name === 'this') return 'self';
    if (some(t, (n) => n.type === 'Identifier' && (this.isState(n.name) || (!!n.name && this.f.storageAliases.has(n.name))))) return 'state';
    if (this.refs(t, this.f.paramDerived) || this.refs(t, this.f.senderDerived) || some(t, (n) => isMsgSender(n))) return 'param';
    return 'other';
  }

  private contractTypeOf(e: Node | null | undefined): string | null {
    if (!e) return null;
    if (e.type === 'FunctionCall' && e.expression?.type === 'Identifier' && e.expression.name && this.d.byName.has(e.expression.name)) return e.expression.name;
    if (e.type === 'Identifier' && e.name) {
      const t = this.f.locals.get(e.name)?.type ?? (this.isState(e.name) ? this.stateCtx.state.get(e.name)?.type : null);
      const tn = t?.type === 'UserDefinedTypeName' && t.namePath ? shortName(t.namePath) : null;
      if (tn && !this.d.structs.has(tn) && !this.d.enums.has(tn)) return tn;
    }
    if (e.type === 'IndexAccess' || e.type === 'MemberAccess') {
      const root = rootIdentifier(e);
      const st = root?.name && this.isState(root.name) ? this.stateCtx.state.get(root.name) : null;
      if (st && /mapping\(.*=>[A-Z]\w*\)$/.test(st.typeText)) {
        const vt = shortName(st.typeText.replace(/^.*=>/, '').replace(/\)+$/, ''));
        if (!this.d.structs.has(vt) && !this.d.enums.has(vt)) return vt;
      }
    }
    return null;
  }

  private noteAssignedLocal(name: string, value: Node | null | undefined): void {
    if (!value) return;
    if (some(value, (n) => isMsgSender(n)) || this.refs(value, this.f.senderDerived)) this.f.senderDerived.add(name);
    if (this.refs(value, this.f.paramDerived) || some(value, (n) => isMember(n, 'msg', 'value') || isMember(n, 'msg', 'data'))) this.f.paramDerived.add(name);
  }

  private recordWrite(target: Node | null | undefined, node: BinaryOperation | UnaryOperation | FunctionCall): void {
    if (!target) return;
    if (target.type === 'TupleExpression') {
      for (const c of target.components ?? []) this.recordWrite(asNode(c), node);
      return;
    }
    const name = this.stateNameOf(target);
    if (name) this.f.effects.push({ kind: 'write', name, node });
  }

  // A helper whose code is not in the sources, handed a comparison (_require(a >= b, CODE)
  // from a dependency): it exists to check that comparison.
  private checksComparison(n: FunctionCall): void {
    const first = args(n)[0];
    if (first?.type === 'BinaryOperation' && ['<', '>', '<=', '>=', '==', '!=', '&&', '||'].includes(first.operator ?? '')) this.f.conditions.push({ node: n, expr: first, gate: true });
  }

  private visitCall(n: FunctionCall): void {
    const e = n.expression;
    const name = calleeName(n);
    // Arguments and receiver evaluate first.
    if (e?.type === 'MemberAccess') this.expr(e.expression);
    else if (e?.type === 'NameValueExpression') {
      this.expr(expressionOf(e.expression));
      const nv = e.arguments;
      for (const a of nv?.arguments ?? []) this.expr(a);
    } else if (e?.type === 'FunctionCall') this.visitCall(e);
    for (const a of args(n)) this.expr(a);

    if (e?.type === 'Identifier') {
      if (name === 'selfdestruct' || name === 'suicide') {
        this.f.selfdestructs.push(n);
        return;
      }
      if (name === 'require' || name === 'assert') {
        const c = args(n)[0];
        if (c) this.f.conditions.push({ node: n, expr: c, gate: true });
        return;
      }
      const target = name ? resolveFunction(this.d, this.ctx, name, args(n).length) : null;
      if (target) {
        // _require(a >= b, CODE), check(cond): a helper that reverts unless its argument holds is a condition here.
        const checked = conditionParam(this.d, target);
        const c = checked === null ? undefined : args(n)[checked];
        if (c) this.f.conditions.push({ node: n, expr: c, gate: true });
        this.f.internalCalls.push({ fn: target, node: n });
        this.f.effects.push({ kind: 'internal', fn: target, node: n });
      } else this.checksComparison(n);
      return;
    }
    // x.call.value(v)(...) / x.call.gas(g).value(v)(...): the outer call carries the payload.
    let inner: Node | undefined = e;
    let withValue = false;
    while (inner?.type === 'FunctionCall' && inner.expression?.type === 'MemberAccess' && (inner.expression.memberName === 'value' || inner.expression.memberName === 'gas')) {
      if (inner.expression.memberName === 'value') withValue = true;
      inner = inner.expression.expression;
    }
    if (inner?.type === 'NameValueExpression') {
      const nv = inner.arguments;
      if ((nv?.names ?? []).includes('value')) withValue = true;
      inner = inner.expression;
    }
    if (inner?.type !== 'MemberAccess') return;
    const member = inner.memberName ?? '';
    const receiver = inner.expression ?? null;
    if (receiver?.type === 'Identifier' && receiver.name === 'super') {
      const target = resolveFunction(this.d, { ...this.ctx, linear: this.ctx.linear.slice(this.ctx.linear.indexOf(this.fn.contract) + 1) }, member, args(n).length);
      if (target) {
        this.f.internalCalls.push({ fn: target, node: n });
        this.f.effects.push({ kind: 'internal', fn: target, node: n });
      } else this.checksComparison(n);
      return;
    }
    if (receiver?.type === 'Identifier' && receiver.name && this.d.byName.has(receiver.name) && !this.f.locals.has(receiver.name) && !this.isState(receiver.name)) {
      const lib = this.d.byName.get(receiver.name);
      const target = lib?.functions.find((x) => x.name === member) ?? null;
      if (target && lib && (lib.kind === 'library' || this.ctx.linear.includes(lib))) {
        this.f.internalCalls.push({ fn: target, node: n });
        this.f.effects.push({ kind: 'internal', fn: target, node: n });
        // A library call taking a storage reference writes through it.
        const first = args(n)[0];
        const firstParam = target.node.parameters?.[0];
        if (first && firstParam?.storageLocation === 'storage' && !(target.mutability === 'view' || target.mutability === 'pure')) this.recordWrite(first, n);
        return;
      }
    }
    const lowLevel = ['call', 'delegatecall', 'callcode', 'staticcall', 'send'].includes(member) || (member === 'transfer' && args(n).length === 1 && !this.contractTypeOf(receiver));
    if (!lowLevel) {
      const using = [...this.ctx.linear.flatMap((c) => [...c.usingLibraries]), ...this.fn.contract.usingLibraries];
      const lib = libraryFunction(this.d, member, args(n).length, using);
      if (lib && !this.contractTypeOf(receiver)) {
        this.f.internalCalls.push({ fn: lib, node: n });
        this.f.effects.push({ kind: 'internal', fn: lib, node: n });
        const firstParam = lib.node.parameters?.[0];
        if (firstParam?.storageLocation === 'storage' && !(lib.mutability === 'view' || lib.mutability === 'pure')) this.recordWrite(receiver, n);
        // safeTransfer & co. are token calls in disguise.
        if (!/^safe(Transfer|TransferFrom|Approve|IncreaseAllowance|DecreaseAllowance)$|^sendValue$|^functionCall/.test(member)) return;
      }
      if (!lib && receiver && this.stateNameOf(receiver) && !this.contractTypeOf(receiver)) {
        // Built-in members of storage values (push, pop) change state; others are reads.
        if (member === 'push' || member === 'pop') this.recordWrite(receiver, n);
        return;
      }
      const typeName = this.contractTypeOf(receiver);
      if (!typeName && !(receiver && (receiver.type === 'FunctionCall' || receiver.type === 'Identifier' || receiver.type === 'IndexAccess' || receiver.type === 'MemberAccess'))) return;
      if (!typeName && receiver?.type === 'Identifier' && !this.f.locals.has(receiver.name ?? '') && !this.isState(receiver.name)) return;
      if (!typeName && receiver?.type === 'MemberAccess' && receiver.expression?.type === 'Identifier' && ['msg', 'block', 'tx', 'abi'].includes(receiver.expression.name ?? '')) return;
      if (!typeName && receiver?.type === 'Identifier' && receiver.name && !/^(address|address payable)$/.test(typeText(this.f.locals.get(receiver.name)?.type ?? this.stateCtx.state.get(receiver.name)?.type)) && !/^[A-Z]/.test(typeText(this.f.locals.get(receiver.name)?.type ?? this.stateCtx.state.get(receiver.name)?.type))) return;
      const declared = typeName ? this.d.byName.get(typeName) : undefined;
      const decl = declared?.linear.flatMap((c) => c.functions).find((x) => x.name === member);
      const readOnly = decl ? decl.mutability === 'view' || decl.mutability === 'pure' || decl.mutability === 'constant' : this.d.viewNames.has(member) && !this.d.mutatingNames.has(member) || /^(balanceOf|totalSupply|allowance|decimals|symbol|name|owner|getReserves|get\w*|is\w*|has\w*|latestRoundData|latestAnswer)$/.test(member);
      const call: ExtCall = { node: n, kind: 'high', method: member, withValue, target: receiver, targetKind: this.classifyTarget(receiver), checked: true, inLoop: this.loopDepth > 0, readOnly, decl: decl ?? null };
      this.f.extCalls.push(call);
      this.f.effects.push({ kind: 'ext', call });
      return;
    }
    const kind = lowLevelKind(member);
    if (!kind) return;
    const call: ExtCall = {
      node: n,
      kind,
      method: member,
      withValue: withValue || kind === 'send' || kind === 'transfer',
      target: receiver,
      targetKind: this.classifyTarget(receiver),
      checked: true,
      inLoop: this.loopDepth > 0,
      readOnly: kind === 'staticcall',
      decl: null,
    };
    this.f.extCalls.push(call);
    this.f.effects.push({ kind: 'ext', call });
  }

  private expr(n: Node | null | undefined): void {
    if (!n) return;
    switch (n.type) {
      case 'FunctionCall':
        this.visitCall(n);
        return;
      case 'BinaryOperation':
        if (n.operator && ASSIGN_OPS.has(n.operator)) {
          this.expr(n.right);
          // Reading the target first (a[i] += x reads a).
          if (n.operator !== '=') this.readsOf(n.left);
          else this.indexReads(n.left);
          this.recordWrite(n.left, n);
          const root = rootIdentifier(n.left);
          if (root?.name && this.f.locals.has(root.name) && n.left?.type === 'Identifier') {
            this.noteAssignedLocal(root.name, n.right);
            const alias = this.stateNameOf(n.right);
            if (alias && this.f.locals.get(root.name)?.storage === 'storage') this.f.storageAliases.set(root.name, alias);
          }
          return;
        }
        this.expr(n.left);
        this.expr(n.right);
        return;
      case 'UnaryOperation':
        this.expr(n.subExpression);
        if (n.operator === '++' || n.operator === '--' || n.operator === 'delete') this.recordWrite(n.subExpression, n);
        return;
      case 'Identifier':
        if (n.name && this.isState(n.name)) this.f.effects.push({ kind: 'read', name: n.name, node: n });
        else {
          const alias = n.name ? this.f.storageAliases.get(n.name) : undefined;
          if (alias !== undefined) this.f.effects.push({ kind: 'read', name: alias, node: n });
        }
        return;
      default:
        for (const c of childrenOf(n)) this.expr(c);
    }
  }

  private readsOf(n: Node | null | undefined): void {
    return this.expr(n);
  }

  private indexReads(n: Node | null | undefined): void {
    let cur = n;
    while (cur && (cur.type === 'IndexAccess' || cur.type === 'MemberAccess')) {
      if (cur.type === 'IndexAccess') this.expr(cur.index);
      cur = cur.type === 'IndexAccess' ? cur.base : cur.expression;
    }
  }

  private isRevert(s: Node | null | undefined): boolean {
    if (!s) return false;
    if (s.type === 'ThrowStatement' || s.type === 'RevertStatement' || s.type === 'ReturnStatement') return true;
    if (s.type === 'ExpressionStatement' && s.expression?.type === 'FunctionCall' && calleeName(s.expression) === 'revert') return true;
    if (s.type === 'Block' && (s.statements ?? []).length >= 1) return this.isRevert(asNode(s.statements?.[s.statements.length - 1]));
    return false;
  }

  private stmt(s: Node | null | undefined): void {
    if (!s) return;
    switch (s.type) {
      case 'Block':
      case 'UncheckedStatement':
        for (const x of s.type === 'Block' ? (s.statements ?? []) : (s.block?.statements ?? [])) this.stmt(asNode(x));
        return;
      case 'VariableDeclarationStatement': {
        if (s.initialValue) this.expr(s.initialValue);
        const vars = variablesOf(s) ?? [];
        for (const v of vars) {
          if (!v?.name) continue;
          this.f.locals.set(v.name, { decl: v, type: v.typeName ?? null, init: vars.length === 1 ? (s.initialValue ?? null) : null, storage: v.storageLocation ?? null });
          this.noteAssignedLocal(v.name, s.initialValue);
          const alias = vars.length === 1 ? this.stateNameOf(s.initialValue) : null;
          const t = v.typeName;
          const refType = t && (t.type === 'ArrayTypeName' || t.type === 'Mapping' || (t.type === 'UserDefinedTypeName' && this.d.structs.has(shortName(t.namePath ?? ''))));
          if (alias && (v.storageLocation === 'storage' || (refType && v.storageLocation == null) || (t?.type === 'ElementaryTypeName' && t.name === 'var' && s.initialValue?.type !== 'FunctionCall'))) this.f.storageAliases.set(v.name, alias);
        }
        // `(bool ok, ) = x.call(...)` is checked only if `ok` is used afterwards.
        const call = this.f.extCalls[this.f.extCalls.length - 1];
        if (call && s.initialValue && (call.node === s.initialValue || call.node === peel(s.initialValue))) {
          const okName = vars[0]?.name;
          call.checked = okName ? this.usedLater(s, okName) : false;
        }
        return;
      }
      case 'ExpressionStatement': {
        const e = s.expression;
        if (e?.type === 'BinaryOperation' && e.operator === '=' && peel(e.right)?.type === 'FunctionCall') {
          const before = this.f.extCalls.length;
          this.expr(e);
          const call = this.f.extCalls[before];
          if (call && call.node === peel(e.right)) {
            const root = e.left?.type === 'TupleExpression' ? (asNode(e.left.components?.[0]) ?? null) : rootIdentifier(e.left);
            const rootName = nameOf(root);
            call.checked = rootName ? this.usedLater(s, rootName) || this.isState(rootName) : false;
          }
          return;
        }
        if (e?.type === 'TupleExpression' || (e?.type === 'BinaryOperation' && e.operator === '=' && e.left?.type === 'TupleExpression')) {
          const before = this.f.extCalls.length;
          this.expr(e);
          const call = this.f.extCalls[before];
          const firstName = e.type === 'BinaryOperation' && e.left?.type === 'TupleExpression' ? nameOf(asNode(e.left.components?.[0])) : null;
          if (call && e.type === 'BinaryOperation' && call.node === peel(e.right)) call.checked = firstName ? this.usedLater(s, firstName) : false;
          return;
        }
        if (e?.type === 'Identifier' && e.name === '_') {
          this.f.effects.push({ kind: 'placeholder', node: s });
          return;
        }
        const before = this.f.extCalls.length;
        this.expr(e);
        // A bare `x.send(v);` or `x.call(...);` statement drops the success flag.
        const bare = peel(e);
        for (const call of this.f.extCalls.slice(before)) if (call.node === bare && call.kind !== 'transfer' && call.kind !== 'high') call.checked = false;
        return;
      }
      case 'IfStatement': {
        this.expr(s.condition);
        if (s.condition) this.f.conditions.push({ node: s, expr: s.condition, gate: this.isRevert(s.trueBody) });
        this.stmt(s.trueBody);
        this.stmt(s.falseBody);
        return;
      }
      case 'ForStatement':
      case 'WhileStatement':
      case 'DoWhileStatement': {
        this.f.loops.push(s);
        this.loopDepth++;
        const cond = s.type === 'ForStatement' ? s.conditionExpression : s.condition;
        if (s.type === 'ForStatement') this.stmt(s.initExpression);
        this.expr(cond);
        if (cond) this.f.conditions.push({ node: s, expr: cond, gate: false });
        this.stmt(s.body);
        if (s.type === 'ForStatement' && s.loopExpression) this.stmt(s.loopExpression);
        this.loopDepth--;
        return;
      }
      case 'ReturnStatement':
        this.expr(s.expression);
        return;
      case 'EmitStatement':
        this.expr(s.eventCall);
        return;
      case 'RevertStatement':
        this.expr(s.revertCall);
        return;
      case 'TryStatement':
        this.expr(s.expression);
        this.stmt(s.body);
        for (const c of s.catchClauses ?? []) this.stmt(c.body);
        return;
      case 'InlineAssemblyStatement':
        return;
      default:
        for (const c of childrenOf(s)) {
          if (c.type.endsWith('Statement') || c.type === 'Block') this.stmt(c);
          else this.expr(c);
        }
    }
  }

  // Text search so uses inside inline assembly (if eq(success, 0) { revert }) count too.
  private usedLater(decl: Node, name: string): boolean {
    const end = (decl.range?.[1] ?? 0) + 1;
    const stop = (this.fn.node.range?.[1] ?? end) + 1;
    return new RegExp(`\\b${name.replace(/[$]/g, '\\$')}\\b`).test(srcOf(this.fn).slice(end, stop));
  }
}

const LOW_LEVEL_KINDS = new Set(['call', 'delegatecall', 'callcode', 'staticcall', 'send', 'transfer'] as const);
/** The kind of a low-level member of an address (`call`, `send`...), or null. */
const lowLevelKind = (member: string): Exclude<ExtCall['kind'], 'high'> | null => {
  for (const k of LOW_LEVEL_KINDS) if (k === member) return k;
  return null;
};
