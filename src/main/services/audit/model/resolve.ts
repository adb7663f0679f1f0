/**
 * Where a name leads: the function a call resolves to along the linearised bases (or a free
 * function), a modifier, a function of a library bound with `using`; and which helpers exist to
 * check their argument (they revert unless it holds).
 */
import { args, some, typeText, walk, type Node } from '../ast';
import type { ContractInfo, Declarations, FnInfo } from './types';

/** The source text a function or contract was parsed from. */
export const srcOf = (x: FnInfo | ContractInfo): string => ('file' in x ? x.file.content : x.contract.file.content);

/** The function `name(argc arguments)` called from `ctx`: the most derived with that arity, else any of that name, else a free function. */
export function resolveFunction(d: Declarations, ctx: ContractInfo, name: string, argc: number): FnInfo | null {
  let fallback: FnInfo | null = null;
  for (const c of ctx.linear) {
    for (const f of c.functions) {
      if (f.name !== name) continue;
      if ((f.node.parameters ?? []).length === argc) return f;
      fallback ??= f;
    }
  }
  return fallback ?? d.freeFunctions.get(name) ?? null;
}

export function resolveModifier(ctx: ContractInfo, name: string): FnInfo | null {
  for (const c of ctx.linear) for (const m of c.modifiers) if (m.name === name) return m;
  return null;
}

export function libraryFunction(d: Declarations, name: string, argc: number, libs: Iterable<string>): FnInfo | null {
  for (const lib of libs) {
    const l = d.byName.get(lib);
    if (!l) continue;
    const f = l.functions.find((x) => x.name === name && (x.node.parameters ?? []).length === argc + 1) ?? l.functions.find((x) => x.name === name);
    if (f) return f;
  }
  return null;
}

const conditionParamCache = new WeakMap<FnInfo, number | null>();
/**
 * Which bool parameter a helper requires to hold, when that is what it is for: its body
 * reverts unless the parameter is true (require(p, ...), if (!p) revert(...), assert(p)).
 */
export function conditionParam(d: Declarations, fn: FnInfo): number | null {
  const hit = conditionParamCache.get(fn);
  if (hit !== undefined) return hit;
  let found: number | null = null;
  const params = fn.node.parameters ?? [];
  const boolIndex = new Map(params.flatMap((p, i) => (p.name && typeText(p.typeName) === 'bool' ? [[p.name, i] as const] : [])));
  const isParam = (e: Node | null | undefined): number | undefined => (e?.type === 'Identifier' && e.name ? boolIndex.get(e.name) : undefined);
  if (boolIndex.size > 0) {
    walk(fn.node.body, (x) => {
      if (found !== null) return false;
      if (x.type === 'FunctionCall' && x.expression?.type === 'Identifier' && (x.expression.name === 'require' || x.expression.name === 'assert')) found = isParam(args(x)[0]) ?? null;
      if (x.type === 'IfStatement' && x.condition?.type === 'UnaryOperation' && x.condition.operator === '!' && some(x.trueBody, (y) => reverts(d, y, 0))) found = isParam(x.condition.subExpression) ?? null;
      return found === null;
    });
  }
  conditionParamCache.set(fn, found);
  return found;
}

/** A revert, directly or through a helper that always reverts (_revert(code) in assembly). */
function reverts(d: Declarations, y: Node, depth: number): boolean {
  if (y.type === 'RevertStatement' || y.type === 'ThrowStatement') return true;
  if (y.type === 'FunctionCall' && y.expression?.type === 'Identifier') {
    if (y.expression.name === 'revert') return true;
    const helper = depth < 2 ? resolveFunctionAnywhere(d, y.expression.name ?? '') : null;
    if (helper) return some(helper.node.body, (z) => reverts(d, z, depth + 1) || (z.type === 'InlineAssemblyStatement' && /\brevert\s*\(/.test(srcOf(helper).slice(z.range?.[0] ?? 0, (z.range?.[1] ?? 0) + 1))));
  }
  return false;
}

function resolveFunctionAnywhere(d: Declarations, name: string): FnInfo | null {
  return d.freeFunctions.get(name) ?? d.contracts.flatMap((c) => c.functions).find((f) => f.name === name) ?? null;
}
