/**
 * Who can make the contract act: arbitrary calls where the caller picks both the target and the
 * calldata, and signatures that authorise an action (ecrecover, or any helper that passes a digest
 * on to it) without what stops a signed message from being used again: a nonce or a record of use,
 * the chain id, a deadline; and ecrecover's zero address for a malformed signature.
 */
import type { FunctionCall } from '@solidity-parser/parser/dist/src/ast-types';
import { args, calleeName, componentsOf, isMember, nameOf, some, textOf, typeText, variablesOf, walk, type Node } from '../ast';
import { orderedEffects, type ContractInfo, type FnInfo, type Project } from '../model';
import { isEntry, isSelfAddress } from './defi';
import { fnLabel, unitsOf, type Detector } from './types';

const isEcrecover = (n: Node): boolean => n.type === 'FunctionCall' && n.expression?.type === 'Identifier' && n.expression.name === 'ecrecover';
const isChainId = (n: Node): boolean => isMember(n, 'block', 'chainid');
const isNow = (n: Node): boolean => (n.type === 'Identifier' && n.name === 'now') || isMember(n, 'block', 'timestamp');

/** Arguments as the callee sees them: a library function bound with `using` gets its receiver first. */
function calleeArgs(call: { fn: FnInfo; node: FunctionCall }): Node[] {
  const e = call.node.expression;
  const receiver = e?.type === 'MemberAccess' ? e.expression : null;
  const bound = !!receiver && call.fn.contract.kind === 'library' && !(receiver.type === 'Identifier' && receiver.name === call.fn.contract.name);
  return bound && receiver ? [receiver, ...args(call.node)] : args(call.node);
}

/** Everything a local was assigned from, in this function. */
export function definitions(fn: FnInfo): Map<string, Node[]> {
  const defs = new Map<string, Node[]>();
  const add = (name: string | null | undefined, e: Node | null | undefined): void => {
    if (!name || !e) return;
    defs.set(name, [...(defs.get(name) ?? []), e]);
  };
  walk(fn.node.body, (n) => {
    if (n.type === 'VariableDeclarationStatement') for (const v of variablesOf(n) ?? []) add(v?.name, n.initialValue);
    if (n.type === 'BinaryOperation' && n.operator === '=') {
      if (n.left?.type === 'Identifier') add(n.left.name, n.right);
      else if (n.left?.type === 'TupleExpression') for (const c of componentsOf(n.left) ?? []) if (c?.type === 'Identifier') add(c.name, n.right);
    }
  });
  return defs;
}

/** The expression with the definitions of every local it reads, transitively. */
export function closure(fn: FnInfo, e: Node, defs = definitions(fn)): Node[] {
  const out: Node[] = [];
  const seen = new Set<string>();
  const visit = (x: Node): void => {
    out.push(x);
    walk(x, (n) => {
      if (n.type === 'Identifier' && n.name && defs.has(n.name) && !seen.has(n.name)) {
        seen.add(n.name);
        for (const d of defs.get(n.name) ?? []) visit(d);
      }
    });
  };
  visit(e);
  return out;
}

/** Signature checks in `fn`: the digest expression and the call that checks it. */
interface SigCheck {
  node: Node;
  digest: Node;
  /** The helper that checks it (null for ecrecover itself): what it adds to the digest counts too. */
  via: FnInfo | null;
}

function signatureChecks(p: Project, ctx: ContractInfo, fn: FnInfo, memo: Map<number, Set<number>>): SigCheck[] {
  const out: SigCheck[] = [];
  walk(fn.node.body, (n) => {
    const digest = isEcrecover(n) ? args(n)[0] : undefined;
    if (digest) out.push({ node: n, digest, via: null });
  });
  for (const c of p.facts(ctx, fn).internalCalls) {
    const which = verifiedParams(p, ctx, c.fn, memo);
    const a = calleeArgs(c);
    // Only a digest passed whole: a helper that builds its own digest from its arguments is judged on its own.
    for (const i of which) {
      const digest = a[i];
      if (digest && typeText(c.fn.node.parameters?.[i]?.typeName) === 'bytes32') out.push({ node: c.node, digest, via: c.fn });
    }
  }
  return out;
}

/** Which parameters of `fn` are the digest a signature is checked against (ECDSA.recover(hash, sig), _verify(hash, ...)). */
function verifiedParams(p: Project, ctx: ContractInfo, fn: FnInfo, memo: Map<number, Set<number>>): Set<number> {
  const hit = memo.get(fn.id);
  if (hit) return hit;
  const out = new Set<number>();
  memo.set(fn.id, out);
  if (!fn.node.body) return out;
  const params = (fn.node.parameters ?? []).map((q) => q.name ?? '');
  const defs = definitions(fn);
  for (const check of signatureChecks(p, ctx, fn, memo)) {
    for (const x of closure(fn, check.digest, defs))
      walk(x, (n) => {
        if (n.type === 'Identifier' && n.name) {
          const i = params.indexOf(n.name);
          if (i >= 0) out.add(i);
        }
      });
  }
  return out;
}

/** The implementation that runs for a declaration: itself, or the override with a body in the contract's bases. */
function withBody(ctx: ContractInfo, fn: FnInfo, skip: ReadonlySet<number> = new Set()): FnInfo | null {
  if (fn.node.body) return fn;
  const argc = (fn.node.parameters ?? []).length;
  return ctx.linear.flatMap((c) => c.functions).find((g) => g.name === fn.name && g.node.body && !skip.has(g.id) && (g.node.parameters ?? []).length === argc) ?? null;
}

/** A helper that returns the block's timestamp (_blockTimestamp()). */
function returnsNow(fn: FnInfo | null): boolean {
  return !!fn?.node.body && some(fn.node.body, (n) => n.type === 'ReturnStatement' && some(n.expression, isNow));
}

/** Whether code reachable from `fn` (its body, the functions it calls) satisfies `pred`. */
function reaches(p: Project, ctx: ContractInfo, fn0: FnInfo, pred: (n: Node, fn: FnInfo) => boolean, depth = 0, seen = new Set<number>()): boolean {
  const fn = withBody(ctx, fn0, seen);
  // Code that is not here (an abstract hook, an interface) may well do it: stay quiet.
  if (!fn) return true;
  if (seen.has(fn.id) || depth > 4) return false;
  seen.add(fn.id);
  if (some(fn.node.body, (n) => pred(n, fn))) return true;
  return p.facts(ctx, fn).internalCalls.some((c) => reaches(p, ctx, c.fn, pred, depth + 1, seen));
}

const chainInAssembly = (n: Node, fn: FnInfo, p: Project): boolean => n.type === 'InlineAssemblyStatement' && /\bchainid\b/.test(p.src(fn).slice(n.range?.[0] ?? 0, (n.range?.[1] ?? 0) + 1));

/** State variables that hold something derived from the chain id (a domain separator cached at deployment). */
function chainState(p: Project, ctx: ContractInfo): Set<string> {
  const out = new Set<string>();
  for (const v of ctx.state.values()) if (v.node.expression && some(v.node.expression, isChainId)) out.add(v.name);
  for (const c of ctx.linear)
    for (const fn of c.functions) {
      if (fn.kind !== 'constructor' || !fn.node.body) continue;
      const chained = (e: Node | null | undefined): boolean =>
        some(e, (x) => {
          if (isChainId(x)) return true;
          const g = x.type === 'FunctionCall' && x.expression?.type === 'Identifier' && x.expression.name ? p.resolveFunction(ctx, x.expression.name, args(x).length) : null;
          return !!g && reaches(p, ctx, g, (y, h) => isChainId(y) || chainInAssembly(y, h, p));
        });
      walk(fn.node.body, (n) => {
        if (n.type !== 'BinaryOperation' || n.operator !== '=') return;
        // x = ...; and (x, y) = (..., ...);
        const { left, right } = n;
        const pairs = left?.type === 'TupleExpression' && right?.type === 'TupleExpression' ? (componentsOf(left) ?? []).map((c, i) => [c, componentsOf(right)?.[i]] as const) : [[left, right] as const];
        // A local the constructor filled from chainid in assembly (chainId := chainid()).
        const viaLocal = (r: Node | null | undefined): boolean => some(r, (x) => x.type === 'Identifier' && !!x.name && p.facts(ctx, fn).locals.has(x.name)) && some(fn.node.body, (x) => chainInAssembly(x, fn, p));
        const defs = definitions(fn);
        // Through the constructor's locals too (uint id = block.chainid; separator = keccak256(abi.encode(id, ...))).
        for (const [l, r] of pairs) if (l?.type === 'Identifier' && l.name && ctx.state.has(l.name) && r && (closure(fn, r, defs).some(chained) || viaLocal(r))) out.add(l.name);
      });
    }
  return out;
}

/**
 * SWC-121: a signature that authorises an action without a nonce (or a record that it was used),
 * the chain id (directly or in a domain separator), or a deadline. A signed message can then be
 * submitted again, on another chain, or at any later time.
 */
export const signatureReplay: Detector = ({ p, report }) => {
  const memo = new Map<number, Set<number>>();
  for (const { ctx, fn } of unitsOf(p)) {
    if (fn.kind === 'modifier') continue;
    const checks = signatureChecks(p, ctx, fn, memo);
    if (checks.length === 0) continue;
    const defs = definitions(fn);
    const params = new Map((fn.node.parameters ?? []).map((q) => [q.name ?? '', typeText(q.typeName)]));
    const { entries } = p.reach(ctx, fn);
    if (entries.length === 0) continue;
    // Who may submit: the signer comparison itself is not a restriction on the caller.
    const recovered = new Set([...defs].filter(([, es]) => es.some((e) => checks.some((c) => some(e, (x) => x === c.node)))).map(([k]) => k));
    const who = entries.some((e) => p.guardsOf(ctx, e).every((g) => some(g.cond ?? g.node, (x) => (x.type === 'Identifier' && !!x.name && recovered.has(x.name)) || checks.some((c) => x === c.node)))) ? 'anyone' : p.reach(ctx, fn).who;
    const written = new Set<string>();
    const writes: Node[] = [];
    for (const entry of entries)
      for (const { effect } of orderedEffects(p, ctx, entry))
        if (effect.kind === 'write') {
          written.add(effect.name);
          writes.push(effect.node);
        }
    const chained = chainState(p, ctx);
    const f = p.facts(ctx, fn);
    for (const check of checks) {
      const parts = closure(fn, check.digest, defs);
      const names = new Set<string>();
      for (const x of parts) walk(x, (n) => void (n.type === 'Identifier' && n.name && names.add(n.name)));
      // A digest handed in whole by the caller: whoever builds it decides what it covers.
      if ([...names].some((n) => params.get(n) === 'bytes32')) continue;
      // The digest's and the signature's own locals (a record keyed by msg.sender is not a record of this signature).
      const sigNames = new Set([...names, ...args(check.node).flatMap((a) => (a.type === 'Identifier' && a.name ? [a.name] : []))].filter((n) => f.locals.has(n)));
      const calls = parts.flatMap((x) => {
        const out: FnInfo[] = [];
        walk(x, (n) => {
          if (n.type === 'FunctionCall' && n.expression?.type === 'Identifier' && n.expression.name) {
            const g = p.resolveFunction(ctx, n.expression.name, args(n).length);
            if (g) out.push(g);
          }
        });
        return out;
      });
      let nonce =
        [...names].some((n) => !f.locals.has(n) && written.has(n)) ||
        calls.some((g) => {
          const run = withBody(ctx, g);
          return !run || orderedEffects(p, ctx, run).some((e) => e.effect.kind === 'write');
        }) ||
        // used[digest] = true: the digest (or the signature) recorded as spent.
        writes.some((w) => some(w.type === 'BinaryOperation' ? w.left : w, (n) => n.type === 'IndexAccess' && some(n.index, (y) => y.type === 'Identifier' && !!y.name && sigNames.has(y.name))));
      let chain = parts.some((x) => some(x, (n) => isChainId(n) || (n.type === 'Identifier' && !!n.name && !f.locals.has(n.name) && chained.has(n.name)))) || calls.some((g) => reaches(p, ctx, g, (n, h) => isChainId(n) || chainInAssembly(n, h, p) || (n.type === 'Identifier' && !!n.name && chained.has(n.name))));
      const nowLike = (n: Node): boolean => isNow(n) || (n.type === 'FunctionCall' && n.expression?.type === 'Identifier' && !!n.expression.name && returnsNow(p.resolveFunction(ctx, n.expression.name, args(n).length)));
      let deadline = f.conditions.some((c) => c.gate && some(c.expr, nowLike) && some(c.expr, (n) => n.type === 'Identifier' && !!n.name && names.has(n.name)));
      // What the checking helper adds: a domain separator, a nonce it consumes, a deadline it enforces.
      if (check.via) {
        const via = check.via;
        chain ||= reaches(p, ctx, via, (n, h) => isChainId(n) || chainInAssembly(n, h, p) || (n.type === 'Identifier' && !!n.name && chained.has(n.name)));
        nonce ||= orderedEffects(p, ctx, via).some((e) => e.effect.kind === 'write');
        deadline ||= reaches(p, ctx, via, isNow);
      }
      const missing = [...(nonce ? [] : ['a nonce']), ...(chain ? [] : ['the chain id']), ...(deadline ? [] : ['a deadline'])];
      if (missing.length === 0) continue;
      const acts = entries.some((e) => orderedEffects(p, ctx, e).some((x) => x.effect.kind === 'write' || (x.effect.kind === 'ext' && !x.effect.call.readOnly)));
      const severity = !nonce ? (who === 'anyone' && acts ? 'medium' : 'low') : !chain ? 'low' : 'info';
      report({
        detector: 'signature-replay',
        swc: 'SWC-121',
        category: 'access_control',
        severity,
        confidence: 'medium',
        at: check.node,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: `Signed message without ${missing.join(', ')}`,
        description: `${fnLabel(fn)} accepts a signature over ${textOf(p.src(fn), check.digest)}, which does not include ${missing.join(', ')}. ${!nonce ? 'The same signature can be submitted again and repeats the action.' : !chain ? 'The same signature is valid on every chain the contract is deployed to.' : 'The signature never expires.'}`,
        recommendation: 'Sign a typed digest (EIP-712) with a domain separator holding the chain id and this contract, a per-signer nonce consumed on use, and a deadline checked against block.timestamp.',
      });
    }
  }
};

/** SWC-122: ecrecover returns the zero address for a malformed signature; compared with an unset signer, it passes. */
export const ecrecoverZero: Detector = ({ p, report }) => {
  for (const { ctx, fn } of unitsOf(p)) {
    const recs: Node[] = [];
    walk(fn.node.body, (n) => void (isEcrecover(n) && recs.push(n)));
    if (recs.length === 0) continue;
    const defs = definitions(fn);
    const f = p.facts(ctx, fn);
    for (const rec of recs) {
      const holders = new Set([...defs].filter(([, es]) => es.includes(rec)).map(([k]) => k));
      const isResult = (n: Node | null | undefined): boolean => !!n && (n === rec || (n.type === 'Identifier' && !!n.name && holders.has(n.name)));
      const zero = (n: Node | null | undefined): boolean => !!n && ((n.type === 'NumberLiteral' && /^0+$/.test(String(n.number ?? ''))) || (n.type === 'FunctionCall' && calleeName(n) === 'address' && zero(args(n)[0])));
      const checked =
        some(fn.node.body, (n) => n.type === 'BinaryOperation' && ['==', '!=', '>', '<'].includes(n.operator ?? '') && ((isResult(n.left) && zero(n.right)) || (isResult(n.right) && zero(n.left)) || (n.operator === '>' && isResult(n.left)))) ||
        // Compared with a value that is itself checked against zero (require(owner != 0); owner == recovered).
        some(fn.node.body, (n) => n.type === 'BinaryOperation' && n.operator === '==' && [[n.left, n.right], [n.right, n.left]].some(([a, b]) => isResult(a) && b?.type === 'Identifier' && !!b.name && some(fn.node.body, (m) => m.type === 'BinaryOperation' && (m.operator === '!=' || m.operator === '==') && ((m.left?.type === 'Identifier' && m.left.name === b.name && zero(m.right)) || (m.right?.type === 'Identifier' && m.right.name === b.name && zero(m.left)))))) ||
        // A lookup keyed by the signer (isSigner[signer]) has no entry for the zero address.
        f.conditions.some((c) => some(c.expr, (n) => n.type === 'IndexAccess' && isResult(n.index))) ||
        // Returned to the caller: checking it is the caller's part.
        some(fn.node.body, (n) => n.type === 'ReturnStatement' && some(n.expression, isResult));
      if (checked) continue;
      report({
        detector: 'ecrecover-zero',
        swc: 'SWC-122',
        category: 'access_control',
        severity: 'low',
        confidence: 'medium',
        at: rec,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: 'ecrecover result not checked against the zero address',
        description: `${fnLabel(fn)} uses the address ecrecover returns without rejecting the zero address it gives for an invalid signature; compared with a signer that is not set, any garbage signature passes.`,
        recommendation: 'Reject a zero result (or use a recovery helper that reverts on invalid signatures).',
      });
    }
  }
};

/**
 * An arbitrary call: any account picks both the address called and the calldata. Everything the
 * contract may do (spend allowances users gave it, move tokens it holds) is then anyone's to do.
 */
export const arbitraryCall: Detector = ({ p, report }) => {
  const memo = new Map<number, Set<number>>();
  for (const { ctx, fn } of unitsOf(p)) {
    if (!isEntry(fn) || p.reach(ctx, fn).who !== 'anyone') continue;
    const f = p.facts(ctx, fn);
    for (const call of f.extCalls) {
      if (call.kind !== 'call' || call.targetKind !== 'param') continue;
      const data = args(call.node)[0];
      if (!data || data.type === 'StringLiteral') continue;
      const fixedSelector = data.type === 'FunctionCall' && /^(encodeWithSignature|encodeWithSelector|encodeCall)$/.test(calleeName(data) ?? '') && ['StringLiteral', 'MemberAccess', 'Identifier', 'NumberLiteral', 'HexLiteral'].includes(args(data)[0]?.type ?? '') && !(args(data)[0]?.type === 'Identifier' && f.paramDerived.has(nameOf(args(data)[0]) ?? ''));
      const chosen = some(data, (n) => (n.type === 'Identifier' && !!n.name && f.paramDerived.has(n.name)) || isMember(n, 'msg', 'data'));
      if (fixedSelector || !chosen) continue;
      // Authorised by a signature instead of by the caller (a relayer executing a signed request).
      if (orderedEffects(p, ctx, fn).some((e) => e.effect.kind === 'internal' && verifiedParams(p, ctx, e.effect.fn, memo).size > 0) || signatureChecks(p, ctx, fn, memo).length > 0) continue;
      // Users approve this contract to pull their tokens: the call can spend those approvals.
      const pulls = ctx.linear.some((c) => c.functions.some((g) => g.node.body && some(g.node.body, (n) => n.type === 'FunctionCall' && args(n).some((a, i) => i >= 1 && isSelfAddress(a)) && args(n).length >= 3)));
      // Otherwise it matters when the contract holds or moves assets of its own (other state-changing calls).
      const holds = pulls || [...unitsOf(p)].some((u) => u.ctx === ctx && p.facts(ctx, u.fn).extCalls.some((c) => c !== call && !c.readOnly && c.kind !== 'staticcall' && !(c.kind === 'call' && c.targetKind === 'param')));
      report({
        detector: 'arbitrary-call',
        swc: 'SWC-105',
        category: 'access_control',
        severity: pulls ? 'high' : holds ? 'medium' : 'low',
        confidence: 'high',
        at: call.node,
        file: fn.contract.file.path,
        contract: fn.contract,
        fn,
        title: 'Anyone can make the contract call any address with any data',
        description: `${fnLabel(fn)} calls ${textOf(p.src(fn), call.target)} with calldata ${textOf(p.src(fn), data)}, both chosen by the caller, and any account may call it${pulls ? '; the contract pulls tokens from users, so their approvals to it can be spent' : ''}. The call runs as this contract: its tokens and allowances are the caller's to use.`,
        recommendation: 'Restrict who may call, allow only known targets and selectors, and never let the target be a token users approved to this contract.',
      });
    }
  }
};
