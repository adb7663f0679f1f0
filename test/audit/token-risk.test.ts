/** Token risk as an analyst reads it: each switch with who can flip it and where it is. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/main/services/audit/analyze';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'audit', '_tokens');
const audit = (file: string) => {
  const content = readFileSync(path.join(DIR, file), 'utf8');
  const a = analyzeSources([{ path: file, content }]);
  const lineOf = (needle: string): number => content.split('\n').findIndex((l) => l.includes(needle)) + 1;
  return { a, lineOf };
};

describe('token risk', () => {
  it('reads every owner switch of a fee-on-transfer token, with evidence and who', () => {
    const { a, lineOf } = audit('FeeToken.sol');
    expect(a.errors).toEqual([]);
    const r = a.tokenRisk;
    const expectations: [string, unknown, string | null, string | null][] = [
      ['can_take_back_ownership', true, 'owner', 'function unlock'],
      ['hidden_owner', true, 'owner', null],
      ['transfer_pausable', true, 'owner', 'function openTrading'],
      ['is_blacklisted', true, 'owner', 'function setBots'],
      ['is_whitelisted', true, 'owner', 'function excludeFromFee'],
      ['buy_tax', 'modifiable', 'owner', 'function setFees'],
      ['sell_tax', 'modifiable', 'owner', 'function setFees'],
      ['slippage_modifiable', true, 'owner', 'function setFees'],
      ['anti_whale_modifiable', true, 'owner', 'function setMaxTx'],
      ['is_anti_whale', true, null, 'function _transfer'],
      ['trading_cooldown', true, null, 'function _transfer'],
      ['cannot_sell_all', true, null, 'function _transfer'],
      ['is_mintable', false, null, null],
      ['selfdestruct', false, null, null],
    ];
    for (const [key, value, who, where] of expectations) {
      expect(r[key]?.value, key).toEqual(value);
      expect(r[key]?.who, key).toBe(who);
      if (where) expect(r[key]?.evidence.map((e) => e.line), key).toContain(lineOf(where));
    }
    expect(r.owner_address?.value).toBe('_owner');
  });

  it('finds nothing to worry about in a fixed-supply token without an owner', () => {
    const { a } = audit('PlainToken.sol');
    const raised = Object.entries(a.tokenRisk).filter(([, v]) => v.value === true || v.value === 'modifiable');
    expect(raised).toEqual([]);
    expect(a.tokenRisk.owner_address?.value).toBeNull();
    expect(a.findings.filter((f) => f.severity === 'high' || f.severity === 'medium')).toEqual([]);
  });

  it('gives an overall verdict: high when the owner can destroy the token or take balances, low for a plain token', () => {
    expect(audit('FeeToken.sol').a.tokenRisk.overall?.value).toBe('high');
    expect(audit('PlainToken.sol').a.tokenRisk.overall?.value).toBe('low');
    const destroyable = readFileSync(path.join(DIR, 'PlainToken.sol'), 'utf8').replace(
      '    constructor(uint256 supply) {',
      '    address private keeper = msg.sender;\n    function end() external { require(msg.sender == keeper); selfdestruct(payable(keeper)); }\n    constructor(uint256 supply) {',
    );
    const r = analyzeSources([{ path: 'd.sol', content: destroyable }]).tokenRisk;
    expect([r.selfdestruct?.value, r.selfdestruct?.who]).toEqual([true, 'owner']);
    expect([r.overall?.value, r.overall?.who]).toEqual(['high', 'owner']);
  });
});

describe('token risk from what the transfer path does, not from names', () => {
  const risk = (body: string) =>
    analyzeSources([
      {
        path: 't.sol',
        content: `pragma solidity 0.8.20;
contract T {
    mapping(address => uint256) public balanceOf;
    address private boss = msg.sender;
    uint256 public rate;
    uint256 public cap;
    uint256 public decoyFee;
    mapping(address => bool) public marks;
    modifier onlyBoss() { require(msg.sender == boss); _; }
    function setRate(uint256 r) external onlyBoss { rate = r; }
    function setCap(uint256 c) external onlyBoss { cap = c; }
    function setDecoy(uint256 d) external onlyBoss { decoyFee = d; }
    function mark(address a, bool v) external onlyBoss { marks[a] = v; }
    function transfer(address to, uint256 amount) external returns (bool) {
${body}
        return true;
    }
}`,
      },
    ]).tokenRisk;

  it('a fee is a settable amount taken off what is credited, whatever its name', () => {
    const r = risk('        balanceOf[msg.sender] -= amount;\n        balanceOf[to] += amount - amount * rate / 100;\n        balanceOf[boss] += amount * rate / 100;');
    expect([r.slippage_modifiable?.value, r.slippage_modifiable?.who, r.buy_tax?.value]).toEqual([true, 'owner', 'modifiable']);
    expect(r.buy_tax?.note).toContain('rate');
    // A variable called a fee that the transfer never takes is no fee.
    const plain = risk('        balanceOf[msg.sender] -= amount;\n        balanceOf[to] += amount;');
    expect([plain.slippage_modifiable?.value, plain.buy_tax?.value]).toEqual([false, null]);
  });

  it('a table consulted to refuse is a blacklist; consulted to let through, an exemption', () => {
    const refuse = risk('        require(!marks[msg.sender], "no");\n        balanceOf[msg.sender] -= amount;\n        balanceOf[to] += amount;');
    expect([refuse.is_blacklisted?.value, refuse.is_whitelisted?.value]).toEqual([true, false]);
    const revertIf = risk('        if (marks[to]) revert();\n        balanceOf[msg.sender] -= amount;\n        balanceOf[to] += amount;');
    expect(revertIf.is_blacklisted?.value).toBe(true);
    const exempt = risk('        require(cap == 0 || marks[msg.sender]);\n        balanceOf[msg.sender] -= amount;\n        balanceOf[to] += amount;');
    expect([exempt.is_blacklisted?.value, exempt.is_whitelisted?.value]).toEqual([false, true]);
  });

  it('a limit is settable state the amount is compared with', () => {
    const r = risk('        require(amount <= cap);\n        balanceOf[msg.sender] -= amount;\n        balanceOf[to] += amount;');
    expect([r.is_anti_whale?.value, r.anti_whale_modifiable?.value, r.anti_whale_modifiable?.who]).toEqual([true, true, 'owner']);
    const none = risk('        require(balanceOf[msg.sender] >= amount);\n        balanceOf[msg.sender] -= amount;\n        balanceOf[to] += amount;');
    expect([none.is_anti_whale?.value, none.anti_whale_modifiable?.value]).toEqual([false, false]);
  });
});

