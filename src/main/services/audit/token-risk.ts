/**
 * Token risk as an analyst reads it, with the field names the well-known token-security APIs
 * use. Each item says whether it applies, who can trigger it, and the functions that show it.
 */
import type { Evidence, TokenRisk, TokenRiskItem, Trigger } from '../../../shared/contract/audit';
import { calleeName, endLine, isMsgSender, line, rootIdentifier, some, walk, type Node } from './ast';
import { orderedEffects, type ContractInfo, type FnInfo, type Project } from './model';

const TRANSFER_PATH = /^_?(transfer|transferFrom|_transfer|_update|_beforeTokenTransfer|_afterTokenTransfer|_tokenTransfer|_transferStandard|transferWithFee)$/;

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

export function assessTokenRisk(p: Project): TokenRisk {
  const leaves = p.contracts.filter((c) => c.isLeaf && c.kind === 'contract');
  // The token is the leaf with a transfer function; otherwise every leaf counts.
  const tokens = leaves.filter((c) => p.entries(c).some((f) => f.name === 'transfer' || f.name === 'transferFrom'));
  const scope = tokens.length > 0 ? tokens : leaves;

  const found = {
    mint: [] as { fn: FnInfo; who: Trigger }[],
    pause: [] as { fn: FnInfo; who: Trigger }[],
    blacklist: [] as { fn: FnInfo; who: Trigger }[],
    whitelist: [] as { fn: FnInfo; who: Trigger }[],
    fee: [] as { fn: FnInfo; who: Trigger; name: string }[],
    maxTx: [] as { fn: FnInfo; who: Trigger }[],
    selfdestruct: [] as { fn: FnInfo; who: Trigger }[],
    ownerChange: [] as { fn: FnInfo; who: Trigger }[],
    takeBack: [] as { fn: FnInfo; who: Trigger }[],
    hidden: [] as { fn: FnInfo; who: Trigger }[],
    proxy: [] as FnInfo[],
    cooldown: [] as FnInfo[],
    sellAll: [] as FnInfo[],
    external: [] as FnInfo[],
    antiWhale: [] as FnInfo[],
    balanceEdit: [] as { fn: FnInfo; who: Trigger }[],
    personalFee: [] as { fn: FnInfo; who: Trigger }[],
  };
  let ownerVar: string | null = null;

  for (const ctx of scope) {
    // The owner is the stored address that guards compare the caller with, whatever its name.
    const privileged = p.privilegedState(ctx);
    for (const v of ctx.state.values()) if (!ownerVar && privileged.has(v.name) && /^address( payable)?$/.test(v.typeText)) ownerVar = v.name;
    const transferFns = ctx.linear.flatMap((c) => c.functions).filter((f) => TRANSFER_PATH.test(f.name));
    const transferReads = new Set<string>();
    for (const t of transferFns) for (const { effect } of orderedEffects(p, ctx, t)) if (effect.kind === 'read') transferReads.add(effect.name);

    for (const entry of p.entries(ctx)) {
      if (entry.mutability === 'view' || entry.mutability === 'pure' || entry.mutability === 'constant') continue;
      const who = p.reach(ctx, entry).who;
      const effects = orderedEffects(p, ctx, entry);
      const writes = new Set(effects.flatMap((e) => (e.effect.kind === 'write' ? [e.effect.name] : [])));
      const calls = new Set(effects.flatMap((e) => (e.effect.kind === 'internal' ? [e.effect.fn.name] : [])));
      const privileged = who !== 'anyone';
      const isTransfer = TRANSFER_PATH.test(entry.name);
      if (!isTransfer && ([...writes].some((w) => /^_?(totalSupply|_totalSupply|supply|totalTokens)$/i.test(w) && effects.some((e) => e.effect.kind === 'write' && e.effect.name === w && /\+|add/.test(p.src(e.fn).slice(e.effect.node.range?.[0] ?? 0, (e.effect.node.range?.[1] ?? 0) + 1)))) || calls.has('_mint'))) {
        if (entry.name !== 'deposit' || privileged) found.mint.push({ fn: entry, who });
      }
      for (const w of writes) {
        const sv = ctx.state.get(w);
        if (!sv) continue;
        const t = sv.typeText;
        if (t === 'bool' && /pause|stop|halt|frozen|freeze|lock|trading|enabled|open/i.test(w) && transferReads.has(w) && privileged) found.pause.push({ fn: entry, who });
        if (/^mapping\(address=>bool\)$/.test(t) && transferReads.has(w) && privileged) {
          if (/black|bot|ban|frozen|freeze|block|sniper|isBot|deny/i.test(w)) found.blacklist.push({ fn: entry, who });
          else if (/white|allow|exclud|exempt|isExcluded|fee|limit/i.test(w)) found.whitelist.push({ fn: entry, who });
        }
        if (/fee|tax|rate/i.test(w) && /^(uint\d*|int\d*)$/.test(t) && transferReads.has(w) && privileged) found.fee.push({ fn: entry, who, name: w });
        if (/fee|tax/i.test(w) && /^mapping\(address=>uint\d*\)$/.test(t) && privileged) found.personalFee.push({ fn: entry, who });
        if (/max|limit|whale/i.test(w) && /^uint\d*$/.test(t) && transferReads.has(w) && privileged) found.maxTx.push({ fn: entry, who });
        if (w === ownerVar && entry.kind !== 'constructor') {
          found.ownerChange.push({ fn: entry, who });
          // Restoring a remembered owner after renouncing (lock/unlock, previousOwner).
          const restores = effects.some((e) => e.effect.kind === 'write' && e.effect.name === w && e.effect.node.type === 'BinaryOperation' && some(e.effect.node.right, (x) => x.type === 'Identifier' && !!x.name && ctx.state.has(x.name) && x.name !== w && /previous|old|prev|backup|locked/i.test(x.name)));
          if (restores) found.takeBack.push({ fn: entry, who });
        }
        if (/^mapping\(address=>uint\d*\)$/.test(t) && /balance|owned|rOwned|tOwned/i.test(w) && privileged && !isTransfer && !calls.has('_mint') && !calls.has('_burn')) found.balanceEdit.push({ fn: entry, who });
      }
      if (p.facts(ctx, entry).selfdestructs.length > 0 || effects.some((e) => e.effect.kind === 'internal' && p.facts(ctx, e.effect.fn).selfdestructs.length > 0)) found.selfdestruct.push({ fn: entry, who });
      // Guards against an address that is not the declared owner: a hidden owner.
      for (const g of p.guardsOf(ctx, entry)) {
        const ids: string[] = [];
        const collect = (n: Node): void => {
          if (n.type === 'Identifier' && n.name && ctx.state.has(n.name) && /^address/.test(ctx.state.get(n.name)?.typeText ?? '')) ids.push(n.name);
        };
        walk(g.cond ?? g.node, collect, { declarationParts: true });
        // An address besides the declared owner that passes owner checks, not visible as public state.
        const other = ids.find((id) => id !== ownerVar && !/owner|admin/i.test(id));
        if (other && ownerVar && ctx.state.get(other)?.node.visibility !== 'public') found.hidden.push({ fn: entry, who });
      }
      if (entry.kind === 'fallback' && p.facts(ctx, entry).extCalls.some((c) => c.kind === 'delegatecall')) found.proxy.push(entry);
      if (/upgradeTo|setImplementation/i.test(entry.name)) found.proxy.push(entry);
    }
    for (const t of transferFns) {
      const f = p.facts(ctx, t);
      if (f.conditions.some((c) => some(c.expr, (n) => n.type === 'IndexAccess' && some(n, (x) => (x.type === 'Identifier' && x.name === 'now') || (x.type === 'MemberAccess' && x.memberName === 'timestamp'))) || (some(c.expr, (n) => (n.type === 'Identifier' && n.name === 'now') || (n.type === 'MemberAccess' && n.memberName === 'timestamp')) && some(c.expr, (n) => n.type === 'IndexAccess'))))
        found.cooldown.push(t);
      if (f.conditions.some((c) => some(c.expr, (n) => n.type === 'BinaryOperation' && n.operator === '<' && some(n.right, (x) => x.type === 'IndexAccess' && /balance/i.test(rootIdentifier(x)?.name ?? '')))))
        found.sellAll.push(t);
      if (f.conditions.some((c) => some(c.expr, (n) => n.type === 'Identifier' && !!n.name && /max|limit|whale/i.test(n.name) && ctx.state.has(n.name)))) found.antiWhale.push(t);
      if (f.extCalls.some((c) => !c.readOnly && c.targetKind !== 'self')) found.external.push(t);
      if (some(t.node.body, (n) => n.type === 'FunctionCall' && (calleeName(n) === 'swapExactTokensForETHSupportingFeeOnTransferTokens' || calleeName(n) === 'addLiquidityETH'))) found.external.push(t);
    }
  }

  const who = (xs: { who: Trigger }[]): Trigger | null => widest(xs.map((x) => x.who));
  const fns = (xs: { fn: FnInfo }[]): FnInfo[] => xs.map((x) => x.fn);
  const buyFees = found.fee.filter((f) => !/sell/i.test(f.name));
  const sellFees = found.fee.filter((f) => !/buy/i.test(f.name));
  const ownerFns = found.ownerChange;
  const renounce = ownerFns.some((o) => /renounce/i.test(o.fn.name));
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
    is_proxy: item(found.proxy.length > 0, who(found.proxy.map((f) => ({ who: 'owner' as Trigger, fn: f }))), found.proxy),
    transfer_pausable: item(found.pause.length > 0, who(found.pause), fns(found.pause)),
    is_blacklisted: item(found.blacklist.length > 0, who(found.blacklist), fns(found.blacklist)),
    is_whitelisted: item(found.whitelist.length > 0, who(found.whitelist), fns(found.whitelist)),
    buy_tax: item(buyFees.length > 0 ? 'modifiable' : null, who(buyFees), fns(buyFees), buyFees.length > 0 ? `setter writes ${[...new Set(buyFees.map((f) => f.name))].join(', ')}` : 'no fee setter found'),
    sell_tax: item(sellFees.length > 0 ? 'modifiable' : null, who(sellFees), fns(sellFees), sellFees.length > 0 ? `setter writes ${[...new Set(sellFees.map((f) => f.name))].join(', ')}` : 'no fee setter found'),
    slippage_modifiable: item(found.fee.length > 0, who(found.fee), fns(found.fee)),
    personal_slippage_modifiable: item(found.personalFee.length > 0, who(found.personalFee), fns(found.personalFee)),
    is_anti_whale: item(found.antiWhale.length > 0, null, found.antiWhale),
    anti_whale_modifiable: item(found.maxTx.length > 0, who(found.maxTx), fns(found.maxTx)),
    trading_cooldown: item(found.cooldown.length > 0, null, found.cooldown),
    cannot_sell_all: item(found.sellAll.length > 0, null, found.sellAll),
    selfdestruct: item(found.selfdestruct.length > 0, who(found.selfdestruct), fns(found.selfdestruct)),
    external_call: item(found.external.length > 0, null, found.external),
  };
  return risk;
}

export { isMsgSender };
export type { ContractInfo };
