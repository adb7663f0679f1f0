/**
 * Step 5 of the model: reachability. The entry points of a contract (what an account can call)
 * and, through internal calls and modifiers, who can run each function: anyone, an owner, a role.
 */
import type { Trigger } from '../../../../shared/contract/audit';
import { modifiersOf } from '../ast';
import { guardsOf } from './guards';
import { resolveModifier } from './resolve';
import type { ContractInfo, FnInfo, ModelCore, ReachMap } from './types';

export function entries(ctx: ContractInfo): FnInfo[] {
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

function reachMap(m: ModelCore, ctx: ContractInfo): ReachMap {
  const hit = m.reach.get(ctx);
  if (hit) return hit;
  const map: ReachMap = new Map();
  m.reach.set(ctx, map);
  for (const entry of entries(ctx)) {
    const guards = guardsOf(m, ctx, entry);
    const stack: FnInfo[] = [entry];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const fn = stack.pop();
      if (!fn) break;
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
      const fx = m.facts(ctx, fn);
      for (const c of fx.internalCalls) stack.push(c.fn);
      for (const inv of modifiersOf(fn.node)) {
        const mod = inv.name ? resolveModifier(ctx, inv.name) : null;
        if (mod) stack.push(mod);
      }
    }
  }
  return map;
}

export function reach(m: ModelCore, ctx: ContractInfo, fn: FnInfo): { who: Trigger; entries: FnInfo[] } {
  const r = reachMap(m, ctx).get(fn.id);
  if (!r) return { who: 'nobody', entries: [] };
  if (r.anyone) return { who: 'anyone', entries: r.entries };
  return { who: r.who.has('owner') ? 'owner' : 'role', entries: r.entries };
}
