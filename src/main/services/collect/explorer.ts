/**
 * Verified contracts from the Etherscan API V2 (one endpoint for every chain, `chainid` chosen
 * by configuration, 137 = Polygon): source in its three forms, ABI, compiler settings, creator
 * and creation transaction, proxy implementation. Stored in `smart_contracts`; the audit domain
 * calls `fetchVerifiedContract` to audit a contract by address.
 *
 * Source forms as Etherscan returns them in `SourceCode`:
 * - plain Solidity text: a single file;
 * - a JSON object of `{ "path.sol": { content } }`: several files;
 * - the same JSON wrapped in an extra pair of braces `{{ ... }}`: standard-JSON input.
 * Multi-file and standard-JSON are both stored as the standard-JSON input string, so readers
 * have one shape for anything with more than one file.
 */
import { z } from 'zod';
import type { SmartContract } from '../../../shared/contract/collect';
import { AppError } from '../../../shared/errors';
import { Address, fieldsOf } from '../../../shared/schemas';
import type { Core } from '../core';
import { createHttpClient, upstreamError, type HttpClient } from './http';
import type { SmartContractsTable } from '../storage/db-types';

const EtherscanEnvelope = z.object({ status: z.string(), message: z.string(), result: z.unknown() });

const SourceCodeItem = z.object({
  SourceCode: z.string(),
  ABI: z.string(),
  ...fieldsOf(z.string(), ['ContractName', 'CompilerVersion', 'OptimizationUsed', 'Runs']),
  ...fieldsOf(z.string().optional(), ['ConstructorArguments', 'EVMVersion', 'Library', 'LicenseType', 'Proxy', 'Implementation']),
  /** API V2: the file that holds the verified contract among several. */
  ContractFileName: z.string().optional(),
  /** API V2: "solidity-single-file", "solidity-standard-json-input", "vyper"... */
  CompilerType: z.string().optional(),
});
const SourceCodeResponse = EtherscanEnvelope.extend({ status: z.literal('1'), result: z.array(SourceCodeItem).min(1) });

const CreationItem = z.object({ contractAddress: z.string(), contractCreator: z.string(), txHash: z.string() });
const CreationResponse = z.union([
  EtherscanEnvelope.extend({ status: z.literal('1'), result: z.array(CreationItem) }),
  // "No data found": a genesis or pre-indexing contract.
  EtherscanEnvelope.extend({ status: z.literal('0'), result: z.union([z.null(), z.array(z.unknown()).max(0), z.string()]) }),
]);

/**
 * Etherscan answers errors with HTTP 200 and `status:"0"`; classify them before the schema
 * (API V2 messages as of 2026-12):
 * - "Max rate limit reached" / "Max calls per sec rate limit reached (3/sec)": retried after a second;
 * - "Free API access is temporarily unavailable due to unusually high network activity...":
 *   retryable later (a minute: the run defers that address and goes on);
 * - "Free API access is not supported for this chain...", "Invalid API Key", "You are using a
 *   deprecated V1 endpoint...": the plan or the setup is wrong for every address, so the run
 *   stops once with a message saying what to change (`details.stopRun`).
 */
export function inspectEtherscan(body: unknown): void {
  const env = EtherscanEnvelope.safeParse(body);
  if (!env.success || env.data.status !== '0') return;
  const result = typeof env.data.result === 'string' ? env.data.result : '';
  const text = `${env.data.message}: ${result}`.trim();
  if (/temporarily unavailable|unusually high network activity/i.test(text)) throw upstreamError('UNAVAILABLE', 'etherscan', text, { retryable: true, retryAfterMs: 60_000 });
  if (/rate limit|max calls per sec/i.test(text)) throw upstreamError('RATE_LIMITED', 'etherscan', text, { retryable: true, retryAfterMs: 1000 });
  if (/not supported for this chain/i.test(text)) throw upstreamError('FORBIDDEN', 'etherscan', `${text} — the free API plan does not cover this chainId; use a paid plan key or another chain`, { details: { stopRun: true } });
  if (/deprecated v1 endpoint/i.test(text)) throw upstreamError('NOT_CONFIGURED', 'etherscan', `${text} — set etherscanBaseUrl to the API V2 endpoint (https://api.etherscan.io/v2/api)`, { details: { stopRun: true } });
  if (/invalid api key|missing\/invalid api key|api key/i.test(text)) throw upstreamError('FORBIDDEN', 'etherscan', `${text} — check DEFIMON_ETHERSCAN_API_KEY (an Etherscan API V2 key)`, { details: { stopRun: true } });
  if (/no data found|no records found/i.test(text)) return;
  throw upstreamError('UPSTREAM', 'etherscan', text);
}

/** Solidity or Vyper, from the compiler type or version ("vyper:0.3.10", "v0.3.7+commit..." with CompilerType "vyper"). */
export function languageOf(item: { CompilerVersion: string; CompilerType?: string | undefined }): 'Solidity' | 'Vyper' {
  return /vyper/i.test(item.CompilerType ?? '') || /vyper/i.test(item.CompilerVersion) ? 'Vyper' : 'Solidity';
}

export interface ParsedSource {
  format: 'single-file' | 'multi-file' | 'standard-json';
  source: string;
}

/** Normalises Etherscan's `SourceCode` into one of the stored forms; null when unverified. */
export function normaliseSource(item: z.infer<typeof SourceCodeItem>): ParsedSource | null {
  const raw = item.SourceCode.trim();
  if (raw === '') return null;
  const isVyper = languageOf(item) === 'Vyper';
  if (raw.startsWith('{{') && raw.endsWith('}}')) {
    const std = parseJson(raw.slice(1, -1), 'standard-JSON input') as { language?: unknown; sources?: unknown; settings?: unknown };
    const sources = z.record(z.string(), z.object({ content: z.string() }).passthrough()).safeParse(std.sources);
    if (!sources.success) throw upstreamError('MALFORMED_DATA', 'etherscan', 'standard-JSON input without a `sources` map of {content}');
    return { format: 'standard-json', source: JSON.stringify({ language: typeof std.language === 'string' ? std.language : isVyper ? 'Vyper' : 'Solidity', sources: sources.data, settings: std.settings ?? {} }) };
  }
  if (raw.startsWith('{')) {
    const obj = parseJson(raw, 'multi-file source') as Record<string, unknown>;
    if ('sources' in obj) {
      const sources = z.record(z.string(), z.object({ content: z.string() }).passthrough()).safeParse(obj.sources);
      if (!sources.success) throw upstreamError('MALFORMED_DATA', 'etherscan', 'standard-JSON input without a `sources` map of {content}');
      return { format: 'standard-json', source: JSON.stringify({ language: typeof obj.language === 'string' ? obj.language : 'Solidity', sources: sources.data, settings: obj.settings ?? {} }) };
    }
    const files = z.record(z.string(), z.object({ content: z.string() })).safeParse(obj);
    if (!files.success) throw upstreamError('MALFORMED_DATA', 'etherscan', 'multi-file source is not a map of {content}');
    const settings: Record<string, unknown> = { optimizer: { enabled: item.OptimizationUsed === '1', runs: Number(item.Runs) || 200 } };
    if (item.EVMVersion && !/^default$/i.test(item.EVMVersion)) settings.evmVersion = item.EVMVersion.toLowerCase();
    return { format: 'multi-file', source: JSON.stringify({ language: isVyper ? 'Vyper' : 'Solidity', sources: files.data, settings }) };
  }
  return { format: 'single-file', source: item.SourceCode };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw upstreamError('MALFORMED_DATA', 'etherscan', `${what} is not valid JSON`);
  }
}

type ContractRow = Pick<
  SmartContractsTable,
  'chain_id' | 'address' | 'name' | 'verified' | 'compiler_version' | 'compiler_settings' | 'source_format' | 'source' | 'abi' | 'creator' | 'creation_tx' | 'is_proxy' | 'implementation' | 'updated_at'
>;

export function toSmartContract(r: ContractRow): SmartContract {
  return {
    chainId: Number(r.chain_id),
    address: r.address,
    name: r.name,
    verified: r.verified === 1,
    compilerVersion: r.compiler_version,
    compilerSettings: r.compiler_settings,
    sourceFormat: r.source_format,
    source: r.source,
    abi: r.abi,
    creator: r.creator,
    creationTx: r.creation_tx,
    isProxy: r.is_proxy === null ? null : r.is_proxy === 1,
    implementation: r.implementation,
    updatedAt: r.updated_at,
  };
}

/**
 * The stored contract as fetched from the explorer, or null when it never was (rows from the
 * bundled contract list carry names and roles but no source, and do not count).
 */
export function readContract(core: Pick<Core, 'store' | 'config'>, address: string): SmartContract | null {
  const row = core.store.db.prepare<unknown[], ContractRow>(`SELECT * FROM smart_contracts WHERE chain_id = ? AND address = ? AND source_ref LIKE 'etherscan-v2:%'`).get(core.config.chainId, address.toLowerCase());
  return row ? toSmartContract(row) : null;
}

/** At `collect.rates.etherscan` (default 2.5/s: the API V2 free tier allows 3 calls per second). */
export function createEtherscanClient(core: Pick<Core, 'ports' | 'log' | 'config'>, ratePerSec = core.config.collect.rates.etherscan): HttpClient {
  return createHttpClient(core, { name: 'etherscan', ratePerSec, burst: Math.max(1, Math.floor(ratePerSec)), timeoutMs: 20_000, maxDelayMs: core.config.collect.maxWaitSec * 1000 });
}

function etherscanUrl(core: Pick<Core, 'config'>, params: Record<string, string>): string {
  const u = new URL(core.config.etherscanBaseUrl);
  u.searchParams.set('chainid', String(core.config.chainId));
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  if (core.config.etherscanApiKey) u.searchParams.set('apikey', core.config.etherscanApiKey);
  return u.toString();
}

/**
 * Fetches a contract's verified source, ABI, compiler settings, creator and proxy target from
 * the explorer, stores it in `smart_contracts` (one upsert: nothing is written when any part
 * fails) and returns the stored row. An unverified contract is stored with `verified: false`.
 */
export async function fetchVerifiedContract(args: { core: Core; address: string; signal?: AbortSignal; client?: HttpClient }): Promise<SmartContract> {
  const { core, signal } = args;
  const parsedAddress = Address.safeParse(args.address);
  if (!parsedAddress.success) throw new AppError('INVALID_INPUT', `not a contract address: "${args.address}"`);
  const address = parsedAddress.data;
  if (!core.config.etherscanApiKey) throw new AppError('NOT_CONFIGURED', 'no explorer API key: set DEFIMON_ETHERSCAN_API_KEY (an Etherscan API V2 key)');
  const client = args.client ?? createEtherscanClient(core);

  const src = await client.request({
    url: etherscanUrl(core, { module: 'contract', action: 'getsourcecode', address }),
    schema: SourceCodeResponse,
    inspect: inspectEtherscan,
    signal,
    cacheTtlSec: 6 * 3600,
    what: 'getsourcecode',
  });
  const creation = await client.request({
    url: etherscanUrl(core, { module: 'contract', action: 'getcontractcreation', contractaddresses: address }),
    schema: CreationResponse,
    inspect: inspectEtherscan,
    signal,
    cacheTtlSec: 24 * 3600,
    what: 'getcontractcreation',
  });

  const item = src.data.result[0] as z.infer<typeof SourceCodeItem>;
  const normalised = normaliseSource(item);
  const verified = normalised !== null;
  let abi: string | null = null;
  if (verified) {
    try {
      if (Array.isArray(JSON.parse(item.ABI))) abi = item.ABI;
    } catch {
      throw upstreamError('MALFORMED_DATA', 'etherscan', 'the ABI of a verified contract is not a JSON array');
    }
  }
  const created = creation.data.status === '1' ? (creation.data.result as z.infer<typeof CreationItem>[]).find((c) => c.contractAddress.toLowerCase() === address) : undefined;
  const impl = item.Implementation && /^0x[0-9a-fA-F]{40}$/.test(item.Implementation) ? item.Implementation.toLowerCase() : null;
  const settings = verified
    ? JSON.stringify({
        optimizer: { enabled: item.OptimizationUsed === '1', runs: Number(item.Runs) || null },
        evmVersion: item.EVMVersion ?? null,
        libraries: item.Library || null,
        constructorArguments: item.ConstructorArguments || null,
        license: item.LicenseType ?? null,
        language: languageOf(item),
        contractFileName: item.ContractFileName || null,
      })
    : null;
  const asset = core.store.db.prepare<unknown[], { asset_id: string }>('SELECT asset_id FROM crypto_assets WHERE chain_id = ? AND address = ?').get(core.config.chainId, address);
  const row: Record<string, unknown> = {
    chain_id: core.config.chainId,
    address,
    name: item.ContractName || null,
    verified: verified ? 1 : 0,
    compiler_version: item.CompilerVersion || null,
    compiler_settings: settings,
    source_format: normalised?.format ?? null,
    source: normalised?.source ?? null,
    abi,
    creator: created ? created.contractCreator.toLowerCase() : null,
    creation_tx: created ? created.txHash.toLowerCase() : null,
    is_proxy: item.Proxy === '1' || impl !== null ? 1 : 0,
    implementation: impl,
    source_ref: `etherscan-v2:${core.config.chainId}`,
    updated_at: new Date().toISOString(),
  };
  if (asset) row.asset_id = asset.asset_id;
  core.store.write('smart_contracts', [row]);
  const stored = readContract(core, address);
  if (!stored) throw new AppError('INTERNAL', 'the contract row was not stored');
  return stored;
}

const TokenInfoResponse = EtherscanEnvelope.extend({
  status: z.literal('1'),
  result: z
    .array(z.object({ contractAddress: z.string(), tokenName: z.string(), symbol: z.string(), divisor: z.string(), description: z.string().optional(), website: z.string().optional(), github: z.string().optional() }).passthrough())
    .min(1),
});

/**
 * Token name, symbol, decimals and description from `module=token&action=tokeninfo` (an API Pro
 * endpoint). Returns null when the plan does not offer it, so callers stop asking for the run.
 * Fills what the registry lacks (description, decimals) and the tracked token's symbol.
 */
export async function fetchTokenInfo(args: { core: Core; address: string; client: HttpClient; signal?: AbortSignal }): Promise<{ name: string; symbol: string; decimals: number | null; description: string | null } | null> {
  const { core } = args;
  if (!core.config.etherscanApiKey) throw new AppError('NOT_CONFIGURED', 'no explorer API key: set DEFIMON_ETHERSCAN_API_KEY');
  const address = Address.parse(args.address);
  let res;
  try {
    res = await args.client.request({ url: etherscanUrl(core, { module: 'token', action: 'tokeninfo', contractaddress: address }), schema: TokenInfoResponse, inspect: inspectEtherscan, signal: args.signal, cacheTtlSec: 24 * 3600, what: 'tokeninfo' });
  } catch (err) {
    // Free plans answer status "0" with a message about API Pro; that is "not offered", not a failure.
    if (err instanceof AppError && err.code === 'UPSTREAM' && /pro|not supported|upgrade|invalid action|no data/i.test(err.message)) return null;
    if (err instanceof AppError && err.code === 'MALFORMED_DATA') return null;
    throw err;
  }
  const t = res.data.result[0] as { tokenName: string; symbol: string; divisor: string; description?: string };
  const decimals = /^\d+$/.test(t.divisor) && Number(t.divisor) <= 255 ? Number(t.divisor) : null;
  const description = t.description && t.description.trim() !== '' ? t.description.trim() : null;
  const chainId = core.config.chainId;
  core.store.transaction(() => {
    const asset = core.store.db.prepare<unknown[], { asset_id: string; symbol: string; name: string; source: string; description: string | null; decimals: number | null }>('SELECT asset_id, symbol, name, source, description, decimals FROM crypto_assets WHERE chain_id = ? AND address = ?').get(chainId, address);
    if (asset && ((asset.description === null && description !== null) || (asset.decimals === null && decimals !== null))) {
      const row: Record<string, unknown> = { asset_id: asset.asset_id, symbol: asset.symbol, name: asset.name, source: asset.source, updated_at: new Date().toISOString() };
      if (asset.description === null && description !== null) row.description = description;
      if (asset.decimals === null && decimals !== null) row.decimals = decimals;
      core.store.write('crypto_assets', [row]);
    }
    const tracked = core.store.db.prepare<unknown[], { asset_id: string }>('SELECT asset_id FROM tracked_tokens WHERE chain_id = ? AND address = ?').get(chainId, address);
    if (tracked) core.store.write('tracked_tokens', [{ chain_id: chainId, address, asset_id: tracked.asset_id, symbol: t.symbol || null, ...(decimals !== null ? { decimals } : {}), added_at: new Date().toISOString() }]);
  });
  return { name: t.tokenName, symbol: t.symbol, decimals, description };
}
