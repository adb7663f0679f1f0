/** CLI commands of the ml domain: train, score, models, ab. */
import type { Command } from 'commander';
import type { ModelSummary, ValidationMetrics } from '../../../shared/contract/ml';
import { AppError } from '../../../shared/errors';
import { printJson, runWithServices, withProgress } from '../runtime';

function intOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new AppError('INVALID_INPUT', `--${name} must be a whole number, got "${raw}"`);
  return n;
}

const f = (v: number | null, digits = 3): string => (v === null ? '-' : v.toFixed(digits));
const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

function metricsTable(m: ModelSummary): string {
  const head = `${'MODEL'.padEnd(10)}${'IC'.padStart(8)}${'IC t'.padStart(8)}${'IC>0'.padStart(8)}${'Q5-Q1'.padStart(9)}${'HIT'.padStart(8)}${'RMSE'.padStart(8)}${'WEIGHT'.padStart(8)}`;
  const line = (name: string, x: ValidationMetrics, weight: number | null): string =>
    `${name.padEnd(10)}${f(x.meanIc).padStart(8)}${f(x.icT, 2).padStart(8)}${pct(x.positiveShare).padStart(8)}${pct(x.quintileSpread).padStart(9)}${pct(x.hitRate).padStart(8)}${f(x.rmse).padStart(8)}${(weight === null ? '' : weight.toFixed(2)).padStart(8)}`;
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
          if (opts.json) {
            return printJson({
              modelVersion: res.modelVersion,
              day: res.day,
              horizonDays: res.horizonDays,
              inSample: res.inSample,
              assets: res.assets.map((a) => ({ symbol: a.symbol, assetId: a.assetId, score: a.score, confidence: a.confidence, prediction: a.prediction, models: a.models, contributions: a.contributions })),
            });
          }
          process.stdout.write(`scores of ${res.day} by ${res.modelVersion} (${res.horizonDays}-day horizon)${res.inSample ? ' - IN-SAMPLE: this day is inside the training data' : ''}\n`);
          process.stdout.write(`${'SYMBOL'.padEnd(8)}${'SCORE'.padStart(7)}${'CONF'.padStart(7)}${'PRED'.padStart(9)}  TOP CONTRIBUTIONS\n`);
          for (const a of res.assets) {
            const top = a.contributions
              .slice(0, 3)
              .map((c) => `${c.feature} ${c.contribution >= 0 ? '+' : ''}${(c.contribution * 100).toFixed(2)}%`)
              .join(', ');
            process.stdout.write(`${a.symbol.padEnd(8)}${a.score.toFixed(1).padStart(7)}${a.confidence.toFixed(2).padStart(7)}${pct(a.prediction).padStart(9)}  ${top}\n`);
          }
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
