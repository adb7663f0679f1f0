/**
 * The token-risk checklist's overall verdict, from its items alone (no parser or model), so
 * the report can recompute it after merging groups or adding what the bytecode shows.
 */
import type { TokenRisk, TokenRiskItem, Trigger } from '../../../shared/contract/audit';

const rank: Record<Trigger, number> = { anyone: 3, role: 2, owner: 1, nobody: 0 };
const widest = (list: Trigger[]): Trigger | null => (list.length === 0 ? null : list.reduce((a, b) => (rank[b] > rank[a] ? b : a)));

/** Items that let the holder of a key take or lock what token holders own (or anyone destroy the token). */
const SEVERE = ['selfdestruct', 'owner_change_balance', 'hidden_owner', 'can_take_back_ownership', 'cannot_sell_all'];
/** Powers over fees, supply, upgrades and who may transfer. */
const CONCERNING = ['is_mintable', 'transfer_pausable', 'is_blacklisted', 'slippage_modifiable', 'personal_slippage_modifiable', 'anti_whale_modifiable', 'trading_cooldown', 'is_proxy'];

/** High when a key holder can take or lock holders' tokens, medium for powers over fees, supply and transfers, low otherwise. */
export function overallVerdict(risk: TokenRisk): TokenRiskItem {
  const raised = (keys: string[]): string[] => keys.filter((k) => risk[k]?.value === true || risk[k]?.value === 'modifiable');
  const severe = raised(SEVERE);
  const concerning = raised(CONCERNING);
  const keys = [...severe, ...concerning];
  const seen = new Set<string>();
  const evidence = keys.flatMap((k) => risk[k]?.evidence ?? []).filter((e) => !seen.has(`${e.file}:${e.line}`) && !!seen.add(`${e.file}:${e.line}`)).slice(0, 10);
  return {
    value: severe.length > 0 ? 'high' : concerning.length > 0 ? 'medium' : 'low',
    who: widest(
      keys.flatMap((k) => {
        const who = risk[k]?.who;
        return who ? [who] : [];
      }),
    ),
    evidence,
    note: keys.length === 0 ? 'no owner power over holders found' : keys.map((k) => k.replace(/_/g, ' ')).join(', '),
  };
}

/** The checklist with its overall verdict first, computed from the other items. */
export function withOverall(risk: TokenRisk): TokenRisk {
  const items = Object.fromEntries(Object.entries(risk).filter(([k]) => k !== 'overall'));
  return Object.keys(items).length === 0 ? items : { overall: overallVerdict(items), ...items };
}
