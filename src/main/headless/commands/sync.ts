/**
 * CLI commands of the sync domain:
 *   defimon sync [--pg URL] [--redis URL] [--once] [--json]   push and pull (once, or until stopped)
 *   defimon sync status [--json]                               local sync state, no network
 */
import type { Command } from 'commander';
import { AppError } from '../../../shared/errors';
import { printJson, runWithServices, withProgress } from '../runtime';

function positiveInt(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new AppError('INVALID_INPUT', `${flag} must be an integer from 1 to ${max}, got "${value}"`);
  return n;
}

/** Longer polling intervals overflow the timer (about 24.8 days), which then fires at once, in a loop. */
const MAX_INTERVAL_SECONDS = 24 * 3600;
const MAX_BATCH_ROWS = 100_000;

export function registerSyncCommands(program: Command): void {
  const sync = program
    .command('sync')
    .description('share with the team: push local writes to the team Postgres and pull what others wrote (--pg, --redis or settings)')
    .option('--once', 'one push and pull, then exit')
    .option('--batch <rows>', 'rows per transaction (default 5000; a pull grows its transactions from 5000 up to 50000 rows)')
    .option('--interval <seconds>', 'polling interval when running continuously (default 30 with Redis, 5 without)')
    .option('--json', 'print the result (with --once) as JSON')
    .action(async (opts: { once?: boolean; batch?: string; interval?: string; json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const batchSize = positiveInt(opts.batch, '--batch', MAX_BATCH_ROWS);
          const interval = positiveInt(opts.interval, '--interval', MAX_INTERVAL_SECONDS);
          // Loaded on use, not at CLI start-up.
          const { getSyncDomain } = await import('../../services/sync');
          const domain = getSyncDomain(services.core);
          if (!services.config.pgUrl) throw new AppError('NOT_CONFIGURED', 'no team Postgres: pass --pg URL, set DEFIMON_PG_URL, or set pgUrl in the settings');
          domain.worker.configure({ ...(batchSize ? { batchSize } : {}), ...(interval ? { pollMs: interval * 1000 } : {}) });
          if (opts.once) {
            const stop = withProgress(services, 'sync');
            try {
              const result = await services.client.call('sync.now', {});
              if (opts.json) printJson({ ...result, status: domain.worker.status() });
              else process.stdout.write(`pushed ${result.pushed} rows, pulled ${result.pulled}, rejected ${result.rejected}; ${result.pending} pending (${result.ms} ms)\n`);
            } finally {
              stop();
            }
            return;
          }
          let lastLine = '';
          const off = services.client.on('sync.status', (s) => {
            const line = `sync: ${s.state}; pending ${s.pending}, pushed ${s.pushed}, pulled ${s.pulled}${s.lastError && s.state !== 'idle' ? `; last error: ${s.lastError}` : ''}`;
            if (line === lastLine || s.state === 'syncing') return; // one line per change, not per cycle
            lastLine = line;
            process.stderr.write(`${line}\n`);
          });
          domain.start();
          await new Promise<void>((resolve) => {
            const stop = (): void => resolve();
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
          });
          off();
          await domain.worker.stop();
        },
        { json: opts.json ?? false },
      );
    });

  sync
    .command('status')
    .description('pending rows, rows pushed and pulled, last error (reads the local state; no network)')
    .option('--json', 'print JSON')
    .action(async (_opts: { json?: boolean }, cmd: Command) => {
      // `--json` may be parsed by the parent `sync` command, which has the same flag.
      const opts = cmd.optsWithGlobals<{ json?: boolean }>();
      await runWithServices(
        cmd,
        async (services) => {
          const s = await services.client.call('sync.status', {});
          if (opts.json) {
            const { pending, pushed, pulled, lastError, ...rest } = s;
            return printJson({ pending, pushed, pulled, lastError, ...rest });
          }
          process.stdout.write(
            `team database: ${s.postgres ?? 'not configured'}${s.replica ? ` (pulls from ${s.replica})` : ''}\nredis: ${s.redis ? `${s.redis.url}` : 'not configured'}\npending: ${s.pending}\npushed: ${s.pushed}\npulled: ${s.pulled}\nrejected: ${s.rejected}\nlast push: ${s.lastPushAt ?? '-'}\nlast pull: ${s.lastPullAt ?? '-'}\nlast error: ${s.lastError ?? '-'}\n`,
          );
        },
        { json: opts.json ?? false, config: { autoImport: false } },
      );
    });
}
