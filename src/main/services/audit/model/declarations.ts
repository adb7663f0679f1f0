/**
 * Steps 1 and 2 of the model: collect every declaration of the files (contracts with their
 * state, functions and modifiers; free functions; structs and enums), then resolve inheritance
 * (each contract's linearised bases and the state it sees).
 */
import type { ASTNode, BaseASTNode, FunctionDefinition, ModifierDefinition, TypeName } from '@solidity-parser/parser/dist/src/ast-types';
import { is, shortName, typeText } from '../ast';
import type { ParsedFile } from '../parse';
import type { ContractInfo, Declarations, FnInfo } from './types';

let nextId = 1;

/** Step 1: every declaration of the files, by kind and name; bases are still names. */
export function collectDeclarations(files: ParsedFile[]): Declarations {
  const d: Declarations = { files, contracts: [], byName: new Map(), structs: new Set(), enums: new Set(), viewNames: new Set(), mutatingNames: new Set(), freeFunctions: new Map() };
  for (const file of files) collectFreeFunctions(d, file);
  for (const file of files) for (const child of file.ast.children) collectTopLevel(d, file, child);
  return d;
}

/** File-level functions, held by one library-like holder per file and found by name from any contract. */
function collectFreeFunctions(d: Declarations, file: ParsedFile): void {
  const top = file.ast.children.filter((c): c is FunctionDefinition => c.type === 'FunctionDefinition' && !!c.name);
  if (top.length === 0) return;
  // The file's tree stands for the holder.
  const holder: ContractInfo = { name: `${file.path}#free`, kind: 'library', node: file.ast, file, baseNames: [], linear: [], ownState: new Map(), state: new Map(), functions: [], modifiers: [], usingLibraries: new Set(), isLeaf: false };
  holder.linear = [holder];
  for (const sub of top) {
    const fn: FnInfo = { name: sub.name ?? '', node: sub, contract: holder, kind: 'function', visibility: 'internal', mutability: sub.stateMutability ?? null, params: paramsOf(sub), id: nextId++ };
    holder.functions.push(fn);
    if (!d.freeFunctions.has(fn.name)) d.freeFunctions.set(fn.name, fn);
  }
}

function paramsOf(fn: FunctionDefinition | ModifierDefinition): Map<string, TypeName | null> {
  const params = new Map<string, TypeName | null>();
  for (const p of fn.parameters ?? []) if (p.name) params.set(p.name, p.typeName ?? null);
  return params;
}

function collectTopLevel(d: Declarations, file: ParsedFile, child: ASTNode): void {
  if (child.type === 'StructDefinition' && child.name) d.structs.add(child.name);
  if (child.type === 'EnumDefinition' && child.name) d.enums.add(child.name);
  if (child.type !== 'ContractDefinition' || !child.name) return;
  const c: ContractInfo = {
    name: child.name,
    kind: child.kind,
    node: child,
    file,
    baseNames: child.baseContracts.map((b) => b.baseName.namePath).filter(Boolean).map(shortName),
    linear: [],
    ownState: new Map(),
    state: new Map(),
    functions: [],
    modifiers: [],
    usingLibraries: new Set(),
    isLeaf: true,
  };
  for (const sub of child.subNodes ?? []) collectMember(d, c, sub);
  // Public state variables are getters: view methods of the contract's interface.
  for (const v of c.ownState.values()) if (v.node.visibility === 'public') d.viewNames.add(v.name);
  d.contracts.push(c);
  if (!d.byName.has(c.name)) d.byName.set(c.name, c);
}

/** One member of a contract: a type, a `using`, state variables, a function or a modifier. */
function collectMember(d: Declarations, c: ContractInfo, sub: BaseASTNode): void {
  if (is(sub, 'StructDefinition')) {
    if (sub.name) d.structs.add(sub.name);
  } else if (is(sub, 'EnumDefinition')) {
    if (sub.name) d.enums.add(sub.name);
  } else if (is(sub, 'UsingForDeclaration')) {
    if (sub.libraryName) c.usingLibraries.add(sub.libraryName);
  } else if (is(sub, 'StateVariableDeclaration')) {
    for (const v of sub.variables) {
      if (!v.name) continue;
      c.ownState.set(v.name, { name: v.name, node: v, type: v.typeName, typeText: typeText(v.typeName), constant: !!v.isDeclaredConst || !!v.isImmutable, contract: c });
    }
  } else if (is(sub, 'ModifierDefinition')) {
    c.modifiers.push({ name: sub.name, node: sub, contract: c, kind: 'modifier', visibility: 'default', mutability: null, params: paramsOf(sub), id: nextId++ });
  } else if (is(sub, 'FunctionDefinition')) {
    const kind: FnInfo['kind'] = sub.isConstructor ? 'constructor' : sub.isReceiveEther ? 'receive' : sub.isFallback ? 'fallback' : 'function';
    const fn: FnInfo = { name: sub.name ?? (kind === 'function' ? '' : kind), node: sub, contract: c, kind, visibility: sub.visibility, mutability: sub.stateMutability, params: paramsOf(sub), id: nextId++ };
    c.functions.push(fn);
    if (fn.name) {
      if (fn.mutability === 'view' || fn.mutability === 'pure' || fn.mutability === 'constant') d.viewNames.add(fn.name);
      else d.mutatingNames.add(fn.name);
    }
  }
}

/**
 * Step 2: inheritance. Linearisation puts the most derived first, then bases right to left (C3
 * is approximated by a depth-first walk); each contract sees the state of all its bases; a
 * contract some other contract derives from is not a leaf.
 */
export function resolveInheritance(d: Declarations): void {
  for (const c of d.contracts) {
    const seen = new Set<ContractInfo>();
    const order: ContractInfo[] = [];
    const visit = (x: ContractInfo): void => {
      if (seen.has(x)) return;
      seen.add(x);
      order.push(x);
      for (const b of [...x.baseNames].reverse()) {
        const base = d.byName.get(b);
        if (base) visit(base);
      }
    };
    visit(c);
    c.linear = order;
    for (const x of [...order].reverse()) for (const [k, v] of x.ownState) c.state.set(k, v);
    for (const b of c.baseNames) {
      const base = d.byName.get(b);
      if (base) base.isLeaf = false;
    }
  }
}
