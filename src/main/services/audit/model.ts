/**
 * The project model the detectors read: contracts with their linearised bases, state
 * variables, functions and modifiers; per-function facts (state reads and writes in execution
 * order, internal and external calls, conditions, loops); access guards; and reachability
 * from externally callable entry points, with who can call them.
 */
import type { Trigger } from '../../../shared/contract/audit';
import { ASSIGN_OPS, args, calleeName, childrenOf, isMember, isMsgSender, isTxOrigin, line, rootIdentifier, some, textOf, typeText, walk, type Node } from './ast';
import type { ParsedFile } from './parse';

export interface StateVar {
  name: string;
  node: Node;
  type: Node | null;
  typeText: string;
  constant: boolean;
  contract: ContractInfo;
}

export interface FnInfo {
  name: string;
  node: Node;
  contract: ContractInfo;
  kind: 'function' | 'constructor' | 'fallback' | 'receive' | 'modifier';
  visibility: string;
  mutability: string | null;
  params: Map<string, Node | null>;
  id: number;
}

export interface ContractInfo {
  name: string;
  kind: string;
  node: Node;
  file: ParsedFile;
  baseNames: string[];
  linear: ContractInfo[];
  ownState: Map<string, StateVar>;
  state: Map<string, StateVar>;
  functions: FnInfo[];
  modifiers: FnInfo[];
  usingLibraries: Set<string>;
  isLeaf: boolean;
}

export type TargetKind = 'sender' | 'param' | 'state' | 'self' | 'other';

export interface ExtCall {
  node: Node;
  /** call/delegatecall/callcode/staticcall/send/transfer (address), or `high` (contract method). */
  kind: 'call' | 'delegatecall' | 'callcode' | 'staticcall' | 'send' | 'transfer' | 'high';
  method: string | null;
  withValue: boolean;
  target: Node | null;
  targetKind: TargetKind;
  checked: boolean;
  inLoop: boolean;
  /** Statically known to read only (a view/pure method of a known interface). */
  readOnly: boolean;
  /** The called function's declaration when the receiver's contract type is known (its returns, mutability). */
  decl: FnInfo | null;
}

export type Effect =
  | { kind: 'read'; name: string; node: Node }
  | { kind: 'write'; name: string; node: Node }
  | { kind: 'ext'; call: ExtCall }
  | { kind: 'internal'; fn: FnInfo; node: Node }
  | { kind: 'placeholder'; node: Node };

export interface Condition {
  node: Node;
  expr: Node;
  /** require/assert/if-revert (blocks the rest) vs a plain if/loop test. */
  gate: boolean;
}

export interface FnFacts {
  fn: FnInfo;
  effects: Effect[];
  extCalls: ExtCall[];
  internalCalls: { fn: FnInfo; node: Node }[];
  conditions: Condition[];
  loops: Node[];
  selfdestructs: Node[];
  /** Locals and params with their declared types; locals with their initialiser. */
  locals: Map<string, { decl: Node; type: Node | null; init: Node | null; storage: string | null }>;
  /** Locals that hold a storage reference to a state variable: local -> state variable. */
  storageAliases: Map<string, string>;
  /** Locals (transitively) derived from msg.sender, params, or block values. */
  senderDerived: Set<string>;
  paramDerived: Set<string>;
}

export interface Guard {
  who: Exclude<Trigger, 'anyone' | 'nobody'>;
  /** Where the guard applies (a condition, a modifier invocation, a helper call). */
  node: Node;
  /** The condition that restricts the caller, when there is one. */
  cond?: Node;
  text: string;
  /** What the caller is checked against: a stored address, or a lookup keyed by the caller; and the function it is read in. */
  holder?: { node: Node; fn: FnInfo; keyed: boolean };
}

export interface Project {
  files: ParsedFile[];
  contracts: ContractInfo[];
  byName: Map<string, ContractInfo>;
  structs: Set<string>;
  enums: Set<string>;
  /** Method names declared view/pure somewhere in the project, and those declared mutating. */
  viewNames: Set<string>;
  mutatingNames: Set<string>;
  facts(ctx: ContractInfo, fn: FnInfo): FnFacts;
  guardsOf(ctx: ContractInfo, fn: FnInfo): Guard[];
  entries(ctx: ContractInfo): FnInfo[];
  /** Who can run `fn` (through any entry of `ctx`), and through which entries. */
  reach(ctx: ContractInfo, fn: FnInfo): { who: Trigger; entries: FnInfo[] };
  resolveFunction(ctx: ContractInfo, name: string, argc: number): FnInfo | null;
  resolveModifier(ctx: ContractInfo, name: string): FnInfo | null;
  /**
   * State variables that decide who may act: compared with the caller in a guard (modifier,
   * require, if-revert, helper function) or looked up by the caller's address in one.
   */
  privilegedState(ctx: ContractInfo): Set<string>;
  src(fn: FnInfo | ContractInfo): string;
}

/** For a modifier whose code is not in the sources only: the convention for access modifiers. */
const UNSEEN_GUARD = /^only|^auth$|^requiresAuth$|restricted/i;
const EMPTY: ReadonlySet<string> = new Set();
const BLOCK_VALUES = new Set(['timestamp', 'number', 'difficulty', 'prevrandao', 'coinbase', 'gaslimit', 'blockhash']);

let nextId = 1;

export function buildProject(files: ParsedFile[]): Project {
  const contracts: ContractInfo[] = [];
  const byName = new Map<string, ContractInfo>();
  const structs = new Set<string>();
  const enums = new Set<string>();
  const viewNames = new Set<string>();
  const mutatingNames = new Set<string>();

  // File-level (free) functions, such as a project's own require helper: resolvable by name from any contract.
  const freeFunctions = new Map<string, FnInfo>();
  for (const file of files) {
    const top = ((file.ast as unknown as Node).children ?? []).filter((c) => c.type === 'FunctionDefinition' && c.name);
    if (top.length === 0) continue;
    const holder: ContractInfo = { name: `${file.path}#free`, kind: 'library', node: file.ast as unknown as Node, file, baseNames: [], linear: [], ownState: new Map(), state: new Map(), functions: [], modifiers: [], usingLibraries: new Set(), isLeaf: false };
    holder.linear = [holder];
    for (const sub of top) {
      const params = new Map<string, Node | null>();
      for (const q of sub.parameters ?? []) if (q.name) params.set(q.name, q.typeName ?? null);
      const fn: FnInfo = { name: sub.name ?? '', node: sub, contract: holder, kind: 'function', visibility: 'internal', mutability: sub.stateMutability ?? null, params, id: nextId++ };
      holder.functions.push(fn);
      if (!freeFunctions.has(fn.name)) freeFunctions.set(fn.name, fn);
    }
  }

  for (const file of files) {
    for (const child of (file.ast as unknown as Node).children ?? []) {
      if (child.type === 'StructDefinition' && child.name) structs.add(child.name);
      if (child.type === 'EnumDefinition' && child.name) enums.add(child.name);
      if (child.type !== 'ContractDefinition' || !child.name) continue;
      const c: ContractInfo = {
        name: child.name,
        kind: child.kind ?? 'contract',
        node: child,
        file,
        baseNames: (child.baseContracts ?? []).map((b) => b.baseName?.namePath ?? '').filter(Boolean).map((n) => n.split('.').pop() ?? n),
        linear: [],
        ownState: new Map(),
        state: new Map(),
        functions: [],
        modifiers: [],
        usingLibraries: new Set(),
        isLeaf: true,
      };
      for (const sub of child.subNodes ?? []) {
        if (sub.type === 'StructDefinition' && sub.name) structs.add(sub.name);
        else if (sub.type === 'EnumDefinition' && sub.name) enums.add(sub.name);
        else if (sub.type === 'UsingForDeclaration' && sub.libraryName) c.usingLibraries.add(sub.libraryName);
        else if (sub.type === 'StateVariableDeclaration') {
          for (const v of sub.variables ?? []) {
            if (!v?.name) continue;
            c.ownState.set(v.name, { name: v.name, node: v, type: v.typeName ?? null, typeText: typeText(v.typeName), constant: !!v.isDeclaredConst || !!v.isImmutable, contract: c });
          }
        } else if (sub.type === 'FunctionDefinition' || sub.type === 'ModifierDefinition') {
          const isMod = sub.type === 'ModifierDefinition';
          const kind: FnInfo['kind'] = isMod ? 'modifier' : sub.isConstructor ? 'constructor' : sub.isReceiveEther ? 'receive' : sub.isFallback ? 'fallback' : 'function';
          const params = new Map<string, Node | null>();
          for (const p of sub.parameters ?? []) if (p.name) params.set(p.name, p.typeName ?? null);
          const fn: FnInfo = { name: sub.name ?? (kind === 'function' ? '' : kind), node: sub, contract: c, kind, visibility: sub.visibility ?? 'default', mutability: sub.stateMutability ?? null, params, id: nextId++ };
          if (isMod) c.modifiers.push(fn);
          else {
            c.functions.push(fn);
            if (fn.name) {
              if (fn.mutability === 'view' || fn.mutability === 'pure' || fn.mutability === 'constant') viewNames.add(fn.name);
              else mutatingNames.add(fn.name);
            }
          }
        }
      }
      // Public state variables are getters: view methods of the contract's interface.
      for (const v of c.ownState.values()) if (v.node.visibility === 'public') viewNames.add(v.name);
      contracts.push(c);
      if (!byName.has(c.name)) byName.set(c.name, c);
    }
  }

  // Linearisation: most derived first, then bases right to left (C3 is approximated by a DFS).
  for (const c of contracts) {
    const seen = new Set<ContractInfo>();
    const order: ContractInfo[] = [];
    const visit = (x: ContractInfo): void => {
      if (seen.has(x)) return;
      seen.add(x);
      order.push(x);
      for (const b of [...x.baseNames].reverse()) {
        const base = byName.get(b);
        if (base) visit(base);
      }
    };
    visit(c);
    c.linear = order;
    for (const x of [...order].reverse()) for (const [k, v] of x.ownState) c.state.set(k, v);
    for (const b of c.baseNames) {
      const base = byName.get(b);
      if (base) base.isLeaf = false;
    }
  }

  const factsCache = new Map<string, FnFacts>();
  const guardsCache = new Map<string, Guard[]>();
  const reachCache = new Map<ContractInfo, Map<number, { entries: FnInfo[]; anyone: boolean; who: Set<string> }>>();
  const srcOf = (x: FnInfo | ContractInfo): string => ('file' in x ? x.file.content : x.contract.file.content);

  function resolveFunction(ctx: ContractInfo, name: string, argc: number): FnInfo | null {
    let fallback: FnInfo | null = null;
    for (const c of ctx.linear) {
      for (const f of c.functions) {
        if (f.name !== name) continue;
        if ((f.node.parameters ?? []).length === argc) return f;
        fallback ??= f;
      }
    }
    return fallback ?? freeFunctions.get(name) ?? null;
  }

  function resolveModifier(ctx: ContractInfo, name: string): FnInfo | null {
    for (const c of ctx.linear) for (const m of c.modifiers) if (m.name === name) return m;
    return null;
  }

  function libraryFunction(name: string, argc: number, libs: Iterable<string>): FnInfo | null {
    for (const lib of libs) {
      const l = byName.get(lib);
      if (!l) continue;
      const f = l.functions.find((x) => x.name === name && (x.node.parameters ?? []).length === argc + 1) ?? l.functions.find((x) => x.name === name);
      if (f) return f;
    }
    return null;
  }

  const conditionParamCache = new Map<number, number | null>();
  /**
   * Which bool parameter a helper requires to hold, when that is what it is for: its body
   * reverts unless the parameter is true (require(p, ...), if (!p) revert(...), assert(p)).
   */
  function conditionParam(fn: FnInfo): number | null {
    const hit = conditionParamCache.get(fn.id);
    if (hit !== undefined) return hit;
    let found: number | null = null;
    const params = fn.node.parameters ?? [];
    const boolIndex = new Map(params.flatMap((p, i) => (p.name && typeText(p.typeName) === 'bool' ? [[p.name, i] as const] : [])));
    const isParam = (e: Node | null | undefined): number | undefined => (e?.type === 'Identifier' && e.name ? boolIndex.get(e.name) : undefined);
    if (boolIndex.size > 0) {
      walk(fn.node.body, (x) => {
        if (found !== null) return false;
        if (x.type === 'FunctionCall' && x.expression?.type === 'Identifier' && (x.expression.name === 'require' || x.expression.name === 'assert')) found = isParam(args(x)[0]) ?? null;
        if (x.type === 'IfStatement' && x.condition?.type === 'UnaryOperation' && x.condition.operator === '!' && some(x.trueBody, (y) => reverts(y, 0))) found = isParam(x.condition.subExpression) ?? null;
        return found === null;
      });
    }
    conditionParamCache.set(fn.id, found);
    return found;
  }

  /** A revert, directly or through a helper that always reverts (_revert(code) in assembly). */
  function reverts(y: Node, depth: number): boolean {
    if (y.type === 'RevertStatement' || y.type === 'ThrowStatement') return true;
    if (y.type === 'FunctionCall' && y.expression?.type === 'Identifier') {
      if (y.expression.name === 'revert') return true;
      const helper = depth < 2 ? resolveFunctionAnywhere(y.expression.name ?? '') : null;
      if (helper) return some(helper.node.body, (z) => reverts(z, depth + 1) || (z.type === 'InlineAssemblyStatement' && /\brevert\s*\(/.test(srcOf(helper).slice(z.range?.[0] ?? 0, (z.range?.[1] ?? 0) + 1))));
    }
    return false;
  }

  function resolveFunctionAnywhere(name: string): FnInfo | null {
    return freeFunctions.get(name) ?? contracts.flatMap((c) => c.functions).find((f) => f.name === name) ?? null;
  }

  function facts(ctx: ContractInfo, fn: FnInfo): FnFacts {
    const key = `${ctx.name}:${fn.id}`;
    const hit = factsCache.get(key);
    if (hit) return hit;
    const f: FnFacts = {
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
    factsCache.set(key, f);
    // Library functions see only their own contract's state (none) and their parameters.
    const stateCtx = fn.contract.kind === 'library' ? fn.contract : ctx;
    for (const p of fn.node.parameters ?? []) {
      if (!p.name) continue;
      f.locals.set(p.name, { decl: p, type: p.typeName ?? null, init: null, storage: p.storageLocation ?? null });
      f.paramDerived.add(p.name);
      if (p.storageLocation === 'storage') f.storageAliases.set(p.name, `@param:${p.name}`);
    }
    for (const p of fn.node.returnParameters ?? []) if (p.name) f.locals.set(p.name, { decl: p, type: p.typeName ?? null, init: null, storage: p.storageLocation ?? null });

    const isState = (name: string | null | undefined): boolean => !!name && !f.locals.has(name) && stateCtx.state.has(name);
    const stateNameOf = (n: Node | null | undefined): string | null => {
      const root = rootIdentifier(n);
      if (!root?.name) return null;
      if (isState(root.name)) return root.name;
      const alias = f.storageAliases.get(root.name);
      return alias ?? null;
    };
    const refs = (e: Node | null | undefined, set: Set<string>): boolean => some(e, (n) => n.type === 'Identifier' && !!n.name && set.has(n.name));
    // An address read from storage (even at a caller-chosen key) was put there by the contract;
    // only the caller's own address or a raw parameter is attacker-chosen.
    const classifyTarget = (t0: Node | null): TargetKind => {
      let t = t0;
      while (t && t.type === 'FunctionCall' && args(t).length === 1 && (t.expression?.type === 'Identifier' || t.expression?.type === 'ElementaryTypeName')) t = args(t)[0] ?? null;
      if (!t) return 'other';
      if (isMsgSender(t) || isTxOrigin(t) || (t.type === 'Identifier' && !!t.name && f.senderDerived.has(t.name) && !f.storageAliases.has(t.name))) return 'sender';
      if (t.type === 'Identifier' && t.name === 'this') return 'self';
      if (some(t, (n) => n.type === 'Identifier' && (isState(n.name) || (!!n.name && f.storageAliases.has(n.name))))) return 'state';
      if (refs(t, f.paramDerived) || refs(t, f.senderDerived) || some(t, (n) => isMsgSender(n))) return 'param';
      return 'other';
    };
    const contractTypeOf = (e: Node | null | undefined): string | null => {
      if (!e) return null;
      if (e.type === 'FunctionCall' && e.expression?.type === 'Identifier' && e.expression.name && byName.has(e.expression.name)) return e.expression.name;
      if (e.type === 'Identifier' && e.name) {
        const t = f.locals.get(e.name)?.type ?? (isState(e.name) ? stateCtx.state.get(e.name)?.type : null);
        const tn = t?.type === 'UserDefinedTypeName' && t.namePath ? shortName(t.namePath) : null;
        if (tn && !structs.has(tn) && !enums.has(tn)) return tn;
      }
      if (e.type === 'IndexAccess' || e.type === 'MemberAccess') {
        const root = rootIdentifier(e);
        const st = root?.name && isState(root.name) ? stateCtx.state.get(root.name) : null;
        if (st && /mapping\(.*=>[A-Z]\w*\)$/.test(st.typeText)) {
          const vt = shortName(st.typeText.replace(/^.*=>/, '').replace(/\)+$/, ''));
          if (!structs.has(vt) && !enums.has(vt)) return vt;
        }
      }
      return null;
    };

    let loopDepth = 0;

    const noteAssignedLocal = (name: string, value: Node | null | undefined): void => {
      if (!value) return;
      if (some(value, (n) => isMsgSender(n)) || refs(value, f.senderDerived)) f.senderDerived.add(name);
      if (refs(value, f.paramDerived) || some(value, (n) => isMember(n, 'msg', 'value') || isMember(n, 'msg', 'data'))) f.paramDerived.add(name);
    };

    const recordWrite = (target: Node | null | undefined, node: Node): void => {
      if (!target) return;
      if (target.type === 'TupleExpression') {
        for (const c of target.components ?? []) recordWrite(c, node);
        return;
      }
      const name = stateNameOf(target);
      if (name) f.effects.push({ kind: 'write', name, node });
    };

    // A helper whose code is not in the sources, handed a comparison (_require(a >= b, CODE)
    // from a dependency): it exists to check that comparison.
    const checksComparison = (n: Node): void => {
      const first = args(n)[0];
      if (first?.type === 'BinaryOperation' && ['<', '>', '<=', '>=', '==', '!=', '&&', '||'].includes(first.operator ?? '')) f.conditions.push({ node: n, expr: first, gate: true });
    };

    const visitCall = (n: Node): void => {
      const e = n.expression;
      const name = calleeName(n);
      // Arguments and receiver evaluate first.
      if (e?.type === 'MemberAccess') expr(e.expression);
      else if (e?.type === 'NameValueExpression') {
        expr(e.expression?.expression);
        const nv = e.arguments as Node | undefined;
        for (const a of (nv?.arguments as Node[] | undefined) ?? []) expr(a);
      } else if (e?.type === 'FunctionCall') visitCall(e);
      for (const a of args(n)) expr(a);

      if (e?.type === 'Identifier') {
        if (name === 'selfdestruct' || name === 'suicide') {
          f.selfdestructs.push(n);
          return;
        }
        if (name === 'require' || name === 'assert') {
          const c = args(n)[0];
          if (c) f.conditions.push({ node: n, expr: c, gate: true });
          return;
        }
        const target = name ? resolveFunction(ctx, name, args(n).length) : null;
        if (target) {
          // _require(a >= b, CODE), check(cond): a helper that reverts unless its argument holds is a condition here.
          const checked = conditionParam(target);
          const c = checked === null ? undefined : args(n)[checked];
          if (c) f.conditions.push({ node: n, expr: c, gate: true });
          f.internalCalls.push({ fn: target, node: n });
          f.effects.push({ kind: 'internal', fn: target, node: n });
        } else checksComparison(n);
        return;
      }
      // x.call.value(v)(...) / x.call.gas(g).value(v)(...): the outer call carries the payload.
      let inner = e;
      let withValue = false;
      while (inner?.type === 'FunctionCall' && inner.expression?.type === 'MemberAccess' && (inner.expression.memberName === 'value' || inner.expression.memberName === 'gas')) {
        if (inner.expression.memberName === 'value') withValue = true;
        inner = inner.expression.expression;
      }
      if (inner?.type === 'NameValueExpression') {
        const nv = inner.arguments as Node | undefined;
        if ((nv?.names ?? []).includes('value')) withValue = true;
        inner = inner.expression;
      }
      if (inner?.type !== 'MemberAccess') return;
      const member = inner.memberName ?? '';
      const receiver = inner.expression ?? null;
      if (receiver?.type === 'Identifier' && receiver.name === 'super') {
        const target = resolveFunction({ ...ctx, linear: ctx.linear.slice(ctx.linear.indexOf(fn.contract) + 1) }, member, args(n).length);
        if (target) {
          f.internalCalls.push({ fn: target, node: n });
          f.effects.push({ kind: 'internal', fn: target, node: n });
        } else checksComparison(n);
        return;
      }
      if (receiver?.type === 'Identifier' && receiver.name && byName.has(receiver.name) && !f.locals.has(receiver.name) && !isState(receiver.name)) {
        const lib = byName.get(receiver.name);
        const target = lib?.functions.find((x) => x.name === member) ?? null;
        if (target && (lib?.kind === 'library' || ctx.linear.includes(lib as ContractInfo))) {
          f.internalCalls.push({ fn: target, node: n });
          f.effects.push({ kind: 'internal', fn: target, node: n });
          // A library call taking a storage reference writes through it.
          const first = args(n)[0];
          const firstParam = target.node.parameters?.[0];
          if (first && firstParam?.storageLocation === 'storage' && !(target.mutability === 'view' || target.mutability === 'pure')) recordWrite(first, n);
          return;
        }
      }
      const lowLevel = ['call', 'delegatecall', 'callcode', 'staticcall', 'send'].includes(member) || (member === 'transfer' && args(n).length === 1 && !contractTypeOf(receiver));
      if (!lowLevel) {
        const using = [...ctx.linear.flatMap((c) => [...c.usingLibraries]), ...fn.contract.usingLibraries];
        const lib = libraryFunction(member, args(n).length, using);
        if (lib && !contractTypeOf(receiver)) {
          f.internalCalls.push({ fn: lib, node: n });
          f.effects.push({ kind: 'internal', fn: lib, node: n });
          const firstParam = lib.node.parameters?.[0];
          if (firstParam?.storageLocation === 'storage' && !(lib.mutability === 'view' || lib.mutability === 'pure')) recordWrite(receiver, n);
          // safeTransfer & co. are token calls in disguise.
          if (!/^safe(Transfer|TransferFrom|Approve|IncreaseAllowance|DecreaseAllowance)$|^sendValue$|^functionCall/.test(member)) return;
        }
        if (!lib && receiver && stateNameOf(receiver) && !contractTypeOf(receiver)) {
          // Built-in members of storage values (push, pop) change state; others are reads.
          if (member === 'push' || member === 'pop') recordWrite(receiver, n);
          return;
        }
        const typeName = contractTypeOf(receiver);
        if (!typeName && !(receiver && (receiver.type === 'FunctionCall' || receiver.type === 'Identifier' || receiver.type === 'IndexAccess' || receiver.type === 'MemberAccess'))) return;
        if (!typeName && receiver?.type === 'Identifier' && !f.locals.has(receiver.name ?? '') && !isState(receiver.name)) return;
        if (!typeName && receiver?.type === 'MemberAccess' && receiver.expression?.type === 'Identifier' && ['msg', 'block', 'tx', 'abi'].includes(receiver.expression.name ?? '')) return;
        if (!typeName && receiver?.type === 'Identifier' && receiver.name && !/^(address|address payable)$/.test(typeText(f.locals.get(receiver.name)?.type ?? stateCtx.state.get(receiver.name)?.type)) && !/^[A-Z]/.test(typeText(f.locals.get(receiver.name)?.type ?? stateCtx.state.get(receiver.name)?.type))) return;
        const declared = typeName ? byName.get(typeName) : undefined;
        const decl = declared?.linear.flatMap((c) => c.functions).find((x) => x.name === member);
        const readOnly = decl ? decl.mutability === 'view' || decl.mutability === 'pure' || decl.mutability === 'constant' : viewNames.has(member) && !mutatingNames.has(member) || /^(balanceOf|totalSupply|allowance|decimals|symbol|name|owner|getReserves|get\w*|is\w*|has\w*|latestRoundData|latestAnswer)$/.test(member);
        const call: ExtCall = { node: n, kind: 'high', method: member, withValue, target: receiver, targetKind: classifyTarget(receiver), checked: true, inLoop: loopDepth > 0, readOnly, decl: decl ?? null };
        f.extCalls.push(call);
        f.effects.push({ kind: 'ext', call });
        return;
      }
      const kind = member as ExtCall['kind'];
      const call: ExtCall = {
        node: n,
        kind,
        method: member,
        withValue: withValue || kind === 'send' || kind === 'transfer',
        target: receiver,
        targetKind: classifyTarget(receiver),
        checked: true,
        inLoop: loopDepth > 0,
        readOnly: kind === 'staticcall',
        decl: null,
      };
      f.extCalls.push(call);
      f.effects.push({ kind: 'ext', call });
    };

    const expr = (n: Node | null | undefined): void => {
      if (!n) return;
      switch (n.type) {
        case 'FunctionCall':
          visitCall(n);
          return;
        case 'BinaryOperation':
          if (n.operator && ASSIGN_OPS.has(n.operator)) {
            expr(n.right);
            // Reading the target first (a[i] += x reads a).
            if (n.operator !== '=') readsOf(n.left);
            else indexReads(n.left);
            recordWrite(n.left, n);
            const root = rootIdentifier(n.left);
            if (root?.name && f.locals.has(root.name) && n.left?.type === 'Identifier') {
              noteAssignedLocal(root.name, n.right);
              const alias = stateNameOf(n.right);
              if (alias && f.locals.get(root.name)?.storage === 'storage') f.storageAliases.set(root.name, alias);
            }
            return;
          }
          expr(n.left);
          expr(n.right);
          return;
        case 'UnaryOperation':
          expr(n.subExpression);
          if (n.operator === '++' || n.operator === '--' || n.operator === 'delete') recordWrite(n.subExpression, n);
          return;
        case 'Identifier':
          if (n.name && isState(n.name)) f.effects.push({ kind: 'read', name: n.name, node: n });
          else if (n.name && f.storageAliases.has(n.name)) f.effects.push({ kind: 'read', name: f.storageAliases.get(n.name) as string, node: n });
          return;
        default:
          for (const c of childrenOf(n)) expr(c);
      }
    };
    const readsOf = (n: Node | null | undefined): void => expr(n);
    const indexReads = (n: Node | null | undefined): void => {
      let cur = n;
      while (cur && (cur.type === 'IndexAccess' || cur.type === 'MemberAccess')) {
        if (cur.type === 'IndexAccess') expr(cur.index);
        cur = cur.type === 'IndexAccess' ? cur.base : cur.expression;
      }
    };

    const isRevert = (s: Node | null | undefined): boolean => {
      if (!s) return false;
      if (s.type === 'ThrowStatement' || s.type === 'RevertStatement' || s.type === 'ReturnStatement') return true;
      if (s.type === 'ExpressionStatement' && s.expression?.type === 'FunctionCall' && calleeName(s.expression) === 'revert') return true;
      if (s.type === 'Block' && (s.statements ?? []).length >= 1) return isRevert(s.statements?.[s.statements.length - 1]);
      return false;
    };

    const stmt = (s: Node | null | undefined): void => {
      if (!s) return;
      switch (s.type) {
        case 'Block':
        case 'UncheckedStatement':
          for (const x of s.type === 'Block' ? (s.statements ?? []) : (s.block?.statements ?? [])) stmt(x);
          return;
        case 'VariableDeclarationStatement': {
          if (s.initialValue) expr(s.initialValue);
          const vars = s.variables ?? [];
          for (const v of vars) {
            if (!v?.name) continue;
            f.locals.set(v.name, { decl: v, type: v.typeName ?? null, init: vars.length === 1 ? (s.initialValue ?? null) : null, storage: v.storageLocation ?? null });
            noteAssignedLocal(v.name, s.initialValue);
            const alias = vars.length === 1 ? stateNameOf(s.initialValue) : null;
            const t = v.typeName;
            const refType = t && (t.type === 'ArrayTypeName' || t.type === 'Mapping' || (t.type === 'UserDefinedTypeName' && structs.has(shortName(t.namePath ?? ''))));
            if (alias && (v.storageLocation === 'storage' || (refType && v.storageLocation == null) || (t?.type === 'ElementaryTypeName' && t.name === 'var' && s.initialValue?.type !== 'FunctionCall'))) f.storageAliases.set(v.name, alias);
          }
          // `(bool ok, ) = x.call(...)` is checked only if `ok` is used afterwards.
          const call = f.extCalls[f.extCalls.length - 1];
          if (call && s.initialValue && (call.node === s.initialValue || call.node === peel(s.initialValue))) {
            const okName = vars[0]?.name;
            call.checked = okName ? usedLater(s, okName) : false;
          }
          return;
        }
        case 'ExpressionStatement': {
          const e = s.expression;
          if (e?.type === 'BinaryOperation' && e.operator === '=' && peel(e.right)?.type === 'FunctionCall') {
            const before = f.extCalls.length;
            expr(e);
            const call = f.extCalls[before];
            if (call && call.node === peel(e.right)) {
              const root = e.left?.type === 'TupleExpression' ? (e.left.components?.[0] ?? null) : rootIdentifier(e.left);
              call.checked = root?.name ? usedLater(s, root.name) || isState(root.name) : false;
            }
            return;
          }
          if (e?.type === 'TupleExpression' || (e?.type === 'BinaryOperation' && e.operator === '=' && e.left?.type === 'TupleExpression')) {
            const before = f.extCalls.length;
            expr(e);
            const call = f.extCalls[before];
            const first = e.type === 'BinaryOperation' ? e.left?.components?.[0] : null;
            if (call && e.type === 'BinaryOperation' && call.node === peel(e.right)) call.checked = first?.name ? usedLater(s, first.name) : false;
            return;
          }
          if (e?.type === 'Identifier' && e.name === '_') {
            f.effects.push({ kind: 'placeholder', node: s });
            return;
          }
          const before = f.extCalls.length;
          expr(e);
          // A bare `x.send(v);` or `x.call(...);` statement drops the success flag.
          const bare = peel(e);
          for (const call of f.extCalls.slice(before)) if (call.node === bare && call.kind !== 'transfer' && call.kind !== 'high') call.checked = false;
          return;
        }
        case 'IfStatement': {
          expr(s.condition);
          if (s.condition) f.conditions.push({ node: s, expr: s.condition, gate: isRevert(s.trueBody) });
          stmt(s.trueBody);
          stmt(s.falseBody);
          return;
        }
        case 'ForStatement':
        case 'WhileStatement':
        case 'DoWhileStatement': {
          f.loops.push(s);
          loopDepth++;
          stmt(s.initExpression);
          expr(s.conditionExpression ?? s.condition);
          if (s.conditionExpression ?? s.condition) f.conditions.push({ node: s, expr: (s.conditionExpression ?? s.condition) as Node, gate: false });
          stmt(s.body);
          if (s.loopExpression) stmt(s.loopExpression);
          loopDepth--;
          return;
        }
        case 'ReturnStatement':
          expr(s.expression);
          return;
        case 'EmitStatement':
          expr(s.eventCall);
          return;
        case 'RevertStatement':
          expr((s as unknown as { revertCall?: Node }).revertCall);
          return;
        case 'TryStatement':
          expr(s.expression);
          stmt(s.body);
          for (const c of (s as unknown as { catchClauses?: Node[] }).catchClauses ?? []) stmt(c.body);
          return;
        case 'InlineAssemblyStatement':
          return;
        default:
          for (const c of childrenOf(s)) {
            if (c.type.endsWith('Statement') || c.type === 'Block') stmt(c);
            else expr(c);
          }
      }
    };

    // Text search so uses inside inline assembly (if eq(success, 0) { revert }) count too.
    const usedLater = (decl: Node, name: string): boolean => {
      const end = (decl.range?.[1] ?? 0) + 1;
      const stop = (fn.node.range?.[1] ?? end) + 1;
      return new RegExp(`\\b${name.replace(/[$]/g, '\\$')}\\b`).test(srcOf(fn).slice(end, stop));
    };

    // Modifiers run around the body: their code before `_` first, the body at `_`.
    const mods = fn.kind === 'modifier' ? [] : (fn.node.modifiers ?? []);
    for (const m of mods) for (const a of args(m)) expr(a);
    stmt(fn.node.body);
    return f;
  }

  /**
   * Whether `e` (a condition) restricts who may pass, and to whom. `senderParams` are this
   * function's parameters that carry the caller's address (a helper called as
   * `_check(role, msg.sender)`). The kind of holder comes from the check itself: the caller
   * compared with one stored address is an owner; a lookup keyed by the caller is a role.
   */
  function accessCheck(ctx: ContractInfo, fn: FnInfo, e: Node | null | undefined, depth = 0, senderParams: ReadonlySet<string> = EMPTY): Guard | null {
    if (!e || depth > 3) return null;
    const f = facts(ctx, fn);
    const src = srcOf(fn);
    const senderLike = (n: Node | null | undefined): boolean =>
      isMsgSender(n) || isTxOrigin(n) || (n?.type === 'Identifier' && !!n.name && (f.senderDerived.has(n.name) || senderParams.has(n.name))) || (n?.type === 'FunctionCall' && calleeName(n) === 'address' && senderLike(args(n)[0]));
    const guard = (n: Node, who: Guard['who'], holder?: Node, keyed = false): Guard => ({ who, node: n, cond: n, text: textOf(src, n), ...(holder ? { holder: { node: holder, fn, keyed } } : {}) });
    /** The lookup in `e` keyed by the caller (isOwner[msg.sender], roles[r][msg.sender].admin). */
    const keyedLookup = (x: Node | null | undefined): Node | undefined => {
      let found: Node | undefined;
      walk(x, (y) => {
        if (!found && y.type === 'IndexAccess' && some(y.index, senderLike)) found = y;
        return !found;
      });
      return found;
    };
    switch (e.type) {
      case 'BinaryOperation': {
        if (e.operator === '&&' || e.operator === '||') {
          const side = accessCheck(ctx, fn, e.left, depth, senderParams) ?? accessCheck(ctx, fn, e.right, depth, senderParams);
          // Keep the whole condition: `msg.sender == owner || msg.sender == dev` names both.
          return side ? { ...side, cond: e } : null;
        }
        if (e.operator === '==' || e.operator === '!=') {
          const boolLiteral = (n: Node | undefined): boolean => n?.type === 'BooleanLiteral';
          // claimed[msg.sender] == 0 is bookkeeping; isOwner[msg.sender] == true is a check.
          const nested = (some(e.left, senderLike) && boolLiteral(e.right)) || (some(e.right, senderLike) && boolLiteral(e.left));
          if (nested) return guard(e, 'role', keyedLookup(e), true);
          if (senderLike(e.left) || senderLike(e.right)) {
            // tx.origin == msg.sender is an anti-contract check, not an access check.
            if ((isTxOrigin(e.left) && isMsgSender(e.right)) || (isMsgSender(e.left) && isTxOrigin(e.right))) return null;
            const other = senderLike(e.left) ? e.right : e.left;
            const keyed = other?.type === 'IndexAccess' || some(other, (x) => x.type === 'IndexAccess');
            return guard(e, keyed ? 'role' : 'owner', other ?? undefined, false);
          }
          // ownerIndex == 0 where ownerIndex came from a lookup keyed by the caller
          if (e.left?.type === 'Identifier' && f.senderDerived.has(e.left.name ?? '')) return guard(e, 'role', keyedLookup(f.locals.get(e.left.name ?? '')?.init), true);
          if (e.right?.type === 'Identifier' && f.senderDerived.has(e.right.name ?? '')) return guard(e, 'role', keyedLookup(f.locals.get(e.right.name ?? '')?.init), true);
          // require(isOwner() == true)
          if (e.left?.type === 'FunctionCall') return accessCheck(ctx, fn, e.left, depth, senderParams);
        }
        return null;
      }
      case 'UnaryOperation':
        // !blacklisted[msg.sender] restricts nobody in particular.
        if (e.operator === '!' && e.subExpression?.type === 'FunctionCall') return accessCheck(ctx, fn, e.subExpression, depth, senderParams);
        return null;
      case 'TupleExpression':
        return accessCheck(ctx, fn, e.components?.[0], depth, senderParams);
      case 'IndexAccess':
        if (some(e.index, (n) => senderLike(n))) return guard(e, 'role', e, true);
        return null;
      case 'MemberAccess':
        // roles[msg.sender].isAdmin
        if (some(e, (n) => n.type === 'IndexAccess' && some(n.index, (m) => senderLike(m)))) return guard(e, 'role', keyedLookup(e), true);
        return null;
      case 'FunctionCall': {
        const name = calleeName(e) ?? '';
        // A helper that answers for the caller: isOwner(), hasRole(ROLE, msg.sender), auth(msg.sender).
        const target = e.expression?.type === 'Identifier' ? resolveFunction(ctx, name, args(e).length) : null;
        if (target && target.id !== fn.id && depth < 3) {
          const inner = helperGuard(ctx, target, callerParams(target, e, senderLike), depth + 1);
          if (inner) return { ...inner, node: e, cond: e, text: textOf(src, e) };
          return null;
        }
        // An external or unknown helper given the caller's address decides about the caller; a
        // state-changing call (a token pull from the caller) is an action, not a check.
        const acts = e.expression?.type === 'MemberAccess' && mutatingNames.has(name) && !viewNames.has(name);
        if (!target && !acts && args(e).some((a) => senderLike(a))) return guard(e, 'role');
        return null;
      }
      default:
        return null;
    }
  }

  /** The parameters of `callee` that receive the caller's address at this call. */
  function callerParams(callee: FnInfo, call: Node, senderLike: (n: Node | null | undefined) => boolean): Set<string> {
    const out = new Set<string>();
    const params = callee.node.parameters ?? [];
    // Library functions bound with `using`: x.f(a) passes x as the first parameter.
    const offset = call.expression?.type === 'MemberAccess' && callee.contract.kind === 'library' ? 1 : 0;
    args(call).forEach((a, i) => {
      const name = params[i + offset]?.name;
      if (name && senderLike(a)) out.add(name);
    });
    return out;
  }

  /** A helper's verdict about the caller: its own checks, or the boolean it returns. */
  function helperGuard(ctx: ContractInfo, helper: FnInfo, senderParams: Set<string>, depth: number): Guard | null {
    const inBody = guardsInBody(ctx, helper, depth, senderParams)[0];
    if (inBody) return inBody;
    let found: Guard | null = null;
    walk(helper.node.body, (x) => {
      if (found) return false;
      if (x.type === 'ReturnStatement' && x.expression) found = accessCheck(ctx, helper, x.expression, depth, senderParams);
      return !found;
    });
    return found;
  }

  /** Access checks inside a function's own body (and what it calls first), not its modifiers. */
  function guardsInBody(ctx: ContractInfo, fn: FnInfo, depth = 0, senderParams: ReadonlySet<string> = EMPTY): Guard[] {
    const f = facts(ctx, fn);
    const out: Guard[] = [];
    for (const c of f.conditions) {
      const g = accessCheck(ctx, fn, c.expr, depth, senderParams);
      if (g) out.push(g);
    }
    if (depth < 3) {
      const senderLike = (n: Node | null | undefined): boolean => isMsgSender(n) || isTxOrigin(n) || (n?.type === 'Identifier' && !!n.name && (f.senderDerived.has(n.name) || senderParams.has(n.name)));
      for (const call of f.internalCalls) {
        // _checkOwner(); _checkRole(role); _check(role, msg.sender); LibAccess.enforceIsOwner();
        if (!isStatementCall(fn, call.node)) continue;
        // super.grantRole(...) carries its onlyRole modifier with it.
        const inner = [...guardsInBody(ctx, call.fn, depth + 1, callerParams(call.fn, call.node, senderLike)), ...modifierGuards(ctx, call.fn)];
        if (inner.length > 0) out.push({ ...inner[0], node: call.node } as Guard);
      }
    }
    return out;
  }

  function isStatementCall(fn: FnInfo, call: Node): boolean {
    return (fn.node.body?.statements ?? []).some((s) => s.type === 'ExpressionStatement' && s.expression === call);
  }

  function guardsOf(ctx: ContractInfo, fn: FnInfo): Guard[] {
    const key = `${ctx.name}:${fn.id}`;
    const hit = guardsCache.get(key);
    if (hit) return hit;
    guardsCache.set(key, []);
    const out: Guard[] = [...guardsInBody(ctx, fn), ...modifierGuards(ctx, fn)];
    guardsCache.set(key, out);
    return out;
  }

  function modifierGuards(ctx: ContractInfo, fn: FnInfo): Guard[] {
    const out: Guard[] = [];
    for (const m of fn.node.modifiers ?? []) {
      const mod = m.name ? resolveModifier(ctx, m.name) : null;
      if (mod) {
        const inner = guardsInBody(ctx, mod);
        if (inner.length > 0) out.push({ ...(inner[0] as Guard), node: m });
      } else if (m.name && UNSEEN_GUARD.test(m.name) && !/initiali[sz]/i.test(m.name)) {
        // Its code is not in the audited sources: the naming convention is all there is to go on.
        out.push({ who: 'role', node: m, text: m.name });
      }
    }
    return out;
  }

  function entries(ctx: ContractInfo): FnInfo[] {
    const seen = new Set<string>();
    const out: FnInfo[] = [];
    for (const c of ctx.linear) {
      if (c.kind === 'interface') continue;
      for (const f of c.functions) {
        if (f.kind === 'constructor') continue;
        const sig = `${f.kind}:${f.name}/${(f.node.parameters ?? []).length}`;
        if (seen.has(sig)) continue;
        seen.add(sig);
        if (!f.node.body) continue;
        if (f.kind === 'fallback' || f.kind === 'receive' || f.visibility === 'public' || f.visibility === 'external' || f.visibility === 'default') out.push(f);
      }
    }
    return out;
  }

  function reachMap(ctx: ContractInfo): Map<number, { entries: FnInfo[]; anyone: boolean; who: Set<string> }> {
    const hit = reachCache.get(ctx);
    if (hit) return hit;
    const map = new Map<number, { entries: FnInfo[]; anyone: boolean; who: Set<string> }>();
    reachCache.set(ctx, map);
    for (const entry of entries(ctx)) {
      const guards = guardsOf(ctx, entry);
      const stack: FnInfo[] = [entry];
      const seen = new Set<number>();
      while (stack.length > 0) {
        const fn = stack.pop() as FnInfo;
        if (seen.has(fn.id)) continue;
        seen.add(fn.id);
        let r = map.get(fn.id);
        if (!r) {
          r = { entries: [], anyone: false, who: new Set() };
          map.set(fn.id, r);
        }
        r.entries.push(entry);
        if (guards.length === 0) r.anyone = true;
        else for (const g of guards) r.who.add(g.who);
        const fx = facts(ctx, fn);
        for (const c of fx.internalCalls) stack.push(c.fn);
        for (const m of fn.node.modifiers ?? []) {
          const mod = m.name ? resolveModifier(ctx, m.name) : null;
          if (mod) stack.push(mod);
        }
      }
    }
    return map;
  }

  function reach(ctx: ContractInfo, fn: FnInfo): { who: Trigger; entries: FnInfo[] } {
    const r = reachMap(ctx).get(fn.id);
    if (!r) return { who: 'nobody', entries: [] };
    if (r.anyone) return { who: 'anyone', entries: r.entries };
    return { who: r.who.has('owner') ? 'owner' : 'role', entries: r.entries };
  }

  const privilegedCache = new Map<ContractInfo, Set<string>>();
  function privilegedState(ctx: ContractInfo): Set<string> {
    const hit = privilegedCache.get(ctx);
    if (hit) return hit;
    const out = new Set<string>();
    privilegedCache.set(ctx, out);
    for (const c of ctx.linear) {
      for (const fn of [...c.functions, ...c.modifiers]) {
        if (!fn.node.body) continue;
        for (const g of guardsInBody(ctx, fn)) {
          if (!g.holder) continue;
          const root = rootIdentifier(g.holder.node);
          if (!root?.name || facts(ctx, g.holder.fn).locals.has(root.name)) continue;
          const sv = ctx.state.get(root.name);
          if (!sv) continue;
          // A stored address compared with the caller, or a table keyed by the caller. An address
          // read from a table at some other key (ownerOf[id]) is per-item ownership, not privilege.
          if (g.holder.keyed || !sv.typeText.startsWith('mapping(')) out.add(sv.name);
        }
      }
    }
    return out;
  }

  return { files, contracts, byName, structs, enums, viewNames, mutatingNames, facts, guardsOf, entries, reach, resolveFunction, resolveModifier, privilegedState, src: srcOf };
}

/** `Lib.Struct` -> `Struct`: qualified type names refer to the same declaration. */
export const shortName = (n: string): string => n.split('.').pop() ?? n;

function peel(n: Node | null | undefined): Node | null {
  let cur = n ?? null;
  while (cur && cur.type === 'TupleExpression' && cur.components?.length === 1) cur = cur.components[0] ?? null;
  return cur;
}

/** Effects of a function in execution order with its modifiers' code wrapped around the body. */
const effectsCache = new WeakMap<ContractInfo, Map<number, { effect: Effect; fn: FnInfo }[]>>();

export function orderedEffects(p: Project, ctx: ContractInfo, fn: FnInfo, depth = 0, seen: Set<number> = new Set()): { effect: Effect; fn: FnInfo }[] {
  if (depth === 0) {
    let m = effectsCache.get(ctx);
    if (!m) {
      m = new Map();
      effectsCache.set(ctx, m);
    }
    const hit = m.get(fn.id);
    if (hit) return hit;
    const computed = orderedEffectsUncached(p, ctx, fn, 0, seen);
    m.set(fn.id, computed);
    return computed;
  }
  return orderedEffectsUncached(p, ctx, fn, depth, seen);
}

function orderedEffectsUncached(p: Project, ctx: ContractInfo, fn: FnInfo, depth: number, seen: Set<number>): { effect: Effect; fn: FnInfo }[] {
  if (seen.has(fn.id) || depth > 6) return [];
  seen.add(fn.id);
  const own = p.facts(ctx, fn).effects;
  const expand = (list: Effect[], owner: FnInfo): { effect: Effect; fn: FnInfo }[] => {
    const out: { effect: Effect; fn: FnInfo }[] = [];
    for (const e of list) {
      if (e.kind === 'internal') {
        out.push({ effect: e, fn: owner });
        out.push(...orderedEffects(p, ctx, e.fn, depth + 1, new Set(seen)));
      } else out.push({ effect: e, fn: owner });
    }
    return out;
  };
  let body = expand(own, fn);
  if (fn.kind !== 'modifier') {
    for (const m of [...(fn.node.modifiers ?? [])].reverse()) {
      const mod = m.name ? p.resolveModifier(ctx, m.name) : null;
      if (!mod) continue;
      const modEffects = expand(p.facts(ctx, mod).effects, mod);
      const at = modEffects.findIndex((x) => x.effect.kind === 'placeholder');
      body = at < 0 ? [...modEffects, ...body] : [...modEffects.slice(0, at), ...body, ...modEffects.slice(at + 1)];
    }
  }
  return body;
}

export function isBlockValue(n: Node): boolean {
  if (n.type === 'Identifier' && n.name === 'now') return true;
  if (n.type === 'MemberAccess' && n.expression?.type === 'Identifier' && n.expression.name === 'block' && BLOCK_VALUES.has(n.memberName ?? '')) return true;
  if (n.type === 'FunctionCall' && calleeName(n) === 'blockhash' && n.expression?.type === 'Identifier') return true;
  return false;
}

export const isTimestamp = (n: Node): boolean => (n.type === 'Identifier' && n.name === 'now') || isMember(n, 'block', 'timestamp');

export { line };
