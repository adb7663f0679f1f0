/**
 * Upgradeable contracts: an implementation any account can upgrade (a path to a write of the
 * EIP-1967 implementation or beacon slot with no guard on who calls), an implementation any account
 * can initialise (its initialiser is not used up in the constructor), and proxies that keep their
 * own variables in the low storage slots the implementation uses as well.
 */
import { modifiersOf, args, line, nameOf, rootIdentifier, some, walk, type Node } from '../ast';
import { orderedEffects, type ContractInfo, type FnInfo, type Project } from '../model';
import { closure, definitions } from './authority';
import { fnLabel, type Detector } from './types';

/** The standard slots (EIP-1967 implementation and beacon, ERC-1822): their values, and the preimages they are derived from. */
const SLOT_VALUES = ['360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc', 'a3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50', 'c5f16f0fcc639fa48a6947836d9850f504798523bf8c9a3a87d5876cf622bcf7'];
const SLOT_PREIMAGES = ['eip1967.proxy.implementation', 'eip1967.proxy.beacon', 'PROXIABLE'];

const isView = (fn: FnInfo): boolean => fn.mutability === 'view' || fn.mutability === 'pure' || fn.mutability === 'constant';
const textAt = (p: Project, fn: FnInfo | ContractInfo, n: Node): string => p.src(fn).slice(n.range?.[0] ?? 0, (n.range?.[1] ?? 0) + 1);
const standardSlot = (text: string): boolean => SLOT_VALUES.some((v) => text.toLowerCase().includes(v)) || SLOT_PREIMAGES.some((s) => text.includes(`"${s}"`) || text.includes(`'${s}'`));

/** Constants holding a code slot, by name, across the project. */
function slotConstants(p: Project): Set<string> {
  const out = new Set<string>();
  for (const c of p.contracts) for (const v of c.ownState.values()) if (v.constant && v.node.expression && standardSlot(textAt(p, c, v.node.expression))) out.add(v.name);
  return out;
}

/** What `fn` calls: resolved internal calls, and inside a library its own helpers. */
function callees(p: Project, ctx: ContractInfo, fn: FnInfo): FnInfo[] {
  const out = p.facts(ctx, fn).internalCalls.map((c) => c.fn);
  if (fn.contract.kind === 'library')
    walk(fn.node.body, (n) => {
      if (n.type !== 'FunctionCall' || n.expression?.type !== 'Identifier') return;
      const g = fn.contract.functions.find((x) => x.name === nameOf(n.expression) && (x.node.parameters ?? []).length === args(n).length);
      if (g && !out.includes(g)) out.push(g);
    });
  return out;
}

/**
 * Flags kept behind a storage pointer (`S storage $ = _slot(); if ($.done) revert(); $.done = true;`):
 * the members a gate reads through such a pointer and the members the function sets through one.
 */
export function pointerFlags(p: Project, ctx: ContractInfo, fn: FnInfo): { checked: Set<string>; set: Set<string> } {
  const f = p.facts(ctx, fn);
  const pointers = new Set([...f.locals].filter(([, l]) => l.storage === 'storage').map(([k]) => k));
  const res = { checked: new Set<string>(), set: new Set<string>() };
  if (pointers.size === 0 || !fn.node.body) return res;
  const member = (n: Node | null | undefined): string | null => (n?.type === 'MemberAccess' && n.memberName && pointers.has(rootIdentifier(n)?.name ?? '') ? `.${n.memberName}` : null);
  walk(fn.node.body, (n) => {
    const target = n.type === 'BinaryOperation' && n.operator && /^[-+*/|&^]?=$/.test(n.operator) ? n.left : n.type === 'UnaryOperation' && ['++', '--', 'delete'].includes(n.operator ?? '') ? n.subExpression : null;
    const m = member(target);
    if (m) res.set.add(m);
  });
  const defs = definitions(fn);
  for (const c of f.conditions) {
    if (!c.gate) continue;
    for (const x of closure(fn, c.expr, defs))
      walk(x, (n) => {
        const m = member(n);
        if (m) res.checked.add(m);
      });
  }
  return res;
}

/** Whether `fn` (or what it calls) stores to a code slot; `abstract` when a function on the way has no body (the deriving contract decides). */
function slotWrite(p: Project, ctx: ContractInfo, fn: FnInfo, slots: Set<string>, seen = new Set<number>()): { writes: boolean; abstract: boolean } {
  const res = { writes: false, abstract: false };
  if (seen.has(fn.id)) return res;
  seen.add(fn.id);
  if (!fn.node.body) return { writes: false, abstract: true };
  const isSlot = (n: Node): boolean => (n.type === 'Identifier' && !!n.name && slots.has(n.name)) || (n.type === 'MemberAccess' && !!n.memberName && slots.has(n.memberName));
  walk(fn.node.body, (n) => {
    if (n.type === 'InlineAssemblyStatement') {
      for (const m of textAt(p, fn, n).matchAll(/sstore\(\s*([\w.]+)/g)) {
        const target = m[1] ?? '';
        if (slots.has(target.split('.').pop() ?? target) || standardSlot(target)) res.writes = true;
      }
    }
    if (n.type === 'BinaryOperation' && n.operator === '=' && some(n.left, isSlot)) res.writes = true;
  });
  for (const g of callees(p, ctx, fn)) {
    const r = slotWrite(p, ctx, g, slots, seen);
    res.writes ||= r.writes;
    res.abstract ||= r.abstract;
  }
  for (const m of modifiersOf(fn.node)) {
    const mod = m.name ? p.resolveModifier(ctx, m.name) : null;
    if (mod) res.abstract ||= slotWrite(p, ctx, mod, slots, seen).abstract;
  }
  return res;
}

const isZero = (n: Node | null | undefined): boolean => !!n && ((n.type === 'NumberLiteral' && /^0+$/.test(String(n.number ?? ''))) || (n.type === 'FunctionCall' && nameOf(n.expression) === 'address' && isZero(n.arguments?.[0])));
const mentionsSelf = (n: Node): boolean => n.type === 'Identifier' && n.name === 'this';

/** The functions run by an entry: itself, its modifiers and what they call. */
const onPath = (p: Project, ctx: ContractInfo, entry: FnInfo): FnInfo[] => [...new Set([entry, ...orderedEffects(p, ctx, entry).flatMap((e) => (e.effect.kind === 'internal' ? [e.fn, e.effect.fn] : [e.fn]))])];

/** Once only: a gate on the path compares with zero (nothing set yet) or reads state the path writes. */
function onceOnly(p: Project, ctx: ContractInfo, entry: FnInfo): string | null {
  const path = onPath(p, ctx, entry);
  const written = new Set(orderedEffects(p, ctx, entry).flatMap((e) => (e.effect.kind === 'write' ? [e.effect.name] : [])));
  const pointer = path.map((fn) => pointerFlags(p, ctx, fn));
  const pointerSet = new Set(pointer.flatMap((x) => [...x.set]));
  const pointerFlag = pointer.flatMap((x) => [...x.checked]).find((m) => pointerSet.has(m));
  if (pointerFlag) return pointerFlag;
  for (const fn of path) {
    const f = p.facts(ctx, fn);
    for (const c of f.conditions) {
      if (!c.gate) continue;
      const flag = (() => {
        let hit: string | null = null;
        walk(c.expr, (n) => {
          if (!hit && n.type === 'Identifier' && n.name && !f.locals.has(n.name) && ctx.state.has(n.name) && written.has(n.name)) hit = n.name;
        });
        return hit;
      })();
      if (flag) return flag;
      if (some(c.expr, (n) => n.type === 'BinaryOperation' && n.operator === '==' && (isZero(n.left) || isZero(n.right)))) return '';
    }
  }
  return null;
}

const upgradable = (ctx: ContractInfo): boolean => ctx.isLeaf && ctx.kind === 'contract';

/** SWC-105: any account can point the proxy at new code. */
export const unprotectedUpgrade: Detector = ({ p, report }) => {
  const slots = slotConstants(p);
  for (const ctx of p.contracts) {
    if (!upgradable(ctx)) continue;
    for (const entry of p.entries(ctx)) {
      if (isView(entry) || p.reach(ctx, entry).who !== 'anyone') continue;
      const w = slotWrite(p, ctx, entry, slots);
      if (!w.writes || w.abstract || onceOnly(p, ctx, entry) !== null) continue;
      // Inherited upgrade code: the flaw is this contract's hook on the path that lets everyone through.
      const hook = entry.contract.file === ctx.file ? entry : (onPath(p, ctx, entry).find((fn) => fn.contract.file === ctx.file) ?? entry);
      report({
        detector: 'unprotected-upgrade',
        swc: 'SWC-105',
        category: 'access_control',
        severity: 'high',
        confidence: 'high',
        at: line(hook.node),
        file: hook.contract.file.path,
        contract: hook.contract,
        fn: hook,
        title: 'Anyone can upgrade the implementation',
        description: `${fnLabel(entry)} writes the slot holding the implementation, and nothing on its path checks who calls it: any account can replace the code behind the proxy and take every asset it holds.`,
        recommendation: 'Guard the upgrade (the authorisation hook must check the caller against the owner or a role).',
      });
    }
  }
};

/** SWC-105: an implementation whose initialiser any account can still run (it is not used up in the constructor). */
export const openImplementationInitializer: Detector = ({ p, report }) => {
  const slots = slotConstants(p);
  for (const ctx of p.contracts) {
    if (!upgradable(ctx)) continue;
    const upgrades = p.entries(ctx).filter((e) => !isView(e) && slotWrite(p, ctx, e, slots).writes && !slotWrite(p, ctx, e, slots).abstract);
    if (upgrades.length === 0) continue;
    const privileged = p.privilegedState(ctx);
    const ctor = ctx.linear.flatMap((c) => c.functions).find((f) => f.kind === 'constructor');
    const ctorWrites = new Set(ctor ? [...orderedEffects(p, ctx, ctor).flatMap((e) => (e.effect.kind === 'write' ? [e.effect.name] : [])), ...onPath(p, ctx, ctor).flatMap((fn) => [...pointerFlags(p, ctx, fn).set])] : []);
    // The implementation can be upgraded directly, not only through a proxy, unless the path compares with its own address.
    const direct = upgrades.some((u) => !onPath(p, ctx, u).some((fn) => p.facts(ctx, fn).conditions.some((c) => c.gate && some(c.expr, mentionsSelf))));
    for (const entry of p.entries(ctx)) {
      if (isView(entry) || upgrades.includes(entry) || p.reach(ctx, entry).who !== 'anyone') continue;
      const flag = onceOnly(p, ctx, entry);
      if (!flag || ctorWrites.has(flag)) continue;
      const takes = orderedEffects(p, ctx, entry).find((e) => e.effect.kind === 'write' && privileged.has(e.effect.name));
      if (!takes) continue;
      report({
        detector: 'open-implementation-initializer',
        swc: 'SWC-105',
        category: 'access_control',
        severity: direct ? 'medium' : 'low',
        confidence: 'medium',
        at: line(entry.node),
        file: entry.contract.file.path,
        contract: entry.contract,
        fn: entry,
        title: 'Implementation can be initialised by anyone',
        description: `${fnLabel(entry)} runs once and sets who controls the contract, but the constructor never uses it up: on the deployed implementation any account can call it first and take control${direct ? ', then upgrade the implementation itself' : ''}.`,
        recommendation: 'Disable initialisers in the implementation’s constructor (set the initialised flag there).',
      });
    }
  }
};

/** The stored variable a fallback delegates to, when it is an ordinary state variable of the proxy. */
function delegateTarget(p: Project, ctx: ContractInfo): string | null {
  for (const fb of p.entries(ctx).filter((f) => f.kind === 'fallback' || (f.kind === 'function' && !f.name))) {
    for (const fn of onPath(p, ctx, fb)) {
      const f = p.facts(ctx, fn);
      for (const call of f.extCalls) {
        if (call.kind !== 'delegatecall' || call.targetKind !== 'state') continue;
        let target: string | null = null;
        walk(call.target, (n) => {
          if (!target && n.type === 'Identifier' && n.name && !f.locals.has(n.name) && ctx.state.has(n.name)) target = n.name;
        });
        if (target) return target;
      }
      // assembly { delegatecall(gas(), impl, ...) } with `impl` read from a state variable.
      let found: string | null = null;
      walk(fn.node.body, (n) => {
        if (found || n.type !== 'InlineAssemblyStatement') return;
        const text = textAt(p, fn, n);
        const m = /delegatecall\(\s*[^,]+,\s*(\w+)/.exec(text);
        const local = m?.[1];
        const init = local ? f.locals.get(local)?.init : null;
        if (init?.type === 'Identifier' && init.name && ctx.state.has(init.name) && !ctx.state.get(init.name)?.constant) found = init.name;
      });
      if (found) return found;
    }
  }
  return null;
}

/** Storage variables in slot order (bases first), without constants and immutables. */
const layout = (ctx: ContractInfo): { name: string; type: string; node: Node; owner: ContractInfo }[] =>
  [...ctx.linear].reverse().flatMap((c) => [...c.ownState.values()].filter((v) => !v.constant).map((v) => ({ name: v.name, type: v.typeText, node: v.node, owner: c })));

/** SWC-124: a proxy keeping its own variables in the slots the implementation also uses. */
export const proxyStorageCollision: Detector = ({ p, report }) => {
  for (const ctx of p.contracts) {
    if (!upgradable(ctx)) continue;
    const target = delegateTarget(p, ctx);
    if (!target) continue;
    const mine = layout(ctx);
    if (mine.length === 0) continue;
    // Other contracts of the file that keep state and are not proxies: implementations it may run.
    const impls = p.contracts.filter((c) => c !== ctx && c.file === ctx.file && upgradable(c) && !ctx.linear.includes(c) && !c.linear.includes(ctx) && delegateTarget(p, c) === null && layout(c).length > 0);
    // An implementation that mirrors the proxy's slots (the same types first) shows the layout is deliberate.
    if (impls.some((impl) => mine.every((v, k) => layout(impl)[k]?.type === v.type))) continue;
    let clash: { impl: ContractInfo; mine: (typeof mine)[number]; theirs: (typeof mine)[number] } | null = null;
    for (const impl of impls) {
      const theirs = layout(impl);
      const i = mine.findIndex((v, k) => theirs[k] !== undefined && theirs[k]?.type !== v.type);
      if (i >= 0 && theirs[i] && mine[i]) {
        clash = { impl, mine: mine[i], theirs: theirs[i] };
        break;
      }
    }
    const first = mine[0];
    const last = mine[mine.length - 1];
    if (!first || !last) continue;
    const sameFile = first.owner.file === ctx.file && last.owner.file === ctx.file;
    const severity = clash ? 'medium' : 'low';
    report({
      detector: 'proxy-storage-collision',
      swc: 'SWC-124',
      category: 'other',
      severity,
      confidence: severity,
      at: sameFile ? first.node : ctx.node,
      to: sameFile ? last.node : undefined,
      file: ctx.file.path,
      contract: ctx,
      fn: null,
      title: clash ? `Proxy variable ${clash.mine.name} shares a slot with ${clash.impl.name}.${clash.theirs.name}` : `Proxy keeps ${target} in an ordinary storage slot`,
      description: `${ctx.name} delegates to the code at ${target} but keeps ${mine.map((v) => v.name).join(', ')} in the first storage slots, where the implementation keeps its own variables${clash ? `: ${clash.impl.name} writes ${clash.theirs.name} to the slot that holds ${clash.mine.name}` : ''}. Writing one overwrites the other.`,
      recommendation: 'Keep the proxy’s own values in EIP-1967 slots (pseudo-random slots no implementation variable can reach).',
    });
  }
};
