/** Shared plumbing of CLI commands: configuration from flags/env/file, services, output, errors. */
import { Option, type Command } from 'commander';
import type * as CliProgressModule from 'cli-progress';
import { serializeError } from '../../shared/errors';
import { scrubSecrets } from '../services/log/redact';
import { loadConfig, overrideFromFlag, type DefimonConfig } from '../services/config/config';
import type { Services } from '../services';

export interface GlobalOptions {
  dataDir?: string;
  config?: string;
  logLevel?: string;
  pg?: string;
  redis?: string;
  rpc?: string;
  import?: boolean;
  set?: string[];
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--data-dir <dir>', 'data directory (default: DEFIMON_DATA_DIR or the OS app-data folder)')
    .option('--config <file>', 'config file (default: <data-dir>/defimon.config.json)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--pg <url>', 'team Postgres URL (or DEFIMON_PG_URL)')
    .option('--redis <url>', 'team Redis URL (or DEFIMON_REDIS_URL)')
    .option('--rpc <url>', 'Polygon JSON-RPC URL, http(s) or ws(s) (or DEFIMON_RPC_URL)')
    .option('--no-import', 'do not import the bundled dataset into an empty database')
    .option('--set <key=value>', 'any configuration key, dotted, e.g. --set collect.chain.confirmations=128 (repeatable; beats env and file)', (v: string, prev: string[] = []) => [...prev, v]);
}

export function configFrom(cmd: Command, extra: Record<string, unknown> = {}): DefimonConfig {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const overrides: Record<string, unknown> = { mode: 'cli' };
  for (const flag of g.set ?? []) overrideFromFlag(flag, overrides);
  Object.assign(overrides, extra);
  if (g.dataDir) overrides.dataDir = g.dataDir;
  if (g.logLevel) overrides.logLevel = g.logLevel;
  if (g.pg) overrides.pgUrl = g.pg;
  if (g.redis) overrides.redisUrl = g.redis;
  if (g.rpc) {
    if (/^wss?:/i.test(g.rpc)) overrides.rpcWsUrl = g.rpc;
    else overrides.rpcUrl = g.rpc;
  }
  if (g.import === false) overrides.autoImport = false;
  return loadConfig(g.config ? { overrides, configFile: g.config } : { overrides });
}

/** Prints a progress bar on stderr for `progress` events while `fn` runs (TTY only). */
export function withProgress(services: Services, label: string): () => void {
  if (!process.stderr.isTTY) return () => {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SingleBar } = require('cli-progress') as typeof CliProgressModule;
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {message}`, stream: process.stderr, hideCursor: true }, undefined);
  let started = false;
  const off = services.client.on('progress', (p) => {
    if (p.total === null) return;
    if (!started) {
      bar.start(p.total, p.done, { message: p.message ?? '' });
      started = true;
    }
    bar.setTotal(p.total);
    bar.update(p.done, { message: p.message ?? '' });
  });
  return () => {
    off();
    if (started) bar.stop();
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Runs a command with services, prints a clear one-line error (code and message) on failure
 * and sets a non-zero exit code. `--json` commands print the error as JSON on stdout too.
 */
export async function runWithServices(cmd: Command, fn: (services: Services) => Promise<void>, opts: { json?: boolean; config?: Record<string, unknown> } = {}): Promise<void> {
  let services: Services | undefined;
  try {
    const config = configFrom(cmd, opts.config);
    // Loaded on use: `--help` and usage errors need none of the services.
    const { createServices } = await import('../services');
    services = await createServices(config);
    await fn(services);
  } catch (err) {
    reportError(err, opts.json ?? false);
  } finally {
    await services?.close();
  }
}

export function reportError(err: unknown, json: boolean): void {
  // A start-up error (a driver quoting its URL) has not been through the dispatcher's scrub.
  const raw = serializeError(err);
  const e = { ...raw, message: scrubSecrets(raw.message) };
  if (json) printJson({ error: e });
  process.stderr.write(`defimon: ${e.code}: ${e.message}\n`);
  process.exitCode = e.code === 'INVALID_INPUT' ? 2 : 1;
}
