/**
 * Audit speed: a 5,000-line multi-file project (files importing each other, inheritance,
 * libraries, loops, external calls) and a directory of 150 small unrelated contracts, each
 * through parse, model, every detector, token risk and score. Targets: < 1 s and < 15 s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeSources } from '../src/main/services/audit/analyze';
import type { SourceInput } from '../src/main/services/audit/parse';

/** One generated module: a contract that extends the previous one, with varied function bodies. */
function moduleSource(i: number, functions: number): string {
  const prev = i > 0 ? `Module${i - 1}` : null;
  const lines: string[] = ['// SPDX-License-Identifier: MIT', 'pragma solidity ^0.8.17;', ''];
  if (prev) lines.push(`import "./Module${i - 1}.sol";`, '');
  lines.push(`interface IFeed${i} { function price(address asset) external view returns (uint256); function pull(address to, uint256 amount) external returns (bool); }`, '');
  lines.push(`library Math${i} {`, '    function mulDiv(uint256 a, uint256 b, uint256 d) internal pure returns (uint256) {', '        require(d != 0, "div");', '        return (a * b) / d;', '    }', '}', '');
  lines.push(`contract Module${i}${prev ? ` is ${prev}` : ''} {`);
  lines.push(`    using Math${i} for uint256;`);
  lines.push(`    mapping(address => uint256) public balance${i};`, `    address[] public members${i};`, `    IFeed${i} public feed${i};`, `    uint256 public total${i};`);
  if (!prev) lines.push('    address public owner;', '    modifier onlyOwner() { require(msg.sender == owner, "owner"); _; }', '    constructor() { owner = msg.sender; }');
  for (let f = 0; f < functions; f++) {
    switch (f % 4) {
      case 0:
        lines.push(`    function deposit${i}_${f}(uint256 amount) external {`, `        require(amount > 0, "zero");`, `        balance${i}[msg.sender] += amount;`, `        total${i} += amount;`, `        members${i}.push(msg.sender);`, `    }`);
        break;
      case 1:
        lines.push(`    function withdraw${i}_${f}(uint256 amount) external {`, `        uint256 have = balance${i}[msg.sender];`, `        require(have >= amount, "balance");`, `        balance${i}[msg.sender] = have - amount;`, `        require(feed${i}.pull(msg.sender, amount), "pull");`, `    }`);
        break;
      case 2:
        lines.push(`    function value${i}_${f}(address asset) public view returns (uint256 v) {`, `        for (uint256 k = 0; k < members${i}.length && k < 50; k++) {`, `            v += balance${i}[members${i}[k]].mulDiv(feed${i}.price(asset), 1e18);`, `        }`, `        if (block.timestamp > 0) v += 1;`, `    }`);
        break;
      default:
        lines.push(`    function configure${i}_${f}(address next) external onlyOwner {`, `        require(next != address(0), "zero");`, `        feed${i} = IFeed${i}(next);`, `        emit Configured${i}(next, ${f});`, `    }`);
    }
  }
  lines.push(`    event Configured${i}(address indexed feed, uint256 slot);`, '}', '');
  return lines.join('\n');
}

export function project(targetLines: number): SourceInput[] {
  const files: SourceInput[] = [];
  let lines = 0;
  for (let i = 0; lines < targetLines; i++) {
    const content = moduleSource(i, 28);
    files.push({ path: `Module${i}.sol`, content });
    lines += content.split('\n').length;
  }
  return files;
}

/** 150 small contracts: the vulnerable/fixed fixtures, renamed copies until there are 150. */
function smallContracts(n: number): SourceInput[] {
  const root = path.resolve(__dirname, '..', 'test', 'fixtures', 'audit');
  const base: SourceInput[] = [];
  for (const dir of readdirSync(root)) {
    if (dir.startsWith('_')) continue;
    for (const f of ['vulnerable.sol', 'fixed.sol']) base.push({ path: `${dir}-${f}`, content: readFileSync(path.join(root, dir, f), 'utf8') });
  }
  const out: SourceInput[] = [];
  for (let i = 0; out.length < n; i++) {
    const b = base[i % base.length] as SourceInput;
    // Distinct names and a distinct constant so no two files are identical.
    out.push({ path: `c${i}-${b.path}`, content: `${b.content}\n// copy ${i}\n` });
  }
  return out;
}

const lineCount = (files: SourceInput[]): number => files.reduce((s, f) => s + f.content.split('\n').length, 0);

export async function run(): Promise<void> {
  const big = project(5000);
  const t0 = performance.now();
  const first = analyzeSources(big);
  const cold = performance.now() - t0;
  const t1 = performance.now();
  analyzeSources(big);
  const warm = performance.now() - t1;
  console.log(`multi-file project: ${big.length} files, ${lineCount(big)} lines, ${first.findings.length} findings, ${first.errors.length} errors`);
  console.log(`  first audit in this process (parser warm-up included): ${cold.toFixed(0)} ms; again: ${warm.toFixed(0)} ms (target < 1000 ms)`);

  const small = smallContracts(150);
  const t2 = performance.now();
  const res = analyzeSources(small);
  const dirMs = performance.now() - t2;
  console.log(`directory of ${small.length} small contracts (${lineCount(small)} lines): ${dirMs.toFixed(0)} ms, ${res.findings.length} findings, ${res.errors.length} errors (target < 15000 ms)`);
}
