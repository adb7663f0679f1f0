/** The settings form's text fields and the patch of what the analyst changed. Pure, so it is tested alone. */
import type { SettingsValuesPatch, SettingsView } from '../../../shared/contract/settings';

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

