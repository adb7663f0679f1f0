/** The settings form's text fields and the patch of what the analyst changed. Pure, so it is tested alone. */
import type { SettingField, SettingsValuesPatch, SettingsView } from '../../../shared/contract/settings';

export type Values = SettingsView['values'];
export const TEXT_FIELDS: { key: keyof Values & keyof SettingsValuesPatch; label: string; kind: 'int' | 'text' | 'url' }[] = [
  { key: 'horizonDays', label: 'Model horizon (days)', kind: 'int' },
  { key: 'chainId', label: 'Chain id', kind: 'int' },
  { key: 'redisPrefix', label: 'Redis key prefix', kind: 'text' },
  { key: 'etherscanBaseUrl', label: 'Etherscan API base URL', kind: 'url' },
  { key: 'coingeckoBaseUrl', label: 'CoinGecko API base URL', kind: 'url' },
  { key: 'defillamaBaseUrl', label: 'DefiLlama API base URL', kind: 'url' },
  { key: 'githubBaseUrl', label: 'GitHub API base URL', kind: 'url' },
  { key: 'hfEndpointUrl', label: 'Hugging Face endpoint URL', kind: 'url' },
];

/** The fields the analyst changed, as a patch; an emptied field goes back to its default (null). */
export function valuesPatch(original: Values, draft: Record<string, string>, logLevel: string, autoImport: boolean, autoCollect: boolean = original.autoCollect): SettingsValuesPatch {
  const patch: Record<string, unknown> = {};
  for (const f of TEXT_FIELDS) {
    const text = draft[f.key];
    if (text === undefined) continue;
    const before = original[f.key];
    if (text.trim() === '') {
      if (before !== null) patch[f.key] = null;
      continue;
    }
    const value = f.kind === 'int' ? Number(text) : text.trim();
    if (value !== before) patch[f.key] = value;
  }
  if (logLevel !== original.logLevel) patch.logLevel = logLevel;
  if (autoImport !== original.autoImport) patch.autoImport = autoImport;
  if (autoCollect !== original.autoCollect) patch.autoCollect = autoCollect;
  return patch as SettingsValuesPatch;
}


/**
 * The collector tunables the analyst changed, as the nested `collect` patch settings.update takes
 * (`{ chain: { maxRange: 5000 } }`): an emptied field goes back to its default (null); text that is
 * not a number is sent as typed so the server's validation names the field.
 */
export function collectPatch(fields: readonly SettingField[], draft: Record<string, string>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const f of fields) {
    const text = draft[f.key]?.trim();
    if (text === undefined) continue;
    let value: unknown;
    if (text === '') {
      if (f.stored === null) continue;
      value = null;
    } else {
      const n = Number(text);
      value = Number.isFinite(n) ? n : text;
      if (value === f.stored) continue;
    }
    const path = f.key.split('.').slice(1);
    let node = patch;
    for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1] as string] = value;
  }
  return patch;
}

/** A field's allowed values in words, from the schema's bounds ("1 – 1000000", "> 0, ≤ 10000"). */
export function boundsText(f: Pick<SettingField, 'min' | 'minInclusive' | 'max'>): string {
  if (f.min !== null && f.max !== null && f.minInclusive) return `${f.min} – ${f.max}`;
  return [f.min === null ? '' : `${f.minInclusive ? '≥' : '>'} ${f.min}`, f.max === null ? '' : `≤ ${f.max}`].filter(Boolean).join(', ');
}

/** Field errors of a refused settings.update (`details.issues`), by dotted key. */
export function issuesByKey(error: unknown): Record<string, string> {
  const issues = (error as { details?: { issues?: unknown } } | null)?.details?.issues;
  if (!Array.isArray(issues)) return {};
  const out: Record<string, string> = {};
  for (const i of issues as { path?: unknown; message?: unknown }[]) if (typeof i.path === 'string' && typeof i.message === 'string') out[i.path] = i.message;
  return out;
}
