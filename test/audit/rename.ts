/**
 * Renames every user-declared identifier of a Solidity source consistently (contracts,
 * functions, modifiers, events, errors, structs and their members, enums and their values,
 * state variables, parameters, locals). Comments, strings, keywords and the language's own
 * names (msg.sender, addr.transfer, x.length, ...) stay; lines and columns stay put, so line
 * markers still point at the same statements. Names keep their shape (a leading underscore,
 * an initial capital, ALL_CAPS) and nothing else of the original.
 *
 * `npx tsx test/audit/rename.ts <file.sol>` prints the renamed file.
 */
import { readFileSync } from 'node:fs';
import { parse, tokenize } from '@solidity-parser/parser';

/** Names the language gives meaning to: never renamed even when a contract declares them. */
const LANGUAGE = new Set([
  'msg', 'tx', 'block', 'abi', 'this', 'super', 'now', 'sender', 'origin', 'value', 'data', 'sig', 'gas', 'gasprice', 'timestamp', 'number', 'coinbase', 'difficulty', 'prevrandao', 'gaslimit', 'basefee', 'chainid',
  'blockhash', 'gasleft', 'keccak256', 'sha3', 'sha256', 'ripemd160', 'ecrecover', 'addmod', 'mulmod', 'require', 'assert', 'revert', 'selfdestruct', 'suicide',
  'transfer', 'send', 'call', 'delegatecall', 'staticcall', 'callcode', 'balance', 'code', 'codehash', 'length', 'push', 'pop', 'selector', 'encode', 'encodePacked', 'encodeWithSelector', 'encodeWithSignature', 'encodeCall', 'decode',
  'min', 'max', 'interfaceId', 'name', 'creationCode', 'runtimeCode', 'wrap', 'unwrap', 'concat', 'type', 'constructor', 'fallback', 'receive', '_',
]);

function shapeName(original: string, index: number): string {
  const core = `${'qzxvwk'[index % 6]}${index.toString(36)}${'jq'[index % 2]}`;
  const lead = /^_*/.exec(original)?.[0] ?? '';
  const body = original.slice(lead.length);
  if (body.length > 1 && body === body.toUpperCase() && /[A-Z]/.test(body)) return `${lead}${core.toUpperCase()}`;
  if (/^[A-Z]/.test(body)) return `${lead}${core[0]?.toUpperCase() ?? 'Q'}${core.slice(1)}`;
  return `${lead}${core}`;
}

function declaredNames(source: string): Set<string> {
  const names = new Set<string>();
  const ast = parse(source, { tolerant: false });
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; name?: unknown; members?: unknown };
    if (
      typeof n.name === 'string' &&
      n.name !== '' &&
      ['ContractDefinition', 'FunctionDefinition', 'ModifierDefinition', 'EventDefinition', 'CustomErrorDefinition', 'StructDefinition', 'EnumDefinition', 'EnumValue', 'VariableDeclaration', 'UserDefinedValueTypeDefinition'].includes(n.type ?? '')
    )
      names.add(n.name);
    for (const key of Object.keys(n)) if (key !== 'loc' && key !== 'range') visit((n as Record<string, unknown>)[key]);
  };
  visit(ast);
  for (const l of LANGUAGE) names.delete(l);
  return names;
}

/** The source with each declared name replaced; also the mapping used. */
export function renameIdentifiers(source: string): { source: string; names: Map<string, string> } {
  const declared = [...declaredNames(source)].sort();
  const names = new Map(declared.map((n, i) => [n, shapeName(n, i + 7)]));
  let out = '';
  let at = 0;
  for (const t of tokenize(source, { range: true }) as { type: string; value: string; range?: [number, number] }[]) {
    if (t.type !== 'Identifier' || !t.range) continue;
    const next = names.get(t.value);
    if (!next) continue;
    out += source.slice(at, t.range[0]) + next;
    at = t.range[1];
  }
  // Lines must stay put: renaming never adds or removes a newline.
  return { source: out + source.slice(at), names };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx test/audit/rename.ts <file.sol>\n');
    process.exitCode = 2;
  } else process.stdout.write(renameIdentifiers(readFileSync(file, 'utf8')).source);
}
