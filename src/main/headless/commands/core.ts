/** Foundation commands: import, assets, doctor, info, serve. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../../shared/errors';
import type { HealthCheck } from '../../../shared/contract/system';
import { DEFAULT_STALE_AFTER_DAYS } from '../../../shared/freshness';
import type { Services } from '../../services';
import type { DefimonConfig } from '../../services/config/config';
import type { SystemInfo } from '../../services/system/info';
import { configFrom, printJson, reportError, runWithServices, withProgress } from '../runtime';

function fmt(n: number | null, digits = 2): string {
  if (n === null) return '-';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(digits)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(digits)}K`;
  return abs >= 1 ? n.toFixed(digits) : n.toPrecision(4);
}

/** A value's as-of day for a table cell, STALE after it when the day is out of the current window (as `defimon asset` marks it). */
function asOf(day: string | null, stale: boolean): string {
  return (day === null ? '-' : stale ? `${day} STALE` : day).padEnd(16);
}

export function registerCoreCommands(program: Command): void {
  program
    .command('import')
    .description('import the bundled dataset (default) or a directory of CSVs in the same formats; idempotent')
    .option('--dir <dir>', 'directory with assets.csv, market_daily.csv, ... (plain or .gz)')
    .option('--json', 'print the import summary as JSON')
    .action(async (opts: { dir?: string; json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const stop = withProgress(services, 'import');
          try {
            const summary = await services.client.call('dataset.import', opts.dir ? { dir: path.resolve(opts.dir) } : {});
            if (opts.json) printJson(summary);
            else {
              process.stdout.write(
                `imported ${summary.assets} assets, ${summary.financialRows} market rows, ${summary.onchainRows} on-chain rows, ${summary.githubRows} development rows, ${summary.contracts} contracts in ${summary.ms} ms\n`,
              );
              for (const s of summary.skipped) process.stdout.write(`  skipped ${s.count ? `${s.count} rows of ` : ''}${s.file}: ${s.reason}\n`);
            }
          } finally {
            stop();
          }
        },
        // An explicit import should not also auto-import first.
        { json: opts.json ?? false, config: { autoImport: false } },
      );
    });

  program
    .command('assets')
    .description('list assets with latest price, 30-day return, latest known market cap and volume (each with its as-of day) and data families')
    .option('--json', 'print JSON')
    .option('--all', 'include assets without market data')
    .option('--search <text>', 'filter by symbol, name or address')
    .option('--category <name>', 'filter by category (any case; --categories lists them)')
    .option('--categories', 'list the categories with their number of assets')
    .action(async (opts: { json?: boolean; all?: boolean; search?: string; category?: string; categories?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          if (opts.categories) {
            const counts = new Map<string, number>();
            for (const a of await services.client.call('assets.list', { includeUnpriced: opts.all ?? false })) counts.set(a.category ?? '(none)', (counts.get(a.category ?? '(none)') ?? 0) + 1);
            const rows = [...counts].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([category, assets]) => ({ category, assets }));
            if (opts.json) return printJson(rows);
            process.stdout.write(`${rows.map((r) => `${String(r.assets).padStart(4)}  ${r.category}`).join('\n')}\n${rows.length} categories${opts.all ? '' : ' (of assets with market data; --all counts every asset)'}\n`);
            return;
          }
          const input: { includeUnpriced: boolean; search?: string; category?: string } = { includeUnpriced: opts.all ?? false };
          if (opts.search) input.search = opts.search;
          if (opts.category) input.category = opts.category;
          const assets = await services.client.call('assets.list', input);
          if (opts.json) return printJson(assets);
          const lines = assets.map((a) =>
            [
              a.symbol.padEnd(8),
              (a.lastDay ?? '-').padEnd(11),
              (a.staleSince ? 'STALE' : '-').padEnd(5),
              fmt(a.price).padStart(10),
              (a.return30d === null ? '-' : `${(a.return30d * 100).toFixed(1)}%`).padStart(8),
              fmt(a.marketCap).padStart(9),
              asOf(a.marketCapDay, a.marketCapStale),
              fmt(a.volume).padStart(9),
              asOf(a.volumeDay, a.volumeStale),
              a.families.join(','),
            ].join(' '),
          );
          const stale = assets.filter((a) => a.staleSince !== null).length;
          const staleCaps = assets.filter((a) => a.marketCapStale).length;
          const staleVolumes = assets.filter((a) => a.volumeStale).length;
          process.stdout.write(
            `${['SYMBOL  ', 'LAST DAY   ', 'STALE', '     PRICE', '  RET30D', '     MCAP', 'MCAP AS OF      ', '   VOLUME', 'VOLUME AS OF    ', 'FAMILIES'].join(' ')}\n${lines.join('\n')}\n${assets.length} assets` +
              `${stale > 0 ? `; ${stale} STALE: their market data ended more than ${DEFAULT_STALE_AFTER_DAYS} days before the dataset's end, so their prices are as of LAST DAY` : ''}\n` +
              `MCAP and VOLUME are the latest known, each as of its own day (it may be before LAST DAY); STALE after the day: more than ${DEFAULT_STALE_AFTER_DAYS} days before the dataset's end (${staleCaps} market caps, ${staleVolumes} volumes)\n`,
          );
        },
        { json: opts.json ?? false },
      );
    });

  program
    .command('doctor')
    .description('check the database and every configured service (Postgres, Redis, RPC, API keys)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const print = (report: { ok: boolean; checks: HealthCheck[] }): void => {
        if (opts.json) printJson(report);
        else {
          for (const c of report.checks) {
            const mark = !c.configured ? '-' : c.ok ? 'ok' : 'FAIL';
            process.stdout.write(`${mark.padEnd(5)}${c.name.padEnd(20)}${c.message}${c.latencyMs !== null ? ` (${c.latencyMs} ms)` : ''}\n`);
          }
          process.stdout.write(report.ok ? 'everything configured works\n' : 'some configured services do not work (see FAIL above)\n');
        }
        if (!report.ok) process.exitCode = 1;
      };
      let config: DefimonConfig;
      try {
        config = await configFrom(cmd, { autoImport: false });
      } catch (err) {
        return reportError(err, opts.json ?? false);
      }
      let services: Services | undefined;
      try {
        // Loaded on use, like every command's services.
        const { createServices } = await import('../../services');
        services = await createServices(config);
      } catch {
        // The services cannot start (a damaged file, a newer schema, a locked or unreadable
        // database): the doctor diagnoses the file on its own instead of failing like the rest.
        try {
          const { runDoctor } = await import('../../services/system/doctor');
          print(await runDoctor(config, null));
        } catch (err) {
          reportError(err, opts.json ?? false);
        }
        return;
      }
      try {
        print(await services.client.call('system.doctor', {}));
      } catch (err) {
        reportError(err, opts.json ?? false);
      } finally {
        await services.close();
      }
    });

  program
    .command('info')
    .description('version, data directory, database size and dataset attribution')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const print = (info: SystemInfo): void => {
        if (opts.json) printJson(info);
        else process.stdout.write(`DEFIMON ${info.version}\ndata directory: ${info.dataDir}\ndatabase: ${info.database.path} (${(info.database.sizeBytes / 1e6).toFixed(1)} MB, ${info.database.migrations} migrations)\n${info.dataset ? `dataset: ${info.dataset.name} to ${info.dataset.cutoff}\n${info.dataset.attribution}\n` : ''}`);
      };
      // A ready database is described from a read-only connection, without starting the services;
      // anything else (a first start, pending migrations, a damaged file) goes through them.
      let quick: SystemInfo | null;
      try {
        const config = await configFrom(cmd);
        // Loaded on use: better-sqlite3 is not needed by `--help`.
        const { quickInfo } = await import('../../services/system/info');
        quick = quickInfo(config);
      } catch (err) {
        return reportError(err, opts.json ?? false);
      }
      if (quick) return print(quick);
      await runWithServices(cmd, async (services) => print(await services.client.call('system.info', {})), { json: opts.json ?? false });
    });

  program
    .command('serve')
    .description('serve the API and the web app over HTTP (127.0.0.1 by default)')
    .option('--host <host>', 'address to bind (beyond loopback, API keys are required)')
    .option('--port <port>', 'port (0 picks a free one)')
    .option('--web-root <dir>', 'built renderer to serve (default: out/renderer when built)')
    .action(async (opts: { host?: string; port?: string; webRoot?: string }, cmd: Command) => {
      await runWithServices(cmd, async (services) => {
        const port = opts.port === undefined ? services.config.server.port : Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('INVALID_INPUT', `--port must be 0-65535, got "${opts.port}"`);
        const host = opts.host ?? services.config.server.host;
        const webRoot = opts.webRoot ?? services.config.server.webRoot ?? defaultWebRoot();
        // Loaded on use, not at CLI start-up.
        const { createServer, isLoopback } = await import('../server');
        const app = await createServer({ services, host, port, webRoot });
        const address = await app.listen({ host, port });
        process.stdout.write(`DEFIMON serving at ${address}${webRoot ? '' : ' (API only: run `npm run build` for the web app)'}\n`);
        if (!isLoopback(host) && services.config.server.publicHosts.length === 0) {
          // The Host allow-list (DNS rebinding) refuses names it was not told about.
          process.stdout.write('clients must use the address above, or a name listed in DEFIMON_PUBLIC_HOSTS (other Host names are refused)\n');
        }
        await new Promise<void>((resolve) => {
          const stop = (): void => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        // Running tasks (an audit in its worker, a training) end now, so closing does not wait for
        // them; their answers go out, then keep-alive connections still open are closed.
        services.core.tasks.cancelAll();
        const force = setTimeout(() => app.server.closeAllConnections(), 5000);
        await app.close();
        clearTimeout(force);
      }, { config: { mode: 'web' } });
    });
}

function defaultWebRoot(): string | null {
  const candidates = [path.resolve(__dirname, '..', 'renderer'), path.resolve(__dirname, '..', '..', '..', 'out', 'renderer'), path.resolve(process.cwd(), 'out', 'renderer')];
  return candidates.find((c) => existsSync(path.join(c, 'index.html'))) ?? null;
}
