/** Access control: tx.origin, unprotected selfdestruct / owner changes / initialisers, visibility, storage-length tricks, short addresses. */
import type { VariableDeclaration } from '@solidity-parser/parser/dist/src/ast-types';
import { elementaryName, modifiersOf, args, calleeName, endLine, isMember, isMsgSender, isTxOrigin, line, nameOf, rootIdentifier, some, textOf, variablesOf, walk, type Node } from '../ast';
import { orderedEffects, type ContractInfo, type FnInfo, type Project } from '../model';
import { versionBelow } from '../parse';
import { pointerFlags } from './proxy';
import { fnLabel, unitsOf, type Detector } from './types';

const header = (fn: FnInfo): number => line(fn.node);

/** SWC-115: tx.origin used to authorise. */
export const txOrigin: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    for (const c of p.facts(ctx, fn).conditions) {
      walk(c.expr, (n) => {
        if (n.type !== 'BinaryOperation' || (n.operator !== '==' && n.operator !== '!=')) return;
        const [a, b] = [n.left, n.right];
        if (!(isTxOrigin(a) || isTxOrigin(b))) return;
        const antiContract = isMsgSender(a) || isMsgSender(b);
        report({
          detector: 'tx-origin',
          swc: 'SWC-115',
          category: 'access_control',
          severity: antiContract ? 'low' : 'high',
          confidence: 'high',
          at: c.node,
          file: fn.contract.file.path,
          contract: fn.contract,
          fn,
          title: antiContract ? 'tx.origin compared with msg.sender' : 'Authorisation through tx.origin',
          description: antiContract
            ? `${fnLabel(fn)} rejects calls from contracts by comparing tx.origin with msg.sender; this breaks smart-contract wallets.`
            : `${fnLabel(fn)} authorises with tx.origin; a contract the owner interacts with can call in on the owner's behalf (phishing).`,
          recommendation: 'Authorise with msg.sender.',
        });
      });
    }
  }
};

/** SWC-106: selfdestruct any account can reach. */
export const unprotectedSelfdestruct: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const f = p.facts(ctx, fn);
    if (f.selfdestructs.length === 0) continue;
    const who = p.reach(ctx, fn).who;
    for (const sd of f.selfdestructs) {
      // One finding: for a function anyone can call, from its header (the missing check) to the call.
      const open = who === 'anyone' && fn.kind !== 'modifier';
      report({
        detector: 'unprotected-selfdestruct',
        swc: 'SWC-106',
        category: 'access_control',
        // An owner able to destroy is a trust question (the token-risk checklist weighs it), not a path for an untrusted caller.
        severity: who === 'anyone' ? 'high' : 'low',
        confidence: who === 'anyone' ? 'high' : 'medium',
        at: open ? header(fn) : sd,
        to: sd,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: who === 'anyone' ? 'Anyone can destroy the contract' : `The ${who} can destroy the contract`,
        description: who === 'anyone' ? `${fnLabel(fn)} has no access check and calls ${calleeName(sd)}: any account can destroy the contract and take its ether.` : `${fnLabel(fn)} calls ${calleeName(sd)}; the ${who} can destroy the contract at any time and send its ether anywhere, and holders lose everything the code held.`,
        recommendation: who === 'anyone' ? 'Restrict the function to the owner (or remove selfdestruct).' : 'Remove selfdestruct; if it must stay, put it behind a timelock or multisig.',
      });
    }
  }
};

/**
 * State whose change hands over the contract: what guards compare the caller with (privileged
 * state), where its ether goes, and the code it delegates to. Decided from what the code does
 * with each variable, never from its name.
 */
function criticalState(p: Project, ctx: ContractInfo): Set<string> {
  const out = new Set(p.privilegedState(ctx));
  for (const c of ctx.linear) {
    for (const fn of c.functions) {
      if (!fn.node.body) continue;
      const f = p.facts(ctx, fn);
      for (const call of f.extCalls) {
        if (!(call.withValue || call.kind === 'delegatecall' || call.kind === 'callcode') || call.targetKind !== 'state') continue;
        const root = rootIdentifier(call.target);
        if (root?.name && !f.locals.has(root.name) && ctx.state.has(root.name)) out.add(root.name);
      }
      for (const sd of f.selfdestructs) {
        const root = rootIdentifier(args(sd)[0]);
        if (root?.name && !f.locals.has(root.name) && ctx.state.has(root.name)) out.add(root.name);
      }
    }
  }
  return out;
}

/** SWC-105/118: functions any account can call that change privileged state, unless they can run only once (an initialiser). */
export const unprotectedStateChange: Detector = ({ p, report }) => {
  for (const ctx of p.contracts) {
    if (!ctx.isLeaf || ctx.kind === 'interface' || ctx.kind === 'library') continue;
    const critical = criticalState(p, ctx);
    if (critical.size === 0) continue;
    for (const entry of p.entries(ctx)) {
      if (entry.mutability === 'view' || entry.mutability === 'pure' || entry.mutability === 'constant') continue;
      if (p.guardsOf(ctx, entry).length > 0) continue;
      const effects = orderedEffects(p, ctx, entry);
      // Callable once (a flag, an initializer modifier, a zero check on what it sets): an initialiser.
      if (hasInitGuard(p, ctx, entry)) continue;
      let guardedOnPath = false;
      for (const { effect, fn } of effects) {
        if (effect.kind === 'internal' && p.guardsOf(ctx, effect.fn).length > 0) guardedOnPath = true;
        if (effect.kind !== 'write' || fn.kind === 'constructor' || guardedOnPath) continue;
        if (p.guardsOf(ctx, fn).length > 0 && fn !== entry) continue;
        const sv = ctx.state.get(effect.name);
        if (!sv || sv.constant || !critical.has(sv.name)) continue;
        const isMapping = sv.typeText.startsWith('mapping(');
        if (isMapping ? !/^mapping\(address=>/.test(sv.typeText) || writesOwnKey(effect.node) : !/^(address|address payable|address\[\]|[A-Z]\w*)$/.test(sv.typeText)) continue;
        const sameFile = fn.contract.file === entry.contract.file;
        const misnamed = looksLikeConstructor(ctx, entry, critical);
        // One finding for the flaw: from the function's header to the write it allows.
        report({
          detector: 'unprotected-owner-change',
          swc: misnamed ? 'SWC-118' : 'SWC-105',
          category: 'access_control',
          severity: 'high',
          confidence: 'high',
          at: sameFile ? header(entry) : header(fn),
          to: fn === entry || !sameFile ? effect.node : header(entry),
          file: sameFile ? entry.contract.file.path : fn.contract.file.path,
          contract: entry.contract,
          fn: entry,
          title: misnamed ? `Constructor-like function ${entry.name} is public` : `Anyone can change ${sv.name}`,
          description: `${fnLabel(entry)} can be called by any account, any number of times, and writes ${sv.name}, which ${p.privilegedState(ctx).has(sv.name) ? 'decides who may act' : 'receives the contract’s ether or code'}${misnamed ? `; it looks meant as the constructor of ${ctx.name}, but its name does not match, so it is an ordinary public function` : ''}.`,
          recommendation: misnamed ? 'Use the constructor keyword (or the exact contract name in old compilers).' : 'Restrict the function to the owner/role, or make it an initialiser that runs once (set in the same transaction as deployment).',
        });
        // One finding per entry point is enough to tell the story.
        break;
      }
    }
  }
};

/** The caller's own entry: some key on the way to the written slot is the caller's address. */
function writesOwnKey(write: Node): boolean {
  let target: Node | undefined = write.type === 'BinaryOperation' ? write.left : write.type === 'UnaryOperation' ? write.subExpression : undefined;
  while (target) {
    if (target.type === 'IndexAccess' && isMsgSender(target.index)) return true;
    target = (target.type === 'IndexAccess' ? target.base : target.type === 'MemberAccess' ? target.expression : undefined) ?? undefined;
  }
  return false;
}

/** Old compilers' constructor by name, misspelt: a public function named like the contract that takes over privileged state. */
function looksLikeConstructor(ctx: ContractInfo, fn: FnInfo, critical: Set<string>): boolean {
  const n = fn.name.toLowerCase();
  if (!n) return false;
  return ctx.linear.some((c) => c.name.toLowerCase() === n) || n === 'constructor' || (some(fn.node.body, (x) => x.type === 'BinaryOperation' && x.operator === '=' && isMsgSender(x.right) && critical.has(rootIdentifier(x.left)?.name ?? '')) && fn.node.parameters?.length === 0 && /^[A-Z]/.test(fn.name));
}

/** Runs once: a condition (in the function or its modifiers) on state the same call sets. */
function hasInitGuard(p: Project, ctx: ContractInfo, entry: FnInfo): boolean {
  const mods = modifiersOf(entry.node).map((m) => ({ name: m.name ?? '', fn: m.name ? p.resolveModifier(ctx, m.name) : null }));
  // A modifier whose code is not in the sources: only its name can say.
  if (mods.some((m) => !m.fn && /initiali[sz]|once/i.test(m.name))) return true;
  const path = orderedEffects(p, ctx, entry);
  const written = new Set(path.flatMap((e) => (e.effect.kind === 'write' ? [e.effect.name] : [])));
  // The check may sit in a helper the initialiser calls (setupOwners: if (threshold > 0) revert).
  const checkers = [...new Set([entry, ...mods.flatMap((m) => (m.fn ? [m.fn] : [])), ...path.map((e) => e.fn)])];
  if (checkers.some((fn) => p.facts(ctx, fn).conditions.some((c) => c.gate && some(c.expr, (n) => n.type === 'Identifier' && !!n.name && !p.facts(ctx, fn).locals.has(n.name) && ctx.state.has(n.name) && written.has(n.name))))) return true;
  // A flag behind a storage pointer (an initializer modifier keeping its state in a dedicated slot).
  const flags = checkers.map((fn) => pointerFlags(p, ctx, fn));
  const set = new Set(flags.flatMap((x) => [...x.set]));
  return flags.some((x) => [...x.checked].some((m) => set.has(m)));
}

/** SWC-105: ether sent to whoever calls, with nothing that limits who or how much. */
export const unprotectedEtherWithdrawal: Detector = ({ p, report }) => {
  for (const ctx of p.contracts) {
    if (!ctx.isLeaf || ctx.kind !== 'contract') continue;
    for (const entry of p.entries(ctx)) {
      if (p.guardsOf(ctx, entry).length > 0) continue;
      const effects = orderedEffects(p, ctx, entry);
      const written = new Set(effects.flatMap((e) => (e.effect.kind === 'write' ? [e.effect.name] : [])));
      const f = p.facts(ctx, entry);
      for (const call of f.extCalls) {
        if (!call.withValue || call.targetKind !== 'sender' || (call.kind !== 'transfer' && call.kind !== 'send' && call.kind !== 'call')) continue;
        const amount = call.kind === 'call' ? null : args(call.node)[0];
        if (!amount) continue;
        const fixedOrAll = amount.type === 'NumberLiteral' || some(amount, (n) => n.type === 'MemberAccess' && n.memberName === 'balance' && (nameOf(n.expression) === 'this' || (n.expression?.type === 'FunctionCall' && nameOf(args(n.expression)[0]) === 'this')));
        const ownBalance = amount.type === 'IndexAccess' && isMsgSender(amount.index) && !!rootIdentifier(amount)?.name;
        const undeducted = ownBalance && !written.has(rootIdentifier(amount)?.name ?? '');
        const gated = f.conditions.some((c) => c.gate);
        if (!(fixedOrAll && !gated) && !undeducted) continue;
        report({
          detector: 'unprotected-ether-withdrawal',
          swc: 'SWC-105',
          category: 'access_control',
          severity: undeducted ? 'medium' : 'high',
          confidence: 'medium',
          at: call.node,
          file: entry.contract.file.path,
          contract: entry.contract,
          fn: entry,
          title: undeducted ? 'Refund without deducting the balance' : 'Anyone can withdraw ether',
          description: undeducted
            ? `${fnLabel(entry)} pays the caller's recorded balance but never reduces it, so it can be claimed again and again.`
            : `${fnLabel(entry)} sends ${textOf(p.src(entry), amount)} to any caller without a condition.`,
          recommendation: undeducted ? 'Zero the balance before paying.' : 'Restrict who can withdraw and how much.',
        });
      }
    }
  }
};

/** SWC-100: functions without a visibility specifier in old compilers default to public. */
export const defaultVisibility: Detector = ({ p, report }) => {
  for (const c of p.contracts) {
    if (c.kind === 'interface' || !versionBelow(c.file.version, [0, 5, 0])) continue;
    for (const fn of c.functions) {
      if (fn.kind !== 'function' || fn.visibility !== 'default' || !fn.node.body) continue;
      // _helper() is meant internal; __callback() is an oracle's public entry by convention.
      const internalLooking = fn.name.startsWith('_') && !fn.name.startsWith('__');
      report({
        detector: 'default-visibility',
        swc: 'SWC-100',
        category: 'access_control',
        severity: internalLooking ? 'high' : 'low',
        confidence: internalLooking ? 'medium' : 'high',
        at: header(fn),
        file: c.file.path,
        contract: c,
        fn,
        title: `Function ${fn.name} has no visibility (public by default)`,
        description: `${fnLabel(fn)} declares no visibility, so any account can call it${internalLooking ? ', although its name says it is internal' : ''}.`,
        recommendation: 'Declare visibility explicitly (internal/private for helpers).',
      });
    }
  }
};

/** SWC-124/129: array length written directly (underflow to 2^256-1 exposes all storage) and tautological length checks. */
export const arrayLengthWrite: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const src = p.src(fn);
    const who = p.reach(ctx, fn).who;
    const lengthWritten = new Set<string>();
    walk(fn.node.body, (n) => {
      const target = n.type === 'BinaryOperation' && (n.operator ?? '').endsWith('=') && n.operator !== '==' && n.operator !== '<=' && n.operator !== '>=' && n.operator !== '!=' ? n.left : n.type === 'UnaryOperation' && (n.operator === '--' || n.operator === '++') ? n.subExpression : null;
      if (target?.type === 'MemberAccess' && target.memberName === 'length') {
        const name = rootIdentifier(target.expression)?.name;
        if (!name || !ctx.state.has(name)) return;
        lengthWritten.add(name);
        const op = n.type === 'BinaryOperation' || n.type === 'UnaryOperation' ? n.operator : undefined;
        const shrinking = op === '--' || op === '-=' || (op === '=' && n.type === 'BinaryOperation' && some(n.right, (x) => x.type === 'Identifier' && !!x.name && fn.params.has(x.name)));
        report({
          detector: 'array-length-write',
          swc: 'SWC-124',
          category: 'access_control',
          severity: who === 'anyone' && shrinking ? 'high' : 'low',
          confidence: 'medium',
          at: n,
          file: fn.contract.file.path,
          contract: fn.contract,
          fn,
          title: `Length of ${name} written directly`,
          description: `${fnLabel(fn)} sets ${textOf(src, target)}; an underflowing or caller-chosen length lets writes reach arbitrary storage slots. Callable by ${who}.`,
          recommendation: 'Use push/pop and check bounds; never let the caller choose an array length.',
        });
      }
      // 0 <= x / x >= 0 on unsigned values always holds.
      if (n.type === 'BinaryOperation' && ((n.operator === '<=' && isZero(n.left)) || (n.operator === '>=' && isZero(n.right)))) {
        const other = n.operator === '<=' ? n.right : n.left;
        if (!isUnsigned(ctx, fn, other)) return;
        const aboutLength = some(other, (x) => x.type === 'MemberAccess' && x.memberName === 'length');
        report({
          detector: 'tautology',
          swc: 'SWC-123',
          category: aboutLength ? 'access_control' : 'arithmetic',
          severity: aboutLength && who === 'anyone' ? 'high' : aboutLength ? 'medium' : 'low',
          confidence: 'high',
          at: n,
          file: fn.contract.file.path,
          contract: fn.contract,
          fn,
          title: 'Condition on an unsigned value is always true',
          description: `${textOf(src, n)} always holds for unsigned integers${aboutLength ? '; the array length can then underflow' : ' (an underflowed subtraction passes it)'}.`,
          recommendation: 'Compare before subtracting (a >= b), and check lengths with > 0.',
        });
      }
    });
    // A caller-indexed write into an array whose length the caller can set writes anywhere in storage.
    if (lengthWritten.size === 0 || who !== 'anyone') continue;
    walk(fn.node.body, (n) => {
      if (n.type !== 'BinaryOperation' || n.operator !== '=' || n.left?.type !== 'IndexAccess') return;
      const name = rootIdentifier(n.left)?.name;
      if (!name || !lengthWritten.has(name) || !some(n.left.index, (x) => x.type === 'Identifier' && !!x.name && fn.params.has(x.name))) return;
      report({
        detector: 'arbitrary-storage-write',
        swc: 'SWC-124',
        category: 'access_control',
        severity: 'high',
        confidence: 'medium',
        at: n,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: 'Write to an arbitrary storage slot',
        description: `${fnLabel(fn)} writes ${name}[${textOf(src, n.left.index)}] after letting the caller grow the array; the index reaches any storage slot, including the owner.`,
        recommendation: 'Use a mapping, or bound the index by a length the caller cannot set.',
      });
    });
  }
};

/** Only an expression known to be unsigned makes `>= 0` a tautology (int256 b >= 0 is a real test). */
function isUnsigned(ctx: ContractInfo, fn: FnInfo, e: Node | undefined): boolean {
  if (!e) return false;
  if (e.type === 'MemberAccess' && e.memberName === 'length') return true;
  if (e.type === 'BinaryOperation' && (e.operator === '-' || e.operator === '+')) return isUnsigned(ctx, fn, e.left) && isUnsigned(ctx, fn, e.right) || isUnsigned(ctx, fn, e.left);
  const root = rootIdentifier(e);
  if (!root?.name) return false;
  const local = fn.params.get(root.name) ?? null;
  let t = local ? typeTextOf(local) : null;
  if (!t) {
    const decl = [...(fn.node.body ? collectLocals(fn.node.body) : [])].find((d) => d.name === root.name);
    t = decl ? typeTextOf(decl.typeName ?? null) : (ctx.state.get(root.name)?.typeText ?? null);
  }
  if (!t) return false;
  const elem = t.replace(/^mapping\(.*=>/, '').replace(/\)+$/, '').replace(/\[\]$/, '');
  return /^uint\d*$/.test(elem);
}

function typeTextOf(t: Node | null): string | null {
  if (!t) return null;
  if (t.type === 'ElementaryTypeName') return t.name ?? null;
  if (t.type === 'Mapping') return `mapping(${typeTextOf(t.keyType ?? null) ?? ''}=>${typeTextOf(t.valueType ?? null) ?? ''})`;
  if (t.type === 'ArrayTypeName') return `${typeTextOf(t.baseTypeName ?? null) ?? ''}[]`;
  return null;
}

function collectLocals(body: Node): VariableDeclaration[] {
  const out: VariableDeclaration[] = [];
  walk(body, (n) => {
    if (n.type === 'VariableDeclarationStatement') for (const v of variablesOf(n) ?? []) if (v) out.push(v);
  });
  return out;
}

const isZero = (n: Node | undefined): boolean => n?.type === 'NumberLiteral' && Number(n.number) === 0;

/** Short-address attack on tokens compiled before 0.5 (no calldata length check). */
export const shortAddress: Detector = ({ p, report }) => {
  for (const ctx of p.contracts) {
    if (!ctx.isLeaf || ctx.kind !== 'contract' || !versionBelow(ctx.file.version, [0, 5, 0])) continue;
    for (const fn of p.entries(ctx)) {
      const params = fn.node.parameters ?? [];
      const last = params[params.length - 1];
      const hasAddress = params.slice(0, -1).some((x) => elementaryName(x.typeName) === 'address');
      if (!last || !/^uint/.test(elementaryName(last.typeName)) || !hasAddress) continue;
      const f = p.facts(ctx, fn);
      // A check of msg.data.length in the function or one of its modifiers.
      const checkers = [fn, ...modifiersOf(fn.node).flatMap((m) => (m.name ? [p.resolveModifier(ctx, m.name)] : [])).filter((m): m is FnInfo => !!m)];
      if (checkers.some((c) => p.facts(ctx, c).conditions.some((cond) => some(cond.expr, (n) => n.type === 'MemberAccess' && n.memberName === 'length' && isMember(n.expression, 'msg', 'data'))))) continue;
      const movesBalance = f.effects.some((e) => e.kind === 'write' && ctx.state.get(e.name)?.typeText.startsWith('mapping(address'));
      if (!movesBalance) continue;
      report({
        detector: 'short-address',
        // No SWC entry describes it (SWC-130 is the right-to-left override character).
        swc: '',
        category: 'short_addresses',
        severity: 'low',
        confidence: 'low',
        at: header(fn),
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: 'Token transfer without a calldata length check',
        description: `${fnLabel(fn)} takes an address followed by an amount; with a pre-0.5 compiler a truncated address shifts the amount left (short-address attack).`,
        recommendation: 'Compile with 0.5 or later, or check msg.data.length.',
      });
    }
  }
};

export { args, endLine };
