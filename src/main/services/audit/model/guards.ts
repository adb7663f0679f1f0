/**
 * Step 4 of the model: access guards, found from what they do. A condition restricts the caller
 * when it compares the caller (msg.sender/tx.origin, or a parameter that received it) with
 * stored state or looks the caller up in a table, in the function, its modifiers, or a helper it
 * calls. From the guards comes the privileged state: what guards compare the caller with.
 */
import type { FunctionCall } from '@solidity-parser/parser/dist/src/ast-types';
import { is, modifiersOf, args, asNode, calleeName, isMsgSender, isTxOrigin, rootIdentifier, some, textOf, walk, type Node } from '../ast';
import { resolveFunction, resolveModifier, srcOf } from './resolve';
import type { ContractInfo, FnInfo, Guard, ModelCore } from './types';

/** For a modifier whose code is not in the sources only: the convention for access modifiers. */
const UNSEEN_GUARD = /^only|^auth$|^requiresAuth$|restricted/i;
const EMPTY: ReadonlySet<string> = new Set();

/**
 * Whether `e` (a condition) restricts who may pass, and to whom. `senderParams` are this
 * function's parameters that carry the caller's address (a helper called as
 * `_check(role, msg.sender)`). The kind of holder comes from the check itself: the caller
 * compared with one stored address is an owner; a lookup keyed by the caller is a role.
 */
function accessCheck(m: ModelCore, ctx: ContractInfo, fn: FnInfo, e: Node | null | undefined, depth = 0, senderParams: ReadonlySet<string> = EMPTY): Guard | null {
  if (!e || depth > 3) return null;
  const f = m.facts(ctx, fn);
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
        const side = accessCheck(m, ctx, fn, e.left, depth, senderParams) ?? accessCheck(m, ctx, fn, e.right, depth, senderParams);
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
        if (e.left?.type === 'FunctionCall') return accessCheck(m, ctx, fn, e.left, depth, senderParams);
      }
      return null;
    }
    case 'UnaryOperation':
      // !blacklisted[msg.sender] restricts nobody in particular.
      if (e.operator === '!' && e.subExpression?.type === 'FunctionCall') return accessCheck(m, ctx, fn, e.subExpression, depth, senderParams);
      return null;
    case 'TupleExpression':
      return accessCheck(m, ctx, fn, asNode(e.components?.[0]), depth, senderParams);
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
      const target = e.expression?.type === 'Identifier' ? resolveFunction(m.d, ctx, name, args(e).length) : null;
      if (target && target.id !== fn.id && depth < 3) {
        const inner = helperGuard(m, ctx, target, callerParams(target, e, senderLike), depth + 1);
        if (inner) return { ...inner, node: e, cond: e, text: textOf(src, e) };
        return null;
      }
      // An external or unknown helper given the caller's address decides about the caller; a
      // state-changing call (a token pull from the caller) is an action, not a check.
      const acts = e.expression?.type === 'MemberAccess' && m.d.mutatingNames.has(name) && !m.d.viewNames.has(name);
      if (!target && !acts && args(e).some((a) => senderLike(a))) return guard(e, 'role');
      return null;
    }
    default:
      return null;
  }
}

/** The parameters of `callee` that receive the caller's address at this call. */
function callerParams(callee: FnInfo, call: FunctionCall, senderLike: (n: Node | null | undefined) => boolean): Set<string> {
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
function helperGuard(m: ModelCore, ctx: ContractInfo, helper: FnInfo, senderParams: Set<string>, depth: number): Guard | null {
  const inBody = guardsInBody(m, ctx, helper, depth, senderParams)[0];
  if (inBody) return inBody;
  let found: Guard | null = null;
  walk(helper.node.body, (x) => {
    if (found) return false;
    if (x.type === 'ReturnStatement' && x.expression) found = accessCheck(m, ctx, helper, x.expression, depth, senderParams);
    return !found;
  });
  return found;
}

/** Access checks inside a function's own body (and what it calls first), not its modifiers. */
export function guardsInBody(m: ModelCore, ctx: ContractInfo, fn: FnInfo, depth = 0, senderParams: ReadonlySet<string> = EMPTY): Guard[] {
  const f = m.facts(ctx, fn);
  const out: Guard[] = [];
  for (const c of f.conditions) {
    const g = accessCheck(m, ctx, fn, c.expr, depth, senderParams);
    if (g) out.push(g);
  }
  if (depth < 3) {
    const senderLike = (n: Node | null | undefined): boolean => isMsgSender(n) || isTxOrigin(n) || (n?.type === 'Identifier' && !!n.name && (f.senderDerived.has(n.name) || senderParams.has(n.name)));
    for (const call of f.internalCalls) {
      // _checkOwner(); _checkRole(role); _check(role, msg.sender); LibAccess.enforceIsOwner();
      if (!isStatementCall(fn, call.node)) continue;
      // super.grantRole(...) carries its onlyRole modifier with it.
      const [first] = [...guardsInBody(m, ctx, call.fn, depth + 1, callerParams(call.fn, call.node, senderLike)), ...modifierGuards(m, ctx, call.fn)];
      if (first) out.push({ ...first, node: call.node });
    }
  }
  return out;
}

function isStatementCall(fn: FnInfo, call: Node): boolean {
  return (fn.node.body?.statements ?? []).some((s) => is(s, 'ExpressionStatement') && s.expression === call);
}

export function guardsOf(m: ModelCore, ctx: ContractInfo, fn: FnInfo): Guard[] {
  const key = `${ctx.name}:${fn.id}`;
  const hit = m.guards.get(key);
  if (hit) return hit;
  m.guards.set(key, []);
  const out: Guard[] = [...guardsInBody(m, ctx, fn), ...modifierGuards(m, ctx, fn)];
  m.guards.set(key, out);
  return out;
}

function modifierGuards(m: ModelCore, ctx: ContractInfo, fn: FnInfo): Guard[] {
  const out: Guard[] = [];
  for (const inv of modifiersOf(fn.node)) {
    const mod = inv.name ? resolveModifier(ctx, inv.name) : null;
    if (mod) {
      const [first] = guardsInBody(m, ctx, mod);
      if (first) out.push({ ...first, node: inv });
    } else if (inv.name && UNSEEN_GUARD.test(inv.name) && !/initiali[sz]/i.test(inv.name)) {
      // Its code is not in the audited sources: the naming convention is all there is to go on.
      out.push({ who: 'role', node: inv, text: inv.name });
    }
  }
  return out;
}

export function privilegedState(m: ModelCore, ctx: ContractInfo): Set<string> {
  const hit = m.privileged.get(ctx);
  if (hit) return hit;
  const out = new Set<string>();
  m.privileged.set(ctx, out);
  for (const c of ctx.linear) {
    for (const fn of [...c.functions, ...c.modifiers]) {
      if (!fn.node.body) continue;
      for (const g of guardsInBody(m, ctx, fn)) {
        if (!g.holder) continue;
        const root = rootIdentifier(g.holder.node);
        if (!root?.name || m.facts(ctx, g.holder.fn).locals.has(root.name)) continue;
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
