/**
 * The 0-100 score: 100 minus what the findings cost, each severity with a per-category cap so
 * a hundred timestamp notes do not outweigh one reentrancy. Token-risk powers cost a little;
 * unverified code (bytecode only) starts lower because nothing could be checked line by line.
 */
import type { Finding, Severity, TokenRisk } from '../../../shared/contract/audit';

const COST: Record<Severity, number> = { high: 20, medium: 8, low: 1, info: 0 };
const CAP: Record<Severity, number> = { high: 60, medium: 30, low: 4, info: 0 };
/** Low findings are notes; together they never cost more than this. */
const LOW_TOTAL_CAP = 10;
const RISK_COST: Record<string, number> = {
  is_mintable: 4,
  hidden_owner: 8,
  can_take_back_ownership: 8,
  owner_change_balance: 10,
  transfer_pausable: 4,
  is_blacklisted: 4,
  slippage_modifiable: 4,
  selfdestruct: 6,
  is_proxy: 3,
};

export function scoreAudit(findings: readonly Finding[], tokenRisk: TokenRisk, opts: { sourceVerified: boolean }): { score: number; reasoning: { reason: string; points: number }[] } {
  const reasoning: { reason: string; points: number }[] = [];
  const byCat = new Map<string, Map<Severity, Finding[]>>();
  for (const f of findings) {
    const m = byCat.get(f.category) ?? new Map<Severity, Finding[]>();
    const list = m.get(f.severity) ?? [];
    list.push(f);
    m.set(f.severity, list);
    byCat.set(f.category, m);
  }
  let lowSpent = 0;
  for (const [cat, m] of byCat) {
    for (const sev of ['high', 'medium', 'low'] as const) {
      const list = m.get(sev);
      if (!list || list.length === 0) continue;
      let points = -Math.min(CAP[sev], COST[sev] * list.length);
      if (sev === 'low') {
        points = Math.max(points, -(LOW_TOTAL_CAP - lowSpent));
        lowSpent -= points;
        if (points === 0) continue;
      }
      reasoning.push({ reason: `${list.length} ${sev} ${cat} finding${list.length > 1 ? 's' : ''} (${COST[sev]} each, at most ${CAP[sev]})`, points });
    }
  }
  for (const [key, cost] of Object.entries(RISK_COST)) {
    const item = tokenRisk[key];
    if (item && item.value === true && item.who !== 'nobody') reasoning.push({ reason: `token risk ${key}${item.who ? ` (by ${item.who})` : ''}`, points: key === 'selfdestruct' && item.who === 'anyone' ? -cost * 3 : -cost });
  }
  if (!opts.sourceVerified) reasoning.push({ reason: 'source not verified: only bytecode could be checked', points: -25 });
  const total = reasoning.reduce((s, r) => s + r.points, 100);
  return { score: Math.max(0, Math.min(100, Math.round(total))), reasoning };
}
