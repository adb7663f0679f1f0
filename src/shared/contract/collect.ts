// Contract methods and events of the collect domain: collectors' status, runs and their data.
import { z } from 'zod';
import { Address, AssetId, Cancelled, Day, Empty, fieldsOf, nullableFields } from '../schemas';
import { method, type MethodMap } from './define';

export const CollectSource = z.enum(['chain', 'explorer', 'market', 'tvl', 'github', 'hf']);
export type CollectSource = z.infer<typeof CollectSource>;

export const SourceStatus = z.object({
  source: CollectSource,
  running: z.boolean(),
  ...nullableFields(z.string(), ['taskId', 'startedAt']),
  done: z.number(),
  total: z.number().nullable(),
  ...nullableFields(z.string(), ['message', 'lastSuccessAt', 'lastErrorAt']),
  lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
  ...nullableFields(z.number(), ['lastItems', 'lastDurationMs']),
});
export type SourceStatus = z.infer<typeof SourceStatus>;

/** A provider's request counters and rate-limit state. */
export const ProviderStatus = z.object({
  provider: z.string(),
  ...fieldsOf(z.number(), ['calls', 'cacheHits', 'retries', 'failures']),
  lastStatus: z.number().nullable(),
  ...nullableFields(z.string(), ['lastCallAt', 'rateLimitedUntil']),
  ...nullableFields(z.number(), ['remaining', 'limit']),
  ratePerSec: z.number(),
});
export type ProviderStatus = z.infer<typeof ProviderStatus>;

export const QualityFlag = z.object(fieldsOf(z.string(), ['source', 'table', 'rowKey', 'check', 'message', 'detectedAt']));
export type QualityFlag = z.infer<typeof QualityFlag>;

export const CollectRunSummary = z.object({
  source: CollectSource,
  items: z.number(),
  ms: z.number(),
  details: z.record(z.string(), z.unknown()),
});
export type CollectRunSummary = z.infer<typeof CollectRunSummary>;

/** One token's day on chain; `volume` in token units (decimals applied). */
export const OnchainDay = z.object({
  day: Day,
  ...nullableFields(z.number(), ['transfers', 'volume', 'volume_usd', 'active_addresses', 'new_holders', 'holders', 'top10_share']),
});
export type OnchainDay = z.infer<typeof OnchainDay>;

export const NetworkDay = z.object({ day: Day, ...nullableFields(z.number(), ['blocks', 'transactions', 'utilisation', 'median_gas_price_gwei', 'median_base_fee_gwei']) });
export type NetworkDay = z.infer<typeof NetworkDay>;

export const SmartContract = z.object({
  chainId: z.number(),
  address: z.string(),
  name: z.string().nullable(),
  verified: z.boolean(),
  compilerVersion: z.string().nullable(),
  compilerSettings: z.string().nullable(),
  /** 'single-file' | 'multi-file' | 'standard-json' (the latter two store standard-JSON input). */
  sourceFormat: z.string().nullable(),
  source: z.string().nullable(),
  abi: z.string().nullable(),
  creator: z.string().nullable(),
  creationTx: z.string().nullable(),
  isProxy: z.boolean().nullable(),
  implementation: z.string().nullable(),
  updatedAt: z.string(),
});
export type SmartContract = z.infer<typeof SmartContract>;

const CollectRunInput = z
  .object({
    source: z.union([CollectSource, z.literal('all')]),
    /** Chain: token contracts to collect (added to the tracked set); default: every tracked token. */
    tokens: z.array(Address).max(500).optional(),
    fromBlock: z.number().int().min(0).optional(),
    toBlock: z.number().int().min(0).optional(),
    /** Chain: also walk every block for network gas and utilisation. @default true */
    network: z.boolean().optional(),
    /** Market, TVL, GitHub, HF: only these assets. */
    assets: z.array(AssetId).max(500).optional(),
    /** Explorer: contracts to fetch. */
    addresses: z.array(Address).max(500).optional(),
  })
  .strict()
  .refine((v) => v.fromBlock === undefined || v.toBlock === undefined || v.fromBlock <= v.toBlock, { message: 'fromBlock must not exceed toBlock', path: ['fromBlock'] });

export const collectMethods = {
  'collect.status': method({
    description: "Each collector's state (running, progress, last success, last error) and each provider's rate-limit state.",
    input: Empty,
    output: z.object({
      sources: z.array(SourceStatus),
      providers: z.array(ProviderStatus),
      quality: z.array(QualityFlag),
      /** Offline: a run found no network (DNS failure, refused, unreachable); scheduled collection waits for a slow probe to succeed. */
      network: z.object({ online: z.boolean(), since: z.string().nullable(), reason: z.string().nullable(), nextProbeAt: z.string().nullable(), probes: z.number().int() }),
    }),
  }),
  'collect.run': method({
    description: 'Runs one collector (or all) now; progress arrives as `progress` events; cancellable.',
    long: true,
    input: CollectRunInput,
    output: z.array(CollectRunSummary),
  }),
  'collect.cancel': method({
    description: 'Cancels the running collection of a source; false when it was not running.',
    input: z.object({ source: z.union([CollectSource, z.literal('all')]) }).strict(),
    output: Cancelled,
  }),
  'collect.trackToken': method({
    description: 'Adds an ERC-20 contract to the chain collector; its decimals and symbol are read from chain on the next run.',
    input: z.object({ address: Address, startBlock: z.number().int().min(0).optional() }).strict(),
    output: z.object({ assetId: z.string(), address: z.string(), added: z.boolean() }),
  }),
  'collect.onchainMetrics': method({
    description: 'Daily on-chain aggregates collected from chain for one token (by address or asset id), oldest first.',
    input: z
      .object({ token: z.string().min(1).max(80), from: Day.optional(), to: Day.optional() })
      .strict(),
    output: z.object({ assetId: z.string(), address: z.string().nullable(), decimals: z.number().nullable(), days: z.array(OnchainDay) }),
  }),
  'collect.networkMetrics': method({
    description: 'Network activity per UTC day (blocks, transactions, utilisation, median gas price), oldest first.',
    input: z.object({ from: Day.optional(), to: Day.optional() }).strict().default({}),
    output: z.array(NetworkDay),
  }),
  'collect.contract': method({
    description: 'Verified source, ABI, compiler, creator and proxy of a contract from the explorer (stored; refetched when `refresh`).',
    long: true,
    input: z.object({ address: Address, refresh: z.boolean().default(false) }).strict(),
    output: SmartContract,
  }),
} satisfies MethodMap;

export const collectEvents = {
  /** A collector started, finished or failed. */
  'collect.status': SourceStatus,
};
