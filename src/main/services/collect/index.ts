/** The collect domain: collectors, their scheduler and status, and their share of the contract. */
import type { CollectRunSummary, CollectSource, collectMethods } from '../../../shared/contract/collect';
import { AppError } from '../../../shared/errors';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { createEtherscanClient, fetchVerifiedContract, readContract } from './explorer';
import type { HttpClient } from './http';
import { chainReaderOf, type ChainReader } from './jsonrpc';
import { listQualityFlags } from './quality';
import { watchHeads } from './heads';
import { createNetworkMonitor } from './network';
import { createRunners, httpRpcUrl, type RunInput } from './runners';
import { createScheduler, type Scheduler } from './scheduler';
import { COLLECT_SOURCES, createStatusRegistry, type CollectorStatusRegistry } from './status';
import { networkMetrics, onchainMetrics, trackToken } from './store';

export { fetchVerifiedContract, readContract } from './explorer';

export interface CollectDomain {
  handlers: HandlersFor<typeof collectMethods>;
  /** Collector status for other domains (the UI's Data view reads it through `collect.status`). */
  status: CollectorStatusRegistry;
  /** Runs one source now, as a cancellable task with progress; CONFLICT when it is already running. */
  run(source: CollectSource, input?: RunInput, signal?: AbortSignal): Promise<CollectRunSummary>;
  cancel(source: CollectSource | 'all'): boolean;
  scheduler: Scheduler;
  /**
   * Collects on the scheduler's intervals until stopped; with a wss:// RPC URL the chain
   * collector also runs as new heads arrive (HTTP-only setups poll on the interval).
   */
  watch(sources: readonly CollectSource[]): Promise<() => Promise<void>>;
  /**
   * Code, storage and calls by address through the collectors' RPC client (its rate limiter,
   * retry policy and error taxonomy); null when no RPC URL is configured.
   */
  chainReader(): ChainReader | null;
  /** Fetches and stores a verified contract (see explorer.ts). */
  fetchContract(address: string, signal?: AbortSignal): ReturnType<typeof fetchVerifiedContract>;
}

const domains = new WeakMap<Core, CollectDomain>();

/** The collect domain built on these services (the CLI's --watch and the desktop shell start its scheduler). */
export function collectDomainOf(core: Core): CollectDomain {
  const d = domains.get(core);
  if (!d) throw new AppError('INTERNAL', 'the collect domain was not created for these services');
  return d;
}

export function createCollectDomain(core: Core): CollectDomain {
  const status = createStatusRegistry(core);
  let etherscan: HttpClient | null = null;
  const explorerClient = (): HttpClient => {
    if (!etherscan) {
      etherscan = createEtherscanClient(core);
      status.registerProvider(etherscan);
    }
    return etherscan;
  };
  const runners = createRunners(core, status, explorerClient);
  const network = createNetworkMonitor(core);
  core.onShutdown(() => network.stop());
  /** The host a source talks to, probed while offline. */
  const hostOf = (source: CollectSource): string | null => {
    const c = core.config;
    if (source === 'chain') {
      try {
        return httpRpcUrl(core);
      } catch {
        return null;
      }
    }
    return { explorer: c.etherscanBaseUrl, market: c.coingeckoBaseUrl, tvl: c.defillamaBaseUrl, github: c.githubBaseUrl, hf: c.hfEndpointUrl ?? null }[source];
  };
  const running = new Map<CollectSource, string>();

  async function run(source: CollectSource, input: RunInput = {}, signal?: AbortSignal): Promise<CollectRunSummary> {
    if (running.has(source)) throw new AppError('CONFLICT', `the ${source} collector is already running`);
    const lease = await core.ports.locks.acquire(`collect:${source}`, 10 * 60_000);
    if (!lease) throw new AppError('CONFLICT', `the ${source} collector is running elsewhere (another process holds its lease)`);
    const t0 = performance.now();
    try {
      return await core.tasks.run(
        `collect:${source}`,
        async ({ signal: taskSignal, progress, taskId }) => {
          running.set(source, taskId);
          status.begin(source, taskId);
          const report = (done: number, total: number | null, message?: string): void => {
            progress(done, total, message);
            status.progress(source, done, total, message);
          };
          try {
            const out = await runners[source](input, { signal: taskSignal, progress: report });
            // Only a run that reached its host shows the network is there (peers computed here do not).
            if (!out.local) network.noteSuccess();
            const ms = Math.round(performance.now() - t0);
            status.succeed(source, out.items, ms);
            return { source, items: out.items, ms, details: out.details };
          } catch (err) {
            status.fail(source, err, performance.now() - t0);
            network.noteFailure(err, hostOf(source));
            throw err;
          }
        },
        signal ? { signal } : {},
      );
    } finally {
      running.delete(source);
      await lease.release();
    }
  }

  function cancel(source: CollectSource | 'all'): boolean {
    let any = false;
    for (const [s, taskId] of running) if (source === 'all' || s === source) any = core.tasks.cancel(taskId) || any;
    return any;
  }

  const scheduler = createScheduler(core, (source, signal) => run(source, {}, signal), { paused: () => !network.online });
  let scheduled: readonly CollectSource[] = [];
  // Back online: every scheduled source runs now instead of at its next interval.
  network.onChange((online) => {
    if (online && scheduler.running) for (const s of scheduled) scheduler.poke(s);
  });
  core.onShutdown(() => scheduler.stop());

  async function watch(sources: readonly CollectSource[]): Promise<() => Promise<void>> {
    const active = sources.filter((s) => runners.configured(s));
    if (active.length === 0) throw new AppError('NOT_CONFIGURED', `none of ${sources.join(', ')} is configured`);
    scheduled = active;
    scheduler.start(active);
    // Each new head pokes the chain collector (pokes coalesce while a run is in progress); the
    // socket closes while the collectors are offline and reopens when the network is back.
    const heads = active.includes('chain') && core.config.rpcWsUrl ? watchHeads(core, { url: core.config.rpcWsUrl, network, onHead: () => scheduler.poke('chain') }) : null;
    return async () => {
      heads?.stop();
      await scheduler.stop();
    };
  }

  const handlers: HandlersFor<typeof collectMethods> = {
    'collect.status': () => ({ sources: status.sources(), providers: status.providers(), quality: listQualityFlags(core, 200), network: network.state() }),
    'collect.run': async (input, ctx) => {
      const sources: CollectSource[] = input.source === 'all' ? [...COLLECT_SOURCES] : [input.source];
      const out: CollectRunSummary[] = [];
      for (const s of sources) {
        if (input.source === 'all' && !runners.configured(s)) continue;
        out.push(await run(s, input, ctx.signal));
      }
      return out;
    },
    'collect.cancel': ({ source }) => ({ cancelled: cancel(source) }),
    'collect.trackToken': ({ address, startBlock }) => trackToken(core, address, startBlock),
    'collect.onchainMetrics': (input) => onchainMetrics(core, input),
    'collect.networkMetrics': (input) => networkMetrics(core, input),
    'collect.contract': async ({ address, refresh }, ctx) => {
      const stored = refresh ? null : readContract(core, address);
      return stored ?? (await fetchVerifiedContract({ core, address, client: explorerClient(), ...(ctx.signal ? { signal: ctx.signal } : {}) }));
    },
  };

  const domain: CollectDomain = {
    handlers,
    status,
    run,
    cancel,
    scheduler,
    watch,
    chainReader: () => (runners.configured('chain') ? chainReaderOf(runners.rpc()) : null),
    fetchContract: (address, signal) => fetchVerifiedContract({ core, address, client: explorerClient(), ...(signal ? { signal } : {}) }),
  };
  domains.set(core, domain);
  return domain;
}
