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

const int = (min: number, max: number, def: number, what: string) => z.number().int().min(min).max(max).default(def).describe(what);
/** Requests per second a provider's plan allows; 0 or negative would spin the limiter. */
const rate = () => z.number().positive().max(10_000);
/** Longer intervals overflow Node's timer (about 24.8 days), which then fires every millisecond. */
const interval = (def: number, source: string) =>
  z.number().int().min(1).max(Math.floor(2_147_483_647 / 1000)).default(def).describe(`seconds between scheduled runs of ${source}`);

/** Tunables of the chain walker (see collect/chain.ts). Descriptions feed the generated docs (`configDocs`). */
export const ChainTuning = z
  .object({
    confirmations: int(0, 10_000, 64, 'blocks behind the head treated as final (Polygon PoS has reorged tens of blocks)'),
    initialRange: int(1, 1_000_000, 2000, 'first eth_getLogs range; grown when sparse, shrunk on provider refusals'),
    maxRange: int(1, 1_000_000, 10_000, "largest eth_getLogs range (a provider's stated cap lowers it at run time)"),
    targetLogs: int(100, 1_000_000, 10_000, 'logs per range the walker aims for'),
    batchSize: int(1, 1000, 100, "calls per JSON-RPC batch (a provider's refusal lowers it at run time)"),
    networkLookback: int(1, 100_000_000, 2000, 'network metrics start this many blocks back without a checkpoint or --from-block'),
    tokenLookback: int(1, 100_000_000, 43_200, "a token's first walk starts this many blocks back (about a day on Polygon) without --from-block; holder metrics need --from-block 0 or the deployment block"),
    gasSampleEvery: int(1, 100_000, 10, 'every Nth block is fetched with its transactions for gas prices'),
    commitLogs: int(1, 100_000_000, 100_000, 'logs applied between commits'),
  })
  .strict();
export type ChainTuning = z.infer<typeof ChainTuning>;

/**
 * Live collection: provider rates, the walker's tunables, the schedule. Rate defaults sit under
 * the documented limits as of 2026-12: RPC 25/s; Etherscan API V2 free tier 3/s → 2.5;
 * CoinGecko keyless "roughly 5-30 calls per minute" → 4/min (demo key 30/min → 0.45/s, chosen in
 * the runner when unset); DefiLlama 2/s; GitHub 60/hour keyless, 5000/hour with a token.
 */
export const CollectConfig = z
  .object({
    chain: ChainTuning.default(ChainTuning.parse({})),
    rates: z
      .object({
        rpc: rate().default(25).describe('JSON-RPC requests per second (your plan\'s rate)'),
        etherscan: rate().default(2.5).describe('Etherscan API V2 requests per second (free tier: 3)'),
        coingecko: rate().optional().describe('CoinGecko requests per second; unset: 4/min keyless, 0.45/s with a demo key'),
        defillama: rate().default(2).describe('DefiLlama requests per second'),
        github: rate().optional().describe('GitHub requests per second; unset: 60/hour keyless, 5000/hour with a token'),
      })
      .strict()
      .default({ rpc: 25, etherscan: 2.5, defillama: 2 }),
    intervals: z
      .object({
        chain: interval(300, 'the chain walker'),
        explorer: interval(86_400, 'contract verification (Etherscan)'),
        market: interval(21_600, 'market data (CoinGecko)'),
        tvl: interval(21_600, 'TVL (DefiLlama)'),
        github: interval(86_400, 'development activity (GitHub)'),
        hf: interval(604_800, 'project similarity (Hugging Face embeddings)'),
      })
      .strict()
      .default({ chain: 300, explorer: 86_400, market: 21_600, tvl: 21_600, github: 86_400, hf: 604_800 })
      .describe('seconds between scheduled runs of each source (desktop app, `serve`, `--watch`), as `source=seconds,...`'),
    concurrency: int(1, 16, 2, 'sources collecting at once on the schedule'),
    maxWaitSec: int(1, 3600, 30, "a provider's wait (Retry-After, a rate-limit reset) up to this is waited in place; a longer one defers the request and the run goes on"),
    maxDeferSec: int(1, 86_400, 900, 'a deferred request is retried within the run when its wait is at most this long; longer ones are left for the next run'),
    offlineProbeSec: int(5, 86_400, 300, 'with no network, one probe per this many seconds instead of collecting'),
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
   * Keeps the UI's read models (overview, series, model views...) until the data changes, so
   * repeated reads cost no queries. Off only to measure what it saves. @default true
   */
  readCache: z.boolean().default(true),
  /**
   * Computes the UI's read models in a worker thread with its own read-only connection, so a
   * long one never holds the request thread. Off: computed on the calling thread. @default true
   */
  readWorker: z.boolean().default(true),
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
  DEFIMON_READ_CACHE: { key: 'readCache', kind: 'bool' },
  DEFIMON_READ_WORKER: { key: 'readWorker', kind: 'bool' },
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

/** The schema node at a dotted key, defaults and optionals unwrapped. */
function schemaAt(dotted: string): z.ZodType | null {
  let node: z.ZodType = DefimonConfig;
  for (const part of dotted.split('.')) {
    while (node instanceof z.ZodDefault || node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
    if (!(node instanceof z.ZodObject)) return null;
    const next = (node.shape as Record<string, z.ZodType>)[part];
    if (!next) return null;
    node = next;
  }
  return node;
}

const unwrap = (node: z.ZodType): z.ZodType => {
  let n = node;
  while (n instanceof z.ZodDefault || n instanceof z.ZodOptional) n = n.unwrap() as z.ZodType;
  return n;
};

/** The bounds a number schema enforces (its min/max/positive checks). */
function numberBounds(n: z.ZodNumber): { min: number | null; minInclusive: boolean; max: number | null; int: boolean } {
  const checks = (n._zod.def.checks ?? []).map((c) => (c as unknown as { _zod: { def: { check: string; value: number; inclusive?: boolean; format?: string } } })._zod.def);
  const low = checks.find((c) => c.check === 'greater_than');
  const high = checks.find((c) => c.check === 'less_than');
  const int = checks.some((c) => c.check === 'number_format' && (c.format === 'safeint' || c.format === 'int32'));
  return { min: low?.value ?? null, minInclusive: low?.inclusive !== false, max: high?.value ?? null, int };
}

function boundsOf(node: z.ZodType): string {
  const n = unwrap(node);
  if (n instanceof z.ZodObject) {
    const first = Object.values(n.shape as Record<string, z.ZodType>)[0];
    return first ? `${boundsOf(first)} each` : '';
  }
  if (!(n instanceof z.ZodNumber)) return '';
  const b = numberBounds(n);
  const lo = b.min === null ? '' : b.minInclusive ? `≥ ${b.min}` : `> ${b.min}`;
  const hi = b.max === null ? '' : `≤ ${b.max}`;
  return [lo, hi].filter(Boolean).join(', ');
}

/** A numeric setting as the schema describes it (see SettingField in the settings contract). */
export interface ConfigField {
  key: string;
  group: string;
  description: string;
  type: 'int' | 'number';
  min: number | null;
  minInclusive: boolean;
  max: number | null;
  default: number | null;
  envVar: string | null;
}

/**
 * Every numeric leaf under `prefix` (e.g. "collect"), in schema order, with its description,
 * bounds, default and environment variable: what the Settings form shows, generated from the
 * schema so the form, the docs and validation cannot disagree. A leaf without its own
 * description takes its parent's (e.g. each of `collect.intervals`).
 */
export function configFields(prefix: string): ConfigField[] {
  const root = schemaAt(prefix);
  if (root === null) return [];
  const defaults = DefimonConfig.parse({ dataDir: '.' }) as Record<string, unknown>;
  const at = (dotted: string): unknown => dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], defaults);
  const envOf = (key: string): string | null => Object.entries(ENV_MAP).find(([, v]) => key === v.key || key.startsWith(`${v.key}.`))?.[0] ?? null;
  const out: ConfigField[] = [];
  const walk = (node: z.ZodType, key: string, inherited: string): void => {
    const n = unwrap(node);
    const description = node.description ?? n.description ?? inherited;
    if (n instanceof z.ZodObject) {
      for (const [k, child] of Object.entries(n.shape as Record<string, z.ZodType>)) walk(child, `${key}.${k}`, description);
      return;
    }
    if (!(n instanceof z.ZodNumber)) return;
    const b = numberBounds(n);
    const def = at(key);
    const rest = key.slice(prefix.length + 1).split('.');
    out.push({ key, group: rest.length > 1 ? (rest[0] as string) : '', description, type: b.int ? 'int' : 'number', min: b.min, minInclusive: b.minInclusive, max: b.max, default: typeof def === 'number' ? def : null, envVar: envOf(key) });
  };
  walk(root, prefix, '');
  return out;
}

/**
 * Markdown rows documenting every environment variable whose configuration key starts with
 * `prefix`: variable, key, what, default, bounds — generated from the schema, so the docs
 * cannot drift (a test compares the collectors' README with this).
 */
export function configDocs(prefix: string): string {
  const defaults = DefimonConfig.parse({ dataDir: '.' }) as Record<string, unknown>;
  const at = (dotted: string): unknown => dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], defaults);
  const rows = ['| env | config key | what | default | bounds |', '| --- | --- | --- | --- | --- |'];
  for (const [name, { key }] of Object.entries(ENV_MAP)) {
    if (!key.startsWith(prefix)) continue;
    const node = schemaAt(key);
    const def = at(key);
    const shown = def === undefined ? 'by key (see what)' : typeof def === 'object' && def !== null ? Object.entries(def).map(([k, v]) => `${k}=${String(v)}`).join(', ') : String(def);
    rows.push(`| \`${name}\` | \`${key}\` | ${node?.description ?? ''} | ${shown} | ${node ? boundsOf(node) : ''} |`);
  }
  return rows.join('\n');
}

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
    let parsedFile: unknown;
    try {
      parsedFile = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new AppError('MALFORMED_DATA', `config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    // Valid JSON is not yet a configuration: `null`, a number or a list would fail further on
    // with a message that names neither the file nor the problem.
    if (typeof parsedFile !== 'object' || parsedFile === null || Array.isArray(parsedFile)) {
      const kind = parsedFile === null ? 'null' : Array.isArray(parsedFile) ? 'a list' : `a ${typeof parsedFile}`;
      throw new AppError('MALFORMED_DATA', `config file ${file} must hold a JSON object of settings (like {"logLevel": "info"}), not ${kind}`);
    }
    fromFile = parsedFile as Record<string, unknown>;
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
