import type { ASTNode, ASTNodeTypeString, BaseASTNode, Block, ContractDefinition, Expression, FunctionCall, FunctionDefinition, Identifier, ModifierDefinition, ModifierInvocation, TupleExpression, VariableDeclaration, VariableDeclarationStatement } from '@solidity-parser/parser/dist/src/ast-types';

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

/** Any node of the parser's tree: narrow it by its `type` (`n.type === 'Kind'` or `is(n, 'Kind')`). */
export type Node = ASTNode;

/**
 * The parser declares a few of its lists (block statements, contract members, tuple components)
 * with its base node type; it fills them with its own nodes.
 */
export function asNode(n: BaseASTNode): Node;
export function asNode(n: BaseASTNode | null | undefined): Node | null | undefined;
export function asNode(n: BaseASTNode | null | undefined): Node | null | undefined {
  return n as Node | null | undefined;
}

/** A block's statements. */
export const statementsOf = (b: Block): Node[] => b.statements as Node[];

/** A contract's members (state, functions, modifiers, events, types). */
export const subNodesOf = (c: ContractDefinition): Node[] => c.subNodes as Node[];

/** A tuple's components (null for an omitted one: `(, x)`). */
export const componentsOf = (t: TupleExpression): (Node | null)[] => t.components as (Node | null)[];

/** The variables a declaration statement declares (null for a hole in `(a, , b) = ...`). */
export const variablesOf = (s: VariableDeclarationStatement): (VariableDeclaration | null)[] => s.variables as (VariableDeclaration | null)[];

/** The `expression` field of a node that has one (a member's object, a call's callee), else undefined. */
export const expressionOf = (n: Node | null | undefined): Node | null | undefined => (n && 'expression' in n ? n.expression : undefined);

/** The declared or referenced name of a node that has one (an identifier, a declaration), else undefined. */
export const nameOf = (n: Node | null | undefined): string | null | undefined => (n && 'name' in n ? n.name : undefined);

export const line = (n: BaseASTNode | null | undefined): number => n?.loc?.start.line ?? 0;
export const endLine = (n: BaseASTNode | null | undefined): number => n?.loc?.end.line ?? line(n);

/** Keys that hold no node of the tree (positions) or, unless asked for, parts of a declaration. */
const POSITION_KEYS = new Set(['loc', 'range']);
const DECLARATION_PARTS = new Set(['identifier', 'typeName']);

/**
 * Children in source order (good enough for ordering effects inside one statement). Type names
 * and the identifier node of a declaration are left out unless `declarationParts` is set.
 */
export function childrenOf(node: BaseASTNode, declarationParts = false): Node[] {
  const out: Node[] = [];
  for (const [key, v] of Object.entries(node)) {
    if (POSITION_KEYS.has(key) || (!declarationParts && DECLARATION_PARTS.has(key))) continue;
    if (Array.isArray(v)) {
      for (const item of v) if (isTreeNode(item)) out.push(item);
    } else if (isTreeNode(v)) out.push(v);
  }
  return out;
}

/** A field's value that is a node of the parser's tree (an object with a node kind). */
const isTreeNode = (v: unknown): v is Node => !!v && typeof v === 'object' && 'type' in v;

/**
 * `visit` sees each node with its parent and every enclosing node (outermost first). The
 * `ancestors` array is the walk's own stack: read it during the call, copy it to keep it.
 */
export type Visitor = (n: Node, parent: Node | null, ancestors: readonly Node[]) => boolean | void;

/**
 * The one depth-first walk of the audit: nodes in source order; return false from `visit` to
 * skip a node's children. `declarationParts` also walks type names and declared identifiers.
 */
export function walk(node: BaseASTNode | null | undefined, visit: Visitor, options: { declarationParts?: boolean } = {}): void {
  if (!node) return;
  const ancestors: Node[] = [];
  const go = (n: Node): void => {
    if (visit(n, ancestors[ancestors.length - 1] ?? null, ancestors) === false) return;
    ancestors.push(n);
    for (const c of childrenOf(n, options.declarationParts)) go(c);
    ancestors.pop();
  };
  go(asNode(node));
}

export function some(node: BaseASTNode | null | undefined, pred: (n: Node) => boolean): boolean {
  let found = false;
  walk(node, (n) => {
    if (found) return false;
    if (pred(n)) found = true;
    return !found;
  });
  return found;
}

/** The arguments of a call (none for `{value: v}` options or a node that takes no arguments). */
export function args(call: FunctionCall): Expression[];
export function args(call: Node): Node[];
export function args(call: Node): Node[] {
  return 'arguments' in call && Array.isArray(call.arguments) ? call.arguments : [];
}

export const isMember = (n: Node | null | undefined, obj: string, member: string): boolean =>
  !!n && n.type === 'MemberAccess' && n.memberName === member && n.expression?.type === 'Identifier' && n.expression.name === obj;

export const isMsgSender = (n: Node | null | undefined): boolean =>
  isMember(n, 'msg', 'sender') || (!!n && n.type === 'FunctionCall' && n.expression?.type === 'Identifier' && n.expression.name === '_msgSender');

export const isTxOrigin = (n: Node | null | undefined): boolean => isMember(n, 'tx', 'origin');

/** The called name of a call: `f` for f(), `m` for x.m(), with `.value()`/`{value:}` peeled. */
export function calleeName(call: FunctionCall): string | null {
  const e: Node | undefined = call.expression;
  if (!e) return null;
  if (e.type === 'Identifier') return e.name ?? null;
  if (e.type === 'MemberAccess') return e.memberName ?? null;
  if (e.type === 'NameValueExpression' && e.expression?.type === 'MemberAccess') return e.expression.memberName ?? null;
  return null;
}

/** Root identifier of an lvalue such as `a.b[c].d` (`a`), or null. */
export function rootIdentifier(n: Node | null | undefined): Identifier | null {
  let cur: Node | null | undefined = n;
  while (cur) {
    if (cur.type === 'Identifier') return cur;
    if (cur.type === 'IndexAccess' || cur.type === 'IndexRangeAccess') cur = cur.base ?? null;
    else if (cur.type === 'MemberAccess') cur = cur.expression ?? null;
    else if (cur.type === 'TupleExpression' && cur.components?.length === 1) cur = asNode(cur.components[0]) ?? null;
    else return null;
  }
  return null;
}

/** Source text of a node, whitespace-normalised, for comparing expressions. */
export function textOf(src: string, n: BaseASTNode | null | undefined): string {
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
  while (cur && cur.type === 'TupleExpression' && cur.components?.length === 1) cur = asNode(cur.components[0]) ?? null;
  return cur;
}
