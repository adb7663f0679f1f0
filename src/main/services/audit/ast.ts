import type { ASTNode, ASTNodeTypeString, BaseASTNode, FunctionDefinition, ModifierDefinition, ModifierInvocation, VariableDeclaration } from '@solidity-parser/parser/dist/src/ast-types';

/** The parser's typed node of kind `T`. */
export type NodeOf<T extends ASTNodeTypeString> = Extract<ASTNode, { type: T }>;

/** Narrows a node to the parser's typed node of that kind. */
export function is<T extends ASTNodeTypeString>(n: BaseASTNode | null | undefined, type: T): n is NodeOf<T> {
  return n?.type === type;
}

/** The modifiers a function applies (a modifier applies none). */
export const modifiersOf = (fn: FunctionDefinition | ModifierDefinition): ModifierInvocation[] => (is(fn, 'FunctionDefinition') ? fn.modifiers : []);

/** The named or unnamed return values of a function (a modifier has none). */
export const returnsOf = (fn: FunctionDefinition | ModifierDefinition): VariableDeclaration[] => (is(fn, 'FunctionDefinition') ? (fn.returnParameters ?? []) : []);

/** The name of an elementary type (`address`, `uint256`), '' for any other type. */
export const elementaryName = (t: BaseASTNode | null | undefined): string => (is(t, 'ElementaryTypeName') ? t.name : '');

/**
 * A loose view of @solidity-parser/parser's AST: the fields the detectors read, all optional,
 * so one walker covers every node kind without casting at each step. The parser's typed nodes
 * (all but inline assembly) are assignable to it: the model's declaration step reads the typed
 * tree, narrowed with `is`, and hands its nodes on as this view.
 */
export interface Loc {
  start: { line: number; column: number };
  end: { line: number; column: number };
}

export interface Node {
  type: string;
  loc?: Loc;
  range?: [number, number];
  name?: string | null;
  memberName?: string;
  operator?: string;
  namePath?: string;
  number?: string;
  value?: unknown;
  kind?: string | null;
  visibility?: string;
  stateMutability?: string | null;
  storageLocation?: string | null;
  isConstructor?: boolean;
  isFallback?: boolean;
  isReceiveEther?: boolean;
  isPrefix?: boolean;
  isDeclaredConst?: boolean;
  isStateVar?: boolean;
  isImmutable?: boolean;
  libraryName?: string | null;
  expression?: Node | null;
  left?: Node;
  right?: Node;
  subExpression?: Node;
  base?: Node;
  index?: Node | null;
  arguments?: Node[] | Node | null;
  names?: string[];
  statements?: Node[];
  body?: Node | null;
  block?: Node;
  condition?: Node;
  trueBody?: Node;
  falseBody?: Node | null;
  trueExpression?: Node;
  falseExpression?: Node;
  initExpression?: Node | null;
  conditionExpression?: Node | null;
  loopExpression?: Node | null;
  variables?: (Node | null)[];
  initialValue?: Node | null;
  typeName?: Node | null;
  baseTypeName?: Node;
  keyType?: Node;
  valueType?: Node;
  components?: (Node | null)[];
  parameters?: Node[] | null;
  returnParameters?: Node[] | null;
  modifiers?: Node[];
  subNodes?: Node[];
  baseContracts?: Node[];
  baseName?: Node;
  members?: Node[];
  eventCall?: Node;
  children?: Node[];
  identifier?: Node | null;
}

export const line = (n: Node | null | undefined): number => n?.loc?.start.line ?? 0;
export const endLine = (n: Node | null | undefined): number => n?.loc?.end.line ?? line(n);

/** Keys that hold no node of the tree (positions) or, unless asked for, parts of a declaration. */
const POSITION_KEYS = new Set(['loc', 'range']);
const DECLARATION_PARTS = new Set(['identifier', 'typeName']);

/**
 * Children in source order (good enough for ordering effects inside one statement). Type names
 * and the identifier node of a declaration are left out unless `declarationParts` is set.
 */
export function childrenOf(node: Node, declarationParts = false): Node[] {
  const out: Node[] = [];
  for (const key in node) {
    if (POSITION_KEYS.has(key) || (!declarationParts && DECLARATION_PARTS.has(key))) continue;
    const v = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(v)) {
      for (const item of v) if (item && typeof item === 'object' && 'type' in item) out.push(item as Node);
    } else if (v && typeof v === 'object' && 'type' in v) out.push(v as Node);
  }
  return out;
}

/**
 * `visit` sees each node with its parent and every enclosing node (outermost first). The
 * `ancestors` array is the walk's own stack: read it during the call, copy it to keep it.
 */
export type Visitor = (n: Node, parent: Node | null, ancestors: readonly Node[]) => boolean | void;

/**
 * The one depth-first walk of the audit: nodes in source order; return false from `visit` to
 * skip a node's children. `declarationParts` also walks type names and declared identifiers.
 */
export function walk(node: Node | null | undefined, visit: Visitor, options: { declarationParts?: boolean } = {}): void {
  if (!node) return;
  const ancestors: Node[] = [];
  const go = (n: Node): void => {
    if (visit(n, ancestors[ancestors.length - 1] ?? null, ancestors) === false) return;
    ancestors.push(n);
    for (const c of childrenOf(n, options.declarationParts)) go(c);
    ancestors.pop();
  };
  go(node);
}

export function some(node: Node | null | undefined, pred: (n: Node) => boolean): boolean {
  let found = false;
  walk(node, (n) => {
    if (found) return false;
    if (pred(n)) found = true;
    return !found;
  });
  return found;
}

export function args(call: Node): Node[] {
  return Array.isArray(call.arguments) ? call.arguments : [];
}

export const isMember = (n: Node | null | undefined, obj: string, member: string): boolean =>
  !!n && n.type === 'MemberAccess' && n.memberName === member && n.expression?.type === 'Identifier' && n.expression.name === obj;

export const isMsgSender = (n: Node | null | undefined): boolean =>
  isMember(n, 'msg', 'sender') || (!!n && n.type === 'FunctionCall' && n.expression?.type === 'Identifier' && n.expression.name === '_msgSender');

export const isTxOrigin = (n: Node | null | undefined): boolean => isMember(n, 'tx', 'origin');

/** The called name of a call: `f` for f(), `m` for x.m(), with `.value()`/`{value:}` peeled. */
export function calleeName(call: Node): string | null {
  const e = call.expression;
  if (!e) return null;
  if (e.type === 'Identifier') return e.name ?? null;
  if (e.type === 'MemberAccess') return e.memberName ?? null;
  if (e.type === 'NameValueExpression' && e.expression?.type === 'MemberAccess') return e.expression.memberName ?? null;
  return null;
}

/** Root identifier of an lvalue such as `a.b[c].d` (`a`), or null. */
export function rootIdentifier(n: Node | null | undefined): Node | null {
  let cur = n;
  while (cur) {
    if (cur.type === 'Identifier') return cur;
    if (cur.type === 'IndexAccess' || cur.type === 'IndexRangeAccess') cur = cur.base ?? null;
    else if (cur.type === 'MemberAccess') cur = cur.expression ?? null;
    else if (cur.type === 'TupleExpression' && cur.components?.length === 1) cur = cur.components[0] ?? null;
    else return null;
  }
  return null;
}

/** Source text of a node, whitespace-normalised, for comparing expressions. */
export function textOf(src: string, n: Node | null | undefined): string {
  if (!n?.range) return '';
  return src.slice(n.range[0], n.range[1] + 1).replace(/\s+/g, '');
}

export function typeText(t: Node | null | undefined): string {
  if (!t) return '';
  switch (t.type) {
    case 'ElementaryTypeName':
      return t.name ?? '';
    case 'UserDefinedTypeName':
      return t.namePath ?? '';
    case 'ArrayTypeName':
      return `${typeText(t.baseTypeName)}[]`;
    case 'Mapping':
      return `mapping(${typeText(t.keyType)}=>${typeText(t.valueType)})`;
    default:
      return t.type;
  }
}

export const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=', '<<=', '>>=']);

/** `Lib.Struct` -> `Struct`: qualified type names refer to the same declaration. */
export const shortName = (n: string): string => n.split('.').pop() ?? n;

/** `((x))` -> `x`. */
export function peel(n: Node | null | undefined): Node | null {
  let cur = n ?? null;
  while (cur && cur.type === 'TupleExpression' && cur.components?.length === 1) cur = cur.components[0] ?? null;
  return cur;
}
