/**
 * The full model pipeline on the bundled dataset, in one process so every stage can be timed:
 * panel load, features, walk-forward validation of all four models, metrics, final fit, scoring;
 * each with its time and the process's peak RSS so far, with the fits spread over the cores as
 * the app's training worker does. Then scoring one day, and the training again in a single
 * worker thread for comparison. Target: < 60 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { findBundledDataset } from '../src/main/services';
import { importDataset } from '../src/main/services/importer/importer';
import { trainInWorker } from '../src/main/services/ml/jobs';
import { parallelExecutor, trainingThreads } from '../src/main/services/ml/parallel';
import { loadPanel } from '../src/main/services/ml/panel';
import { runPipeline, scorePanel } from '../src/main/services/ml/pipeline';
import { openSqlite } from '../src/main/services/storage/sqlite';

const peakMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const f3 = (v: number | null): string => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(3));

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'defimon-bench-ml-'));
  try {
    const dataset = findBundledDataset(__dirname);
    if (!dataset) throw new Error('resources/dataset is missing');
    const file = path.join(dir, 'defimon.sqlite');
    const store = openSqlite({ file });
    importDataset({ store, dir: dataset, source: 'bundled' });
    store.close();
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (figures below are wall-clock)`);

    const db = new Database(file, { readonly: true });
    const total0 = performance.now();
    let t = performance.now();
    const panel = loadPanel(db);
    console.log(`stage panel load: ${(performance.now() - t).toFixed(0)} ms, peak RSS ${peakMb()} MB (${panel.assets.length} assets x ${panel.days.length} days)`);
    const threads = trainingThreads();
    const cpu0 = process.cpuUsage();
    const result = await runPipeline(panel, {}, { executor: parallelExecutor(threads), onStage: (stage, ms, rss) => console.log(`stage ${stage}: ${ms} ms, peak RSS ${rss} MB (this process; helper threads included)`) });
    const cpu = process.cpuUsage(cpu0);
    const totalMs = performance.now() - total0;
    console.log(`full pipeline (this thread + ${threads - 1} helper thread(s)): ${(totalMs / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU over all threads; target < 60 s; nn backend ${result.metrics.backend}; ${result.trainRows} final training rows, ${result.features.length} features`);
    console.log('walk-forward validation (out of sample):');
    console.log('  model       meanIC   IC t   IC>0   Q5-Q1    hit    RMSE');
    for (const [name, m] of Object.entries({ ...result.metrics.models, chance: result.metrics.chance })) {
      console.log(`  ${name.padEnd(10)} ${f3(m.meanIc).padStart(7)} ${f3(m.icT).padStart(6)} ${f3(m.positiveShare).padStart(6)} ${f3(m.quintileSpread).padStart(7)} ${f3(m.hitRate).padStart(6)} ${f3(m.rmse).padStart(7)}`);
    }
    console.log(`  chance IC sd over 20 shuffles: ${f3(result.metrics.chance.icSd)}; ensemble weights ${JSON.stringify(result.metrics.weights)}`);
    for (const fold of result.metrics.folds) console.log(`  fold ${fold.fold}: train to ${fold.trainEnd}, validate ${fold.valStart}..${fold.valEnd}: IC ensemble ${f3(fold.ic.ensemble)} gbm ${f3(fold.ic.gbm)} rf ${f3(fold.ic.rf)} ridge ${f3(fold.ic.ridge)} nn ${f3(fold.ic.nn)} momentum ${f3(fold.ic.momentum)}`);
    for (const r of result.metrics.reliability) console.log(`  confidence ${r.bucket} (${f3(r.minConfidence)}-${f3(r.maxConfidence)}): IC ${f3(r.meanIc)}, Q5-Q1 ${f3(r.quintileSpread)}, hit ${f3(r.hitRate)}`);

    t = performance.now();
    const scores = scorePanel(panel, result.artefacts);
    console.log(`score one day (${scores[0]?.day}, ${scores.length} assets, with contributions) from stored artefacts: ${(performance.now() - t).toFixed(0)} ms`);
    db.close();

    t = performance.now();
    await trainInWorker({ dbPath: file, until: undefined, params: {}, threads: 1 });
    console.log(`full training in one worker thread, no helpers: ${((performance.now() - t) / 1000).toFixed(1)} s wall`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
