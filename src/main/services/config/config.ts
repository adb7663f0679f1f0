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

const ENV_MAP: Record<string, { key: string; kind: 'string' | 'number' | 'bool' | 'list' }> = {
  DEFIMON_DATA_DIR: { key: 'dataDir', kind: 'string' },
  DEFIMON_LOG_LEVEL: { key: 'logLevel', kind: 'string' },
  DEFIMON_DATASET_DIR: { key: 'datasetDir', kind: 'string' },
  DEFIMON_AUTO_IMPORT: { key: 'autoImport', kind: 'bool' },
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
  DEFIMON_HOST: { key: 'server.host', kind: 'string' },
  DEFIMON_PORT: { key: 'server.port', kind: 'number' },
  DEFIMON_API_KEYS: { key: 'server.apiKeys', kind: 'list' },
  DEFIMON_ADMIN_KEYS: { key: 'server.adminKeys', kind: 'list' },
  DEFIMON_PUBLIC_HOSTS: { key: 'server.publicHosts', kind: 'list' },
  DEFIMON_MAX_EVENT_STREAMS: { key: 'server.maxEventStreams', kind: 'number' },
  DEFIMON_WEB_ROOT: { key: 'server.webRoot', kind: 'string' },
};

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
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
    setPath(out, key, value);
  }
  return out;
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

/** A URL with its password/token replaced, for logs and status. */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // QuickNode-style URLs carry the key in the path.
    if (/quiknode|quicknode|alchemy|infura/i.test(u.hostname) && u.pathname.length > 1) u.pathname = '/***';
    for (const k of [...u.searchParams.keys()]) if (/key|token|secret|password/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return '[unparsable url]';
  }
}

/** `text` with each configured URL in it replaced by its redacted form (for driver and library errors that quote the URL). */
export function redactUrlsIn(text: string, urls: readonly (string | undefined)[]): string {
  return urls.reduce<string>((m, u) => (u ? m.split(u).join(redactUrl(u) ?? '') : m), text);
}
