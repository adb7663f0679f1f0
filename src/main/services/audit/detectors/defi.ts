/**
 * Token and market risks of modern (0.8.x) DeFi code: token calls whose boolean result is dropped,
 * crediting the requested amount of a pull instead of what arrived, prices read from spot reserves,
 * and swaps without a minimum output or a real deadline. Each decision comes from the shape of a
 * call (the declared function's parameters and returns, where its arguments come from), never from
 * a function's or a variable's name.
 */
import { returnsOf, args, calleeName, componentsOf, nameOf, peel, some, textOf, typeText, variablesOf, walk, type Node } from '../ast';
import type { ContractInfo, Effect, ExtCall, FnFacts, FnInfo, Project } from '../model';
import { fnLabel, unitsOf, type Detector } from './types';

type WriteEffect = Extract<Effect, { kind: 'write' }>;

const isView = (fn: FnInfo | null): boolean => !!fn && (fn.mutability === 'view' || fn.mutability === 'pure' || fn.mutability === 'constant');
export const isEntry = (fn: FnInfo): boolean => fn.kind === 'function' && (fn.visibility === 'public' || fn.visibility === 'external' || fn.visibility === 'default');

/** `address(this)` or `this`: the contract itself as an argument. */
export const isSelfAddress = (n: Node | null | undefined): boolean =>
  !!n && ((n.type === 'Identifier' && n.name === 'this') || (n.type === 'FunctionCall' && args(n).length === 1 && (n.expression?.type === 'ElementaryTypeName' || n.expression?.type === 'Identifier') && n.expression.name === 'address' && isSelfAddress(args(n)[0])));

const refsAny = (e: Node | null | undefined, names: ReadonlySet<string>): boolean => some(e, (n) => n.type === 'Identifier' && !!n.name && names.has(n.name));
const start = (n: Node): number => n.range?.[0] ?? 0;
const writesState = (f: FnFacts): boolean => f.effects.some((e) => e.kind === 'write');

/** The call's declared returns when its declaration is known: the result shape decides what the call is. */
const returnTypes = (decl: FnInfo | null): string[] => (decl ? returnsOf(decl.node) : []).map((r) => typeText(r.typeName));

/**
 * SWC-104 for token-like calls: an external call to a state-changing function declared to return
 * a single bool (ERC-20 transfer, transferFrom, approve have this shape), made as a bare statement
 * so the result is dropped. Tokens that return false instead of reverting then pass silently.
 */
export const uncheckedTokenResult: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const f = p.facts(ctx, fn);
    const bare = new Set<Node>();
    walk(fn.node.body, (n) => {
      if (n.type === 'ExpressionStatement') {
        const e = peel(n.expression);
        if (e?.type === 'FunctionCall') bare.add(e);
      }
    });
    for (const call of f.extCalls) {
      if (call.kind !== 'high' || !bare.has(call.node) || !call.decl || isView(call.decl)) continue;
      const rt = returnTypes(call.decl);
      if (rt.length !== 1 || rt[0] !== 'bool') continue;
      // A pull into the contract (from, this, amount) that fails quietly while the books credit the
      // caller lets anyone take the difference; a failed payout or approval hurts no one but the payee.
      const pull = args(call.node).length === 3 && isSelfAddress(args(call.node)[1]);
      const severity = pull && p.reach(ctx, fn).who === 'anyone' && writesState(f) ? 'medium' : 'low';
      report({
        detector: 'unchecked-token-result',
        swc: 'SWC-104',
        category: 'unchecked_low_level_calls',
        severity,
        confidence: 'high',
        at: call.node,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: `Boolean result of ${call.method ?? 'a token call'} is ignored`,
        description: `${fnLabel(fn)} calls ${textOf(p.src(fn), call.node.expression)}, declared to return a bool, and drops the result. A token that returns false instead of reverting leaves the transfer undone while the code carries on as if it happened.`,
        recommendation: 'Use a safe-transfer wrapper that accepts tokens returning nothing and reverts on false, or require the returned value.',
      });
    }
  }
};

/** A pull into the contract: a state-changing call whose arguments are (..., from, this, amount). */
interface Pull {
  node: Node;
  token: Node | null;
  amount: Node;
}

function pullsOf(p: Project, ctx: ContractInfo, fn: FnInfo): Pull[] {
  const f = p.facts(ctx, fn);
  const out: Pull[] = [];
  const shape = (n: Node): { self: number } | null => {
    const a = args(n);
    const self = a.findIndex((x, i) => i >= 1 && isSelfAddress(x));
    if (self < 1 || self !== a.length - 2) return null;
    return { self };
  };
  for (const call of f.extCalls) {
    if (call.kind !== 'high' || call.readOnly || isView(call.decl)) continue;
    const s = shape(call.node);
    const amount = s ? args(call.node)[s.self + 1] : undefined;
    if (amount) out.push({ node: call.node, token: call.target, amount });
  }
  // A library helper given the token first: Lib.safePull(token, from, this, amount).
  for (const c of f.internalCalls) {
    if (c.fn.contract.kind !== 'library' || isView(c.fn) || c.node.expression?.type !== 'MemberAccess') continue;
    const s = shape(c.node);
    const amount = s && s.self >= 2 ? args(c.node)[s.self + 1] : undefined;
    if (amount) out.push({ node: c.node, token: args(c.node)[0] ?? null, amount });
  }
  return out;
}

/**
 * Fee-on-transfer and rebasing tokens: the contract pulls `amount` from a caller and credits
 * `amount`, without measuring its own balance before and after. A token that takes a fee (or
 * rebases) delivers less, and the difference is paid by the other holders.
 */
export const creditedRequestedAmount: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const pulls = pullsOf(p, ctx, fn);
    if (pulls.length === 0) continue;
    // The contract's own balance read here (x.balanceOf(address(this))): the received amount is measured.
    if (some(fn.node.body, (n) => n.type === 'FunctionCall' && args(n).length === 1 && isSelfAddress(args(n)[0]) && n.expression?.type === 'MemberAccess')) continue;
    const f = p.facts(ctx, fn);
    for (const pull of pulls) {
      const amt = peel(pull.amount);
      if (amt?.type !== 'Identifier' || !amt.name) continue;
      const names = new Set([amt.name]);
      // Credit: a state write of the amount, or an internal call handed it that writes state (_mint(to, amount)).
      const credit =
        f.effects.find((e): e is WriteEffect => e.kind === 'write' && e.node.type === 'BinaryOperation' && refsAny(e.node.right, names))?.node ??
        f.internalCalls.find((c) => c.node !== pull.node && args(c.node).some((a) => refsAny(a, names)) && c.fn.node.body && writesState(p.facts(ctx, c.fn)))?.node;
      if (!credit) continue;
      const tokenChosen = !!pull.token && refsAny(pull.token, f.paramDerived) && !some(pull.token, (n) => n.type === 'Identifier' && !!n.name && !f.locals.has(n.name) && ctx.state.has(n.name));
      const severity = tokenChosen && p.reach(ctx, fn).who === 'anyone' ? 'medium' : 'low';
      report({
        detector: 'fee-on-transfer',
        swc: 'SWC-104',
        category: 'other',
        severity,
        confidence: 'medium',
        at: pull.node,
        to: start(credit) > start(pull.node) ? credit : undefined,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: 'Credits the requested amount, not the amount received',
        description: `${fnLabel(fn)} pulls ${amt.name} into the contract and credits ${amt.name} as sent. A fee-on-transfer or rebasing token delivers a different amount${tokenChosen ? '; the caller chooses the token, so the shortfall is taken from other depositors of it' : ''}.`,
        recommendation: 'Credit the contract’s balance after the transfer minus its balance before, or reject tokens whose transfers change the amount.',
      });
    }
  }
};

/**
 * Spot prices: two values returned together by one read of another contract (reserves of a pair,
 * the square-root price of a pool) combined into a ratio that then sets an amount. Any trade (or
 * flash loan) in the same transaction moves that ratio.
 */
export const spotPrice: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const f = p.facts(ctx, fn);
    const reads = new Map<Node, ExtCall>();
    for (const c of f.extCalls) if (c.kind === 'high' && c.target && (c.readOnly || isView(c.decl))) reads.set(c.node, c);
    if (reads.size === 0) continue;
    // Locals that are components of one multi-value read: local -> the read.
    const component = new Map<string, Node>();
    walk(fn.node.body, (n) => {
      let vars: (Node | null)[] = [];
      let init: Node | null = null;
      if (n.type === 'VariableDeclarationStatement' && (n.variables ?? []).length >= 2) {
        vars = variablesOf(n) ?? [];
        init = peel(n.initialValue);
      } else if (n.type === 'BinaryOperation' && n.operator === '=' && n.left?.type === 'TupleExpression' && (n.left.components ?? []).length >= 2) {
        vars = componentsOf(n.left) ?? [];
        init = peel(n.right);
      }
      if (init && reads.has(init))
        for (const v of vars) {
          const name = nameOf(v);
          if (name) component.set(name, init);
        }
    });
    if (component.size === 0) continue;
    const readsIn = (e: Node | undefined): Set<Node> => {
      const out = new Set<Node>();
      walk(e, (n) => {
        const read = n.type === 'Identifier' && n.name ? component.get(n.name) : undefined;
        if (read) out.add(read);
      });
      return out;
    };
    const ratios: Node[] = [];
    const internal = new Set(f.internalCalls.map((c) => c.node));
    walk(fn.node.body, (n) => {
      // A helper doing the arithmetic (mulDiv(sq, sq, q)): two of its arguments read the same values.
      if (n.type === 'FunctionCall' && internal.has(n)) {
        // Only arguments that are the values themselves (or casts of them), not something computed from them.
        const direct = (a: Node | undefined): Node | undefined => (a?.type === 'FunctionCall' && a.expression?.type === 'ElementaryTypeName' && args(a).length === 1 ? direct(args(a)[0]) : a);
        const per = args(n).map((a) => (direct(a)?.type === 'Identifier' ? readsIn(a) : new Set<Node>()));
        if (per.some((r, i) => per.some((q, j) => j > i && [...r].some((x) => q.has(x)))) && !args(n).some((a) => some(a, (x) => x.type === 'BinaryOperation' && x.operator === '-'))) {
          ratios.push(n);
          return false;
        }
        return;
      }
      if (n.type !== 'BinaryOperation' || (n.operator !== '*' && n.operator !== '/')) return;
      // Differences of accumulators over time (a TWAP) are not spot values.
      if (some(n, (x) => x.type === 'BinaryOperation' && x.operator === '-')) return;
      const l = readsIn(n.left);
      if ([...readsIn(n.right)].some((r) => l.has(r))) {
        ratios.push(n);
        return false;
      }
    });
    if (ratios.length === 0) continue;
    // Where the ratio goes: locals it flows into, then a state write, an external call or an internal call.
    const tainted = new Set<string>();
    const holds = (e: Node | null | undefined): boolean => !!e && (ratios.some((r) => some(e, (x) => x === r)) || refsAny(e, tainted));
    for (let round = 0; round < 3; round++) {
      walk(fn.node.body, (n) => {
        if (n.type === 'VariableDeclarationStatement' && holds(n.initialValue)) for (const v of variablesOf(n) ?? []) if (v?.name) tainted.add(v.name);
        if (n.type === 'BinaryOperation' && n.operator && /^[-+*/]?=$/.test(n.operator) && n.left?.type === 'Identifier' && n.left.name && f.locals.has(n.left.name) && holds(n.right)) tainted.add(n.left.name);
      });
    }
    const sink =
      f.effects.find((e): e is WriteEffect => e.kind === 'write' && e.node.type === 'BinaryOperation' && holds(e.node.right))?.node ??
      f.extCalls.find((c) => !c.readOnly && !isView(c.decl) && args(c.node).some(holds))?.node ??
      f.internalCalls.find((c) => args(c.node).some(holds))?.node ??
      f.conditions.find((c) => c.gate && holds(c.expr))?.node;
    const [ratio] = ratios;
    if (!ratio) continue;
    const moves = !!sink && p.reach(ctx, fn).who === 'anyone' && !isView(fn);
    report({
      detector: 'spot-price',
      swc: 'SWC-114',
      category: 'front_running',
      severity: moves ? 'medium' : 'low',
      confidence: 'medium',
      at: ratio,
      to: sink && start(sink) > start(ratio) ? sink : undefined,
      file: fn.contract.file.path,
      contract: fn.contract,
      fn,
      title: 'Price taken from spot reserves',
      description: `${fnLabel(fn)} derives a price from values read together from ${textOf(p.src(fn), ([...reads.values()].find((c) => readsIn(ratio).has(c.node)) ?? [...reads.values()][0])?.target)} at this moment${sink ? ' and uses it to set an amount' : ''}. A large trade or a flash loan in the same transaction moves it at will.`,
      recommendation: 'Value assets with a manipulation-resistant price: a time-weighted average over a window, or an oracle with staleness checks.',
    });
  }
};

/** Arguments of a call with struct literals opened: Params({a: x, b: 0}) gives a's and b's values with the member types. */
function flatArgs(p: Project, call: ExtCall): { value: Node; type: string }[] {
  const params = call.decl?.node.parameters ?? [];
  const out: { value: Node; type: string }[] = [];
  args(call.node).forEach((a, i) => {
    const t = typeText(params[i]?.typeName);
    const name = a.type === 'FunctionCall' ? calleeName(a) : null;
    const struct = name && p.structs.has(name.split('.').pop() ?? name) ? structMembers(p, name.split('.').pop() ?? name) : null;
    if (struct) {
      const names = a.type === 'FunctionCall' ? (a.names ?? []) : [];
      args(a).forEach((v, j) => out.push({ value: v, type: names.length > 0 ? (struct.get(names[j] ?? '') ?? '') : ([...struct.values()][j] ?? '') }));
    } else out.push({ value: a, type: t });
  });
  return out;
}

const structCache = new WeakMap<Project, Map<string, Map<string, string>>>();
function structMembers(p: Project, name: string): Map<string, string> | null {
  let all = structCache.get(p);
  if (!all) {
    all = new Map();
    for (const file of p.files)
      walk(file.ast, (n) => {
        if (n.type === 'StructDefinition' && n.name && !all?.has(n.name)) all?.set(n.name, new Map((n.members ?? []).map((m) => [m.name ?? '', typeText(m.typeName)])));
      });
    structCache.set(p, all);
  }
  return all.get(name) ?? null;
}

const isZero = (n: Node): boolean => n.type === 'NumberLiteral' && /^0+$/.test(String(n.number ?? ''));
const isNow = (n: Node): boolean => (n.type === 'Identifier' && n.name === 'now') || (n.type === 'MemberAccess' && n.memberName === 'timestamp' && n.expression?.type === 'Identifier' && n.expression.name === 'block');

/**
 * Swaps without protection: a state-changing call that returns the amount it produced, given 0 as
 * a full-width amount argument (the minimum output) while another argument carries an amount in, or
 * given the current block's timestamp as a deadline (always met). Sandwich bots take the difference.
 */
export const unprotectedSwap: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const f = p.facts(ctx, fn);
    for (const call of f.extCalls) {
      if (call.kind !== 'high' || !call.decl || isView(call.decl) || call.readOnly) continue;
      // It reports what came out: a uint amount or a list of amounts.
      if (!returnTypes(call.decl).some((t) => /^uint(256)?(\[\])?$/.test(t))) continue;
      const flat = flatArgs(p, call);
      const amounts = flat.filter((a) => /^uint(256)?$/.test(a.type));
      const zeroMin = amounts.find((a) => isZero(a.value));
      const amountIn = amounts.some((a) => !isZero(a.value) && !isNow(a.value));
      const nowDeadline = amounts.find((a) => isNow(a.value));
      const who = p.reach(ctx, fn).who;
      const base = { file: fn.contract.file.path, contract: fn.contract, fn, at: call.node, swc: 'SWC-114', category: 'front_running' as const };
      if (zeroMin && amountIn) {
        report({
          ...base,
          detector: 'swap-without-slippage',
          severity: who === 'anyone' ? 'medium' : 'low',
          confidence: 'medium',
          title: 'Swap accepts any output (minimum 0)',
          description: `${fnLabel(fn)} calls ${call.method ?? 'a swap'} with 0 where the least acceptable output goes. A trade placed before it in the same block moves the price and takes the difference.`,
          recommendation: 'Pass a minimum output computed off-chain (or from a manipulation-resistant price) and chosen by the caller.',
        });
      }
      if (nowDeadline && amountIn) {
        report({
          ...base,
          detector: 'swap-without-deadline',
          severity: 'low',
          confidence: 'medium',
          title: 'Deadline is the current block time',
          description: `${fnLabel(fn)} passes the current block's timestamp as ${call.method ?? 'the swap'}'s deadline, which every block meets: the transaction can be held and executed later at a worse price.`,
          recommendation: 'Take the deadline from the caller.',
        });
      }
    }
  }
};
