/**
 * Token risk as an analyst reads it, with the field names the well-known token-security APIs
 * use. Each item says whether it applies, who can trigger it, and the functions that show it;
 * `overall` sums them up. Decided from what the code does, never from identifiers: the
 * transfer path is what implements the ERC-20 transfer/transferFrom selectors and everything
 * it calls; a fee is a state-derived amount the path takes off what it credits; a blacklist is
 * a table keyed by an address that the path consults to refuse; a limit is state the path
 * compares the amount with; each counts when a privileged function can set it.
 */
import type { Evidence, TokenRisk, TokenRiskItem, Trigger } from '../../../shared/contract/audit';
import { asNode, endLine, is, isMsgSender, line, nameOf, rootIdentifier, some, typeText, walk, type Node } from './ast';
import { orderedEffects, type ContractInfo, type FnInfo, type Project } from './model';
import { withOverall } from './token-verdict';

const evidenceOf = (fn: FnInfo): Evidence => ({ file: fn.contract.file.path, contract: fn.contract.name, function: fn.name || fn.kind, line: line(fn.node), endLine: endLine(fn.node) });

function item(value: TokenRiskItem['value'], who: Trigger | null, fns: FnInfo[], note?: string): TokenRiskItem {
  const seen = new Set<number>();
  const evidence: Evidence[] = [];
  for (const f of fns) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    evidence.push(evidenceOf(f));
  }
  return note ? { value, who, evidence: evidence.slice(0, 10), note } : { value, who, evidence: evidence.slice(0, 10) };
}

const rank: Record<Trigger, number> = { anyone: 3, role: 2, owner: 1, nobody: 0 };
const widest = (list: Trigger[]): Trigger | null => (list.length === 0 ? null : list.reduce((a, b) => (rank[b] > rank[a] ? b : a)));
const UINT = /^uint\d*$/;
const isView = (fn: FnInfo): boolean => fn.mutability === 'view' || fn.mutability === 'pure' || fn.mutability === 'constant';

/** The ERC-20 transfer(address,uint256) / transferFrom(address,address,uint256) implementations: their selectors are the token's interface. */
function isErc20Transfer(fn: FnInfo): boolean {
  const types = (fn.node.parameters ?? []).map((q) => typeText(q.typeName));
  const amount = (t: string | undefined): boolean => !!t && UINT.test(t) && (t === 'uint' || t === 'uint256');
  if (fn.name === 'transfer') return types.length === 2 && types[0]?.startsWith('address') === true && amount(types[1]);
  if (fn.name === 'transferFrom') return types.length === 3 && types[0]?.startsWith('address') === true && types[1]?.startsWith('address') === true && amount(types[2]);
  return false;
}

/** A write that adds to (`+`: x += y, x = x + y, x++) or takes from (`-`) its target. */
function steps(n: Node, sign: '+' | '-'): boolean {
  if (n.type === 'UnaryOperation') return n.operator === sign + sign;
  if (n.type !== 'BinaryOperation') return false;
  if (n.operator === `${sign}=`) return true;
  const root = rootIdentifier(n.left)?.name;
  return n.operator === '=' && n.right?.type === 'BinaryOperation' && n.right.operator === sign && !!root && some(n.right, (x) => x.type === 'Identifier' && x.name === root);
}
const increases = (n: Node): boolean => steps(n, '+');
const decreases = (n: Node): boolean => steps(n, '-');

/** Whether `target` pushes `cond` towards true (+1), false (-1), or is not in it (0). */
function polarity(cond: Node | null | undefined, target: Node): number {
  if (!cond) return 0;
  if (cond === target) return 1;
  if (cond.type === 'UnaryOperation' && cond.operator === '!') return -polarity(cond.subExpression, target);
  if (cond.type === 'TupleExpression') return polarity(asNode(cond.components?.[0]), target);
  if (cond.type === 'BinaryOperation') {
    if (cond.operator === '&&' || cond.operator === '||') return polarity(cond.left, target) || polarity(cond.right, target);
    if ((cond.operator === '==' || cond.operator === '!=') && (cond.right?.type === 'BooleanLiteral' || cond.left?.type === 'BooleanLiteral')) {
      const lit = cond.right?.type === 'BooleanLiteral' ? cond.right : cond.left;
      const other = lit === cond.right ? cond.left : cond.right;
      const flip = (is(lit, 'BooleanLiteral') && lit.value === false) !== (cond.operator === '!=');
      return (flip ? -1 : 1) * polarity(other, target);
    }
  }
  return 0;
}

interface PathFacts {
  /** Functions on the transfer path (entries, what they call, their modifiers). */
  fns: Set<FnInfo>;
  /** The balance tables: address-keyed uint tables the path debits and credits. */
  balances: Set<string>;
}

function transferPath(p: Project, ctx: ContractInfo, entries: FnInfo[]): PathFacts {
  const fns = new Set<FnInfo>();
  for (const e of entries) {
    fns.add(e);
    for (const x of orderedEffects(p, ctx, e)) {
      fns.add(x.fn);
      if (x.effect.kind === 'internal') fns.add(x.effect.fn);
    }
  }
  const debited = new Set<string>();
  const credited = new Set<string>();
  for (const fn of fns) {
    for (const e of p.facts(ctx, fn).effects) {
      if (e.kind !== 'write' || !/^mapping\(address=>uint\d*\)$/.test(ctx.state.get(e.name)?.typeText ?? '')) continue;
      if (increases(e.node)) credited.add(e.name);
      if (decreases(e.node)) debited.add(e.name);
    }
  }
  return { fns, balances: new Set([...debited].filter((b) => credited.has(b))) };
}

/** Per function: the state each local is computed from (assignments and initialisers, flow-insensitively; internal calls bring what they read). */
function stateSources(p: Project, ctx: ContractInfo, fn: FnInfo): (e: Node | null | undefined) => Set<string> {
  const f = p.facts(ctx, fn);
  const byLocal = new Map<string, Set<string>>();
  const direct = (e: Node | null | undefined): Set<string> => {
    const out = new Set<string>();
    walk(e, (x) => {
      if (x.type === 'Identifier' && x.name) {
        if (ctx.state.has(x.name) && !f.locals.has(x.name)) out.add(x.name);
        for (const s of byLocal.get(x.name) ?? []) out.add(s);
      }
      if (x.type === 'FunctionCall') {
        const call = f.internalCalls.find((c) => c.node === x);
        if (call) for (const r of orderedEffects(p, ctx, call.fn)) if (r.effect.kind === 'read') out.add(r.effect.name);
      }
    });
    return out;
  };
  for (let pass = 0; pass < 3; pass++) {
    for (const [name, l] of f.locals) if (l.init) byLocal.set(name, new Set([...(byLocal.get(name) ?? []), ...direct(l.init)]));
    walk(fn.node.body, (x) => {
      if (x.type !== 'BinaryOperation' || !x.operator?.endsWith('=') || ['==', '!=', '<=', '>='].includes(x.operator) || x.left?.type !== 'Identifier' || !x.left.name || !f.locals.has(x.left.name)) return;
      byLocal.set(x.left.name, new Set([...(byLocal.get(x.left.name) ?? []), ...direct(x.right)]));
    });
  }
  return direct;
}

/**
 * Whether a fee is charged on buys (the branch it is read in tests the sender: tokens leaving
 * a pool), on sells (it tests the recipient), or on both (no such branch).
 */
function feeSide(p: Project, ctx: ContractInfo, fee: string, fns: Set<FnInfo>): 'buy' | 'sell' | 'both' {
  const sides = new Set<'buy' | 'sell' | 'both'>();
  for (const fn of fns) {
    if (p.facts(ctx, fn).locals.has(fee)) continue;
    const addresses = (fn.node.parameters ?? []).filter((q) => typeText(q.typeName).startsWith('address')).map((q) => q.name ?? '');
    // transferFrom(from, to, ..) / _transfer(from, to, ..); transfer(to, ..) sends from the caller.
    const from = addresses.length >= 2 ? addresses[0] : null;
    const to = addresses.length >= 2 ? addresses[1] : addresses[0];
    const names = (e: Node | null | undefined, n: string | null | undefined): boolean => !!n && some(e, (x) => x.type === 'Identifier' && x.name === n);
    walk(fn.node.body, (x, _parent, ancestors) => {
      if (x.type !== 'Identifier' || x.name !== fee) return;
      let side: 'buy' | 'sell' | 'both' = 'both';
      for (let i = ancestors.length - 1; i >= 0; i--) {
        const a = ancestors[i];
        if (a?.type !== 'IfStatement' || ancestors[i + 1] !== a.trueBody) continue;
        const buy = names(a.condition, from) || (!from && some(a.condition, isMsgSender));
        const sell = names(a.condition, to);
        if (buy !== sell) {
          side = buy ? 'buy' : 'sell';
          break;
        }
      }
      sides.add(side);
    });
  }
  return sides.size === 1 ? ([...sides][0] ?? 'both') : 'both';
}

export function assessTokenRisk(p: Project): TokenRisk {
  const leaves = p.contracts.filter((c) => c.isLeaf && c.kind === 'contract');
  // The token is the leaf implementing the ERC-20 transfer selectors; otherwise every leaf counts.
  const tokens = leaves.filter((c) => p.entries(c).some(isErc20Transfer));
  const scope = tokens.length > 0 ? tokens : leaves;

  type Hit = { fn: FnInfo; who: Trigger };
  const list = <T>(): T[] => [];
  const found = {
    mint: list<Hit>(),
    pause: list<Hit>(),
    blacklist: list<Hit>(),
    whitelist: list<Hit>(),
    buyFee: list<Hit & { name: string }>(),
    sellFee: list<Hit & { name: string }>(),
    maxTx: list<Hit>(),
    selfdestruct: list<Hit>(),
    ownerChange: list<Hit>(),
    takeBack: list<Hit>(),
    hidden: list<Hit>(),
    proxy: list<FnInfo>(),
    cooldown: list<FnInfo>(),
    sellAll: list<FnInfo>(),
    external: list<FnInfo>(),
    antiWhale: list<FnInfo>(),
    balanceEdit: list<Hit>(),
    personalFee: list<Hit>(),
  };
  let ownerVar: string | null = null;

  for (const ctx of scope) {
    // The owner is the stored address that guards compare the caller with, whatever its name.
    const privileged = p.privilegedState(ctx);
    for (const v of ctx.state.values()) if (!ownerVar && privileged.has(v.name) && /^address( payable)?$/.test(v.typeText)) ownerVar = v.name;
    const entries = p.entries(ctx).filter((e) => !isView(e));
    const path = transferPath(p, ctx, entries.filter(isErc20Transfer));
    // Who (other than any account) can set each state variable, through which entries.
    const setters = new Map<string, Hit[]>();
    const entryWrites = new Map<FnInfo, { effect: Node; name: string; fn: FnInfo }[]>();
    for (const entry of entries) {
      const who = p.reach(ctx, entry).who;
      const writes = orderedEffects(p, ctx, entry).flatMap((x) => (x.effect.kind === 'write' ? [{ effect: x.effect.node, name: x.effect.name, fn: x.fn }] : []));
      entryWrites.set(entry, writes);
      if (who === 'anyone' || path.fns.has(entry)) continue;
      for (const name of new Set(writes.map((w) => w.name))) setters.set(name, [...(setters.get(name) ?? []), { fn: entry, who }]);
    }
    const settable = (name: string): Hit[] => setters.get(name) ?? [];

    for (const fn of path.fns) {
      const f = p.facts(ctx, fn);
      const sources = stateSources(p, ctx, fn);
      const amountParams = new Set((fn.node.parameters ?? []).filter((q) => UINT.test(typeText(q.typeName))).map((q) => q.name ?? ''));
      for (const [name, l] of f.locals) if (l.init && some(l.init, (x) => x.type === 'Identifier' && amountParams.has(x.name ?? ''))) amountParams.add(name);
      const mentionsAmount = (e: Node | null | undefined): boolean => some(e, (x) => x.type === 'Identifier' && !!x.name && amountParams.has(x.name));

      // Fees: what the path credits is reduced by an amount computed from state.
      for (const e of f.effects) {
        if (e.kind !== 'write' || !path.balances.has(e.name) || !increases(e.node) || e.node.type !== 'BinaryOperation') continue;
        walk(e.node.right, (x) => {
          if (x.type !== 'BinaryOperation' || x.operator !== '-') return;
          for (const name of sources(x.right)) {
            const sv = ctx.state.get(name);
            if (!sv || sv.constant || path.balances.has(name)) continue;
            if (/^mapping\(address=>uint\d*\)$/.test(sv.typeText)) {
              for (const s of settable(name)) found.personalFee.push(s);
              continue;
            }
            if (!UINT.test(sv.typeText)) continue;
            const hits = settable(name);
            if (hits.length === 0) continue;
            // Buy or sell: the branch the fee is read in compares the sender (tokens leaving a pool) or the recipient.
            const side = feeSide(p, ctx, name, path.fns);
            for (const s of hits) {
              if (side !== 'sell') found.buyFee.push({ ...s, name });
              if (side !== 'buy') found.sellFee.push({ ...s, name });
            }
          }
        });
      }
      for (const c of f.conditions) {
        // Tables keyed by an address that decide whether a transfer goes through (or pays a fee).
        walk(c.expr, (x) => {
          if (x.type !== 'IndexAccess') return;
          const name = rootIdentifier(x)?.name;
          const sv = name ? ctx.state.get(name) : undefined;
          if (!sv || f.locals.has(name ?? '') || !/^mapping\(address=>bool\)$/.test(sv.typeText)) return;
          const hits = settable(sv.name);
          if (hits.length === 0) return;
          const pol = polarity(c.expr, x);
          // require(!m[x]) and if (m[x]) revert refuse listed accounts; require(open || m[x]) and if (m[x]) fee = 0 let them through.
          const refuses = c.gate ? (c.node.type === 'IfStatement' ? pol > 0 : pol < 0) : false;
          (refuses ? found.blacklist : found.whitelist).push(...hits);
        });
        if (!c.gate) continue;
        // A switch: a stored flag every transfer must pass.
        walk(c.expr, (x) => {
          if (x.type !== 'Identifier' || !x.name || f.locals.has(x.name) || ctx.state.get(x.name)?.typeText !== 'bool') return;
          found.pause.push(...settable(x.name));
        });
        // Limits: the amount compared with stored numbers.
        walk(c.expr, (x) => {
          if (x.type !== 'BinaryOperation' || !['<', '<=', '>', '>='].includes(x.operator ?? '')) return;
          const amountSide = mentionsAmount(x.left) ? x.right : mentionsAmount(x.right) ? x.left : null;
          if (!amountSide) return;
          const limits = [...sources(amountSide)].filter((n) => UINT.test(ctx.state.get(n)?.typeText ?? ''));
          if (limits.length > 0) found.antiWhale.push(fn);
          for (const n of limits) found.maxTx.push(...settable(n));
          // amount < balance[from]: the whole balance can never be sent.
          const strict = (x.operator === '<' && x.right === amountSide) || (x.operator === '>' && x.left === amountSide);
          if (strict && some(amountSide, (y) => y.type === 'IndexAccess' && path.balances.has(rootIdentifier(y)?.name ?? ''))) found.sellAll.push(fn);
        });
        // Cooldown: per-account times compared with the block time.
        if (some(c.expr, (n) => n.type === 'IndexAccess') && some(c.expr, (n) => (n.type === 'Identifier' && n.name === 'now') || (n.type === 'MemberAccess' && n.memberName === 'timestamp' && nameOf(n.expression) === 'block'))) found.cooldown.push(fn);
      }
      if (f.extCalls.some((c) => !c.readOnly && c.targetKind !== 'self')) found.external.push(fn);
    }

    const delegateTargets = new Set<string>();
    for (const c of ctx.linear) for (const fn of c.functions) for (const call of fn.node.body ? p.facts(ctx, fn).extCalls : []) if (call.kind === 'delegatecall' && call.targetKind === 'state') delegateTargets.add(rootIdentifier(call.target)?.name ?? '');
    // Who set the current owner aside (previous = owner), to be restored later.
    const remembersOwner = new Set<string>();
    for (const writes of entryWrites.values()) for (const w of writes) if (w.effect.type === 'BinaryOperation' && w.effect.operator === '=' && w.effect.right?.type === 'Identifier' && w.effect.right.name === ownerVar && w.name !== ownerVar) remembersOwner.add(w.name);

    for (const entry of entries) {
      const who = p.reach(ctx, entry).who;
      const writes = entryWrites.get(entry) ?? [];
      const onPath = path.fns.has(entry);
      // Minting: the supply and a balance both grow, outside the transfer path.
      const growsBalance = writes.some((w) => path.balances.has(w.name) && increases(w.effect));
      const growsSupply = writes.some((w) => UINT.test(ctx.state.get(w.name)?.typeText ?? '') && increases(w.effect));
      const shrinksSupply = writes.some((w) => UINT.test(ctx.state.get(w.name)?.typeText ?? '') && decreases(w.effect));
      if (!onPath && growsBalance && growsSupply) found.mint.push({ fn: entry, who });
      // A privileged hand on balances outside minting, burning and the transfer path itself.
      if (!onPath && who !== 'anyone' && !growsSupply && !shrinksSupply && writes.some((w) => path.balances.has(w.name) && !path.fns.has(w.fn))) found.balanceEdit.push({ fn: entry, who });
      if (ownerVar && entry.kind !== 'constructor' && writes.some((w) => w.name === ownerVar)) {
        found.ownerChange.push({ fn: entry, who });
        if (writes.some((w) => w.name === ownerVar && w.effect.type === 'BinaryOperation' && w.effect.right?.type === 'Identifier' && remembersOwner.has(w.effect.right.name ?? ''))) found.takeBack.push({ fn: entry, who });
      }
      if (p.facts(ctx, entry).selfdestructs.length > 0 || orderedEffects(p, ctx, entry).some((e) => e.effect.kind === 'internal' && p.facts(ctx, e.effect.fn).selfdestructs.length > 0)) found.selfdestruct.push({ fn: entry, who });
      // A co-owner: another address, not readable through the ABI, that passes the same checks as the owner.
      for (const g of p.guardsOf(ctx, entry)) {
        const ids = new Set<string>();
        walk(g.cond ?? g.node, (n) => {
          if (n.type === 'Identifier' && n.name && ctx.state.has(n.name) && /^address/.test(ctx.state.get(n.name)?.typeText ?? '')) ids.add(n.name);
        }, { declarationParts: true });
        if (ownerVar && ids.has(ownerVar) && [...ids].some((id) => id !== ownerVar && ctx.state.get(id)?.node.visibility !== 'public')) found.hidden.push({ fn: entry, who });
      }
      if (entry.kind === 'fallback' && p.facts(ctx, entry).extCalls.some((c) => c.kind === 'delegatecall')) found.proxy.push(entry);
      if (!onPath && writes.some((w) => delegateTargets.has(w.name))) found.proxy.push(entry);
    }
  }

  const who = (xs: { who: Trigger }[]): Trigger | null => widest(xs.map((x) => x.who));
  const fns = (xs: { fn: FnInfo }[]): FnInfo[] => xs.map((x) => x.fn);
  const fees = [...found.buyFee, ...found.sellFee];
  const ownerFns = found.ownerChange;
  const renounce = ownerFns.some((o) => orderedEffects(p, o.fn.contract, o.fn).some((e) => e.effect.kind === 'write' && e.effect.name === ownerVar && e.effect.node.type === 'BinaryOperation' && some(e.effect.node.right, (x) => x.type === 'NumberLiteral' && Number(x.number) === 0)));
  const taxNote = (xs: { name: string }[]): string => (xs.length > 0 ? `a privileged setter changes ${[...new Set(xs.map((f) => f.name))].join(', ')}, which the transfer takes off the amount credited` : 'no fee a privileged function can set');
  const risk: TokenRisk = {
    // A mint any account can call is backed by a deposit (LP shares, wrapped assets): not an owner power.
    is_mintable: item(
      found.mint.some((m) => m.who !== 'anyone'),
      who(found.mint.filter((m) => m.who !== 'anyone')),
      fns(found.mint.filter((m) => m.who !== 'anyone')),
      found.mint.some((m) => m.who === 'anyone') ? `${found.mint.filter((m) => m.who === 'anyone').map((m) => m.fn.name).join(', ')} mint to any caller (against a deposit)` : undefined,
    ),
    owner_address: item(ownerVar, ownerVar ? 'owner' : null, fns(ownerFns), ownerVar ? `state variable ${ownerVar}; its current value is read from chain when audited by address` : 'no owner variable'),
    owner_change_balance: item(found.balanceEdit.length > 0, who(found.balanceEdit), fns(found.balanceEdit)),
    can_take_back_ownership: item(found.takeBack.length > 0, who(found.takeBack), fns(found.takeBack), renounce ? 'ownership can be renounced' : undefined),
    hidden_owner: item(found.hidden.length > 0, who(found.hidden), fns(found.hidden)),
    is_proxy: item(found.proxy.length > 0, who(found.proxy.map((f): Hit => ({ who: p.reach(f.contract, f).who === 'anyone' && f.kind === 'fallback' ? 'owner' : p.reach(f.contract, f).who, fn: f }))), found.proxy),
    transfer_pausable: item(found.pause.length > 0, who(found.pause), fns(found.pause)),
    is_blacklisted: item(found.blacklist.length > 0, who(found.blacklist), fns(found.blacklist)),
    is_whitelisted: item(found.whitelist.length > 0, who(found.whitelist), fns(found.whitelist)),
    buy_tax: item(found.buyFee.length > 0 ? 'modifiable' : null, who(found.buyFee), fns(found.buyFee), taxNote(found.buyFee)),
    sell_tax: item(found.sellFee.length > 0 ? 'modifiable' : null, who(found.sellFee), fns(found.sellFee), taxNote(found.sellFee)),
    slippage_modifiable: item(fees.length > 0, who(fees), fns(fees)),
    personal_slippage_modifiable: item(found.personalFee.length > 0, who(found.personalFee), fns(found.personalFee)),
    is_anti_whale: item(found.antiWhale.length > 0, null, found.antiWhale),
    anti_whale_modifiable: item(found.maxTx.length > 0, who(found.maxTx), fns(found.maxTx)),
    trading_cooldown: item(found.cooldown.length > 0, null, found.cooldown),
    cannot_sell_all: item(found.sellAll.length > 0, null, found.sellAll),
    selfdestruct: item(
      found.selfdestruct.length > 0,
      who(found.selfdestruct),
      fns(found.selfdestruct),
      found.selfdestruct.length > 0 ? `${who(found.selfdestruct) === 'anyone' ? 'any account' : `the ${who(found.selfdestruct) ?? 'owner'}`} can destroy the contract and take what it holds` : undefined,
    ),
    external_call: item(found.external.length > 0, null, found.external),
  };
  return withOverall(risk);
}

export { isMsgSender };
export type { ContractInfo };
