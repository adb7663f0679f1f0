import { z } from 'zod';
import { method } from './define';
import { AssetId, Day, DataFamily } from '../schemas';

/**
 * Market cap and volume as the latest known value, each with its own day, source and staleness:
 * they may end before the price does (a source that stopped reporting them while prices go on
 * from another), and are then shown with their older day, never as missing nor as of the price's day.
 */
export const LatestMarketFacts = z.object({
  marketCap: z.number().nullable(),
  marketCapDay: Day.nullable(),
  /** Who reported that market cap (a source id, e.g. "coingecko"; `sourceName` reads it). */
  marketCapSource: z.string().nullable(),
  /** The day lies more than the staleness threshold before the dataset's end. */
  marketCapStale: z.boolean(),
  volume: z.number().nullable(),
  volumeDay: Day.nullable(),
  volumeSource: z.string().nullable(),
  volumeStale: z.boolean(),
});
export type LatestMarketFacts = z.infer<typeof LatestMarketFacts>;

export const AssetSummary = z.object({
  assetId: AssetId,
  symbol: z.string(),
  name: z.string(),
  category: z.string().nullable(),
  polygonAddress: z.string().nullable(),
  lastDay: Day.nullable(),
  /** \`lastDay\` when it lies more than 30 days before the dataset's end (delisted or no longer collected); null for a current asset. */
  staleSince: Day.nullable(),
  price: z.number().nullable(),
  return30d: z.number().nullable(),
  ...LatestMarketFacts.shape,
  families: z.array(DataFamily),
});
export type AssetSummary = z.infer<typeof AssetSummary>;

export const PricePoint = z.object({ day: Day, close: z.number().nullable(), volume: z.number().nullable(), marketCap: z.number().nullable() });
export type PricePoint = z.infer<typeof PricePoint>;

export const ImportSummary = z.object({
  source: z.string(),
  assets: z.number(),
  financialRows: z.number(),
  onchainRows: z.number(),
  githubRows: z.number(),
  contracts: z.number(),
  /** Bundled DefiLlama protocol and chain rows (kept apart from Token Terminal's, with their source). */
  defillamaRows: z.number().default(0),
  /** Assets given a description (static metadata for peers). */
  described: z.number().default(0),
  /** The model shipped with the dataset: installed (its version) or why not, so scores show on first open. */
  model: z.object({ installed: z.boolean(), version: z.string().nullable(), detail: z.string() }).nullable().default(null),
  skipped: z.array(z.object({ file: z.string(), reason: z.string(), count: z.number() })),
  ms: z.number(),
});
export type ImportSummary = z.infer<typeof ImportSummary>;

export const assetMethods = {
  'assets.list': method({
    description: 'Each asset with its latest price, 30-day return, latest known market cap and volume (each with its day, source and staleness) and data families.',
    input: z
      .object({
        includeUnpriced: z.boolean().default(false),
        search: z.string().max(100).optional(),
        category: z.string().max(60).optional(),
      })
      .strict()
      .default({ includeUnpriced: false }),
    output: z.array(AssetSummary),
  }),
  'assets.get': method({
    description: 'One asset by id.',
    input: z.object({ assetId: AssetId }).strict(),
    output: AssetSummary.extend({
      coingeckoId: z.string().nullable(),
      defillamaSlug: z.string().nullable(),
      githubOrg: z.string().nullable(),
      ethereumAddress: z.string().nullable(),
      decimals: z.number().nullable(),
      notes: z.string().nullable(),
    }),
  }),
  'assets.prices': method({
    description: 'Daily close, volume and market cap of one asset, oldest first, optionally bounded and downsampled.',
    input: z
      .object({
        assetId: AssetId,
        from: Day.optional(),
        to: Day.optional(),
        maxPoints: z.number().int().min(10).max(100_000).optional(),
      })
      .strict(),
    output: z.array(PricePoint),
  }),
  'dataset.import': method({
    description: 'Imports the bundled dataset, or a directory of CSVs in the same formats. Idempotent.',
    long: true,
    input: z.object({ dir: z.string().min(1).optional() }).strict().default({}),
    output: ImportSummary,
  }),
};

export const assetEvents = {};
