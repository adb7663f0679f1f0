/** Shared plumbing of CLI commands: configuration from flags/env/file, services, output, errors. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type * as CliProgressModule from 'cli-progress';
import { AppError, serializeError } from '../../shared/errors';
import { scrubSecrets } from '../services/log/redact';
import type { DefimonConfig } from '../services/config/config';
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

/** The configuration from flags, environment and file; its schema loads here, not at start-up (`--help` needs none). */
export async function configFrom(cmd: Command, extra: Record<string, unknown> = {}): Promise<DefimonConfig> {
  const { loadConfig, overrideFromFlag } = await import('../services/config/config');
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const overrides: Record<string, unknown> = { mode: 'cli' };
  for (const flag of g.set ?? []) overrideFromFlag(flag, overrides);
  Object.assign(overrides, extra);
  if (g.dataDir) {
    // A mistyped --data-dir must not silently create a new database somewhere unexpected.
    const dir = path.resolve(g.dataDir);
    if (!existsSync(dir) && !existsSync(path.dirname(dir))) throw new AppError('INVALID_INPUT', `--data-dir ${dir}: its parent directory ${path.dirname(dir)} does not exist`);
    overrides.dataDir = dir;
  }
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

interface ProgressEvent {
  done: number;
  total: number | null;
  message?: string | null;
}

/**
 * Shows progress on stderr: a bar on a terminal; elsewhere (a pipe, a log file) nothing, or with
 * `lines` a line at each further tenth, so a long run is never silent.
 */
function progressSink(label: string, opts: { lines?: boolean } = {}): { update(p: ProgressEvent): void; stop(): void } {
  if (!process.stderr.isTTY && !opts.lines) return { update() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let lastTenth = -1;
    return {
      update(p) {
        if (p.total === null || p.total <= 0) return;
        const tenth = Math.floor((10 * p.done) / p.total);
        if (tenth <= lastTenth) return;
        lastTenth = tenth;
        process.stderr.write(`defimon: ${label} ${tenth * 10}% (${p.done}/${p.total})${p.message ? ` ${p.message}` : ''}\n`);
      },
      stop() {},
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SingleBar } = require('cli-progress') as typeof CliProgressModule;
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {message}`, stream: process.stderr, hideCursor: true }, undefined);
  let started = false;
  return {
    update(p) {
      if (p.total === null) return;
      if (!started) {
        bar.start(p.total, p.done, { message: p.message ?? '' });
        started = true;
      }
      bar.setTotal(p.total);
      bar.update(p.done, { message: p.message ?? '' });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Shows the progress of `progress` events on stderr while a command runs (a bar on a terminal). */
export function withProgress(services: Services, label: string): () => void {
  const sink = progressSink(label);
  const off = services.client.on('progress', (p) => sink.update(p));
  return () => {
    off();
    sink.stop();
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
    const config = await configFrom(cmd, opts.config);
    // Loaded on use: `--help` and usage errors need none of the services.
    const { createServices, DB_FILE_NAME } = await import('../services');
    // The first command on a new database imports the bundled dataset first: say so, show progress.
    const firstImport = config.autoImport && !existsSync(path.join(config.dataDir, DB_FILE_NAME));
    const sink = firstImport ? progressSink('first import', { lines: true }) : null;
    if (firstImport) process.stderr.write(`defimon: new database in ${config.dataDir}: importing the bundled dataset first\n`);
    try {
      const onEvent = (name: string, p: unknown): void => {
        if (name === 'progress' && (p as { kind?: string }).kind === 'import') sink?.update(p as ProgressEvent);
      };
      services = await createServices(config, sink ? { onEvent } : {});
    } finally {
      sink?.stop();
    }
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
