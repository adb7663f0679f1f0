/** Reads and small writes of collected data: tracked tokens, checkpoints, daily metrics. */
import { createHash } from 'node:crypto';
import type { NetworkDay, OnchainDay } from '../../../shared/contract/collect';
import { AppError } from '../../../shared/errors';
import { Address } from '../../../shared/schemas';
import type { Core } from '../core';
import type { RpcLimits, RpcLimitsStore } from './jsonrpc';

export interface TrackedToken {
  chainId: number;
  address: string;
  assetId: string;
  symbol: string | null;
  decimals: number | null;
  startBlock: number | null;
}

/** The asset id of a token: the listed asset when the registry knows the address, else chainId:address. */
export function assetIdFor(core: Pick<Core, 'store'>, chainId: number, address: string): string {
  const row = core.store.db.prepare<unknown[], { asset_id: string }>('SELECT asset_id FROM crypto_assets WHERE chain_id = ? AND address = ?').get(chainId, address);
  return row?.asset_id ?? `${chainId}:${address}`;
}

export function trackToken(core: Core, rawAddress: string, startBlock?: number): { assetId: string; address: string; added: boolean } {
  const address = Address.parse(rawAddress);
  const chainId = core.config.chainId;
  const existing = core.store.db.prepare<unknown[], { asset_id: string }>('SELECT asset_id FROM tracked_tokens WHERE chain_id = ? AND address = ?').get(chainId, address);
  if (existing) return { assetId: existing.asset_id, address, added: false };
  const assetId = assetIdFor(core, chainId, address);
  const row: Record<string, unknown> = { chain_id: chainId, address, asset_id: assetId, added_at: new Date().toISOString() };
  if (startBlock !== undefined) row.start_block = startBlock;
  core.store.write('tracked_tokens', [row]);
  return { assetId, address, added: true };
}

/** User-tracked tokens plus every registry asset with an address on the configured chain. */
export function listTrackedTokens(core: Pick<Core, 'store' | 'config'>): TrackedToken[] {
  const chainId = core.config.chainId;
  const rows = core.store.db
    .prepare<unknown[], { address: string; asset_id: string; symbol: string | null; decimals: number | null; start_block: number | null }>(
      `SELECT address, asset_id, symbol, decimals, start_block FROM tracked_tokens WHERE chain_id = ?
       UNION ALL
       SELECT a.address, a.asset_id, a.symbol, a.decimals, NULL FROM crypto_assets a
       WHERE a.chain_id = ? AND a.address IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tracked_tokens t WHERE t.chain_id = a.chain_id AND t.address = a.address)
       ORDER BY 1`,
    )
    .all(chainId, chainId);
  return rows.map((r) => ({ chainId, address: r.address, assetId: r.asset_id, symbol: r.symbol, decimals: r.decimals === null ? null : Number(r.decimals), startBlock: r.start_block === null ? null : Number(r.start_block) }));
}

export function readCheckpoint<T>(core: Pick<Core, 'store'>, collector: string, scope: string): T | null {
  const row = core.store.db.prepare<unknown[], { state: string }>('SELECT state FROM collector_checkpoints WHERE collector = ? AND scope = ?').get(collector, scope);
  return row ? (JSON.parse(row.state) as T) : null;
}

/**
 * Saves a collector's checkpoint. Checkpoints describe this database's own derived state (the
 * local balance table, the open day), so they are written directly, not through `store.write`:
 * they must not reach the team outbox, where another laptop would resume from a walk it never did.
 */
export function writeCheckpoint(core: Pick<Core, 'store'>, collector: string, scope: string, state: unknown): void {
  core.store.db
    .prepare('INSERT INTO collector_checkpoints (collector, scope, state, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (collector, scope) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at')
    .run(collector, scope, JSON.stringify(state), new Date().toISOString());
}

/** Learnt limits older than this are asked again (the analyst may have upgraded the plan behind the same URL). */
const PROVIDER_LIMITS_TTL_MS = 30 * 86_400_000;

/**
 * A provider's learnt limits (eth_getLogs span cap, batch size) in the collectors' checkpoint
 * table, keyed by a hash of its URL: the URL (and the key it carries) is never stored.
 */
export function providerLimitsStore(core: Pick<Core, 'store'>, url: string): RpcLimitsStore {
  const scope = createHash('sha256').update(url).digest('hex').slice(0, 32);
  return {
    load() {
      const kept = readCheckpoint<Partial<RpcLimits> & { learnedAt?: string }>(core, 'rpc-limits', scope);
      if (kept === null || !(Date.now() - Date.parse(kept.learnedAt ?? '') < PROVIDER_LIMITS_TTL_MS)) return null;
      return kept;
    },
    save(limits) {
      writeCheckpoint(core, 'rpc-limits', scope, { maxLogRange: limits.maxLogRange, maxBatch: limits.maxBatch, learnedAt: new Date().toISOString() });
    },
  };
}

function resolveToken(core: Core, token: string): { assetId: string; address: string | null; decimals: number | null } {
  const chainId = core.config.chainId;
  const addr = Address.safeParse(token);
  if (addr.success) {
    const t = core.store.db.prepare<unknown[], { asset_id: string; decimals: number | null }>('SELECT asset_id, decimals FROM tracked_tokens WHERE chain_id = ? AND address = ?').get(chainId, addr.data);
    if (t) return { assetId: t.asset_id, address: addr.data, decimals: t.decimals };
    const a = core.store.db.prepare<unknown[], { asset_id: string; decimals: number | null }>('SELECT asset_id, decimals FROM crypto_assets WHERE chain_id = ? AND address = ?').get(chainId, addr.data);
    if (a) return { assetId: a.asset_id, address: addr.data, decimals: a.decimals };
    throw new AppError('NOT_FOUND', `token ${addr.data} is not tracked on chain ${chainId}: collect it first (defimon collect chain --token ${addr.data})`);
  }
  const a = core.store.db.prepare<unknown[], { asset_id: string; address: string | null; decimals: number | null }>('SELECT asset_id, address, decimals FROM crypto_assets WHERE asset_id = ?').get(token.toUpperCase());
  if (!a) throw new AppError('NOT_FOUND', `no asset or token "${token}"`);
  return { assetId: a.asset_id, address: a.address, decimals: a.decimals };
}

export function onchainMetrics(core: Core, input: { token: string; from?: string | undefined; to?: string | undefined }): { assetId: string; address: string | null; decimals: number | null; days: OnchainDay[] } {
  const t = resolveToken(core, input.token);
  const rows = core.store.db
    .prepare<unknown[], { day: string; transfers: number | null; volume_token: number | null; volume_usd: number | null; active_addresses: number | null; new_holders: number | null; holders: number | null; top10_share: number | null }>(
      `SELECT day, transfers, volume_token, volume_usd, active_addresses, new_holders, holders, top10_share FROM onchain_metrics
       WHERE asset_id = ? AND source = 'chain' AND day >= ? AND day <= ? ORDER BY day`,
    )
    .all(t.assetId, input.from ?? '0000-00-00', input.to ?? '9999-99-99');
  const num = (v: number | bigint | null): number | null => (v === null ? null : Number(v));
  return {
    ...t,
    days: rows.map((r) => ({ day: r.day, transfers: num(r.transfers), volume: num(r.volume_token), volume_usd: num(r.volume_usd), active_addresses: num(r.active_addresses), new_holders: num(r.new_holders), holders: num(r.holders), top10_share: num(r.top10_share) })),
  };
}

export function networkMetrics(core: Core, input: { from?: string | undefined; to?: string | undefined }): NetworkDay[] {
  return core.store.db
    .prepare<unknown[], NetworkDay>(
      `SELECT day, blocks, transactions, utilisation, median_gas_price_gwei, median_base_fee_gwei FROM network_metrics
       WHERE chain_id = ? AND source = 'chain' AND day >= ? AND day <= ? ORDER BY day`,
    )
    .all(core.config.chainId, input.from ?? '0000-00-00', input.to ?? '9999-99-99');
}

/** Close of an asset on a day from any market source, collected sources first. */
export function priceOn(core: Pick<Core, 'store'>, assetId: string, day: string): number | null {
  const row = core.store.db
    .prepare<unknown[], { close: number }>(`SELECT close FROM financial_metrics WHERE asset_id = ? AND day = ? AND close IS NOT NULL ORDER BY CASE source WHEN 'coingecko' THEN 0 ELSE 1 END LIMIT 1`)
    .get(assetId, day);
  return row?.close ?? null;
}
