/** CLI commands of the ml domain: train, score, models, ab. */
import type { Command } from 'commander';
import type { BacktestReport, ModelSummary, ValidationMetrics } from '../../../shared/contract/ml';
import { AppError } from '../../../shared/errors';
import { featureLabel } from '../../../shared/feature-labels';
import { isStale } from '../../../shared/freshness';
import { modelName } from '../../../shared/model-names';
import { printJson, runWithServices, withProgress } from '../runtime';

function intOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new AppError('INVALID_INPUT', `--${name} must be a whole number, got "${raw}"`);
  return n;
}

const meanOf = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};
const f = (v: number | null, digits = 3): string => (v === null ? '-' : v.toFixed(digits));
const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

function metricsTable(m: ModelSummary): string {
  const head = `${'MODEL'.padEnd(28)}${'IC'.padStart(8)}${'IC t'.padStart(8)}${'IC>0'.padStart(8)}${'Q5-Q1'.padStart(9)}${'HIT'.padStart(8)}${'RMSE'.padStart(8)}${'WEIGHT'.padStart(8)}`;
  const line = (name: string, x: ValidationMetrics, weight: number | null): string =>
    `${modelName(name).padEnd(28)}${f(x.meanIc).padStart(8)}${f(x.icT, 2).padStart(8)}${pct(x.positiveShare).padStart(8)}${pct(x.quintileSpread).padStart(9)}${pct(x.hitRate).padStart(8)}${f(x.rmse).padStart(8)}${(weight === null ? '' : weight.toFixed(2)).padStart(8)}`;
  return [
    head,
    line('ridge', m.metrics.ridge, m.weights.ridge),
    line('gbm', m.metrics.gbm, m.weights.gbm),
    line('rf', m.metrics.rf, m.weights.rf),
    line('nn', m.metrics.nn, m.weights.nn),
    line('ensemble', m.metrics.ensemble, null),
    line('momentum', m.metrics.momentum, null),
    `${line('chance', m.chance, null)}   (IC sd over shuffles ${f(m.chance.icSd, 4)})`,
  ].join('\n');
}

export function registerMlCommands(program: Command): void {
  program
    .command('train')
    .description('train a model version: walk-forward validation of ridge, random forest, gradient boosting and a neural net, then the ensemble')
    .option('--until <day>', 'use data up to this day (YYYY-MM-DD)')
    .option('--horizon <days>', 'forward-return horizon in days (default 30)')
    .option('--folds <n>', 'walk-forward folds (default 6)')
    .option('--promote', 'make the new version the champion at once (default: challenger when one exists)')
    .option('--json', 'print the version and its metrics as JSON')
    .action(async (opts: { until?: string; horizon?: string; folds?: string; promote?: boolean; json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const input: { until?: string; horizon?: number; folds?: number; promote: boolean } = { promote: opts.promote ?? false };
          if (opts.until) input.until = opts.until;
          const horizon = intOption('horizon', opts.horizon);
          if (horizon !== undefined) input.horizon = horizon;
          const folds = intOption('folds', opts.folds);
          if (folds !== undefined) input.folds = folds;
          const stop = withProgress(services, 'train');
          let m: ModelSummary;
          try {
            m = await services.client.call('ml.train', input);
          } finally {
            stop();
          }
          if (opts.json) return printJson(m);
          process.stdout.write(
            `model ${m.version} (${m.role ?? 'stored'}): horizon ${m.horizonDays} d, labelled data ${m.trainFrom}..${m.trainTo}, ${m.trainRows} training rows, ${m.features.length} features, nn backend ${m.backend}, ${(m.durationMs / 1000).toFixed(1)} s\n` +
              `walk-forward validation (out of sample, purge gap ${m.horizonDays} d):\n${metricsTable(m)}\n`,
          );
        },
        { json: opts.json ?? false },
      );
    });

  program
    .command('score')
    .description('investment scores (0-100) of every asset on a day, with confidence, prediction and feature contributions')
    .option('--as-of <day>', 'day to score (default: the latest market day)')
    .option('--model <version>', 'model version (default: the champion)')
    .option('--limit <n>', 'only the top n assets')
    .option('--json', 'print JSON')
    .action(async (opts: { asOf?: string; model?: string; limit?: string; json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const input: { day?: string; modelVersion?: string; limit?: number } = {};
          if (opts.asOf) input.day = opts.asOf;
          if (opts.model) input.modelVersion = opts.model;
          const limit = intOption('limit', opts.limit);
          if (limit !== undefined) input.limit = limit;
          if (opts.model === undefined && (await services.client.call('ml.models', {})).length === 0) {
            // A day outside the data is refused before any training (the error names the range).
            if (input.day !== undefined) await services.client.call('ml.score', input).catch((err: unknown) => {
              if (!/no trained model/.test((err as Error).message)) throw err;
            });
            // First run on a fresh database: train the default model so `score` answers at once.
            process.stderr.write('defimon: no trained model yet; training one on the local data first (about a minute)\n');
            const stop = withProgress(services, 'train');
            try {
              await services.client.call('ml.train', {});
            } finally {
              stop();
            }
          }
          const res = await services.client.call('ml.score', input);
          const models = await services.client.call('ml.models', {});
          const model = models.find((m) => m.version === res.modelVersion);
          if (res.inSample) {
            // No look-ahead by default: say which model could score this day honestly, or how to ask.
            const earlier = models.filter((m) => m.trainTo < res.day).sort((x, y) => y.trainTo.localeCompare(x.trainTo))[0];
            process.stderr.write(
              `defimon: ${res.modelVersion} learned from data to ${model?.trainTo ?? '?'}, so its scores of ${res.day} are in-sample (it has seen what followed); ` +
                (earlier ? `${earlier.version} was trained on data to ${earlier.trainTo}: \`defimon score --as-of ${res.day} --model ${earlier.version}\`` : `no model was trained before ${res.day}; for honest point-in-time scores run \`defimon backtest --from ${res.day} --to DAY\``) +
                '\n',
            );
          }
          // Each row's as-of: the asset's latest market day up to the scored day, stale when it lies more than the threshold before it.
          const lastDays = new Map((await services.client.call('assets.list', { includeUnpriced: false })).map((a) => [a.assetId, a.lastDay]));
          const asOf = (assetId: string): string | null => {
            const last = lastDays.get(assetId) ?? null;
            return last !== null && last > res.day ? res.day : last;
          };
          if (opts.json) {
            return printJson({
              modelVersion: res.modelVersion,
              day: res.day,
              horizonDays: res.horizonDays,
              inSample: res.inSample,
              assets: res.assets.map((a) => ({
                symbol: a.symbol,
                assetId: a.assetId,
                score: a.score,
                confidence: a.confidence,
                prediction: a.prediction,
                asOf: asOf(a.assetId),
                stale: isStale(asOf(a.assetId), res.day),
                inSample: res.inSample,
                models: a.models,
                contributions: a.contributions,
              })),
            });
          }
          const info = await services.client.call('system.info', {});
          const w = (line: string): void => void process.stdout.write(`${line}\n`);
          w(`scores of ${res.day} by model ${res.modelVersion} (${res.horizonDays}-day horizon)${res.inSample ? ' - IN-SAMPLE: this day is inside the training data' : ''}`);
          w(`SCORE = percentile of the predicted return among the day's assets (0-100); CONF = confidence (0-1); PRED = predicted ${res.horizonDays}-day return relative to the universe's median; WHY = the largest feature contributions to PRED`);
          if (model) {
            const e = model.metrics.ensemble;
            w(
              `out-of-sample skill (walk-forward to ${model.trainTo}): rank IC ${f(e.meanIc)} (t ${f(e.icT, 2)}, positive on ${pct(e.positiveShare)} of dates), top-minus-bottom quintile ${pct(e.quintileSpread)} per ${res.horizonDays} days; momentum baseline IC ${f(model.metrics.momentum.meanIc)}, chance ${f(model.chance.meanIc)} ± ${f(model.chance.icSd)}`,
            );
          }
          w(`${'SYMBOL'.padEnd(8)}${'SCORE'.padStart(7)}${'CONF'.padStart(7)}${'PRED'.padStart(9)}  ${'AS OF'.padEnd(10)} WHY${res.inSample ? ' (every row IN-SAMPLE)' : ''}`);
          for (const a of res.assets) {
            const top = a.contributions
              .slice(0, 3)
              .map((c) => `${featureLabel(c.feature)} ${c.contribution >= 0 ? '+' : ''}${(c.contribution * 100).toFixed(2)}%`)
              .join(', ');
            const day = asOf(a.assetId);
            const stale = isStale(day, res.day) ? `[STALE: market data to ${day}] ` : '';
            w(`${a.symbol.padEnd(8)}${a.score.toFixed(1).padStart(7)}${a.confidence.toFixed(2).padStart(7)}${pct(a.prediction).padStart(9)}  ${(day ?? '-').padEnd(10)} ${stale}${res.inSample ? '[in-sample] ' : ''}${top}`);
          }
          if (info.dataset) w(`data: ${info.dataset.name} to ${info.dataset.cutoff}. ${info.dataset.attribution}`);
        },
        { json: opts.json ?? false },
      );
    });

  program
    .command('backtest')
    .description('honest point-in-time backtest: retrain every --retrain-every days on the data known then, score every --every days, judge each day by the returns that followed')
    .requiredOption('--from <day>', 'first scored day and first retrain date (YYYY-MM-DD)')
    .requiredOption('--to <day>', 'last scored day (its horizon must be inside the data)')
    .option('--every <days>', 'score every n days (default 30)')
    .option('--retrain-every <days>', 'retrain every n days (default 90)')
    .option('--horizon <days>', 'forward-return horizon in days (default 30)')
    .option('--folds <n>', 'walk-forward folds inside each training (default 6)')
    .option('--json', 'print {dates, summary} as JSON')
    .action(async (opts: { from: string; to: string; every?: string; retrainEvery?: string; horizon?: string; folds?: string; json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const input: { from: string; to: string; every?: number; retrainEvery?: number; horizon?: number; folds?: number } = { from: opts.from, to: opts.to };
          const every = intOption('every', opts.every);
          if (every !== undefined) input.every = every;
          const retrainEvery = intOption('retrain-every', opts.retrainEvery);
          if (retrainEvery !== undefined) input.retrainEvery = retrainEvery;
          const horizon = intOption('horizon', opts.horizon);
          if (horizon !== undefined) input.horizon = horizon;
          const folds = intOption('folds', opts.folds);
          if (folds !== undefined) input.folds = folds;
          // Ctrl-C cancels the backtest (its training worker stops at once), like training.
          const abort = new AbortController();
          const onSigint = (): void => abort.abort();
          process.once('SIGINT', onSigint);
          const stop = withProgress(services, 'backtest');
          let report: BacktestReport;
          try {
            report = await services.client.call('ml.backtest', input, { signal: abort.signal });
          } finally {
            stop();
            process.off('SIGINT', onSigint);
          }
          if (opts.json) return printJson({ dates: report.dates, summary: report.summary });
          const w = (line: string): void => void process.stdout.write(`${line}\n`);
          w(`backtest ${opts.from}..${opts.to}: each model trained only on data up to its retrain date; IC = rank correlation of prediction and the return that followed; Q5-Q1 = top-minus-bottom quintile return; HIT = share of assets on the predicted side of the median`);
          w(`${'DAY'.padEnd(12)}${'TRAINED TO'.padEnd(12)}${'IC'.padStart(8)}${'Q5-Q1'.padStart(9)}${'HIT'.padStart(8)}${'MOM IC'.padStart(9)}${'CUM Q5-Q1'.padStart(11)}`);
          let cum = 0;
          const weight = Math.min(1, (input.every ?? 30) / (input.horizon ?? services.config.horizonDays));
          for (const d of report.dates) {
            cum += (d.spread ?? 0) * weight;
            w(`${d.day.padEnd(12)}${d.trainedUntil.padEnd(12)}${f(d.ic).padStart(8)}${pct(d.spread).padStart(9)}${pct(d.hitRate).padStart(8)}${f(d.momentumIc).padStart(9)}${pct(Math.expm1(cum)).padStart(11)}`);
          }
          const s = report.summary;
          w(`mean IC ${f(s.meanIc)} (t ${f(s.icT, 2)}, positive on ${pct(s.positiveShare)} of dates); mean Q5-Q1 ${pct(s.meanSpread)}; cumulative Q5-Q1 ${pct(s.cumulativeSpread)}; momentum mean IC ${f(meanOf(report.dates.map((d) => d.momentumIc)))}`);
        },
        { json: opts.json ?? false },
      );
    });

  program
    .command('models')
    .description('stored model versions and their validation metrics')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const models = await services.client.call('ml.models', {});
          if (opts.json) return printJson(models);
          if (models.length === 0) return void process.stdout.write('no model versions yet: run `defimon train`\n');
          for (const m of models) process.stdout.write(`${m.version}  ${(m.role ?? '').padEnd(10)} data to ${m.dataUntil}  ensemble IC ${f(m.metrics.ensemble.meanIc)} (t ${f(m.metrics.ensemble.icT, 2)})  momentum IC ${f(m.metrics.momentum.meanIc)}\n`);
        },
        { json: opts.json ?? false },
      );
    });

  program
    .command('ab')
    .description('A/B status: champion and challenger with their realised IC; --champion/--challenger set the pair')
    .option('--champion <version>', 'version scored by default')
    .option('--challenger <version>', 'version scored beside it ("none" ends the test)')
    .option('--json', 'print JSON')
    .action(async (opts: { champion?: string; challenger?: string; json?: boolean }, cmd: Command) => {
      await runWithServices(
        cmd,
        async (services) => {
          const status = opts.champion
            ? await services.client.call('ml.abSet', { champion: opts.champion, challenger: !opts.challenger || opts.challenger === 'none' ? null : opts.challenger })
            : await services.client.call('ml.abStatus', {});
          if (opts.json) return printJson(status);
          for (const v of status.versions) process.stdout.write(`${v.role.padEnd(11)}${v.version}  validation IC ${f(v.validationIc)}  realised IC ${f(v.realised.meanIc)} over ${v.realised.days} days\n`);
          if (status.versions.length === 0) process.stdout.write('no champion yet: run `defimon train`\n');
        },
        { json: opts.json ?? false },
      );
    });
}
