/** The shapes of the project model: declarations, per-function facts, guards, the project. */
import type { Trigger } from '../../../../shared/contract/audit';
import type { BinaryOperation, ContractDefinition, DoWhileStatement, Expression, ExpressionStatement, ForStatement, Identifier, IfStatement, UnaryOperation, WhileStatement, FunctionCall, FunctionDefinition, ModifierDefinition, SourceUnit, StateVariableDeclarationVariable, TypeName, VariableDeclaration } from '@solidity-parser/parser/dist/src/ast-types';
import type { Node } from '../ast';
import type { ParsedFile } from '../parse';

export interface StateVar {
  name: string;
  node: StateVariableDeclarationVariable;
  type: TypeName | null;
  typeText: string;
  constant: boolean;
  contract: ContractInfo;
}

export interface FnInfo {
  name: string;
  node: FunctionDefinition | ModifierDefinition;
  contract: ContractInfo;
  kind: 'function' | 'constructor' | 'fallback' | 'receive' | 'modifier';
  visibility: string;
  mutability: string | null;
  params: Map<string, TypeName | null>;
  id: number;
}

export interface ContractInfo {
  name: string;
  kind: string;
  /** The contract's definition; the file's tree for the holder of its free functions. */
  node: ContractDefinition | SourceUnit;
  file: ParsedFile;
  baseNames: string[];
  linear: ContractInfo[];
  ownState: Map<string, StateVar>;
  state: Map<string, StateVar>;
  functions: FnInfo[];
  modifiers: FnInfo[];
  usingLibraries: Set<string>;
  isLeaf: boolean;
}

export type TargetKind = 'sender' | 'param' | 'state' | 'self' | 'other';

export interface ExtCall {
  node: FunctionCall;
  /** call/delegatecall/callcode/staticcall/send/transfer (address), or `high` (contract method). */
  kind: 'call' | 'delegatecall' | 'callcode' | 'staticcall' | 'send' | 'transfer' | 'high';
  method: string | null;
  withValue: boolean;
  target: Expression | null;
  targetKind: TargetKind;
  checked: boolean;
  inLoop: boolean;
  /** Statically known to read only (a view/pure method of a known interface). */
  readOnly: boolean;
  /** The called function's declaration when the receiver's contract type is known (its returns, mutability). */
  decl: FnInfo | null;
}

export type Effect =
  | { kind: 'read'; name: string; node: Identifier }
  /** An assignment, `++`/`--`/`delete`, or a call that writes through a storage reference (`push`, a library taking `storage`). */
  | { kind: 'write'; name: string; node: BinaryOperation | UnaryOperation | FunctionCall }
  | { kind: 'ext'; call: ExtCall }
  | { kind: 'internal'; fn: FnInfo; node: FunctionCall }
  | { kind: 'placeholder'; node: ExpressionStatement };

export interface Condition {
  /** The require/assert or helper call, the if statement or the loop. */
  node: FunctionCall | IfStatement | ForStatement | WhileStatement | DoWhileStatement;
  expr: Expression;
  /** require/assert/if-revert (blocks the rest) vs a plain if/loop test. */
  gate: boolean;
}

export interface FnFacts {
  fn: FnInfo;
  effects: Effect[];
  extCalls: ExtCall[];
  internalCalls: { fn: FnInfo; node: FunctionCall }[];
  conditions: Condition[];
  loops: (ForStatement | WhileStatement | DoWhileStatement)[];
  selfdestructs: FunctionCall[];
  /** Locals and params with their declared types; locals with their initialiser. */
  locals: Map<string, { decl: VariableDeclaration; type: TypeName | null; init: Expression | null; storage: string | null }>;
  /** Locals that hold a storage reference to a state variable: local -> state variable. */
  storageAliases: Map<string, string>;
  /** Locals (transitively) derived from msg.sender, params, or block values. */
  senderDerived: Set<string>;
  paramDerived: Set<string>;
}

export interface Guard {
  who: Exclude<Trigger, 'anyone' | 'nobody'>;
  /** Where the guard applies (a condition, a modifier invocation, a helper call). */
  node: Node;
  /** The condition that restricts the caller, when there is one. */
  cond?: Node;
  text: string;
  /** What the caller is checked against: a stored address, or a lookup keyed by the caller; and the function it is read in. */
  holder?: { node: Node; fn: FnInfo; keyed: boolean };
}

/** What the first steps collect from the files: every declaration, and where names lead. */
export interface Declarations {
  files: ParsedFile[];
  contracts: ContractInfo[];
  byName: Map<string, ContractInfo>;
  structs: Set<string>;
  enums: Set<string>;
  /** Method names declared view/pure somewhere in the project, and those declared mutating. */
  viewNames: Set<string>;
  mutatingNames: Set<string>;
  /** File-level (free) functions, such as a project's own require helper: resolvable by name from any contract. */
  freeFunctions: Map<string, FnInfo>;
}

/** The model detectors read: the declarations (free functions are reached through resolveFunction) and the steps' answers. */
export interface Project extends Omit<Declarations, 'freeFunctions'> {
  facts(ctx: ContractInfo, fn: FnInfo): FnFacts;
  guardsOf(ctx: ContractInfo, fn: FnInfo): Guard[];
  entries(ctx: ContractInfo): FnInfo[];
  /** Who can run `fn` (through any entry of `ctx`), and through which entries. */
  reach(ctx: ContractInfo, fn: FnInfo): { who: Trigger; entries: FnInfo[] };
  resolveFunction(ctx: ContractInfo, name: string, argc: number): FnInfo | null;
  resolveModifier(ctx: ContractInfo, name: string): FnInfo | null;
  /**
   * State variables that decide who may act: compared with the caller in a guard (modifier,
   * require, if-revert, helper function) or looked up by the caller's address in one.
   */
  privilegedState(ctx: ContractInfo): Set<string>;
  src(fn: FnInfo | ContractInfo): string;
}

/** For a modifier whose code is not in the sources only: the convention for access modifiers. */

/** Per function id: the entries it is reached from, whether anyone can reach it, and which guards stand before it. */
export type ReachMap = Map<number, { entries: FnInfo[]; anyone: boolean; who: Set<string> }>;

/** What the guard and reach steps read: the declarations, the facts of a function, and one project's caches. */
export interface ModelCore {
  d: Declarations;
  facts(ctx: ContractInfo, fn: FnInfo): FnFacts;
  guards: Map<string, Guard[]>;
  privileged: Map<ContractInfo, Set<string>>;
  reach: Map<ContractInfo, ReachMap>;
}
