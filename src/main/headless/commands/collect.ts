/** CLI commands of the collect domain: `collect [source]` and `metrics onchain|network`. */
import { Argument, type Command } from 'commander';
import type { CollectSource } from '../../../shared/contract/collect';
import { AppError } from '../../../shared/errors';
import { printJson, runWithServices, withProgress } from '../runtime';

const SOURCES = ['chain', 'explorer', 'market', 'tvl', 'github', 'hf', 'all', 'status'] as const;

function intOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new AppError('INVALID_INPUT', `${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

function list(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

interface CollectOpts {
  token?: string;
  fromBlock?: string;
  toBlock?: string;
  network?: boolean;
  asset?: string;
  address?: string;
  watch?: boolean;
  json?: boolean;
}

export function registerCollectCommands(program: Command): void {
  program
    .command('collect')
    .description('collect fresh data now (incremental, idempotent): chain, explorer, market, tvl, github, hf or all; `status` shows each collector')
    .addArgument(new Argument('[source]', 'what to collect').choices(SOURCES).default('all'))
    .option('--token <addresses>', 'chain: ERC-20 contract address(es), comma-separated (tracked from now on)')
    .option('--from-block <n>', 'chain: first block when a token has no checkpoint yet')
    .option('--to-block <n>', 'chain: last block (never beyond head minus the confirmation depth)')
    .option('--no-network', 'chain: skip network gas/utilisation per day')
    .option('--asset <ids>', 'market, tvl, github: only these asset ids, comma-separated')
    .option('--address <addresses>', 'explorer: contract address(es), comma-separated')
    .option('--watch', 'keep collecting on the configured intervals (and on new blocks with a wss:// RPC) until Ctrl-C')
    .option('--json', 'print the run summaries as JSON')
    .action(async (source: (typeof SOURCES)[number], opts: CollectOpts, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          if (source === 'status') {
            const st = await services.client.call('collect.status', {});
            if (opts.json) return printJson(st);
            for (const s of st.sources) {
              const state = s.running ? `running ${s.done}/${s.total ?? '?'}` : s.lastError && (s.lastErrorAt ?? '') > (s.lastSuccessAt ?? '') ? `error ${s.lastError.code}: ${s.lastError.message}` : s.lastSuccessAt ? 'ok' : 'never run';
              process.stdout.write(`${s.source.padEnd(9)} last success ${(s.lastSuccessAt ?? '-').padEnd(25)} ${state}\n`);
            }
            for (const p of st.providers) process.stdout.write(`provider ${p.provider}: ${p.calls} calls, ${p.cacheHits} cache hits, ${p.retries} retries, ${p.failures} failures${p.rateLimitedUntil ? `, rate limited until ${p.rateLimitedUntil}` : ''}\n`);
            if (st.quality.length > 0) process.stdout.write(`${st.quality.length} data-quality flags (see --json)\n`);
            return;
          }
          const input = {
            source,
            ...(opts.token !== undefined ? { tokens: list(opts.token) } : {}),
            ...(opts.fromBlock !== undefined ? { fromBlock: intOption('--from-block', opts.fromBlock) } : {}),
            ...(opts.toBlock !== undefined ? { toBlock: intOption('--to-block', opts.toBlock) } : {}),
            ...(opts.network === false ? { network: false } : {}),
            ...(opts.asset !== undefined ? { assets: list(opts.asset)?.map((a) => a.toUpperCase()) } : {}),
            ...(opts.address !== undefined ? { addresses: list(opts.address) } : {}),
          };
          if (opts.watch) {
            // Watched runs collect every tracked token: track the named ones first.
            for (const address of list(opts.token) ?? []) {
              const fromBlock = intOption('--from-block', opts.fromBlock);
              await services.client.call('collect.trackToken', { address, ...(fromBlock !== undefined ? { startBlock: fromBlock } : {}) });
            }
            const sources: CollectSource[] = source === 'all' ? ['chain', 'explorer', 'market', 'tvl', 'github', 'hf'] : [source];
            const stopBar = withProgress(services, `collect ${source}`);
            const off = services.client.on('collect.status', (s) => {
              if (!s.running) process.stderr.write(`${new Date().toISOString()} ${s.source}: ${s.lastError && (s.lastErrorAt ?? '') > (s.lastSuccessAt ?? '') ? `error ${s.lastError.code}: ${s.lastError.message}` : `ok (${s.lastItems ?? 0} items)`}\n`);
            });
            // Loaded on use, not at CLI start-up.
            const { collectDomainOf } = await import('../../services/collect');
            const stop = await collectDomainOf(services.core).watch(sources);
            await new Promise<void>((resolve) => {
              process.once('SIGINT', () => resolve());
              process.once('SIGTERM', () => resolve());
            });
            off();
            stopBar();
            await stop();
            return;
          }
          const stop = withProgress(services, `collect ${source}`);
          try {
            const summaries = await services.client.call('collect.run', input);
            if (opts.json) printJson(summaries);
            else for (const s of summaries) process.stdout.write(`${s.source}: ${s.items} items in ${s.ms} ms\n`);
          } finally {
            stop();
          }
        },
        { json: opts.json ?? false },
      );
    });

  const metrics = program.command('metrics').description('collected metrics');
  metrics
    .command('onchain')
    .description('daily on-chain aggregates of a token collected from chain (day, transfers, volume, active addresses, holders...)')
    .requiredOption('--token <address>', 'ERC-20 contract address (or asset id)')
    .option('--from <day>', 'first day YYYY-MM-DD')
    .option('--to <day>', 'last day YYYY-MM-DD')
    .option('--json', 'print JSON')
    .action(async (opts: { token: string; from?: string; to?: string; json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const out = await services.client.call('collect.onchainMetrics', { token: opts.token, ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) });
          if (opts.json) return printJson(out.days);
          process.stdout.write(`${out.assetId}${out.address ? ` (${out.address})` : ''}\nDAY         TRANSFERS        VOLUME   VOLUME_USD  ACTIVE  NEW  HOLDERS  TOP10\n`);
          for (const d of out.days) {
            const f = (v: number | null, w: number, digits = 0): string => (v === null ? '-' : v.toFixed(digits)).padStart(w);
            process.stdout.write(`${d.day} ${f(d.transfers, 10)} ${f(d.volume, 13, 2)} ${f(d.volume_usd, 12, 0)} ${f(d.active_addresses, 7)} ${f(d.new_holders, 4)} ${f(d.holders, 8)} ${f(d.top10_share === null ? null : d.top10_share * 100, 5, 1)}%\n`);
          }
        },
        { json: opts.json ?? false, config: { autoImport: false } },
      );
    });
  metrics
    .command('network')
    .description('network activity per day: blocks, transactions, utilisation, median gas price')
    .option('--from <day>', 'first day YYYY-MM-DD')
    .option('--to <day>', 'last day YYYY-MM-DD')
    .option('--json', 'print JSON')
    .action(async (opts: { from?: string; to?: string; json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const days = await services.client.call('collect.networkMetrics', { ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) });
          if (opts.json) return printJson(days);
          for (const d of days) process.stdout.write(`${d.day} blocks ${d.blocks ?? '-'} txs ${d.transactions ?? '-'} utilisation ${d.utilisation === null ? '-' : (d.utilisation * 100).toFixed(1)}% median gas ${d.median_gas_price_gwei?.toFixed(2) ?? '-'} gwei\n`);
        },
        { json: opts.json ?? false, config: { autoImport: false } },
      );
    });
}
