/**
 * Read models the analyst's UI needs (overview rows, downsampled time series, an asset's
 * models, competitors and contracts) and the analyst's own data: watchlists, notes and alert
 * rules. User data is synced last-writer-wins, so deletes are tombstones, never row removals.
 */
import { z } from 'zod';
import { method, type MethodMap } from './define';
import { AssetId, Day, Empty, nullableFields } from '../schemas';
import { LatestMarketFacts } from './assets';

export const OverviewRow = z.object({
  assetId: AssetId,
  symbol: z.string(),
  name: z.string(),
  category: z.string().nullable(),
  /** Chains the asset has a known token address on ('polygon', 'ethereum'). */
  chains: z.array(z.string()),
  /** The asset's latest market day: the as-of of price and returns (market cap and volume carry their own). */
  lastDay: z.string().nullable(),
  /** Where the latest close comes from (e.g. "coingecko", "binance_hourly_close"). */
  marketSource: z.string().nullable(),
  /**
   * The asset's last market day when it lies more than the staleness threshold before the
   * dataset's end (delisted or no longer collected); null for a current asset. Such assets are
   * out of the default ranking, movers and score distribution.
   */
  staleSince: z.string().nullable(),
  price: z.number().nullable(),
  return7d: z.number().nullable(),
  return30d: z.number().nullable(),
  /** Latest known market cap and volume, each with its own day and source (they may end before the price does). */
  ...LatestMarketFacts.shape,
  /** Latest total value locked and its day (it may be older than the price). */
  tvl: z.number().nullable(),
  tvlDay: z.string().nullable(),
  /** Who measured that TVL (Token Terminal and DefiLlama define TVL differently) and what it covers. */
  tvlSource: z.string().nullable(),
  tvlScope: z.string().nullable(),
  tvlStale: z.boolean(),
  /** Revenue (fees for protocols whose source has no revenue) summed over the 30 days to `revenueDay`. */
  revenue30d: z.number().nullable(),
  revenueDay: z.string().nullable(),
  revenueSource: z.string().nullable(),
  /** 'fees' when the source reports fees rather than revenue (e.g. DefiLlama's Aave fees). */
  revenueKind: z.enum(['revenue', 'fees']).nullable(),
  revenueStale: z.boolean(),
  /** Commits in the 12 weeks up to the asset's latest development week. */
  commits12w: z.number().nullable(),
  devWeek: z.string().nullable(),
  devStale: z.boolean(),
  /** The latest ensemble score (0-100) and confidence, when the models have scored the asset. */
  score: z.number().nullable(),
  confidence: z.number().nullable(),
  scoreDay: z.string().nullable(),
  scoreStale: z.boolean(),
  /** The worst (lowest) audit score among the asset's audited contracts. */
  auditScore: z.number().nullable(),
  contracts: z.number(),
});
export type OverviewRow = z.infer<typeof OverviewRow>;

export const SeriesFamily = z.enum(['market', 'tvl', 'onchain', 'development', 'score']);
export type SeriesFamily = z.infer<typeof SeriesFamily>;

export const Series = z.object({
  key: z.string(),
  label: z.string(),
  unit: z.enum(['usd', 'count', 'score', 'ratio']),
  values: z.array(z.number().nullable()),
});
export type Series = z.infer<typeof Series>;

/** Columnar: `days[i]` is the day of every `series[k].values[i]`. */
export const SeriesResult = z.object({
  assetId: AssetId,
  family: SeriesFamily,
  days: z.array(z.string()),
  series: z.array(Series),
  /** The range asked for (open ends null): the chart's axis spans it even where the data does not. */
  from: z.string().nullable().default(null),
  to: z.string().nullable().default(null),
  /** Points in the range before downsampling. */
  total: z.number(),
  downsampled: z.boolean(),
});
export type SeriesResult = z.infer<typeof SeriesResult>;

export const ModelView = z.object({
  modelVersion: z.string(),
  day: z.string(),
  score: z.number().nullable(),
  confidence: z.number().nullable(),
  prediction: z.number().nullable(),
  /** Feature name to its contribution to the score (signed). */
  contributions: z.record(z.string(), z.number()),
});
export type ModelView = z.infer<typeof ModelView>;

/** A competitor of an asset: text similarity and/or the same category, with its own metrics. */
export const Peer = z.object({
  /** Cosine similarity of the project descriptions (null for a category-only peer). */
  similarity: z.number().nullable(),
  /** How the peer was found: the similarity method ('tfidf', 'hf:<model>') or 'category'. */
  method: z.string(),
  /** The DefiLlama category when known, else the registry's. */
  category: z.string().nullable(),
  sameCategory: z.boolean(),
  /** DefiLlama's chain list (static metadata). */
  chains: z.array(z.string()),
  /** Market cap over annualised 30-day revenue (P/S) or fees (P/F), both of the revenue's day. */
  ratio: z.object({ kind: z.enum(['P/S', 'P/F']), value: z.number(), asOf: z.string(), stale: z.boolean() }).nullable(),
  row: OverviewRow,
});
export type Peer = z.infer<typeof Peer>;

/** A value with its own as-of day, staleness against the dataset's end, and source. */
export const AsOfValue = z.object({ value: z.number().nullable(), asOf: z.string().nullable(), stale: z.boolean(), source: z.string().nullable() });
export type AsOfValue = z.infer<typeof AsOfValue>;

/** One asset as the analyst reads it: the terminal's `defimon asset --json` and the page's header. */
export const AssetPage = z.object({
  symbol: z.string(),
  name: z.string(),
  category: z.string().nullable(),
  /** The dataset's end (latest market day of the store): staleness is measured from it. */
  dataEnd: z.string().nullable(),
  values: z.object({ price: AsOfValue, marketCap: AsOfValue, volume24h: AsOfValue, tvl: AsOfValue, revenue30d: AsOfValue, commits12w: AsOfValue }),
  score: z.object({
    value: z.number().nullable(),
    confidence: z.number().nullable(),
    asOf: z.string().nullable(),
    /** One sentence: why the score is what it is. */
    summary: z.string(),
    /** Labelled drivers: the value in the label's unit, and the effect on the predicted 30-day return relative to the universe (fraction). */
    explanation: z.array(z.object({ label: z.string(), value: z.string(), effect: z.number() })),
    /** The model's out-of-sample (walk-forward) skill, and what confidence has meant. */
    skill: z.object({
      model: z.string().nullable(),
      horizonDays: z.number().nullable(),
      ic: z.number().nullable(),
      hitRate: z.number().nullable(),
      topMinusBottom: z.number().nullable(),
      validationDays: z.number().nullable(),
      confidenceMeant: z.string().nullable(),
    }),
  }),
  /** Peers with their market cap and TVL, each as of its own day and marked stale by it. */
  peers: z.array(
    z.object({
      symbol: z.string(),
      similarity: z.number().nullable(),
      category: z.string().nullable(),
      marketCap: z.number().nullable(),
      marketCapAsOf: z.string().nullable(),
      marketCapStale: z.boolean(),
      tvl: z.number().nullable(),
      tvlAsOf: z.string().nullable(),
      tvlStale: z.boolean(),
      score: z.number().nullable(),
    }),
  ),
});
export type AssetPage = z.infer<typeof AssetPage>;

/** A past score of the asset beside its realised return over the horizon, relative to the universe's median. */
export const ScoreOutcome = z.object({ day: z.string(), score: z.number(), relativeReturn: z.number().nullable() });
export type ScoreOutcome = z.infer<typeof ScoreOutcome>;

/** The data families the coverage panels report. */
export const CoverageFamily = z.enum(['market', 'tvl', 'revenue', 'development', 'onchain', 'chainTvl']);
export type CoverageFamily = z.infer<typeof CoverageFamily>;

/** One family from one source: from when to when, how many rows, and whether it is stale. */
export const CoverageRun = z.object({
  family: CoverageFamily,
  label: z.string(),
  /** The source as an analyst names it ("CoinGecko", "Token Terminal", "DefiLlama"). */
  source: z.string(),
  /** The stored source ids behind it (e.g. a DefiLlama file). */
  sourceIds: z.array(z.string()),
  /** What the series covers when the source says (e.g. "aave-v3 only"); per asset only. */
  scope: z.string().nullable(),
  from: z.string(),
  /** The last day covered (a weekly count covers its week to the Sunday). */
  to: z.string(),
  rows: z.number(),
  /** Assets with rows in this run, and how many of them have their own last day stale. */
  assets: z.number(),
  staleAssets: z.number(),
  /** `to` lies more than the threshold before the dataset's end. */
  stale: z.boolean(),
});
export type CoverageRun = z.infer<typeof CoverageRun>;

export const CoverageResult = z.object({
  /** The asset asked for, or null for the whole store. */
  assetId: z.string().nullable(),
  dataEnd: z.string().nullable(),
  staleAfterDays: z.number(),
  runs: z.array(CoverageRun),
});
export type CoverageResult = z.infer<typeof CoverageResult>;

export const ContractRow = z.object({
  chainId: z.number(),
  address: z.string(),
  ...nullableFields(z.string(), ['protocol', 'name', 'role']),
  ...nullableFields(z.boolean(), ['verified', 'isProxy']),
  implementation: z.string().nullable(),
  auditScore: z.number().nullable(),
  auditedAt: z.string().nullable(),
});
export type ContractRow = z.infer<typeof ContractRow>;

export const Note = z.object({ noteId: z.string().uuid(), assetId: AssetId, body: z.string(), createdAt: z.string(), updatedAt: z.string() });
export type Note = z.infer<typeof Note>;

export const AlertKind = z.enum(['score_above', 'score_below', 'price_move', 'audit_high']);
export type AlertKind = z.infer<typeof AlertKind>;

export const AlertRule = z.object({
  ruleId: z.string().uuid(),
  assetId: AssetId,
  kind: AlertKind,
  /** Score level (0-100) for score rules; absolute daily move as a fraction (0.1 = 10%) for price_move; unused for audit_high. */
  threshold: z.number().nullable(),
  enabled: z.boolean(),
  createdAt: z.string(),
});
export type AlertRule = z.infer<typeof AlertRule>;

export const Alert = z.object({
  /** Stable per firing (rule and the day or finding that fired it), so it is notified once. */
  key: z.string(),
  ruleId: z.string(),
  assetId: AssetId,
  kind: AlertKind,
  day: z.string().nullable(),
  message: z.string(),
});
export type Alert = z.infer<typeof Alert>;

const WatchlistName = z.string().trim().min(1).max(60);

export const uiMethods = {
  'ui.overview': method({
    description: 'The ranked universe: one row per priced asset with returns, size, TVL, development activity, score and audit score.',
    input: z
      .object({
        includeUnpriced: z.boolean().default(false),
        limit: z.number().int().min(1).max(10_000).default(10_000),
        offset: z.number().int().min(0).default(0),
        /** A value this many days older than the dataset's end is stale. */
        staleAfterDays: z.number().int().min(1).max(3650).default(30),
      })
      .strict()
      .default({ includeUnpriced: false, limit: 10_000, offset: 0, staleAfterDays: 30 }),
    output: z.object({
      rows: z.array(OverviewRow),
      total: z.number(),
      /** The latest day with any price: the overview's "as of" and the dataset's end. */
      asOf: z.string().nullable(),
      staleAfterDays: z.number(),
      /** Rows whose market data ended before the threshold (rows with staleSince set). */
      staleAssets: z.number(),
      scored: z.boolean(),
    }),
  }),
  'ui.series': method({
    description: 'One data family of an asset as daily (weekly for development) columns, bounded and downsampled to maxPoints keeping extremes.',
    input: z
      .object({
        assetId: AssetId,
        family: SeriesFamily,
        from: Day.optional(),
        to: Day.optional(),
        /** The last N days up to the asset's latest market day, instead of from/to: a page asks without waiting for that day. */
        lastDays: z.number().int().min(1).max(200_000).optional(),
        maxPoints: z.number().int().min(10).max(200_000).default(2000),
      })
      .strict()
      .refine((q) => q.lastDays === undefined || (q.from === undefined && q.to === undefined), { message: 'lastDays replaces from and to: give one or the other', path: ['lastDays'] }),
    output: SeriesResult,
  }),
  'ui.models': method({
    description: "Each model version's latest prediction for an asset, with its feature contributions.",
    input: z.object({ assetId: AssetId }).strict(),
    output: z.array(ModelView),
  }),
  'ui.competitors': method({
    description: 'Peers of an asset: projects with similar descriptions and projects of the same category, with their metrics and as-of days side by side.',
    input: z.object({ assetId: AssetId, limit: z.number().int().min(1).max(50).default(10) }).strict(),
    output: z.array(Peer),
  }),
  'ui.asset': method({
    description: 'One asset as the analyst reads it: values with as-of, staleness and source; the score in plain words with the model’s out-of-sample skill; peers.',
    input: z.object({ asset: z.string().trim().min(1).max(100), staleAfterDays: z.number().int().min(1).max(3650).default(30) }).strict(),
    output: AssetPage,
  }),
  'ui.scoreOutcomes': method({
    description: 'What happened after past scores: each out-of-sample score of the asset with its realised relative return over the horizon.',
    input: z.object({ assetId: AssetId }).strict(),
    output: z.object({ horizonDays: z.number().nullable(), points: z.array(ScoreOutcome) }),
  }),
  'ui.coverage': method({
    description: 'Which data family runs from when to when, from which source, with row counts and stale flags: of one asset, or of the whole store by source.',
    input: z
      .object({ assetId: AssetId.optional(), staleAfterDays: z.number().int().min(1).max(3650).default(30) })
      .strict()
      .default({ staleAfterDays: 30 }),
    output: CoverageResult,
  }),
  'ui.contracts': method({
    description: "An asset's known contracts (its token and its protocol's contracts) and their audit status.",
    input: z.object({ assetId: AssetId }).strict(),
    output: z.array(ContractRow),
  }),
  'ui.watchlist': method({
    description: 'The assets on a watchlist, oldest first.',
    input: z.object({ name: WatchlistName.default('default') }).strict().default({ name: 'default' }),
    output: z.array(z.object({ assetId: AssetId, addedAt: z.string() })),
  }),
  'ui.watch': method({
    description: 'Adds an asset to a watchlist or removes it (watched: false).',
    input: z.object({ name: WatchlistName.default('default'), assetId: AssetId, watched: z.boolean() }).strict(),
    output: z.object({ assetId: AssetId, watched: z.boolean() }),
  }),
  'ui.notes': method({
    description: "An asset's notes, newest first.",
    input: z.object({ assetId: AssetId }).strict(),
    output: z.array(Note),
  }),
  'ui.noteSave': method({
    description: 'Creates a note (no noteId) or replaces the body of one.',
    input: z.object({ noteId: z.string().uuid().optional(), assetId: AssetId, body: z.string().trim().min(1).max(20_000) }).strict(),
    output: Note,
  }),
  'ui.noteDelete': method({
    description: 'Deletes a note; false when there was none.',
    input: z.object({ noteId: z.string().uuid() }).strict(),
    output: z.object({ deleted: z.boolean() }),
  }),
  'ui.alertRules': method({
    description: 'Alert rules, optionally of one asset.',
    input: z.object({ assetId: AssetId.optional() }).strict().default({}),
    output: z.array(AlertRule),
  }),
  'ui.alertRuleSave': method({
    description: 'Creates an alert rule (no ruleId) or updates one.',
    input: z
      .object({
        ruleId: z.string().uuid().optional(),
        assetId: AssetId,
        kind: AlertKind,
        threshold: z.number().finite().nullable().default(null),
        enabled: z.boolean().default(true),
      })
      .strict()
      .superRefine((r, ctx) => {
        if ((r.kind === 'score_above' || r.kind === 'score_below') && (r.threshold === null || r.threshold < 0 || r.threshold > 100)) {
          ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'a score rule needs a level between 0 and 100' });
        }
        if (r.kind === 'price_move' && (r.threshold === null || r.threshold <= 0 || r.threshold > 10)) {
          ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'a price rule needs a move above 0 (as a fraction: 0.1 = 10%)' });
        }
      }),
    output: AlertRule,
  }),
  'ui.alertRuleDelete': method({
    description: 'Deletes an alert rule; false when there was none.',
    input: z.object({ ruleId: z.string().uuid() }).strict(),
    output: z.object({ deleted: z.boolean() }),
  }),
  'ui.alerts': method({
    description: "Evaluates the enabled alert rules against the latest data and returns what fires now.",
    input: Empty,
    output: z.array(Alert),
  }),
} satisfies MethodMap;

export const uiEvents = {};
