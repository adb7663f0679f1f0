/**
 * Configuration for every runner (desktop, CLI, server, tests). Sources, later wins:
 * defaults < settings file in the data directory (`defimon.config.json`, or --config) <
 * environment (`DEFIMON_*`) < explicit overrides (CLI flags). Secrets live here only in memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';

const int = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);
/** Requests per second a provider's plan allows; 0 or negative would spin the limiter. */
const rate = () => z.number().positive().max(10_000);
/** Longer intervals overflow Node's timer (about 24.8 days), which then fires every millisecond. */
const interval = (def: number) => int(1, Math.floor(2_147_483_647 / 1000), def);

/** Tunables of the chain walker (see collect/chain.ts). */
export const ChainTuning = z
  .object({
    /** Blocks behind the head treated as final (Polygon PoS has reorged tens of blocks). @default 64 */
    confirmations: int(0, 10_000, 64),
    /** First eth_getLogs range; grown when sparse, shrunk on provider refusals. @default 2000 */
    initialRange: int(1, 1_000_000, 2000),
    /** Largest eth_getLogs range (a provider's stated cap lowers it at run time). @default 10000 */
    maxRange: int(1, 1_000_000, 10_000),
    /** Logs per range the walker aims for. @default 10000 */
    targetLogs: int(100, 1_000_000, 10_000),
    /** Calls per JSON-RPC batch (a provider's refusal lowers it at run time). @default 100 */
    batchSize: int(1, 1000, 100),
    /** Network metrics start this many blocks back without a checkpoint or --from-block. @default 2000 */
    networkLookback: int(1, 100_000_000, 2000),
    /** A token's first walk starts this many blocks back (about a day on Polygon) without --from-block. @default 43200 */
    tokenLookback: int(1, 100_000_000, 43_200),
    /** Every Nth block is fetched with its transactions for gas prices. @default 10 */
    gasSampleEvery: int(1, 100_000, 10),
    /** Logs applied between commits. @default 100000 */
    commitLogs: int(1, 100_000_000, 100_000),
  })
  .strict();
export type ChainTuning = z.infer<typeof ChainTuning>;

/** Live collection: provider rates, the walker's tunables, the schedule. */
export const CollectConfig = z
  .object({
    chain: ChainTuning.default(ChainTuning.parse({})),
    /**
     * Requests per second per provider (your plan's rate). Defaults sit under the documented
     * limits as of 2026-12: RPC 25; Etherscan API V2 free tier 3/s → 2.5; CoinGecko keyless
     * "roughly 5-30 calls per minute" → 4/min (30/min demo key → 0.45/s); DefiLlama 2;
     * GitHub 60/hour keyless, 5000/hour with a token.
     */
    rates: z
      .object({ rpc: rate().default(25), etherscan: rate().default(2.5), coingecko: rate().optional(), defillama: rate().default(2), github: rate().optional() })
      .strict()
      .default({ rpc: 25, etherscan: 2.5, defillama: 2 }),
    /** Seconds between scheduled runs of each source (desktop app, `serve`, `--watch`). */
    intervals: z
      .object({ chain: interval(300), explorer: interval(86_400), market: interval(21_600), tvl: interval(21_600), github: interval(86_400), hf: interval(604_800) })
      .strict()
      .default({ chain: 300, explorer: 86_400, market: 21_600, tvl: 21_600, github: 86_400, hf: 604_800 }),
    /** Sources collecting at once on the schedule. @default 2 */
    concurrency: int(1, 16, 2),
    /**
     * A provider's request to wait longer than this (Retry-After, a rate-limit reset) defers that
     * request to the end of the run instead of blocking it; the run goes on with other work. @default 30
     */
    maxWaitSec: int(1, 3600, 30),
    /** A deferred request is retried within the run when its wait is at most this long; longer ones are left for the next run. @default 900 */
    maxDeferSec: int(1, 86_400, 900),
    /** While the network is unreachable, the scheduler probes once per this many seconds instead of collecting. @default 300 */
    offlineProbeSec: int(5, 86_400, 300),
  })
  .strict();
export type CollectConfig = z.infer<typeof CollectConfig>;

export const DefimonConfig = z.object({
  /** Where the database, logs and settings live. @default the OS app-data folder for DEFIMON */
  dataDir: z.string().min(1),
  /** Runner that built the services; changes defaults only. */
  mode: z.enum(['desktop', 'web', 'cli']).default('cli'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Also log to stderr (the CLI keeps stdout for results). */
  logToStderr: z.boolean().default(false),
  /** Imports the bundled dataset on first start when the database has no assets. @default true */
  autoImport: z.boolean().default(true),
  /**
   * With the bundled import, install the model shipped with the dataset (trained on exactly
   * those files) so the first start shows scores without training. @default true
   */
  bundledModel: z.boolean().default(true),
  /**
   * In the desktop app and `defimon serve`, collect every configured source on its schedule
   * (see the collectors' README for intervals). One-shot CLI commands never do. @default true
   */
  autoCollect: z.boolean().default(true),
  /** Folder of the bundled dataset snapshot. @default resources/dataset next to the app */
  datasetDir: z.string().optional(),
  pgUrl: z.string().optional(),
  pgReplicaUrl: z.string().optional(),
  redisUrl: z.string().optional(),
  /** Redis key prefix; tests and teams sharing one Redis set their own. @default "defimon:" */
  redisPrefix: z.string().default('defimon:'),
  rpcUrl: z.string().optional(),
  rpcWsUrl: z.string().optional(),
  chainId: z.number().int().positive().default(137),
  etherscanApiKey: z.string().optional(),
  etherscanBaseUrl: z.string().default('https://api.etherscan.io/v2/api'),
  coingeckoBaseUrl: z.string().default('https://api.coingecko.com/api/v3'),
  coingeckoApiKey: z.string().optional(),
  defillamaBaseUrl: z.string().default('https://api.llama.fi'),
  githubBaseUrl: z.string().default('https://api.github.com'),
  githubToken: z.string().optional(),
  hfToken: z.string().optional(),
  hfEndpointUrl: z.string().optional(),
  horizonDays: z.number().int().min(1).max(365).default(30),
  collect: CollectConfig.default(CollectConfig.parse({})),
  /** Source audits: time budget per file and limits checked before parsing (see services/audit/limits.ts). */
  audit: z
    .object({
      /** Time budget to parse one file, and per file of a project to analyse it. @default 5000 */
      timeoutMs: z.number().int().min(100).max(600_000).default(5000),
      /** @default 2,000,000 */
      maxFileBytes: z.number().int().positive().default(2_000_000),
      /** Deepest nesting of brackets in a file. @default 100 */
      maxNesting: z.number().int().positive().default(100),
      /** Most binary operators in one statement. @default 400 */
      maxStatementOperators: z.number().int().positive().default(400),
    })
    .default({ timeoutMs: 5000, maxFileBytes: 2_000_000, maxNesting: 100, maxStatementOperators: 400 }),
  server: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(7420),
      /** Required when bound beyond loopback. */
      apiKeys: z.array(z.string().min(16)).default([]),
      /**
       * Keys that may also change where code and data come from over HTTP (update feed, provider
       * and RPC URLs, secrets). Without one, those settings are desktop-only. @default none
       */
      adminKeys: z.array(z.string().min(16)).default([]),
      /**
       * Host names a team server is reached by (e.g. "defimon.team.example" behind a proxy),
       * besides the address it is bound to, 127.0.0.1, [::1] and localhost. A request with any
       * other Host header is refused (DNS rebinding). @default none
       */
      publicHosts: z.array(z.string().min(1)).default([]),
      /** Open event streams (SSE) the server holds at once; more are refused. @default 32 */
      maxEventStreams: z.number().int().positive().default(32),
      /** Requests per minute per verified API key, else per browser session, else per client address. */
      rateLimitPerMinute: z.number().int().positive().default(600),
      /** Folder with the built renderer to serve as the web app. */
      webRoot: z.string().optional(),
    })
    .default({ host: '127.0.0.1', port: 7420, apiKeys: [], adminKeys: [], publicHosts: [], maxEventStreams: 32, rateLimitPerMinute: 600 }),
});
export type DefimonConfig = z.infer<typeof DefimonConfig>;
export type DefimonConfigInput = z.input<typeof DefimonConfig>;

/** The OS's app-data location for DEFIMON (matches Electron's userData for the app). */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'DEFIMON');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'DEFIMON');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'DEFIMON');
}

/**
 * The process environment is read here and nowhere else (lint enforces it): configuration goes
 * through `loadConfig`; these few helpers serve the desktop shell, which needs the data folder
 * and its process role before any configuration can be loaded.
 */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.DEFIMON_DATA_DIR;
  return v !== undefined && v !== '' ? v : defaultDataDir(process.platform, env);
}

/** Marks the child process that hosts the services (set by the desktop shell when it forks it). */
export const SERVICES_HOST_ENV = 'DEFIMON_SERVICES_HOST';

export function isServicesHostProcess(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SERVICES_HOST_ENV] === '1';
}

/** This process's environment plus `extra`, for a child process that must see the same DEFIMON_* settings. */
export function childProcessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** The environment `loadConfig` reads by default (for callers that report where a value came from). */
export function currentEnv(): NodeJS.ProcessEnv {
  return process.env;
}

type EnvKind = 'string' | 'number' | 'bool' | 'list' | 'intervals';

/** Every DEFIMON_* variable, the configuration key it sets and how its text is read. */
export const ENV_MAP: Record<string, { key: string; kind: EnvKind }> = {
  DEFIMON_DATA_DIR: { key: 'dataDir', kind: 'string' },
  DEFIMON_LOG_LEVEL: { key: 'logLevel', kind: 'string' },
  DEFIMON_DATASET_DIR: { key: 'datasetDir', kind: 'string' },
  DEFIMON_AUTO_IMPORT: { key: 'autoImport', kind: 'bool' },
  DEFIMON_BUNDLED_MODEL: { key: 'bundledModel', kind: 'bool' },
  DEFIMON_AUTO_COLLECT: { key: 'autoCollect', kind: 'bool' },
  DEFIMON_PG_URL: { key: 'pgUrl', kind: 'string' },
  DEFIMON_PG_REPLICA_URL: { key: 'pgReplicaUrl', kind: 'string' },
  DEFIMON_REDIS_URL: { key: 'redisUrl', kind: 'string' },
  DEFIMON_REDIS_PREFIX: { key: 'redisPrefix', kind: 'string' },
  DEFIMON_RPC_URL: { key: 'rpcUrl', kind: 'string' },
  DEFIMON_RPC_WS_URL: { key: 'rpcWsUrl', kind: 'string' },
  DEFIMON_CHAIN_ID: { key: 'chainId', kind: 'number' },
  DEFIMON_ETHERSCAN_API_KEY: { key: 'etherscanApiKey', kind: 'string' },
  DEFIMON_ETHERSCAN_BASE_URL: { key: 'etherscanBaseUrl', kind: 'string' },
  DEFIMON_COINGECKO_BASE_URL: { key: 'coingeckoBaseUrl', kind: 'string' },
  DEFIMON_COINGECKO_API_KEY: { key: 'coingeckoApiKey', kind: 'string' },
  DEFIMON_DEFILLAMA_BASE_URL: { key: 'defillamaBaseUrl', kind: 'string' },
  DEFIMON_GITHUB_BASE_URL: { key: 'githubBaseUrl', kind: 'string' },
  DEFIMON_GITHUB_TOKEN: { key: 'githubToken', kind: 'string' },
  DEFIMON_HF_TOKEN: { key: 'hfToken', kind: 'string' },
  DEFIMON_HF_ENDPOINT_URL: { key: 'hfEndpointUrl', kind: 'string' },
  DEFIMON_HORIZON_DAYS: { key: 'horizonDays', kind: 'number' },
  DEFIMON_CHAIN_CONFIRMATIONS: { key: 'collect.chain.confirmations', kind: 'number' },
  DEFIMON_CHAIN_INITIAL_RANGE: { key: 'collect.chain.initialRange', kind: 'number' },
  DEFIMON_CHAIN_MAX_RANGE: { key: 'collect.chain.maxRange', kind: 'number' },
  DEFIMON_CHAIN_TARGET_LOGS: { key: 'collect.chain.targetLogs', kind: 'number' },
  DEFIMON_RPC_BATCH_SIZE: { key: 'collect.chain.batchSize', kind: 'number' },
  DEFIMON_CHAIN_NETWORK_LOOKBACK: { key: 'collect.chain.networkLookback', kind: 'number' },
  DEFIMON_CHAIN_TOKEN_LOOKBACK: { key: 'collect.chain.tokenLookback', kind: 'number' },
  DEFIMON_CHAIN_GAS_SAMPLE_EVERY: { key: 'collect.chain.gasSampleEvery', kind: 'number' },
  DEFIMON_CHAIN_COMMIT_LOGS: { key: 'collect.chain.commitLogs', kind: 'number' },
  DEFIMON_RPC_RATE: { key: 'collect.rates.rpc', kind: 'number' },
  DEFIMON_ETHERSCAN_RATE: { key: 'collect.rates.etherscan', kind: 'number' },
  DEFIMON_COINGECKO_RATE: { key: 'collect.rates.coingecko', kind: 'number' },
  DEFIMON_DEFILLAMA_RATE: { key: 'collect.rates.defillama', kind: 'number' },
  DEFIMON_GITHUB_RATE: { key: 'collect.rates.github', kind: 'number' },
  DEFIMON_COLLECT_INTERVALS: { key: 'collect.intervals', kind: 'intervals' },
  DEFIMON_COLLECT_CONCURRENCY: { key: 'collect.concurrency', kind: 'number' },
  DEFIMON_COLLECT_MAX_WAIT_SEC: { key: 'collect.maxWaitSec', kind: 'number' },
  DEFIMON_COLLECT_MAX_DEFER_SEC: { key: 'collect.maxDeferSec', kind: 'number' },
  DEFIMON_COLLECT_OFFLINE_PROBE_SEC: { key: 'collect.offlineProbeSec', kind: 'number' },
  DEFIMON_AUDIT_TIMEOUT_MS: { key: 'audit.timeoutMs', kind: 'number' },
  DEFIMON_AUDIT_MAX_FILE_BYTES: { key: 'audit.maxFileBytes', kind: 'number' },
  DEFIMON_HOST: { key: 'server.host', kind: 'string' },
  DEFIMON_PORT: { key: 'server.port', kind: 'number' },
  DEFIMON_API_KEYS: { key: 'server.apiKeys', kind: 'list' },
  DEFIMON_ADMIN_KEYS: { key: 'server.adminKeys', kind: 'list' },
  DEFIMON_PUBLIC_HOSTS: { key: 'server.publicHosts', kind: 'list' },
  DEFIMON_MAX_EVENT_STREAMS: { key: 'server.maxEventStreams', kind: 'number' },
  DEFIMON_WEB_ROOT: { key: 'server.webRoot', kind: 'string' },
};

export function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { key, kind }] of Object.entries(ENV_MAP)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (kind === 'number') {
      value = Number(raw);
      if (!Number.isFinite(value)) throw new AppError('INVALID_INPUT', `${name} must be a number, got "${raw}"`);
    } else if (kind === 'bool') value = /^(1|true|yes|on)$/i.test(raw);
    else if (kind === 'list') value = raw.split(',').map((s) => s.trim()).filter(Boolean);
    else if (kind === 'intervals') value = parseIntervals(name, raw);
    setPath(out, key, value);
  }
  return out;
}

/** "chain=300,market=21600": seconds per source; the schema checks names and bounds. */
function parseIntervals(name: string, raw: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const [source, value, extra] = part.split('=').map((x) => x.trim());
    const secs = Number(value);
    if (!source || value === undefined || value === '' || extra !== undefined || !Number.isFinite(secs)) throw new AppError('INVALID_INPUT', `${name} must look like "chain=300,market=21600" (seconds per source), got "${raw}"`);
    out[source] = secs;
  }
  return out;
}

/**
 * A `--set key=value` flag as an override: the dotted key of the configuration, the value as
 * JSON when it parses (numbers, booleans, objects), else as text.
 */
export function overrideFromFlag(flag: string, target: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new AppError('INVALID_INPUT', `--set expects key=value (e.g. collect.chain.confirmations=128), got "${flag}"`);
  const key = flag.slice(0, eq).trim();
  const raw = flag.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  setPath(target, key, value);
  return target;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof prev === 'object' && prev !== null && !Array.isArray(prev)) {
      out[k] = deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

export const CONFIG_FILE_NAME = 'defimon.config.json';

/** Builds the configuration from file, env and overrides, validating the result. */
export function loadConfig(opts: { overrides?: Record<string, unknown>; env?: NodeJS.ProcessEnv; configFile?: string } = {}): DefimonConfig {
  const env = opts.env ?? process.env;
  const fromEnv = configFromEnv(env);
  const overrides = opts.overrides ?? {};
  const dataDir = (overrides.dataDir as string | undefined) ?? (fromEnv.dataDir as string | undefined) ?? defaultDataDir(process.platform, env);
  const file = opts.configFile ?? env.DEFIMON_CONFIG ?? path.join(dataDir, CONFIG_FILE_NAME);
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new AppError('MALFORMED_DATA', `config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
  } else if (opts.configFile !== undefined) {
    throw new AppError('NOT_FOUND', `config file ${file} does not exist`);
  }
  const merged = deepMerge(deepMerge(deepMerge({}, fromFile), fromEnv), { ...overrides, dataDir });
  const parsed = DefimonConfig.safeParse(merged);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AppError('INVALID_INPUT', `invalid configuration: ${msg}`);
  }
  return parsed.data;
}

// One redactor for every URL the services print, log or return (see log/redact.ts).
export { redactUrl, redactUrlsIn } from '../log/redact';
