/**
 * The project model the detectors read, built in steps (each in model/):
 *   1. declarations.ts  collect contracts, state, functions, modifiers, free functions, types;
 *   2. declarations.ts  resolve inheritance (linearised bases, inherited state, leaves);
 *   3. facts.ts         per function: effects in execution order, calls, conditions, loops, locals
 *                       (with resolve.ts: where a called name leads);
 *   4. guards.ts        access guards and the privileged state they protect;
 *   5. reach.ts         entry points and who can run each function.
 * Steps 3 to 5 run on demand and are cached per project. Below: effects with modifiers and
 * internal calls expanded, and the block values detectors look for.
 */
import { modifiersOf, calleeName, isMember, line, shortName, type Node } from './ast';
import { collectDeclarations, resolveInheritance } from './model/declarations';
import { emptyFacts, functionFacts } from './model/facts';
import { guardsOf, privilegedState } from './model/guards';
import { entries, reach } from './model/reach';
import { resolveFunction, resolveModifier, srcOf } from './model/resolve';
import type { ContractInfo, Effect, FnFacts, FnInfo, ModelCore, Project } from './model/types';
import type { ParsedFile } from './parse';

export type { Condition, ContractInfo, Declarations, Effect, ExtCall, FnFacts, FnInfo, Guard, Project, StateVar, TargetKind } from './model/types';

const BLOCK_VALUES = new Set(['timestamp', 'number', 'difficulty', 'prevrandao', 'coinbase', 'gaslimit', 'blockhash']);

export function buildProject(files: ParsedFile[]): Project {
  const d = collectDeclarations(files);
  resolveInheritance(d);
  const factsCache = new Map<string, FnFacts>();
  const m: ModelCore = {
    d,
    facts(ctx, fn) {
      const key = `${ctx.name}:${fn.id}`;
      const hit = factsCache.get(key);
      if (hit) return hit;
      const f = emptyFacts(fn);
      factsCache.set(key, f);
      return functionFacts(d, ctx, fn, f);
    },
    guards: new Map(),
    privileged: new Map(),
    reach: new Map(),
  };
  return {
    files,
    contracts: d.contracts,
    byName: d.byName,
    structs: d.structs,
    enums: d.enums,
    viewNames: d.viewNames,
    mutatingNames: d.mutatingNames,
    facts: m.facts,
    guardsOf: (ctx, fn) => guardsOf(m, ctx, fn),
    entries,
    reach: (ctx, fn) => reach(m, ctx, fn),
    resolveFunction: (ctx, name, argc) => resolveFunction(d, ctx, name, argc),
    resolveModifier,
    privilegedState: (ctx) => privilegedState(m, ctx),
    src: srcOf,
  };
}

export { shortName };

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
    for (const m of [...modifiersOf(fn.node)].reverse()) {
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
