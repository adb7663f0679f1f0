/**
 * The ml domain: trains model versions in a worker thread (as `ml.train` tasks with progress and
 * cancellation), scores days, keeps the registry and the A/B pair, tracks realised skill, and
 * retrains on a schedule (a timer started here and cleared at shutdown).
 */
import { LRUCache } from 'lru-cache';
import type { z } from 'zod';
import type { mlMethods, RetrainOptions } from '../../../shared/contract/ml';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import { readOnlyError } from '../storage/dir-lock';
import type { Core } from '../core';
import type { HandlersFor } from '../rpc/dispatch';
import { runBacktest } from './backtest';
import { trainInWorker } from './jobs';
import { trainingThreads } from './parallel';
import { loadWarmPanel, type WarmPanel } from './panel';
import { scoreDayFromDb, scoreDayFromWarm, type Artefacts, type TrainParams } from './pipeline';
import { realisedSeries, updateRealisedIc } from './realised';
import { headlineVersion } from './api';
import { requireAsset } from '../assets/api';
import {
  defaultVersion,
  getAb,
  getArtefacts,
  getModelRow,
  getSetting,
  listModelRows,
  newVersionId,
  saveTrainedModel,
  savePredictions,
  setSetting,
  storedScores,
  toDetail,
  toSummary,
} from './registry';

/** The tables a panel (and so a score) is computed from. */
const PANEL_TABLES = new Set(['financial_metrics', 'onchain_metrics', 'github_metrics', 'crypto_assets']);

type ScoreRows = NonNullable<ReturnType<typeof storedScores>> | ReturnType<typeof scoreDayFromDb>;

export interface MlDomain {
  handlers: HandlersFor<typeof mlMethods>;
  /** Trains now if the schedule says a retrain is due; resolves to the new version or null. */
  checkSchedule(): Promise<string | null>;
}

export interface MlDomainOptions {
  /** How often the schedule is checked. @default 10 minutes */
  scheduleCheckMs?: number;
}

type ScheduleOptions = z.infer<typeof RetrainOptions>;

type TrainInput = {
  until?: string | undefined;
  horizon?: number | undefined;
  folds?: number | undefined;
  trainStride?: number | undefined;
  gbmIterations?: number | undefined;
  rfTrees?: number | undefined;
  nnEpochs?: number | undefined;
  promote?: boolean | undefined;
};

export function createMlDomain(core: Core, opts: MlDomainOptions = {}): MlDomain {
  const { store } = core;
  let training: Promise<string> | null = null;

  // Two walks along the day index, each stopping at its first priced row: MIN and MAX in one
  // query with a WHERE scanned the whole table (~90 ms on the bundled data, on every ml.score).
  const firstPriced = store.db.prepare<[], string>('SELECT day FROM financial_metrics WHERE close IS NOT NULL ORDER BY day ASC LIMIT 1').pluck();
  const lastPriced = store.db.prepare<[], string>('SELECT day FROM financial_metrics WHERE close IS NOT NULL ORDER BY day DESC LIMIT 1').pluck();
  const latestPriceDay = (): string | null => lastPriced.get() ?? null;

  /** First and last day with a price. */
  const priceRange = (): { first: string; last: string } | null => {
    const lo = firstPriced.get();
    const hi = lastPriced.get();
    return lo && hi ? { first: lo, last: hi } : null;
  };

  /** A day to score must lie inside the data; the error names the range that exists. */
  const checkDayInData = (day: string | undefined): void => {
    if (day === undefined) return;
    const range = priceRange();
    if (range && (day < range.first || day > range.last)) throw new AppError('NOT_FOUND', `no market data on ${day}: the data covers ${range.first} to ${range.last}`);
  };

  function train(input: TrainInput, signal?: AbortSignal): Promise<string> {
    if (input.until !== undefined) {
      const range = priceRange();
      // Training "until" a day the data does not reach would silently train on less than asked.
      if (range && input.until > range.last) throw new AppError('INVALID_INPUT', `until ${input.until} is after the data's last day (${range.last}); the data covers ${range.first} to ${range.last}`);
    }
    if (training) throw new AppError('CONFLICT', 'a model is already training; wait for it or cancel it (tasks.cancel)');
    // Refused before minutes of training, not when the result cannot be saved.
    if (store.readOnly) throw readOnlyError(path.dirname(store.path));
    const params: Partial<TrainParams> = { horizon: input.horizon ?? core.config.horizonDays };
    if (input.folds !== undefined) params.folds = input.folds;
    if (input.trainStride !== undefined) params.trainStride = input.trainStride;
    if (input.gbmIterations !== undefined) params.gbm = { iterations: input.gbmIterations };
    if (input.rfTrees !== undefined) params.rf = { trees: input.rfTrees };
    if (input.nnEpochs !== undefined) params.nn = { epochs: input.nnEpochs };
    const run = core.tasks.run(
      'ml.train',
      async ({ signal: taskSignal, progress }) => {
        const t0 = performance.now();
        const result = await trainInWorker({ dbPath: store.path, until: input.until, params, threads: trainingThreads() }, { signal: taskSignal, onProgress: progress });
        const version = newVersionId();
        const ab = getAb(store);
        const role = input.promote || !ab.champion ? 'champion' : 'challenger';
        // The version and its role in one transaction: a kill between them left a version with no role.
        saveTrainedModel(store, version, result, performance.now() - t0, role);
        const ensembleIc = result.metrics.models.ensemble.meanIc;
        core.bus.emit('ml.trained', { version, role, ensembleIc: Number.isFinite(ensembleIc) ? ensembleIc : null });
        core.log.info({ version, role, ensembleIc, ms: Math.round(performance.now() - t0) }, 'model trained');
        return version;
      },
      signal ? { signal } : {},
    );
    training = run;
    const clear = (): void => {
      training = null;
    };
    run.then(clear, clear);
    return run;
  }

  // Scoring a day reads only the lookback window its features need, on this thread (tens of
  // milliseconds); results are kept per version and day, in-sample days included (flagged), until
  // the data they came from changes: a write through this store to a table the panel reads, or a
  // commit by another connection (SQLite's data_version).
  const artefactCache = new LRUCache<string, Artefacts>({ max: 4 });
  const scoreCache = new LRUCache<string, { inSample: boolean; assets: ScoreRows; horizon: number }>({ max: 512 });
  const dataVersion = store.db.prepare('PRAGMA data_version').pluck();
  // Local writes to a table the panel reads bump this; other connections' commits bump data_version.
  let localWrites = 0;
  const offHook = store.addWriteHook(
    (table) => {
      if (PANEL_TABLES.has(table)) {
        localWrites++;
        scoreCache.clear();
      }
    },
    { rows: false },
  );
  core.onShutdown(offHook);
  core.onShutdown(() => {
    warm = null;
  });
  const dataKey = (): string => `${localWrites}|${String(dataVersion.get())}`;

  // The whole panel kept in memory for the data it was read from: the first day scored on a data
  // version reads only its window from the database; a second one loads the whole panel once,
  // and every later day is cut from memory (data that changes all the time never pays the full
  // read for one score).
  let warm: { key: string; panel: WarmPanel | null } | null = null;
  const scoreComputed = (art: Artefacts, target: string): ReturnType<typeof scoreDayFromDb> => {
    const key = dataKey();
    if (warm?.key !== key) {
      warm = { key, panel: null };
      return scoreDayFromDb(store.db, art, target);
    }
    warm.panel ??= loadWarmPanel(store.db);
    return scoreDayFromWarm(warm.panel, art, target);
  };
  const artefactsOf = (version: string): Artefacts => {
    let art = artefactCache.get(version);
    if (!art) artefactCache.set(version, (art = getArtefacts(store, version)));
    return art;
  };

  // The two fields scoring needs, without the version's artefacts (megabytes of JSON per read).
  const modelHead = store.db.prepare<[string], { train_to: string; horizon_days: number }>('SELECT train_to, horizon_days FROM ml_models WHERE version = ?');
  async function scoreDay(version: string, day: string | undefined, signal?: AbortSignal) {
    const model = modelHead.get(version);
    if (!model) throw new AppError('NOT_FOUND', `no model version "${version}"`);
    const target = day ?? latestPriceDay();
    if (!target) throw new AppError('NOT_FOUND', 'no market data to score');
    const inSample = target <= model.train_to;
    const cacheKey = `${version}|${target}|${dataKey()}`;
    const cached = scoreCache.get(cacheKey);
    if (cached) return { day: target, ...cached };
    if (!inSample) {
      const stored = storedScores(store, version, target);
      if (stored) return { day: target, inSample, assets: stored, horizon: Number(model.horizon_days) };
    }
    const scores = await core.tasks.run('ml.score', () => Promise.resolve(scoreComputed(artefactsOf(version), target)), signal ? { signal } : {});
    if (scores.length === 0) throw new AppError('NOT_FOUND', `no asset has market data on ${target}`);
    if (!inSample) savePredictions(store, version, scores);
    scores.sort((a, b) => b.score - a.score || a.assetId.localeCompare(b.assetId));
    const result = { inSample, assets: scores, horizon: Number(model.horizon_days) };
    // Saving the predictions wrote nothing the panel reads: the key still holds.
    scoreCache.set(cacheKey, result);
    return { day: target, ...result };
  }

  function abStatus() {
    const ab = getAb(store);
    const versions = [];
    for (const [version, role] of [
      [ab.champion, 'champion'],
      [ab.challenger, 'challenger'],
    ] as const) {
      if (!version) continue;
      updateRealisedIc(store, version);
      const series = realisedSeries(store, version);
      const ics = series.map((s) => s.ic).filter((v): v is number => v !== null);
      const spreads = series.map((s) => s.spread).filter((v): v is number => v !== null);
      const summary = toSummary(getModelRow(store, version), ab);
      versions.push({
        version,
        role,
        validationIc: summary.metrics.ensemble.meanIc,
        realised: { days: ics.length, meanIc: ics.length ? ics.reduce((s, v) => s + v, 0) / ics.length : null, meanSpread: spreads.length ? spreads.reduce((s, v) => s + v, 0) / spreads.length : null, series },
      });
    }
    return { champion: ab.champion, challenger: ab.challenger, versions };
  }

  function schedule() {
    const setting = getSetting<{ intervalHours: number | null; options?: ScheduleOptions }>(store, 'schedule');
    const intervalHours = setting?.intervalHours ?? null;
    const options = setting?.options ?? {};
    const last = store.db.prepare<unknown[], { t: string | null }>('SELECT MAX(created_at) AS t FROM ml_models').get()?.t ?? null;
    const nextDueAt = intervalHours === null ? null : last ? new Date(Date.parse(last) + intervalHours * 3_600_000).toISOString() : new Date().toISOString();
    return { intervalHours, options, lastTrainedAt: last, nextDueAt, running: training !== null };
  }

  async function checkSchedule(): Promise<string | null> {
    const s = schedule();
    if (s.nextDueAt === null || s.running || Date.parse(s.nextDueAt) > Date.now()) return null;
    if (!latestPriceDay()) return null;
    try {
      return await train(s.options);
    } catch (err) {
      core.log.warn({ err }, 'scheduled retraining failed');
      return null;
    }
  }

  const timer = setInterval(() => void checkSchedule(), opts.scheduleCheckMs ?? 10 * 60_000);
  // The schedule never keeps a CLI process alive.
  timer.unref();
  core.onShutdown(() => clearInterval(timer));

  const handlers: HandlersFor<typeof mlMethods> = {
    'ml.train': async (input, ctx) => {
      const version = await train(input, ctx.signal);
      return toSummary(getModelRow(store, version), getAb(store));
    },
    'ml.backtest': (input, ctx) => {
      const horizon = input.horizon ?? core.config.horizonDays;
      const params: Partial<TrainParams> = { horizon };
      if (input.folds !== undefined) params.folds = input.folds;
      if (input.trainStride !== undefined) params.trainStride = input.trainStride;
      if (input.gbmIterations !== undefined) params.gbm = { iterations: input.gbmIterations };
      if (input.rfTrees !== undefined) params.rf = { trees: input.rfTrees };
      if (input.nnEpochs !== undefined) params.nn = { epochs: input.nnEpochs };
      return core.tasks.run(
        'ml.backtest',
        ({ signal, progress }) =>
          runBacktest({
            db: store.db,
            options: { from: input.from, to: input.to, every: input.every, retrainEvery: input.retrainEvery, horizon },
            // The training worker reads the panel only up to `until`: nothing later reaches the model.
            train: async (until, s) => (await trainInWorker({ dbPath: store.path, until, params, threads: trainingThreads() }, { signal: s })).artefacts,
            signal,
            progress,
          }),
        ctx.signal ? { signal: ctx.signal } : {},
      );
    },
    'ml.score': async (input, ctx) => {
      // Checked once here (the challenger scores the same, already checked, day).
      checkDayInData(input.day);
      const version = input.modelVersion ?? defaultVersion(store);
      const res = await scoreDay(version, input.day, ctx.signal);
      // A/B: the challenger scores the same (out-of-sample) day beside the champion.
      const ab = getAb(store);
      if (!res.inSample && version === ab.champion && ab.challenger) {
        try {
          await scoreDay(ab.challenger, res.day, ctx.signal);
        } catch (err) {
          core.log.warn({ err, challenger: ab.challenger }, 'challenger scoring failed');
        }
      }
      return { modelVersion: version, day: res.day, horizonDays: res.horizon, inSample: res.inSample, assets: input.limit ? res.assets.slice(0, input.limit) : res.assets };
    },
    'ml.scoreHistory': ({ assetId, modelVersion }) => {
      const version = modelVersion ?? headlineVersion(store) ?? defaultVersion(store);
      const model = getModelRow(store, version);
      requireAsset(store, assetId);
      const rows = store.db.prepare<unknown[], {
        day: string;
        score: number;
        confidence: number | null;
        prediction: number | null;
      }>('SELECT day, score, confidence, prediction FROM ml_predictions WHERE model_version = ? AND asset_id = ? AND score IS NOT NULL ORDER BY day').all(version, assetId);
      return { modelVersion: version, trainTo: model.train_to, points: rows.map((r) => ({ ...r, kind: r.day <= model.train_to ? ('validation' as const) : ('live' as const) })) };
    },
    'ml.models': () => {
      const ab = getAb(store);
      return listModelRows(store).map((r) => toSummary(r, ab));
    },
    'ml.model': ({ version }) => toDetail(getModelRow(store, version), getAb(store)),
    'ml.abStatus': () => abStatus(),
    'ml.abSet': ({ champion, challenger }) => {
      getModelRow(store, champion);
      if (challenger !== null) getModelRow(store, challenger);
      if (challenger === champion) throw new AppError('INVALID_INPUT', 'the challenger must differ from the champion');
      setSetting(store, 'ab', { champion, challenger });
      return abStatus();
    },
    'ml.schedule': ({ intervalHours, options }) => {
      if (intervalHours !== undefined || options !== undefined) {
        const prev = schedule();
        setSetting(store, 'schedule', { intervalHours: intervalHours === undefined ? prev.intervalHours : intervalHours, options: options ?? prev.options });
      }
      return schedule();
    },
  };
  return { handlers, checkSchedule };
}
