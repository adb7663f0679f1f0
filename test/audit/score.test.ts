/** The score: what each finding costs, caps per category, and the reasoning that explains it. */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/shared/contract/audit';
import { scoreAudit } from '../../src/main/services/audit/score';

const finding = (severity: Finding['severity'], category: Finding['category']): Finding => ({
  swc: 'SWC-107', category, severity, confidence: 'high', line: 1, endLine: 1, title: 't', description: 'd', recommendation: 'r', file: 'a.sol', detector: 'x', contract: null, function: null,
});

describe('audit score', () => {
  it('costs more for worse findings and explains every deduction', () => {
    const high = scoreAudit([finding('high', 'reentrancy')], {}, { sourceVerified: true });
    const medium = scoreAudit([finding('medium', 'reentrancy')], {}, { sourceVerified: true });
    const low = scoreAudit([finding('low', 'reentrancy')], {}, { sourceVerified: true });
    expect(high.score).toBeLessThan(medium.score);
    expect(medium.score).toBeLessThan(low.score);
    expect(low.score).toBeLessThan(100);
    expect(scoreAudit([finding('info', 'other')], {}, { sourceVerified: true }).score).toBe(100);
    expect(100 + high.reasoning.reduce((s, r) => s + r.points, 0)).toBe(high.score);
    expect(high.reasoning[0]?.reason).toMatch(/1 high reentrancy finding/);
  });

  it('caps notes so many low findings stay cheaper than one high', () => {
    const manyLows = Array.from({ length: 200 }, (_, i) => finding('low', (['arithmetic', 'time_manipulation', 'reentrancy', 'other', 'front_running'] as const)[i % 5] as Finding['category']));
    const lows = scoreAudit(manyLows, {}, { sourceVerified: true });
    expect(lows.score).toBeGreaterThanOrEqual(90);
    expect(lows.score).toBeGreaterThan(scoreAudit([finding('high', 'access_control')], {}, { sourceVerified: true }).score);
    expect(scoreAudit(Array.from({ length: 10 }, () => finding('high', 'reentrancy')).concat(Array.from({ length: 10 }, () => finding('high', 'access_control'))), {}, { sourceVerified: true }).score).toBe(0);
  });

  it('charges owner powers and unverified code', () => {
    const risky = scoreAudit([], { is_mintable: { value: true, who: 'owner', evidence: [] }, selfdestruct: { value: true, who: 'anyone', evidence: [] } }, { sourceVerified: true });
    expect(risky.score).toBeLessThan(100);
    expect(risky.reasoning.map((r) => r.reason)).toEqual(['token risk is_mintable (by owner)', 'token risk selfdestruct (by anyone)']);
    expect(scoreAudit([], {}, { sourceVerified: false }).score).toBe(75);
  });
});
