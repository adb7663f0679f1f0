/**
 * One runner per source: reads its settings, builds (once) its provider client with the plan's
 * rate, runs the collector and the quality checks. Provider rates come from `collect.rates`
 * (config.ts): CoinGecko and GitHub default by whether a key is set — CoinGecko 4/minute
 * keyless (its public limit is "roughly 5-30 calls per minute"), 0.45/s with a demo key (30/min);
 * GitHub 60/hour keyless, 5000/hour with a token.
 */
import type { CollectSource } from '../../../shared/contract/collect';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import { BlockCache, collectChain } from './chain';
import { fetchTokenInfo, fetchVerifiedContract } from './explorer';
import { collectGithub } from './github';
import { eachDeferring, isDeferrable } from './defer';
import { createHttpClient, type HttpClient } from './http';
import { isNoNetworkError } from '../kernel/retry';
import { createRpcClient, ensureRpcUrl, type RpcClient } from './jsonrpc';
import { collectMarket, collectTvl, fillVolumeUsd } from './market';
import { runQualityChecks } from './quality';
import { collectSimilarity } from './similarity';
import type { CollectorStatusRegistry } from './status';
import { listTrackedTokens, providerLimitsStore, trackToken } from './store';

export interface RunInput {
  tokens?: string[] | undefined;
  fromBlock?: number | undefined;
  toBlock?: number | undefined;
  network?: boolean | undefined;
  assets?: string[] | undefined;
  addresses?: string[] | undefined;
}

export interface RunContext {
  signal: AbortSignal;
  progress: (done: number, total: number | null, message?: string) => void;
}

/** What a run did. `local`: computed from what is stored here without asking any host, so its success says nothing about the network. */
export interface RunOutput {
  items: number;
  details: Record<string, unknown>;
  local?: boolean;
}

export type Runner = (input: RunInput, ctx: RunContext) => Promise<RunOutput>;

export type Runners = Record<CollectSource, Runner> & {
  configured(source: CollectSource): boolean;
  /** The collectors' RPC client (one per RPC URL), shared with other domains' chain reads. */
  rpc(): RpcClient;
};

/** The HTTP JSON-RPC URL: rpcUrl, or the https twin of a wss:// URL (QuickNode serves both on one path). */
export function httpRpcUrl(core: Pick<Core, 'config'>): string {
  const ws = core.config.rpcWsUrl;
  return ensureRpcUrl(core.config.rpcUrl ?? (ws ? ws.replace(/^ws(s?):\/\//i, 'http$1://') : undefined));
}

export function createRunners(core: Core, status: CollectorStatusRegistry, explorerClient: () => HttpClient): Runners {
  const clients = new Map<string, HttpClient>();
  const client = (name: string, ratePerSec: number, burst: number): HttpClient => {
    let c = clients.get(name);
    if (!c || c.policy.ratePerSec !== ratePerSec) {
      // A provider's wait up to collect.maxWaitSec is waited in place; a longer one defers the item.
      c = createHttpClient(core, { name, ratePerSec, burst, maxDelayMs: core.config.collect.maxWaitSec * 1000 });
      clients.set(name, c);
      status.registerProvider(c);
    }
    return c;
  };
  let rpc: { url: string; client: RpcClient } | null = null;
  const blockCache = new BlockCache();
  const rpcClient = (): RpcClient => {
    const url = httpRpcUrl(core);
    if (!rpc || rpc.url !== url) {
      const rate = core.config.collect.rates.rpc;
      rpc = { url, client: createRpcClient(core, { url, policy: { ratePerSec: rate, burst: Math.max(1, Math.ceil(rate)) }, limitsStore: providerLimitsStore(core, url) }) };
      status.registerProvider(rpc.client.http);
    }
    return rpc.client;
  };

  const withQuality = async (source: string, out: { items: number; details: Record<string, unknown> }): Promise<{ items: number; details: Record<string, unknown> }> => {
    const flags = runQualityChecks(core, source);
    return { items: out.items, details: { ...out.details, qualityFlags: flags } };
  };

  const runners: Record<CollectSource, Runner> = {
    async chain(input, ctx) {
      const client = rpcClient();
      for (const t of input.tokens ?? []) trackToken(core, t);
      const wanted = input.tokens?.map((t) => t.toLowerCase());
      const tokens = listTrackedTokens(core).filter((t) => !wanted || wanted.includes(t.address));
      if (tokens.length === 0 && input.network === false) throw new AppError('INVALID_INPUT', 'no tokens to collect: pass --token ADDRESS or add tokens with a Polygon address');
      const stats = await collectChain({ core, rpc: client, tokens, settings: core.config.collect.chain, fromBlock: input.fromBlock, toBlock: input.toBlock, network: input.network ?? true, signal: ctx.signal, progress: ctx.progress, cache: blockCache });
      for (const t of tokens) fillVolumeUsd(core, t.assetId);
      return withQuality('chain', { items: stats.logs + stats.blocks, details: { ...stats } });
    },
    async explorer(input, ctx) {
      const addresses = input.addresses ?? [
        ...listTrackedTokens(core).map((t) => t.address),
        ...core.store.db.prepare<unknown[], { address: string }>('SELECT address FROM smart_contracts WHERE chain_id = ? AND source IS NULL AND (verified IS NULL)').all(core.config.chainId).map((r) => r.address),
      ];
      const unique = [...new Set(addresses.map((a) => a.toLowerCase()))];
      const tokens = new Set(listTrackedTokens(core).map((t) => t.address));
      const failed: { address: string; code: string; message: string }[] = [];
      let verified = 0;
      let tokenInfo: 'offered' | 'not offered' | 'unknown' = 'unknown';
      let done = 0;
      const { deferrals } = await eachDeferring(
        unique,
        async (address) => {
          ctx.progress(done, unique.length, address);
          try {
            const c = await fetchVerifiedContract({ core, address, signal: ctx.signal, client: explorerClient() });
            if (c.verified) verified++;
            if (tokens.has(address) && tokenInfo !== 'not offered') tokenInfo = (await fetchTokenInfo({ core, address, client: explorerClient(), signal: ctx.signal })) === null ? 'not offered' : 'offered';
          } catch (err) {
            // Rate limits and "temporarily unavailable" are deferred; a plan or setup error stops the run once.
            if (err instanceof AppError && (['CANCELLED', 'FORBIDDEN', 'NOT_CONFIGURED'].includes(err.code) || isDeferrable(err))) throw err;
            if (isNoNetworkError(err)) throw err;
            failed.push({ address, code: err instanceof AppError ? err.code : 'INTERNAL', message: (err as Error).message });
          }
          done++;
        },
        { signal: ctx.signal, provider: 'etherscan', maxWaitMs: core.config.collect.maxDeferSec * 1000, giveUp: (address, err) => failed.push({ address, code: err.code, message: err.message }) },
      );
      ctx.progress(unique.length, unique.length, 'done');
      if (failed.length > 0 && failed.length === unique.length) throw new AppError('UPSTREAM', `explorer: every contract failed; first: ${failed[0]?.message}`, { details: { failed } });
      return { items: unique.length - failed.length, details: { contracts: unique.length, verified, tokenInfo, failed, deferrals } };
    },
    async market(input, ctx) {
      const rate = core.config.collect.rates.coingecko ?? (core.config.coingeckoApiKey ? 0.45 : 4 / 60);
      // Keyless: no burst, so no minute ever sees more than the rate allows.
      const c = client('coingecko', rate, core.config.coingeckoApiKey ? 3 : 1);
      return withQuality('coingecko', await collectMarket({ core, client: c, assets: input.assets, maxWaitMs: core.config.collect.maxDeferSec * 1000, ...ctx }));
    },
    async tvl(input, ctx) {
      const c = client('defillama', core.config.collect.rates.defillama, 4);
      return withQuality('defillama', await collectTvl({ core, client: c, assets: input.assets, maxWaitMs: core.config.collect.maxDeferSec * 1000, ...ctx }));
    },
    async github(input, ctx) {
      const rate = core.config.collect.rates.github ?? (core.config.githubToken ? 5000 / 3600 : 60 / 3600);
      const c = client('github', rate, Math.max(10, Math.ceil(rate)));
      return withQuality('github', await collectGithub({ core, client: c, assets: input.assets, ...ctx }));
    },
    async hf(_input, ctx) {
      return collectSimilarity({ core, ...ctx });
    },
  };

  return Object.assign(runners, {
    rpc: rpcClient,
    configured(source: CollectSource): boolean {
      if (source === 'chain') return core.config.rpcUrl !== undefined || core.config.rpcWsUrl !== undefined;
      if (source === 'explorer') return core.config.etherscanApiKey !== undefined;
      return true;
    },
  });
}
