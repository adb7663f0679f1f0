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
});
